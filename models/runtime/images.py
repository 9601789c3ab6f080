"""Decoding untrusted image bytes: the one function every page uses for an upload.

``decode(data)`` refuses, with an ``ImageError`` whose ``code`` the UI translates:
empty files, files over the size cap, headers that claim more pixels than the pixel cap
(decompression bombs, refused before any pixel is decoded), formats a browser upload may
carry but this app does not read (SVG, HEIC, PDF …, named in the message), and anything
Pillow cannot decode (a renamed text file, a truncated JPEG or PNG).

Everything else comes back upright (EXIF orientation applied) in RGB or L: 16-bit images
scaled to 8 bits (not clipped to white), CMYK and palette images converted, transparency
composited on white, the first frame of an animation (``Decoded.frames`` says how many there
were). Large JPEGs are decoded at a reduced scale (Pillow's ``draft``: the decoder skips the
fine DCT coefficients), which bounds the time a 12-megapixel photo costs.

Every format is then shrunk to at most ``KEEP_PIXELS`` (``_shrink``), right after decoding. A PNG,
WebP or GIF has no ``draft``: a 4.6 kB PNG of 6000×6000 pixels passes the pixel cap and decodes
to 108 MB. Decoding it costs that memory for a moment; keeping it would cost it for as long as
the picture is shown or cached (fourteen such uploads took a server from 4.0 to 7.4 GB). No page
needs more: the networks see a 224-pixel crop of the shorter side resized to 256.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import LabError

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024  # matches server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # a 12-megapixel photo passes; a 20000×20000 header does not
# Pillow decodes only these: the formats a browser or phone produces (a multi-picture JPEG from
# a camera opens as JPEG and comes back as "MPO"). EPS (which would run Ghostscript), PSD,
# ICO … are refused like any unreadable file. AVIF only where this Pillow was built with it.
Image.init()
FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF") if f in Image.OPEN)
DRAFT_SIDE = 512  # a JPEG is decoded at the smallest 1/2, 1/4, 1/8 scale still this large
KEEP_PIXELS = 2_000_000  # every decoded picture is shrunk to at most this many pixels (6 MB in RGB)


class ImageError(LabError):
    """A picture that cannot be used, said in the student's language."""

    area = "image"
    CODES = {"empty": (), "too_large": ("size_mb", "limit_mb"), "too_many_pixels": ("megapixels", "limit_mp"),
             "unsupported": ("format",), "not_an_image": (), "broken": ()}


@dataclass(frozen=True)
class Decoded:
    image: Image.Image  # upright, mode RGB or L
    format: str  # "JPEG", "PNG" …, as Pillow names it
    size: tuple[int, int]  # (width, height) stored in the file, before rotation or draft
    frames: int = 1  # > 1: an animation, of which ``image`` is the first frame


def digest(data: bytes) -> str:
    """A short fingerprint of the bytes: the cache key of everything computed from an upload."""
    return hashlib.sha256(data).hexdigest()[:32]


def _sniff(data: bytes) -> str | None:
    """The name of a format that is an image but not one this app reads, from its first bytes."""
    head = data[:1024].lstrip().lower()
    if (head.startswith(b"<?xml") and b"<svg" in head) or head.startswith(b"<svg"):
        return "SVG"
    if data[4:8] == b"ftyp":  # ISO base media: HEIC/HEIF from phones
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIC"
    if data.startswith(b"%PDF"):
        return "PDF"
    if data.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "EPS"
    if data.startswith(b"8BPS"):
        return "PSD"
    return None


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation. EXIF is optional metadata: when it is malformed the pixels are
    still good, so the image is used as stored rather than refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of each corrupt tag it skips
            return ImageOps.exif_transpose(image)
    except Exception as err:  # noqa: BLE001 — any parser error in the metadata means "no orientation"
        log.info("ignoring malformed EXIF: %r", err)
        return image


def _to_8bit(image: Image.Image) -> Image.Image:
    """16- and 32-bit grayscale to L by scaling the full range, not clipping at 255."""
    a = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
    if image.mode == "F":  # floating point: stretch what is there
        lo, hi = float(a.min(initial=0)), float(a.max(initial=1))
        a, top = a - lo, max(hi - lo, 1e-12)
    return Image.fromarray(np.clip(a / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")


def _rgb_or_l(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I") or image.mode == "F":
        return _to_8bit(image)
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("LA", "La", "RGBA", "RGBa", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))  # transparent → white
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # P, CMYK, YCbCr, 1, I;16 RGB …


def decode(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Decoded:
    if not data:
        raise ImageError("empty")
    if len(data) > max_bytes:
        raise ImageError("too_large", size_mb=round(len(data) / 2**20, 1), limit_mb=round(max_bytes / 2**20, 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError("too_many_pixels", megapixels=round(width * height / 1e6),
                                 limit_mp=max_pixels // 1_000_000)
            fmt, frames = image.format or "?", getattr(image, "n_frames", 1)
            if fmt in ("JPEG", "MPO"):
                image.draft(image.mode, (DRAFT_SIDE, DRAFT_SIDE))
            image.load()  # the first frame of an animation
    except ImageError:
        raise
    except UnidentifiedImageError as err:
        other = _sniff(data)
        if other:
            raise ImageError("unsupported", format=other) from err
        raise ImageError("not_an_image") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:  # Pillow's own, larger cap
        claimed = re.search(r"\((\d+) pixels\)", str(err))
        megapixels = round(int(claimed.group(1)) / 1e6) if claimed else "?"
        raise ImageError("too_many_pixels", megapixels=megapixels, limit_mp=max_pixels // 1_000_000) from err
    except (OSError, ValueError, SyntaxError, EOFError, IndexError) as err:  # truncated or malformed data
        raise ImageError("broken") from err
    return Decoded(_shrink(_rgb_or_l(_upright(image))), fmt, (width, height), frames)


def _shrink(image: Image.Image, keep_pixels: int = KEEP_PIXELS) -> Image.Image:
    """At most ``keep_pixels``, by the smallest whole factor that gets there: ``reduce`` averages
    each factor × factor box of pixels (what JPEG's draft does in the decoder), in one pass, and
    the full-size image is freed as soon as the caller lets go of it."""
    pixels = image.width * image.height
    if pixels <= keep_pixels:
        return image
    factor = math.ceil(math.sqrt(pixels / keep_pixels))
    while math.ceil(image.width / factor) * math.ceil(image.height / factor) > keep_pixels:
        factor += 1  # reduce keeps a partial box at the edges: its rounding can need one step more
    return image.reduce(factor)


def to_small_input(image: Image.Image, channels: int, size: int, mean: float, std: float,
                   invert: bool = False) -> torch.Tensor:
    """An image as the small training networks see it: (1, C, size, size), standardised like their data."""
    image = image.convert("L" if channels == 1 else "RGB")
    image = ImageOps.fit(image, (size, size))  # resize the shorter side, crop the centre
    if invert:
        image = ImageOps.invert(image)
    x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).float() / 255
    x = x.view(size, size, channels).permute(2, 0, 1).unsqueeze(0)  # (1, C, H, W)
    return (x - mean) / std
