"""A drawing as input: the canvas's pixels, made into what a network was trained on.

The pretrained ImageNet networks take a drawing like any photo. The small networks of the
training lab were trained on 28×28 images made in a particular way, and a drawing has to be made
the same way, or the network sees something it never saw in training. Fashion-MNIST's images
were made from product photos by (Xiao, Rasul & Vollgraf, 2017, and the data set's README):

    trim the background around the object → resize so that its longest edge is 28 pixels →
    centre it on a 28×28 canvas → negate (a light garment on black)

``framed`` does the same to a drawing: the strokes (dark on a light canvas) become the light
object, trimmed to their bounding box, scaled so that the longest edge is the data set's
``EXTENT`` and centred. The synthetic shapes are smaller in their frame (about 12 of 28 pixels),
and so is a drawing made for them.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

# How many pixels of the 28×28 frame the object's longest edge spans in each data set's images.
EXTENT = {"fashion-mnist": 28, "synthetic": 12}
INK = 0.1  # a pixel this much darker than the canvas is ink
TRIM = 0.02  # … and anything darker than this is kept when trimming (the soft edge of a stroke)
MIN_INK_PIXELS = 12  # fewer inked pixels than this: a blank canvas (or a stray click)


def ink(image: Image.Image) -> np.ndarray:
    """(H, W) in [0, 1]: how dark each pixel is, after laying the drawing on white (transparent
    pixels of the canvas are paper)."""
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = np.asarray(Image.alpha_composite(paper, rgba).convert("L"), dtype=np.float32) / 255
    return 1.0 - grey


def is_blank(darkness: np.ndarray) -> bool:
    return int((darkness > INK).sum()) < MIN_INK_PIXELS


def framed(darkness: np.ndarray, size: int = 28, extent: int | None = None) -> torch.Tensor:
    """The strokes as a data-set image: (size, size) in [0, 1], light ink on black, trimmed to
    the strokes, the longest edge scaled to ``extent`` (default: ``size``) and centred."""
    extent = min(size, extent or size)
    rows, cols = np.nonzero(darkness > TRIM)
    if len(rows) == 0:
        return torch.zeros(size, size)
    crop = darkness[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]  # (h, w) the bounding box
    h, w = crop.shape
    scale = extent / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    # BOX averages the pixels each new one covers: thin strokes stay grey instead of vanishing
    small = Image.fromarray((crop * 255).astype(np.uint8)).resize((new_w, new_h), Image.Resampling.BOX)
    out = torch.zeros(size, size)
    top, left = (size - new_h + 1) // 2, (size - new_w + 1) // 2  # an odd margin: one more row on top, as the data set
    out[top: top + new_h, left: left + new_w] = torch.from_numpy(np.asarray(small, dtype=np.float32) / 255)
    return out


def to_small_input(image: Image.Image, dataset: str, channels: int, size: int, mean: float, std: float) -> torch.Tensor:
    """A drawing as a training-lab network sees it: (1, C, size, size), standardised like its data."""
    x = framed(ink(image), size, EXTENT.get(dataset))  # (H, W)
    x = x.expand(channels, size, size).unsqueeze(0)  # (1, C, H, W): grey in every channel for a colour net
    return (x - mean) / std
