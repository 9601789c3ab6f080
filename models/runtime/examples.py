"""Built-in example images, so every page works before anyone uploads a photo.

Three photos ship with the app (``assets/examples/``, public domain or CC0, see SOURCES.md
there): things ImageNet has classes for. Three more pictures are drawn in code.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

PHOTOS = ("cat", "coffee", "rocket")
EXAMPLES = ("shapes", "stripes", "checkerboard")
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "examples"


@functools.cache
def photo_bytes(name: str) -> bytes:
    """The bytes of a shipped photo, or of a drawn example encoded as PNG: what an upload gives."""
    if name in PHOTOS:
        return (ASSETS / f"{name}.jpg").read_bytes()
    buf = io.BytesIO()
    example(name).save(buf, "PNG")
    return buf.getvalue()


@functools.cache
def example(name: str = "shapes", size: int = 256) -> Image.Image:
    """An RGB image of ``size``×``size``: coloured shapes on a gradient, stripes, or a checkerboard."""
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    if name == "stripes":
        for i in range(0, size * 2, 16):  # diagonal stripes: a Sobel filter's favourite
            draw.line([(i, 0), (i - size, size)], fill=(240, 240, 240), width=7)
    elif name == "checkerboard":
        cell = size // 8
        for r in range(8):
            for c in range(8):
                if (r + c) % 2:
                    draw.rectangle([c * cell, r * cell, (c + 1) * cell - 1, (r + 1) * cell - 1], fill=(230, 230, 230))
    else:
        for y in range(size):  # sky-to-grass gradient
            t = y / size
            draw.line([(0, y), (size, y)], fill=(int(90 + 60 * t), int(150 + 60 * t), int(230 - 150 * t)))
        s = size / 256
        draw.ellipse([40 * s, 40 * s, 120 * s, 120 * s], fill=(250, 200, 40))  # a sun
        draw.rectangle([140 * s, 120 * s, 220 * s, 200 * s], fill=(200, 50, 50))  # a house
        draw.polygon([(130 * s, 125 * s), (180 * s, 75 * s), (230 * s, 125 * s)], fill=(120, 60, 40))
        for k in range(5):  # a fence
            x = (20 + 22 * k) * s
            draw.rectangle([x, 170 * s, x + 10 * s, 235 * s], fill=(245, 245, 245))
        draw.line([(10 * s, 190 * s), (130 * s, 190 * s)], fill=(245, 245, 245), width=max(1, int(6 * s)))
        image = image.filter(ImageFilter.GaussianBlur(radius=0.6 * s))
    return image

