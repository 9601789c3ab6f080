"""models.runtime.images.decode: every bad upload gets its code, every odd-but-good one comes out right.

All files are generated here: nothing is read from disk or the network.
"""

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from models.runtime import classify, images, zoo


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(w=64, h=48) -> Image.Image:
    """Left half red, right half blue: orientation and colour can be checked by pixel."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = (220, 30, 30)
    a[:, w // 2:] = (30, 30, 220)
    return Image.fromarray(a)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width × height (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def with_exif_segment(jpeg: bytes, payload: bytes) -> bytes:
    """The JPEG with an APP1 (EXIF) segment inserted right after its start marker."""
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


# --- refused, each with its own code -------------------------------------------------------

@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"hello, I am a text file renamed to photo.jpg\n" * 3, "not_an_image"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "unsupported"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='5' height='5'/></svg>", "unsupported"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "unsupported"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "unsupported"),
], ids=["empty", "text-renamed-jpg", "svg-xml", "svg-bare", "heic", "pdf"])
def test_unreadable_files_get_their_code(data, code):
    with pytest.raises(images.ImageError) as err:
        images.decode(data)
    assert err.value.code == code


def test_unsupported_formats_are_named():
    with pytest.raises(images.ImageError) as err:
        images.decode(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    assert err.value.params == {"format": "HEIC"}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_broken(fmt):
    data = encode(Image.effect_noise((200, 200), 60).convert("RGB"), fmt)
    with pytest.raises(images.ImageError) as err:
        images.decode(data[: len(data) // 2])
    assert err.value.code == "broken"


def test_files_over_the_size_cap_are_refused_before_decoding(monkeypatch):
    opened = []
    monkeypatch.setattr(images.Image, "open", lambda *a, **k: opened.append(1))
    with pytest.raises(images.ImageError) as err:
        images.decode(b"\xff" * 2001, max_bytes=2000)
    assert err.value.code == "too_large" and not opened


@pytest.mark.parametrize("side, megapixels", [(20000, 400), (8000, 64)])  # beyond Pillow's cap; beyond ours only
def test_decompression_bomb_is_refused_from_its_header(monkeypatch, side, megapixels):
    data = png_claiming(side, side)
    assert len(data) < 200
    loaded = []
    real_load = Image.Image.load
    monkeypatch.setattr(Image.Image, "load", lambda self: loaded.append(1) or real_load(self))
    with pytest.raises(images.ImageError) as err:
        images.decode(data)
    assert err.value.code == "too_many_pixels" and err.value.params["megapixels"] == megapixels
    assert not loaded  # no pixel was decoded


def test_formats_outside_the_list_are_not_decoded():
    ico = encode(photo(32, 32), "ICO")  # Pillow reads ICO, but nobody uploads one as a photo
    with pytest.raises(images.ImageError):
        images.decode(ico)


# --- odd but good: decoded, upright, 8-bit RGB or L -----------------------------------------

def rgba(alpha: int) -> Image.Image:
    a = np.zeros((20, 20, 4), np.uint8)
    a[..., 0], a[..., 3] = 200, alpha
    return Image.fromarray(a, "RGBA")


def test_one_pixel_image():
    d = images.decode(encode(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG"))
    assert d.image.size == (1, 1) and d.image.getpixel((0, 0)) == (10, 200, 30)


def test_16_bit_png_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 64), (8, 1)).astype(np.uint16)  # (8, 64), dark to bright
    d = images.decode(encode(Image.fromarray(ramp), "PNG"))
    a = np.asarray(d.image)
    assert d.image.mode == "L"
    assert a.min() == 0 and a.max() == 255
    assert abs(int(a[0, 32]) - 132) <= 3  # 33,288 / 65,535 of full scale  # mid-grey stays mid-grey, not white
    assert (a == 255).mean() < 0.05


def test_cmyk_jpeg_comes_out_rgb():
    d = images.decode(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))  # red in CMYK
    r, g, b = d.image.convert("RGB").getpixel((8, 8))
    assert d.image.mode == "RGB" and r > 200 and g < 60 and b < 60


def test_palette_png():
    d = images.decode(encode(photo().convert("P", palette=Image.Palette.ADAPTIVE), "PNG"))
    assert d.image.mode == "RGB" and d.image.getpixel((2, 2))[0] > 180


def test_transparent_png_is_composited_on_white():
    d = images.decode(encode(rgba(0), "PNG"))
    assert d.image.getpixel((5, 5)) == (255, 255, 255)
    half = images.decode(encode(rgba(128), "PNG")).image.getpixel((5, 5))
    assert 220 < half[0] < 235 and 120 < half[1] < 135


def test_palette_png_with_transparency():
    p = Image.new("P", (8, 8), 0)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    p.paste(1, (0, 0, 4, 8))
    d = images.decode(encode(p, "PNG", transparency=0))
    assert d.image.getpixel((1, 1)) == (255, 0, 0) and d.image.getpixel((6, 1)) == (255, 255, 255)


@pytest.mark.parametrize("mode, value, expected", [("L", 77, 77), ("LA", (77, 255), (77, 77, 77))])
def test_grayscale_images(mode, value, expected):
    d = images.decode(encode(Image.new(mode, (10, 10), value), "PNG"))
    assert d.image.getpixel((3, 3)) == expected


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animations_give_their_first_frame_and_say_so(fmt):
    frames = [Image.new("RGB", (24, 24), c) for c in [(250, 0, 0), (0, 250, 0), (0, 0, 250)]]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    d = images.decode(data)
    r, g, b = d.image.convert("RGB").getpixel((12, 12))
    assert d.frames == 3 and r > 200 and g < 50 and b < 50


def test_exif_rotated_photo_is_shown_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned 90° clockwise
    d = images.decode(encode(photo(64, 48), "JPEG", exif=exif, quality=95))
    assert d.image.size == (48, 64) and d.size == (64, 48)
    assert d.image.getpixel((24, 4))[0] > 180  # the red half is now on top
    assert d.image.getpixel((24, 60))[2] > 180


def test_malformed_exif_is_ignored_not_fatal():
    garbage = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x12\x00\x03" + b"\xde\xad" * 8
    d = images.decode(with_exif_segment(encode(photo(), "JPEG"), garbage))
    assert d.image.size == (64, 48)


def test_large_jpeg_is_decoded_at_reduced_scale():
    big = Image.effect_noise((4000, 3000), 40).convert("RGB")
    d = images.decode(encode(big, "JPEG", quality=70))
    assert d.size == (4000, 3000)
    assert min(d.image.size) >= images.DRAFT_SIDE and d.image.size[0] < 4000


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP", "TIFF"])
@pytest.mark.parametrize("size", [(2400, 1300), (8000, 400), (1415, 1415)])  # each under 10 MB as a BMP
def test_every_format_is_shrunk_to_what_the_pages_need_right_after_decoding(fmt, size):
    # a PNG has no draft: without this, 6000×6000 pixels of a 5 kB file stayed 108 MB for as long as shown
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    d = images.decode(encode(picture, fmt))
    assert d.size == size  # the file's own size is still what the page says
    w, h = d.image.size
    assert w * h <= images.KEEP_PIXELS
    assert w * h > images.KEEP_PIXELS / 4  # by the smallest whole factor that fits: not smaller than needed
    assert abs(w / h - size[0] / size[1]) < 0.05 * size[0] / size[1]  # not distorted


def test_a_picture_within_the_pixels_kept_is_left_as_decoded():
    picture = photo(1600, 1200)
    assert images.decode(encode(picture, "PNG")).image.tobytes() == picture.tobytes()


GOOD = {
    "1x1": lambda: encode(Image.new("RGB", (1, 1), (90, 90, 90)), "PNG"),
    "16bit": lambda: encode(Image.fromarray(np.full((30, 30), 40000, np.uint16)), "PNG"),
    "cmyk": lambda: encode(Image.new("CMYK", (40, 30), (0, 200, 200, 0)), "JPEG"),
    "palette": lambda: encode(photo().convert("P"), "PNG"),
    "transparent": lambda: encode(rgba(60), "PNG"),
    "grayscale": lambda: encode(Image.new("L", (30, 40), 100), "PNG"),
    "la": lambda: encode(Image.new("LA", (30, 40), (100, 200)), "PNG"),
    "gif": lambda: encode(photo(), "GIF", save_all=True, append_images=[photo(64, 48).rotate(90)]),
    "webp": lambda: encode(photo(), "WEBP", save_all=True, append_images=[photo()]),
    "bmp": lambda: encode(photo(), "BMP"),
    "exif": lambda: with_exif_segment(encode(photo(), "JPEG"), b"Exif\x00\x00II*\x00\xff\xff\xff\xff"),
}


@pytest.mark.parametrize("case", GOOD)
def test_odd_images_classify_end_to_end(case):
    """Every odd-but-good file goes through the real pipeline to a top-5 of both models."""
    result = classify.analyse(GOOD[case]())
    assert result.x.shape == (1, 3, 224, 224) and torch.isfinite(result.x).all()
    for p in result.predictions.values():
        assert len(p.top(5)) == 5 and abs(float(p.probs.sum()) - 1) < 1e-4


def test_digest_tells_bytes_apart():
    assert images.digest(b"a") == images.digest(b"a") != images.digest(b"b")


def test_untrained_models_are_labelled():
    assert not zoo.classifier("resnet18").pretrained  # tests run offline, with an empty torch cache
