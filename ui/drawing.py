"""The drawing canvas: a picture source beside the examples, an upload and the camera.

``streamlit-drawable-canvas`` (Fabric.js) draws with a mouse, a finger or a pen, and its toolbar
has undo, redo and clear; the brush size is ours. The canvas sends its pixels when a stroke ends.
What is drawn is dark ink on white paper, like a pencil sketch; ``models.runtime.drawing``
turns it into what each network expects.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from models.runtime import drawing
from ui.i18n import t

SIZE = 280  # canvas pixels: ten per pixel of a 28×28 image


def canvas(key: str) -> Image.Image | None:
    """The canvas with its brush size: the drawing as it is now (perhaps blank: see ``blank``),
    or None while the canvas has not been drawn on since it appeared."""
    c1, c2 = st.columns([3, 1])
    brush = c2.slider(t("draw.brush"), 4, 40, 18, key=f"{key}.brush")
    c2.caption(t("draw.tools"))
    c2.caption(t("draw.keyboard"))  # the canvas is pointer-only: the other picture sources are its alternative
    with c1:
        result = st_canvas(stroke_width=brush, stroke_color="#000000", background_color="#ffffff",
                           width=SIZE, height=SIZE, drawing_mode="freedraw", return_image_data=True,
                           key=f"{key}.canvas")
    pixels = result.image_data  # (H, W, 4) once a stroke has ended, None before
    return Image.fromarray(np.asarray(pixels, dtype=np.uint8)).convert("RGBA") if pixels is not None else None


def blank(image: Image.Image | None) -> bool:
    """Nothing drawn (or everything cleared): said on the page, never classified."""
    if image is None or drawing.is_blank(drawing.ink(image)):
        st.info(t("draw.blank"), icon="✏️")
        return True
    return False


def png(image: Image.Image) -> bytes:
    """The drawing on white, as the picture the other sources give."""
    paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
    out = io.BytesIO()
    Image.alpha_composite(paper, image.convert("RGBA")).convert("RGB").save(out, "PNG")
    return out.getvalue()
