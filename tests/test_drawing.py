"""A drawing as input (models.runtime.drawing): made into the 28×28 images the small networks
were trained on, the way the data set made its own; a blank canvas is recognised as blank."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from models.runtime import drawing
from models.training import datasets


def _drawn_like(tile: torch.Tensor, scale: int = 10) -> Image.Image:
    """A data-set image (H, W) in [0, 1], light on dark, as a student would draw it: dark ink on
    white paper, ten canvas pixels per pixel."""
    ink = tile.numpy().repeat(scale, 0).repeat(scale, 1)
    return Image.fromarray(((1 - ink) * 255).astype(np.uint8), "L").convert("RGBA")


def _box(x: torch.Tensor) -> tuple[int, int, int, int]:
    rows, cols = torch.nonzero(x > drawing.INK, as_tuple=True)
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


@pytest.mark.skipif(not datasets.on_disk("fashion-mnist"), reason="Fashion-MNIST is not on this machine")
def test_a_fashion_mnist_image_drawn_on_the_canvas_comes_back_as_itself():
    """Drawn on the canvas, a test image goes through the data set's own recipe again (trim, scale
    the longest edge to 28, centre, negate): it should come back as it was. A few of the data set's
    images depart from the recipe (a shirt 27 rows high, one row off centre), so: 9 in 10 of 200."""
    data = datasets.fashion_mnist()
    same = 0
    for i in range(200):
        original = (data.test_x[i, 0] * data.std + data.mean).clamp(0, 1)  # (28, 28) in [0, 1]
        x = drawing.to_small_input(_drawn_like(original), "fashion-mnist", 1, 28, data.mean, data.std)
        assert x.shape == (1, 1, 28, 28)
        back = x[0, 0] * data.std + data.mean
        correlation = torch.corrcoef(torch.stack([back.flatten(), original.flatten()]))[0, 1]
        same += bool(correlation > 0.98 and (back - original).abs().mean() < 0.01)
    assert same >= 180, same


def test_a_drawing_is_trimmed_scaled_to_the_longest_edge_and_centred():
    image = Image.new("RGBA", (280, 280), (255, 255, 255, 255))
    ImageDraw.Draw(image).rectangle([10, 20, 109, 79], fill=(0, 0, 0, 255))  # 100 wide, 60 high, in a corner
    x = drawing.framed(drawing.ink(image))
    top, bottom, left, right = _box(x)
    assert (left, right) == (0, 27)  # the longest edge spans the frame, as Fashion-MNIST's do
    assert bottom - top + 1 == 17  # 60 × 28/100, the shape kept
    assert abs((top + bottom) / 2 - 13.5) <= 0.5  # centred
    assert float(x.max()) == pytest.approx(1.0)  # dark ink became the light object


def test_a_drawing_for_the_shapes_is_as_small_in_its_frame_as_theirs():
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))  # transparent: the canvas's paper
    ImageDraw.Draw(image).ellipse([40, 40, 239, 239], fill=(20, 20, 200, 255))  # a blue disc: colour is ink too
    x = drawing.to_small_input(image, "synthetic", 1, 28, 0.0, 1.0)[0, 0]
    top, bottom, left, right = _box(x)
    assert bottom - top + 1 == drawing.EXTENT["synthetic"] == right - left + 1


def test_a_blank_canvas_or_a_stray_click_is_blank_and_a_stroke_is_not():
    paper = Image.new("RGBA", (280, 280), (255, 255, 255, 255))
    assert drawing.is_blank(drawing.ink(paper))
    assert drawing.is_blank(drawing.ink(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))  # nothing at all
    ImageDraw.Draw(paper).point([(5, 5), (6, 6)], fill=(0, 0, 0, 255))
    assert drawing.is_blank(drawing.ink(paper))
    ImageDraw.Draw(paper).line([(30, 30), (200, 150)], fill=(0, 0, 0, 255), width=12)
    assert not drawing.is_blank(drawing.ink(paper))
    assert float(drawing.framed(np.zeros((280, 280), np.float32)).abs().sum()) == 0


def test_a_drawing_for_a_colour_network_is_grey_in_every_channel():
    image = Image.new("RGBA", (280, 280), (255, 255, 255, 255))
    ImageDraw.Draw(image).line([(30, 30), (200, 150)], fill=(0, 0, 0, 255), width=20)
    x = drawing.to_small_input(image, "cifar-10", 3, 32, 0.5, 0.25)
    assert x.shape == (1, 3, 32, 32) and torch.equal(x[0, 0], x[0, 2])
