"""The parts of the classify page: the picture as the networks get it, their top-5, Grad-CAM, feature maps.

All computation is ``models.runtime.classify.analyse`` (cached per picture for everyone, asked
through ``ui.analysis``) and its predictions' Grad-CAM maps (``Prediction.grad_cam``); this
module only lays the results out.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from models.runtime import classify, zoo
from ui import charts, figures, poll
from ui.analysis import stage_maps
from ui.classroom import guess_first
from ui.i18n import t
from ui.lesson import untrained_notice
from ui.picture import Picture
from ui.state import kept

THUMBNAIL = 448  # the longest side of a preprocessing step's picture, in pixels (two per CSS pixel on a 4-column row)
OWN_CLASS = -1  # the class picker's first option: each network explains its own top class


def describe(picture: Picture, result: classify.Analysis) -> None:
    d = result.decoded
    st.text(f"{t('picture.file')}: {picture.name}")  # st.text: a name with Markdown or HTML stays literal
    st.caption(t("picture.described", format=d.format, width=d.size[0], height=d.size[1]))
    if d.frames > 1:
        st.info(t("picture.animated", frames=d.frames), icon="🎞️")


def preprocessing(result: classify.Analysis) -> None:
    for column, step in zip(st.columns(len(result.steps)), result.steps):
        shown = step.image.copy()
        shown.thumbnail((THUMBNAIL, THUMBNAIL))  # a photo's 12 megapixels would make a 20 MB inline PNG
        pixels = np.asarray(shown, dtype=np.float32) / 255  # (H, W[, 3]) in [0, 1]
        charts.picture(pixels, figures.picture_alt(pixels, t(f"classify.step_{step.name}")), where=column)
        column.caption(f"{t(f'classify.step_{step.name}')}  \n`{'×'.join(map(str, step.shape))}`")


def predictions(result: classify.Analysis) -> None:
    # A guess belongs to its picture; in a class poll, to the question: each student guesses for the
    # picture on their own screen (the teacher's example, unless they chose their own).
    if not guess_first("classify" if poll.leading() else f"classify.{result.digest}", t("predict.classify")):
        return
    for name in result.predictions:
        untrained_notice(zoo.classifier(name))
    tops = [pred.named_top() for pred in result.predictions.values()]
    charts.show(figures.top5_pair([p.title for p in result.predictions.values()], tops), key="classify.top5")
    first = [top[0][0] for top in tops]
    if result.agree():
        st.success(t("classify.agree", label=first[0]))
    else:
        st.warning(t("classify.disagree", a=first[0], b=first[1]))
    columns = st.columns(len(result.predictions) + 1)
    for column, pred in zip(columns, result.predictions.values()):
        column.metric(t("classify.latency", model=pred.title), f"{pred.forward_ms:.0f} ms",
                      help=t("classify.latency_help", device=pred.device, backend=pred.backend))
    columns[-1].caption(t("classify.total", ms=f"{result.total_ms:.0f}"))
    if result.from_cache:
        st.caption(t("classify.cached"))


def where_it_looks(result: classify.Analysis) -> None:
    categories = next(iter(result.predictions.values())).categories  # ImageNet's, shared by the networks
    options = [OWN_CLASS] + sorted(range(len(categories)), key=categories.__getitem__)
    names = {OWN_CLASS: t("classify.cam_own"), **dict(enumerate(categories))}
    left, right = st.columns([3, 2])
    chosen = left.selectbox(t("classify.cam_class"), options, format_func=names.__getitem__,
                            **kept("classify.cam_class", OWN_CLASS))
    opacity = right.slider(t("classify.opacity"), 0.0, 1.0, step=0.05, **kept("classify.opacity", 0.5))
    crop = np.asarray(result.steps.cropped.image)  # the 224×224 crop: what the map's cells cover
    for column, (name, pred) in zip(st.columns(len(result.predictions)), result.predictions.items()):
        clf = zoo.classifier(name)
        index = pred.top(1)[0][0] if chosen == OWN_CLASS else chosen
        heat = pred.grad_cam(clf, index)
        charts.show(figures.cam_overlay(crop, heat.numpy(), opacity, pred.title, pred.categories[index]),
                    key=f"classify.cam.{name}", where=column)
        column.caption(t("classify.cam_caption", model=pred.title, layer=clf.network.cam_layer,
                         h=heat.shape[0], w=heat.shape[1], label=pred.categories[index],
                         p=f"{float(pred.probs[index]):.3f}"))


def feature_maps(result: classify.Analysis) -> None:
    for column, (name, pred) in zip(st.columns(len(result.predictions)), result.predictions.items()):
        with column:
            st.markdown(f"**{pred.title}**")
            stage_maps(pred, f"classify.stage.{name}")
