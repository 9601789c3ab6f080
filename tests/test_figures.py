"""Figure helpers that replace slower library calls: each gives what the call it replaces gives; and
every figure's words, numbers and colours (docs/accessibility.md, "Figures")."""

import base64
import copy
import io
import json
import pickle
import re
from pathlib import Path

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image
from plotly.subplots import make_subplots

from lessons import LANGUAGES
from models.training.train import Point
from tests.test_page_text import english_sentences
from ui import figures, i18n


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


def test_a_shared_figure_gives_streamlit_its_own_dict_unchanged_and_a_copy_is_an_ordinary_figure(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    fig = BUILDERS["pipeline"]()
    kept = fig.to_dict()
    assert fig is BUILDERS["pipeline"]() and fig.to_dict() is kept  # built once, its dict worked out once
    assert json.loads(pio.to_json(kept)) == json.loads(pio.to_json(go.Figure.to_dict(fig)))  # the figure's own data
    before = json.dumps(kept, sort_keys=True)
    for other in (copy.deepcopy(fig), pickle.loads(pickle.dumps(fig))):
        assert type(other) is go.Figure and json.loads(pio.to_json(other)) == json.loads(pio.to_json(kept))
    pio.to_json(fig, validate=False)  # as st.plotly_chart draws it
    assert json.dumps(fig.to_dict(), sort_keys=True) == before  # the kept dict is as it was


def test_the_pipelines_maps_sit_side_by_side_in_each_row_with_square_pixels(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    fig = BUILDERS["pipeline"]()
    for row, size in ((1, 4), (2, 2)):
        axis = "y" if row == 1 else f"y{row}"
        maps = [trace for trace in fig.data if trace.type == "heatmap" and trace.yaxis == axis]
        assert [m.x0 for m in maps] == [i * (size + 1) for i in range(figures.PIPELINE_MAPS)]  # a blank column between
        assert fig.layout[axis.replace("y", "yaxis")].scaleanchor == axis.replace("y", "x")
    dead = figures.pipeline([("3. ReLU · 1×2×2", np.zeros((1, 2, 2)))]).data[0]
    assert (dead.zmin, dead.zmax) == (0, 1)  # a map of zeros is drawn in the scale's lowest colour


def test_the_shared_figures_are_bounded_in_bytes_and_a_photos_figure_weighs_its_picture(monkeypatch):
    """A student's own photo makes figures of its own: the class's many photos must not grow the
    process without bound (issue 27's hostile class)."""
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    monkeypatch.setattr(figures, "_BUILT", figures.Shared(maxsize=figures.FIGURES_KEPT, max_bytes=2 * 2**20,
                                                          weigh=figures._weight))
    rng = np.random.default_rng(0)
    weights = []
    for _ in range(12):  # twelve students' photos: noise, which a PNG cannot shrink
        photo = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
        fig = figures.cam_overlay(photo, rng.random((7, 7)), 0.5, "ResNet18", "tabby")
        weights.append(figures._weight(fig))
    assert min(weights) > 2 * 224 * 224 * 3  # the photo's PNG is in it, base64 and all, counted twice
    assert figures._BUILT.bytes <= 2 * 2**20 and len(figures._BUILT) < 12  # the oldest went
    assert figures._BUILT.bytes == sum(weights[-len(figures._BUILT):])


# --- the figures' words and colours (docs/accessibility.md, "Figures") ---------------------------

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _points(accs, losses):
    return [Point(epoch=i + 1, loss=loss, train_acc=min(1.0, a + 0.05), val_acc=a, step=i, total_steps=3, lr=0.1,
                  images_per_s=1.0, elapsed_s=1.0, eta_s=0.0)
            for i, (a, loss) in enumerate(zip(accs, losses))]


# every figure of ui/figures.py, built from small known data
BUILDERS = {
    "training_curves": lambda: figures.training_curves({"A": _points([0.2, 0.5, 0.7], [2.0, 1.2, 0.8]),
                                                        "B": _points([0.3, 0.4], [1.9, 1.7])}),
    "class_probabilities": lambda: figures.class_probabilities(["cat", "dog", "fox"], [0.2, 0.7, 0.1]),
    "poll_answers": lambda: figures.poll_answers(["28", "30", "<b>14</b>"], [5, 2, 1], [True, False, False]),
    "window_coverage": lambda: figures.window_coverage(7, 3, 1, 2, 1, 3, 4, [6]),
    "receptive_grid": lambda: figures.receptive_grid([3, 5, 7], ["conv1", "conv2", "conv3"]),
    "heat_overlay": lambda: figures.heat_overlay(np.zeros((40, 40, 3), np.uint8), np.eye(40), box=(20, 20, 11)),
    "convolution_step": lambda: figures.convolution_step([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1, [(0, 0), (0, 1)],
                                                         [[1.0, None], [None, None]], (0, 0)),
    "parameter_bars": lambda: figures.parameter_bars(["dense", "conv"], [150_000, 1_792]),
    "kernel_pair": lambda: figures.kernel_pair([[0.9, 0, -1]] * 3, [[1, 0, -1]] * 3),
    "loss_curve": lambda: figures.loss_curve([1, 2, 3], [1.0, 0.5, 0.25]),
    "top5_pair": lambda: figures.top5_pair(["ResNet18", "DenseNet121"], [[("cat", 0.6), ("dog", 0.3)],
                                                                         [("dog", 0.7), ("fox", 0.2)]]),
    "cam_overlay": lambda: figures.cam_overlay(np.zeros((56, 56, 3), np.uint8), np.eye(7), 0.5, "ResNet18", "tabby"),
    "block_diagram": lambda: figures.block_diagram(["3×3 conv", "BN", "ReLU"], "identity x"),
    "gradient_norms": lambda: figures.gradient_norms({"plain": [1e-4, 1e-2], "residual": [1e-2, 1e-2]}),
    "block_deletion": lambda: figures.block_deletion(["layer1.0", "layer2.0"], [0.5, 0.1], 0.6, "tabby"),
    "channel_growth": lambda: figures.channel_growth(["a", "b", "c"], [64, 96, 48]),
    "reuse_heatmap": lambda: figures.reuse_heatmap([[0.1, None], [0.2, 0.3]], ["l1", "l2"], ["in", "l1"]),
    "layer_parameters": lambda: figures.layer_parameters(["conv1", "fc6"], [23_000, 37_000_000], ["Conv2d", "Linear"]),
    "activation_curves": lambda: figures.activation_curves({"relu": ([-1, 0, 1], [0, 0, 1], [0, 0, 1]),
                                                            "tanh": ([-1, 0, 1], [-0.76, 0, 0.76], [0.42, 1, 0.42])}),
    "pipeline": lambda: figures.pipeline([("1. Conv2d · 8×4×4", np.arange(8 * 4 * 4, dtype=float).reshape(8, 4, 4)),
                                          ("2. MaxPool2d · 8×2×2", np.arange(8 * 2 * 2, dtype=float).reshape(8, 2, 2)),
                                          ("3. Linear · 3", np.array([0.1, 0.9, 0.3]))]),
    "confusion_heatmap": lambda: figures.confusion_heatmap([[5, 1], [3, 4]], ["cat", "dog"]),
    "two_problems": lambda: figures.two_problems({"over": {"A": _points([0.5, 0.6], [1, 0.9])},
                                                  "under": {"B": _points([0.2, 0.2], [2, 2])}}),
}


def test_every_figure_function_is_checked_here():
    public = {name for name, f in vars(figures).items() if callable(f) and not name.startswith("_")
              and getattr(f, "__module__", "") == figures.__name__
              and f.__annotations__.get("return") == "go.Figure"}
    assert public == {name.split("/")[0] for name in BUILDERS}


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_figure_says_what_it_shows_in_the_pages_language_and_gives_its_numbers(name, lang, monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: lang)
    fig = BUILDERS[name]()
    words = figures.alt(fig)
    assert len(words) > 15, words
    if lang == "ko":
        assert HANGUL.search(words) and not english_sentences([words]), words
    tables = figures.numbers(fig)
    assert tables and all(len(table) > 0 for table in tables), name


def test_the_words_are_computed_from_the_data(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    cam = np.zeros((7, 7))
    cam[0, 0], cam[3, 3] = 0.31, 0.69
    assert figures.alt(figures.cam_overlay(np.zeros((56, 56, 3), np.uint8), cam, 0.5, "ResNet18", "tabby cat")) == (
        "ResNet18's Grad-CAM for 'tabby cat': strongest over the centre, 69% of the heat in one cell of the 7×7 grid.")
    words = figures.alt(BUILDERS["training_curves"]())
    assert "A: validation accuracy ends at 70% (best 70%, at epoch 3)" in words and "from 2 to 0.8" in words
    assert "B: validation accuracy ends at 40%" in words
    assert "cat called dog" not in figures.alt(BUILDERS["confusion_heatmap"]())
    assert "dog called cat, 3 times" in figures.alt(BUILDERS["confusion_heatmap"]())


def test_a_korean_particle_follows_the_value(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    words = figures.alt(figures.loss_curve([1, 2], [1.0, 0.5]))
    assert "0.5로" in words and "(으)" not in words


def test_the_numbers_are_the_figures_data(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    loss, accuracy = figures.numbers(BUILDERS["training_curves"]())
    assert list(loss.columns) == ["Epoch", "A", "B"] and loss["A"].tolist() == [2.0, 1.2, 0.8]
    assert np.isnan(loss["B"].iloc[2])  # B ran two epochs
    assert accuracy["A · validation"].tolist() == [0.2, 0.5, 0.7]
    (matrix,) = figures.numbers(BUILDERS["confusion_heatmap"]())
    assert matrix.loc["dog", "cat"] == 3  # rows: the true class
    (bars,) = figures.numbers(BUILDERS["class_probabilities"]())
    assert dict(zip(bars.iloc[:, 0], bars.iloc[:, 1])) == {"cat": 0.2, "dog": 0.7, "fox": 0.1}
    (walk,) = figures.numbers(BUILDERS["pipeline"]())  # one row per step: its shape and range, all channels
    assert walk["Output shape"].tolist() == ["8×4×4", "8×2×2", "3"]
    assert walk["largest"].tolist() == [127, 31, 0.9] and walk["smallest"].tolist() == [0, 0, 0.1]
    fig = BUILDERS["pipeline"]()
    assert len([trace for trace in fig.data if trace.type == "heatmap"]) == 2 * figures.PIPELINE_MAPS
    assert "6 of 8 shown" in figures.alt(fig) and "the largest, 0.9, is number 2" in figures.alt(fig)
    (heat,) = figures.numbers(BUILDERS["heat_overlay"]())
    assert heat.shape == (figures.TABLE_CELLS, figures.TABLE_CELLS)  # a 40×40 map, as means of blocks
    assert heat.to_numpy().sum() == pytest.approx(np.eye(40).sum() * figures.TABLE_CELLS ** 2 / 1600, rel=0.2)


def _hex(colour: str) -> str:
    return colour if colour.startswith("#") else "#" + "".join(f"{round(c):02x}" for c in pc.unlabel_rgb(colour))


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def test_the_themes_scales_are_viridis_and_rdbu_and_its_colours_stand_out_3_to_1():
    """The one place colours are defined (.streamlit/config.toml's [theme], read by ui/figures.py)."""
    assert [c.lower() for c in figures.THEME["chartSequentialColors"]] == [c.lower() for c in pc.sequential.Viridis]
    rdbu = [_hex(c) for c in pc.sample_colorscale("RdBu", 10, colortype="rgb")]
    assert [c.lower() for c in figures.THEME["chartDivergingColors"]] == rdbu
    for colour in figures.PALETTE:  # WCAG 1.4.11: graphical objects 3:1 against white and the dark theme
        assert 1.05 / (_luminance(colour) + 0.05) >= 3, colour
        assert (_luminance(colour) + 0.05) / (_luminance("#0e1117") + 0.05) >= 3, colour


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_heat_map_uses_a_colour_blind_safe_scale(name, monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    for trace in BUILDERS[name]().data:
        if trace.type != "heatmap":
            continue
        scale = [list(stop) for stop in trace.colorscale]
        # a magnitude in viridis, a signed value in RdBu, or a pale backdrop behind written values
        assert scale in (figures.SEQUENTIAL, figures.DIVERGING) or (
            trace.texttemplate and all(_luminance(_hex(c)) > 0.7 for _, c in scale)), (name, scale)


def test_no_figure_names_a_scale_of_its_own():
    source = Path(figures.__file__).read_text()
    assert not re.findall(r'colorscale="', source)  # Hot, Jet, Blues…: only the theme's scales


def test_series_differ_by_more_than_colour(monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: "en")
    a, b = [t for t in BUILDERS["training_curves"]().data if t.xaxis == "x"]
    assert a.marker.symbol != b.marker.symbol
    plain, residual = BUILDERS["gradient_norms"]().data
    assert plain.line.dash != residual.line.dash
    conv, fc = BUILDERS["layer_parameters"]().data
    assert conv.marker.pattern.shape != fc.marker.pattern.shape
    # the convolution's padding: grey, and outside a frame around the input (3×3 padded by 1: the middle cell)
    (frame,) = [s for s in BUILDERS["convolution_step"]().layout.shapes if s.name == "input frame"]
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (0.5, 1.5, 0.5, 1.5)


def test_an_inline_image_carries_its_alt_and_refuses_none():
    page = figures.inline_image(np.zeros((4, 4)), 'Four by four, "black"', caption="a caption")
    assert 'alt="Four by four, &quot;black&quot;"' in page and "a caption</figcaption>" in page
    with pytest.raises(ValueError, match="text alternative"):
        figures.inline_image(np.zeros((4, 4)), " ")


def test_a_figure_is_built_once_for_the_class_per_arguments_and_language(monkeypatch):
    """Thirty students following the teacher ask for the same figure: they share one object, in
    their own language; other arguments give another figure."""
    from ui import figures, i18n

    first = figures.receptive_grid([3, 5, 7], ["1", "2", "3"])
    assert figures.receptive_grid([3, 5, 7], ["1", "2", "3"]) is first
    assert figures.receptive_grid([3, 5], ["1", "2"]) is not first
    monkeypatch.setattr(i18n, "lang", lambda: "ko")  # what a Korean student's session says
    korean = figures.receptive_grid([3, 5, 7], ["1", "2", "3"])
    assert korean is not first and figures.alt(korean) != figures.alt(first)
