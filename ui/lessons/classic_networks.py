"""The classic networks lesson's parts: AlexNet's layers and recipe, and VGG's design principles.

Every number is read from torchvision's constructors (``models.probes.classic``) or from the
recipe the training lab's preset uses (``models.training.tasks.ALEXNET_RECIPE``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.probes import classic
from models.probes.layer_table import family_sizes
from models.training import tasks
from models.training.train import TrainConfig
from ui import charts, figures, task_views
from ui.i18n import t


def alexnet() -> None:
    layers = classic.alexnet_layers()
    st.dataframe(pd.DataFrame([{t("classic.col_layer"): w.name, t("classic.col_module"): w.module,
                                t("classic.col_kernel"): w.kernel or "—",
                                t("classic.col_output"): "×".join(map(str, w.out_shape)),
                                t("classic.col_params"): f"{w.parameters:,}"} for w in layers]), hide_index=True)
    charts.show(figures.layer_parameters([w.name for w in layers], [w.parameters for w in layers],
                                         [w.kind for w in layers]), key="classic.alexnet_bars")
    share = classic.parameter_share(layers)
    total = share["conv"] + share["fc"]
    st.markdown(t("classic.share", total=f"{total:,}", fc=f"{share['fc']:,}", fc_share=f"{share['fc'] / total:.0%}",
                  conv=f"{share['conv']:,}"))


RECIPE_LINKS = {  # each item of the recipe: where a student can try it
    "relu": ("app_pages/training_lab.py", "train.activation"),
    "dropout": ("app_pages/overfitting.py", "ov.remedy_dropout"),
    "augment": ("app_pages/overfitting.py", "ov.remedy_augmentation"),
    "momentum": ("app_pages/training_lab.py", "train.opt_sgd"),
    "lr": ("app_pages/training_lab.py", "train.lr"),
    "batch_size": ("app_pages/training_lab.py", "train.batch_size"),
    "weight_decay": ("app_pages/overfitting.py", "ov.remedy_weight_decay"),
}


def recipe() -> None:
    r = tasks.ALEXNET_RECIPE
    values = {"relu": "ReLU", "dropout": f"p = {r['dropout']}", "augment": " + ".join(r["augment"]),
              "momentum": f"{r['momentum']}", "lr": f"{r['lr']}", "batch_size": f"{r['batch_size']}",
              "weight_decay": f"{r['weight_decay']:g}"}
    for item, (page, label) in RECIPE_LINKS.items():
        left, right = st.columns([3, 2])
        left.markdown(f"**{t(f'classic.recipe_{item}')}** — `{values[item]}`")
        right.page_link(page, label=t("classic.try", where=t(label)), icon="🧪")
    st.caption(t("classic.lrn"))


def recipe_demo() -> None:
    """The default network trained as AlexNet was, beside the training lab's default (Adam)."""
    base = TrainConfig(epochs=3)
    task_views.comparison("demo.alexnet", {t("classic.default_run"): base,
                                           t("classic.recipe_run"): tasks.alexnet_recipe(base)}, time_limit_s=50.0)


def vgg() -> None:
    stages = classic.vgg_stages("D")
    st.dataframe(pd.DataFrame([{t("classic.col_stage"): i, t("classic.col_convs"): f"{s.convs} × 3×3",
                                t("classic.col_channels"): s.channels, t("classic.col_size"): f"{s.size}×{s.size}"}
                               for i, s in enumerate(stages, start=1)]), hide_index=True)
    with st.spinner(t("app.computing")):
        sizes = family_sizes(("AlexNet", "VGG-16"))
    vgg16 = sizes["VGG-16"]
    st.markdown(t("classic.vgg_sizes", convs=vgg16["conv_layers"], fcs=vgg16["fc_layers"],
                  weighted=vgg16["conv_layers"] + vgg16["fc_layers"],
                  kernels=", ".join(f"{k}×{k}" for k in vgg16["kernel_sizes"]),
                  params=f"{vgg16['parameters'] / 1e6:.1f}", alexnet=f"{sizes['AlexNet']['parameters'] / 1e6:.1f}"))
    st.page_link("app_pages/receptive_fields.py", label=t("classic.to_receptive"), icon="🎯")
