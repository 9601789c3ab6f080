"""A picture analysed by the pretrained networks, as every page that shows one asks for it: the
analysis (``models.runtime.classify.analyse``, cached per picture for everyone) or a sentence
saying why not, and one network's feature maps stage by stage.
"""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from models.runtime import classify, images, networks
from ui import charts, figures
from ui.i18n import say, t
from ui.picture import Picture
from ui.state import kept

log = logging.getLogger(__name__)


def analyse(picture: Picture) -> classify.Analysis | None:
    """The analysis of the picture, or ``None`` after a sentence saying what is wrong with it."""
    try:
        with st.spinner(t("classify.working")):
            return classify.analyse(picture.data)
    except images.ImageError as err:
        st.error(say(err), icon="🚫")
    except Exception:
        log.exception("classifying %r failed", picture.name)
        st.error(t("classify.failed"), icon="⚠️")
    return None


def stage_maps(pred: classify.Prediction, key: str) -> None:
    """One network's stages: a slider over them, the shape, and the most active maps."""
    stages = list(networks.get(pred.model).stages)
    stage = st.select_slider(t("classify.stage"), stages, format_func=lambda s: s.removeprefix("features."),
                             **kept(key, stages[-1]))
    maps = pred.stages[stage]
    tiles = maps.maps.numpy()
    lo = tiles.min(axis=(1, 2), keepdims=True)
    hi = tiles.max(axis=(1, 2), keepdims=True)
    tiles = (tiles - lo) / np.maximum(hi - lo, 1e-6)  # each map stretched to [0, 1]
    charts.picture(figures.image_grid(tiles, columns=4, tile_px=96), figures.maps_alt(maps.maps.numpy()))
    c, h, w = maps.shape
    st.caption(t("classify.stage_caption", stage=stage.removeprefix("features."), c=c, h=h, w=w))
