"""The training lab's parts: settings, the results table, trying a model, what it gets wrong.

Runs go through ``ui.runs`` to the process-wide ``JobRunner`` (``models.training.jobs``), as the
lessons' training tasks do; a rerun, a page switch or a closed tab never orphans a run. Watching
the student's run, keeping it, and loading it back are ``ui.lab_runs``'s, shared with the pooling
lesson.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields

import pandas as pd
import streamlit as st

from models.runtime import images
from models.store import csv_file
from models.training import augment, datasets, mistakes, nets, tasks, train
from models.training.train import RunResult, TrainConfig
from ui import charts, figures, identity, learned, runs, task_views
from ui import drawing as drawing_ui
from ui.i18n import labels, say, t
from ui.lab_runs import KEY, LabRuns, small_input, trained
from ui.state import kept

EVALUATED = "train.evaluated"  # (run id, Evaluation): its held-out predictions, computed once
GALLERY = 12  # images shown of a confusion cell
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3, 5e-3)  # L2: λ·‖w‖² added to the loss, as the optimizers apply it
TRAIN_SIZES = (300, 1000, 3000, 10000, 0)  # 0: all
LABEL_SMOOTHINGS = (0.0, 0.05, 0.1, 0.2)
BLOCK_CONFIGS = ((3, 3, 3), (4, 4, 4), (6, 6, 6), (6, 12, 8))


@functools.lru_cache(maxsize=64)
def parameter_count(spec: nets.NetSpec, in_channels: int, num_classes: int) -> int:
    return nets.count_parameters(nets.build(spec, in_channels, num_classes))


def offered_datasets() -> tuple[str, ...]:
    """The synthetic shapes and Fashion-MNIST always (the latter says how to get it if missing);
    CIFAR-10 once it is on this machine (``python -m models.datasets fetch cifar10``)."""
    return tuple(name for name in datasets.LOADERS if name != "cifar-10" or datasets.on_disk("cifar-10"))


@dataclass(frozen=True)
class Setting:
    """One setting of the form: the session key its widget keeps, the widget's default, and the
    conversions between the widget's value and the field's."""

    key: str
    default: object = None  # None: the widget's own (the time limit's is the runner's maximum)
    to_config: Callable = lambda value: value  # the widget's value → the field's
    to_widget: Callable = lambda value: value  # the field's value → the widget's


# Every field of TrainConfig, and of its NetSpec, that the form sets → its widget's setting. The
# widgets keep these keys, ``config_of`` reads their values into a run, and a preset (a partial
# config) is written into them by ``widget_state``. ``augment`` is one toggle per kind (AUGMENT).
SETTINGS = {
    "network": Setting("train.network", "plain_cnn"),
    "dataset": Setting("train.dataset", "synthetic"),
    "depth": Setting("train.depth", 20),
    "growth_rate": Setting("train.growth_rate", 12),
    "block_config": Setting("train.block_config", (4, 4, 4)),
    "batch_norm": Setting("train.batch_norm", True),
    "optimizer": Setting("train.optimizer", "adam"),
    "schedule": Setting("train.schedule", "none"),
    "lr": Setting("train.lr", 2e-3),
    "batch_size": Setting("train.batch_size", 128),
    "epochs": Setting("train.epochs", 5),
    "time_limit_s": Setting("train.time_limit", None, float, int),
    "seed": Setting("train.seed", 0, int),
    "dropout": Setting("train.dropout", 0.0, float),
    "weight_decay": Setting("train.weight_decay", 0.0, float),
    "train_size": Setting("train.train_size", 0, lambda n: int(n) or None, lambda n: n or 0),  # 0: all
    "activation": Setting("train.activation", "relu"),
    "label_smoothing": Setting("train.label_smoothing", 0.0, float),
    "val_split": Setting("train.val_split", train.VAL_SPLIT, float),
    "patience": Setting("train.patience", 0, int),
}
AUGMENT = "train.aug_{}"  # augment: one toggle per kind of augment.KINDS, off by default
NET_FIELDS = {f.name for f in fields(nets.NetSpec)}


def _kept(field: str, default=None) -> dict:
    setting = SETTINGS[field]
    return kept(setting.key, setting.default if default is None else default)


def config_of(values: dict) -> TrainConfig:
    """The run the form's widget values describe (keyed by field; the network's fields among them)."""
    values = {f: SETTINGS[f].to_config(v) if f in SETTINGS else v for f, v in values.items()}
    net = nets.NetSpec(**{f: v for f, v in values.items() if f in NET_FIELDS})
    return TrainConfig(net=net, **{f: v for f, v in values.items() if f not in NET_FIELDS})


def widget_state(partial: dict) -> dict:
    """A partial config (fields of TrainConfig and of its NetSpec) as its widgets' session keys and values."""
    state = {}
    for field, value in partial.items():
        if field == "augment":
            state.update({AUGMENT.format(kind): kind in value for kind in augment.KINDS})
        else:
            state[SETTINGS[field].key] = SETTINGS[field].to_widget(value)
    return state


# The widget of each NetSpec field a network can be shaped by (nets.Trainable.knobs), in the column it takes.
NET_KNOBS = {
    "depth": lambda c: c[0].select_slider(t("train.depth"), nets.CIFAR_DEPTHS, **_kept("depth")),
    "growth_rate": lambda c: c[0].slider(t("train.growth_rate"), 4, 32, step=4, **_kept("growth_rate")),
    "block_config": lambda c: c[1].selectbox(t("train.block_config"), BLOCK_CONFIGS, **_kept("block_config")),
}


def settings() -> TrainConfig:
    """The settings widgets; their values survive page switches."""
    v = {}  # field → the widget's value
    c1, c2 = st.columns(2)
    offered_nets = nets.lab_networks()
    v["network"] = c1.selectbox(t("train.network"), offered_nets, format_func=labels("train.net_", offered_nets),
                                **_kept("network"))
    offered, widget, key = offered_datasets(), _kept("dataset"), SETTINGS["dataset"].key
    if (asked := st.session_state[key]) not in offered:  # from a link, or CIFAR-10 removed since
        err = (datasets.DatasetUnavailable("cifar_missing", root=str(datasets.data_root())) if asked == "cifar-10"
               else datasets.DatasetUnavailable("unknown", name=str(asked), choices=", ".join(offered)))
        st.caption(say(err))
        st.session_state[key] = "synthetic"
        widget = _kept("dataset")  # and the link forgets what it asked
    v["dataset"] = c2.selectbox(t("train.dataset"), offered, format_func=labels("train.data_", datasets.LOADERS),
                                help=None if "cifar-10" in offered else t("train.cifar_how"), **widget)
    v |= {knob: NET_KNOBS[knob]((c1, c2)) for knob in nets.get(v["network"]).knobs}
    v["batch_norm"] = c1.toggle(t("train.batch_norm"), **_kept("batch_norm"))

    c1, c2, c3 = st.columns(3)
    v["optimizer"] = c1.radio(t("train.optimizer"), train.OPTIMIZERS,
                              format_func=labels("train.opt_", train.OPTIMIZERS), **_kept("optimizer"))
    v["schedule"] = c2.radio(t("train.schedule"), train.SCHEDULES, format_func=labels("train.sched_", train.SCHEDULES),
                             **_kept("schedule"))
    v["lr"] = c3.select_slider(t("train.lr"), LEARNING_RATES, **_kept("lr"))
    v["batch_size"] = c3.select_slider(t("train.batch_size"), (32, 64, 128, 256, 512), **_kept("batch_size"))

    c1, c2, c3 = st.columns(3)
    v["epochs"] = c1.slider(t("train.epochs"), 1, 20, **_kept("epochs"))
    max_time = int(runs.runner().max_time_s)
    v["time_limit_s"] = c2.slider(t("train.time_limit"), 2, max_time, **_kept("time_limit_s", max_time))
    v["seed"] = c3.number_input(t("train.seed"), min_value=0, max_value=1_000_000, step=1, **_kept("seed"))

    with st.expander(t("train.regularisation"), expanded=st.session_state.get(PRESET_USED, False)):
        c1, c2, c3 = st.columns(3)
        v["dropout"] = c1.slider(t("train.dropout"), 0.0, nets.MAX_DROPOUT, step=0.1, **_kept("dropout"))
        v["weight_decay"] = c2.select_slider(t("train.weight_decay"), WEIGHT_DECAYS, **_kept("weight_decay"))
        v["train_size"] = c3.select_slider(t("train.train_size"), TRAIN_SIZES,
                                           format_func=lambda n: f"{n:,}" if n else t("train.all"),
                                           **_kept("train_size"))
        c1, c2, c3 = st.columns(3)
        v["augment"] = tuple(kind for kind in augment.KINDS
                             if c1.toggle(t(f"train.aug_{kind}"), **kept(AUGMENT.format(kind), False)))
        v["activation"] = c2.radio(t("train.activation"), tuple(nets.ACTIVATIONS), horizontal=True,
                                   **_kept("activation"))
        v["label_smoothing"] = c2.select_slider(t("train.label_smoothing"), LABEL_SMOOTHINGS,
                                                help=t("train.label_smoothing_help"), **_kept("label_smoothing"))
        v["val_split"] = c3.slider(t("train.val_split"), train.MIN_VAL_SPLIT, 0.3, step=0.05,
                                   help=t("train.val_split_help"), **_kept("val_split"))
        v["patience"] = c3.number_input(t("train.patience"), 0, 20, step=1, help=t("train.patience_help"),
                                        **_kept("patience"))
    return config_of(v)


# Presets: several settings at once, each a lesson's experiment (the overfitting lesson uses them),
# each a partial config: the fields it sets; the others stay as the student left them.
PRESETS = {
    # AlexNet's recipe but its momentum, which the form has no widget for: every lab run keeps
    # TrainConfig's 0.9, which is AlexNet's
    "alexnet": {**{f: v for f, v in tasks.ALEXNET_RECIPE.items() if f != "momentum"}, "activation": "relu"},
    "fast": {"network": "plain_cnn", **tasks.FAST_RECIPE, "dropout": 0.0, "weight_decay": 0.0, "train_size": None,
             "patience": 0, "batch_norm": True, "activation": "relu", "augment": ()},
    "overfit": {"train_size": 300, "epochs": 20, "dropout": 0.0, "weight_decay": 0.0, "augment": (),
                "val_split": train.VAL_SPLIT, "patience": 0, "optimizer": "adam", "lr": 2e-3},
    "cure": {"train_size": 300, "epochs": 20, "dropout": 0.5, "weight_decay": 5e-4, "augment": augment.KINDS,
             "val_split": train.VAL_SPLIT, "patience": 0, "optimizer": "adam", "lr": 2e-3},
}
PRESET_USED = "_train.preset_used"
# The numbers a preset's help sentence names, read from its recipe rather than typed into the sentence.
PRESET_HELP = {"fast": {"lr": f'{tasks.FAST_RECIPE["lr"]:g}', "epochs": tasks.FAST_RECIPE["epochs"],
                        "smoothing": f'{tasks.FAST_RECIPE["label_smoothing"]:g}'}}


def _apply(preset: str) -> None:
    st.session_state.update(widget_state(PRESETS[preset]))
    st.session_state[PRESET_USED] = True


def presets() -> None:
    """One button per preset; the settings below change to it (and stay changeable)."""
    columns = st.columns(len(PRESETS))
    for column, name in zip(columns, PRESETS):
        column.button(t(f"train.preset_{name}"), key=f"train.preset.{name}", on_click=_apply, args=(name,),
                      help=t(f"train.preset_{name}_help", **PRESET_HELP.get(name, {})), width="stretch")


def start_button(config: TrainConfig) -> None:
    try:
        data = datasets.load(config.dataset)
    except datasets.DatasetUnavailable as err:
        st.error(t("train.no_data"), icon="📂")
        st.caption(say(err))
        return
    source = t("train.source_generated") if config.dataset == "synthetic" else data.source  # a path otherwise
    st.caption(t("train.parameters", count=f"{parameter_count(config.net, data.in_channels, len(data.classes)):,}",
                 source=source))
    runs.start_button(config, KEY, label=t("train.start"))


# The results' columns (models.training.train.RunResult.summary, and "run") with their strings' keys. The CSV
# keeps these names and values, stable for a notebook; the page shows them in its language.
COLUMNS = {"run": "col_run", "network": "col_network", "data": "col_data", "optimizer": "col_optimizer",
           "lr": "col_lr", "schedule": "col_schedule", "batch": "col_batch", "epochs": "col_epochs",
           "seed": "col_seed", "params": "col_params", "dropout": "col_dropout", "weight decay": "col_weight_decay",
           "augment": "col_augment", "train images": "col_train_images", "activation": "col_activation",
           "val split": "col_val_split", "label smoothing": "col_label_smoothing", "train acc": "col_train_acc",
           "val acc": "col_val_acc", "val images": "col_val_images",
           "best val acc": "col_best_val_acc", "test acc": "col_test_acc",
           "time (s)": "col_time", "images/s": "col_images_per_s", "stopped by": "col_stopped_by",
           "device": "col_device", "heldout": "col_heldout"}


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The results table in the page's language."""
    stopped = table["stopped by"].map(lambda how: t(f"train.stopped_{how.replace(' ', '_')}"))
    heldout = table["heldout"].map(lambda on: t(f"train.heldout_{on}"))
    shown = table.assign(**{"stopped by": stopped, "heldout": heldout})
    return shown.rename(columns={c: t(f"train.{k}") for c, k in COLUMNS.items()})


RACE = "train.race"  # the optimizer race's runs, in ui.runs


def race_section(config: TrainConfig) -> None:
    """The optimizer race on the settings above (their network, data, seed and batch size)."""
    st.subheader(t("race.title"), anchor="race")
    st.caption(t("race.intro"))
    task_views.optimizer_race(RACE, config, config.time_limit_s)  # the lab's time limit, shared by the racers


def learned_section(lab: LabRuns) -> None:
    """The snapshots of any of this student's runs (kept with every run, weights or not)."""
    learned.section({run.id: label for label, run in lab.rows})


def results_table(lab: LabRuns) -> None:
    runs.failure(KEY)
    results = lab.rows
    if not results:
        st.caption(t("train.no_results"))
        return
    table = pd.DataFrame([{"run": label, **run.summary, "heldout": run.heldout} for label, run in results])
    st.dataframe(_shown(table), hide_index=True)
    labels = [label for label, _ in results]
    chosen = st.multiselect(t("train.compare"), labels, default=labels[-3:], key="train.compare")
    if chosen:
        charts.show(figures.training_curves({label: run.history for label, run in results if label in chosen}),
                    key="train.compare_chart")
    st.download_button(t("train.download_csv"), csv_file.dataframe_csv(table), "results_df.csv", "text/csv")


def try_model(lab: LabRuns) -> None:
    """Save a trained network, and classify an uploaded image with it at once."""
    usable = lab.usable
    if not usable:
        return
    st.subheader(t("train.try_title"))
    run_id = st.selectbox(t("train.try_which"), list(usable), index=len(usable) - 1,  # options are plain ids
                          format_func=usable.__getitem__, key="train.try_which")
    result = trained(run_id, lab)
    if result is None:
        return
    st.download_button(t("train.save"), train.to_safetensors(result), f"cnnlab-run{run_id}.safetensors",
                       "application/octet-stream")
    source = st.radio(t("picture.source"), ("upload", "draw"), horizontal=True,
                      format_func=labels("picture.source_", ("upload", "draw")), key="train.try_source")
    if source == "draw":
        st.caption(t("draw.for_small", data=t(f"train.data_{result.config.dataset}")))
        image = drawing_ui.canvas("train.try_draw")
        if drawing_ui.blank(image):
            return
        drawn = True
    else:
        upload = st.file_uploader(t("train.try_upload"), type=["png", "jpg", "jpeg", "webp", "gif", "bmp"],
                                  key="train.try_upload")
        if upload is None:
            return
        try:
            image = images.decode(upload.getvalue()).image
        except images.ImageError as err:
            st.error(say(err))
            return
        drawn = False
    c1, c2 = st.columns([1, 3])
    with c1:
        x = small_input(result, image, drawn, "train")
    probs = train.predict(train.restore(result), x)[0].tolist()
    charts.show(figures.class_probabilities(result.classes, probs), key="train.try_chart", where=c2)


def _evaluation(run_id: int, result: RunResult) -> mistakes.Evaluation:
    """The run's predictions on its validation images (never the test set, which the run looked at
    once): made in the run and kept with it; for a run kept before runs did that, computed here
    once per session."""
    held = st.session_state.get(EVALUATED)
    if held and held[0] == run_id:
        return held[1]
    evaluation = identity.store().evaluation(identity.current().id, run_id, result.classes)
    if evaluation is None:
        x, y = _validation_images(result)
        evaluation = mistakes.evaluate(train.restore(result), x, y, result.classes)
    st.session_state[EVALUATED] = (run_id, evaluation)
    return evaluation


def _validation_images(result: RunResult):
    """Up to ``mistakes.EVAL_SIZE`` of the images the run validated on, and their labels."""
    data = datasets.load(result.config.dataset)
    held = train.splits(result.config, data)[1]
    return data.train_x[held][: mistakes.EVAL_SIZE], data.train_y[held][: mistakes.EVAL_SIZE]


def _gallery(indices: list[int], result: RunResult, evaluation: mistakes.Evaluation) -> None:
    """The validation images of ``indices`` with the network's probabilities."""
    if not indices:
        st.caption(t("train.no_images"))
        return
    shown = indices[:GALLERY]
    tiles = (_validation_images(result)[0][shown] * result.std + result.mean).clamp(0, 1)  # back in [0, 1]
    tiles = tiles[:, 0] if result.in_channels == 1 else tiles.permute(0, 2, 3, 1)
    columns = st.columns(6)
    for i, (index, tile) in enumerate(zip(shown, tiles)):
        probs = evaluation.probs[index]
        top = probs.topk(min(3, len(result.classes)))
        caption = ", ".join(f"{result.classes[int(c)]} {float(p):.0%}" for p, c in zip(top.values, top.indices))
        charts.picture(tile.numpy(), t("alt.gallery", said=caption), caption, width=84, where=columns[i % 6])


CELL = "train.mistakes_cell"  # the (true, predicted) cell whose images are shown
CLICKED = "_train.cell_clicked"  # the last click on the matrix taken into account


def _cells(pairs, k: int) -> list[tuple[int, int]]:
    """Every cell, the most confused pairs first, then the other mistakes, then the diagonal."""
    first = [(a, b) for a, b, _ in pairs]
    rest = [(a, b) for a in range(k) for b in range(k) if a != b and (a, b) not in first]
    return first + rest + [(a, a) for a in range(k)]


def _open_clicked_cell(event, classes: list[str]) -> None:
    """A click on a cell of the matrix chooses that cell below (once: the chart keeps its selection
    across reruns, and the select box must stay free to change afterwards)."""
    points = (event or {}).get("selection", {}).get("points", []) if hasattr(event, "get") else []
    if not points:
        return
    x, y = points[0].get("x"), points[0].get("y")
    if x in classes and y in classes and st.session_state.get(CLICKED) != (y, x):
        st.session_state[CLICKED] = (y, x)
        st.session_state[CELL] = (classes.index(y), classes.index(x))  # rows are the true class


def mistakes_section(lab: LabRuns) -> None:
    """What a trained run gets wrong: its confusion matrix, per class, the confused pairs' images,
    and its most confident mistakes."""
    usable = lab.usable
    if not usable:
        return
    st.subheader(t("train.mistakes_title"))
    run_id = st.selectbox(t("train.try_which"), list(usable), index=len(usable) - 1, format_func=usable.__getitem__,
                          key="train.mistakes_which")
    result = trained(run_id, lab)
    if result is None:
        return
    with st.spinner(t("app.computing")):
        evaluation = _evaluation(run_id, result)
    classes = list(result.classes)
    st.caption(t("train.confusion_click"))
    clicked = charts.show(figures.confusion_heatmap(evaluation.confusion().tolist(), classes),
                          key=f"train.confusion.{run_id}", on_select="rerun", selection_mode="points")
    _open_clicked_cell(clicked, classes)
    accuracy = evaluation.per_class_accuracy()
    charts.show(figures.class_probabilities(classes, accuracy, top=len(classes), axis=t("figure.accuracy")),
                key="train.per_class")
    st.caption(t("train.per_class_caption", n=len(evaluation.labels)))
    pairs = evaluation.confused_pairs(3)
    if pairs:
        said = "; ".join(t("train.pair", count=n, true=classes[a], predicted=classes[b]) for a, b, n in pairs)
        st.markdown(t("train.most_confused", pairs=said))
    if pairs or CELL in st.session_state:
        options = _cells(pairs, len(classes))
        if st.session_state.get(CELL) not in options:
            st.session_state.pop(CELL, None)
        a, b = st.selectbox(t("train.cell"), options, format_func=lambda ab: t("train.cell_option", true=classes[ab[0]],
                                                                               predicted=classes[ab[1]]),
                            key=CELL)
        cell = evaluation.cell(a, b)
        if cell:
            st.markdown(t("train.cell_sentence" if a != b else "train.cell_right",
                          count=len(cell), true=classes[a], predicted=classes[b]))
        _gallery(cell, result, evaluation)
    st.markdown(f"**{t('train.confidently_wrong')}**")
    _gallery(evaluation.confidently_wrong(GALLERY), result, evaluation)
