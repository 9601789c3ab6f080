"""Decoding untrusted image bytes: the one function every page uses for an upload.

Refuses, with an ``ImageError`` whose ``code`` the UI translates: empty files, files over the
size cap, headers that claim more pixels than the pixel cap (decompression bombs, refused before
any pixel is decoded), and anything Pillow cannot decode. Returns an upright (EXIF-rotated)
image in RGB or L. No streamlit here.
"""

from __future__ import annotations

import io
import warnings

import torch
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024  # matches server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # a 12-megapixel photo passes; a 20000×20000 header does not


class ImageError(Exception):
    """``code`` names the problem (``empty``, ``too_large``, ``too_many_pixels``, ``not_an_image``,
    ``broken``); ``params`` fill the translated sentence."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def decode(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    if not data:
        raise ImageError("empty")
    if len(data) > max_bytes:
        raise ImageError("too_large", size_mb=round(len(data) / 2**20, 1), limit_mb=round(max_bytes / 2**20, 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError("too_many_pixels", width=width, height=height)
            image.load()  # first frame of an animation
            image = ImageOps.exif_transpose(image)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError("not_an_image") from err
    except (OSError, ValueError, SyntaxError, EOFError) as err:  # truncated or malformed data
        raise ImageError("broken") from err
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit: scale to 8 bits, do not clip
        image = image.point(lambda v: v / 256).convert("L")
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("LA", "RGBA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))  # transparent → white
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # P, CMYK, YCbCr, 1, F …


def to_small_input(image: Image.Image, channels: int, size: int, mean: float, std: float, invert: bool = False) -> torch.Tensor:
    """An image as the small training networks see it: (1, C, size, size), standardised like their data."""
    image = image.convert("L" if channels == 1 else "RGB")
    image = ImageOps.fit(image, (size, size))  # resize the shorter side, crop the centre
    if invert:
        image = ImageOps.invert(image)
    x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).float() / 255
    x = x.view(size, size, channels).permute(2, 0, 1).unsqueeze(0)  # (1, C, H, W)
    return (x - mean) / std
