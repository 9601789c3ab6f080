"""Figure helpers that replace slower library calls: each gives what the call it replaces gives."""

import base64
import io

import numpy as np
import pytest
from PIL import Image
from plotly.subplots import make_subplots

from ui import figures


@pytest.mark.parametrize("titles, spacing", [(("Loss", "Accuracy"), 0.1), (("ResNet18", "DenseNet121"), 0.25),
                                             (("a", "b", "c"), 0.05)])
def test_panels_lay_out_what_make_subplots_lays_out(titles, spacing):
    ours = figures._panels(titles, spacing).layout.to_plotly_json()
    theirs = make_subplots(rows=1, cols=len(titles), subplot_titles=list(titles),
                           horizontal_spacing=spacing).layout.to_plotly_json()
    for i in range(len(titles)):
        n = "" if i == 0 else i + 1
        for axis in (f"xaxis{n}", f"yaxis{n}"):
            assert ours[axis]["anchor"] == theirs[axis]["anchor"], axis
            assert ours[axis]["domain"] == pytest.approx(theirs[axis]["domain"]), axis
    assert len(ours["annotations"]) == len(theirs["annotations"])
    for mine, reference in zip(ours["annotations"], theirs["annotations"]):
        assert mine["x"] == pytest.approx(reference.pop("x"))
        assert {k: v for k, v in mine.items() if k != "x"} == reference


def test_a_trace_on_a_panel_uses_that_panels_axes():
    fig = figures.top5_pair(["ResNet18", "DenseNet121"], [[("cat", 0.6), ("dog", 0.4)], [("dog", 0.7), ("cat", 0.3)]])
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y"), ("x2", "y2")]
    assert fig.layout.xaxis2.tickformat == ".0%" and fig.layout.annotations[1].text == "DenseNet121"


def _pixels(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_a_png_uri_holds_the_pixels_exactly_and_is_reused_for_the_same_pixels():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    b = a.copy()
    b[0, 0, 0] ^= 1  # one value of one pixel differs
    uri = figures._png_uri(a)
    assert np.array_equal(_pixels(uri), a)  # lossless
    assert figures._png_uri(a.copy()) is uri  # the same pixels: the kept URI, not a second encoding
    assert figures._png_uri(b) != uri and np.array_equal(_pixels(figures._png_uri(b)), b)
    assert figures._png_uri(a.reshape(32, 24, 3)) != uri  # the same bytes in another shape are another image


def test_the_kept_uris_are_bounded():
    for i in range(figures.URIS_KEPT + 5):
        figures._png_uri(np.full((4, 4, 3), i, dtype=np.uint8))
    assert len(figures._uris) == figures.URIS_KEPT
