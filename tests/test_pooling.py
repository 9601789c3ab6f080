"""Pooling, activations and the pipeline, each against what torch.nn does itself."""

import random

import pytest
import torch
from torch import nn

from models.content import quiz
from models.content.facts import facts
from models.maths import activations, pooling
from models.maths import receptive_field as rf
from models.maths.conv_arithmetic import Conv, ConvSettingsError
from models.probes import pipeline
from models.training import nets


@pytest.mark.parametrize("mode, module", [("max", nn.MaxPool2d), ("average", nn.AvgPool2d)])
@pytest.mark.parametrize("n, k, s", [(4, 2, 2), (5, 2, 2), (7, 3, 2), (6, 3, 3), (8, 2, 1)])
def test_pooling_step_by_step_is_torchs_pooling(mode, module, n, k, s):
    g = torch.Generator().manual_seed(n * 10 + k)
    x = torch.randint(-9, 10, (n, n), generator=g).float()
    steps = pooling.pool_steps(x.tolist(), k, s, mode)
    expected = module(k, s)(x[None, None])[0, 0]
    assert expected.shape == (pooling.pooled_size(n, k, s),) * 2  # the floor, as torch takes it
    got = torch.tensor([st.out for st in steps]).view(expected.shape)
    assert torch.allclose(got, expected)
    if mode == "max":
        assert all(x[r, c] == st.out for st in steps for r, c in [st.chosen])


def test_a_window_larger_than_the_input_is_said_not_raised_as_a_crash():
    with pytest.raises(ConvSettingsError) as err:
        pooling.pool_steps([[1.0, 2.0], [3.0, 4.0]], k=3, s=1)
    assert err.value.code == "kernel_too_large"


def test_pooling_makes_a_one_pixel_shift_matter_less_as_measured():
    kernel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]).view(1, 1, 3, 3)
    image = torch.zeros(1, 1, 32, 32)
    image[..., 8:24, 10:20] = 1.0  # a bright rectangle
    change = pooling.shift_change(lambda im: torch.relu(nn.functional.conv2d(im, kernel, padding=1)), image)
    assert change[1]["pooled"] < change[1]["conv"] and change[2]["conv"] > 0


def test_activation_gradients_from_autograd_are_the_textbooks():
    curves = activations.curves(-3, 3, 61)
    x = torch.tensor(curves["sigmoid"][0])
    s = torch.sigmoid(x)
    assert torch.allclose(torch.tensor(curves["sigmoid"][2]), s * (1 - s), atol=1e-6)
    assert torch.allclose(torch.tensor(curves["tanh"][2]), 1 - torch.tanh(x) ** 2, atol=1e-6)
    assert max(curves["sigmoid"][2]) == pytest.approx(0.25)
    assert activations.gradient_through("relu", 10, 0.5) == 1.0
    assert activations.gradient_through("sigmoid", 10, 0.5) < 1e-6


def test_the_pipeline_walks_the_network_as_its_forward_does():
    model = nets.build(nets.NetSpec(), 1, 10).eval()
    x = torch.randn(1, 1, 28, 28)
    steps = pipeline.walk(model, x)
    kinds = [s.kind for s in steps]
    assert kinds[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] and kinds[-3:] == ["ReLU", "Linear", "Softmax"]
    assert steps[3].shape == (16, 14, 14) and "Flatten" in kinds
    with torch.no_grad():
        assert torch.allclose(steps[-2].output, model(x)[0], atol=1e-5)
    assert steps[-1].output.sum().item() == pytest.approx(1.0)
    drawn = pipeline.drawn(steps)  # what the page's figure draws: no BatchNorm, no softmax
    assert [title.split(" · ")[0] for title, _ in drawn][:3] == ["1. Conv2d", "3. ReLU", "4. MaxPool2d"]
    assert drawn[2][0] == "4. MaxPool2d · 16×14×14" and drawn[2][1].shape == (16, 14, 14)
    assert not any("BatchNorm" in title or "Softmax" in title for title, _ in drawn)


def test_a_pooling_changes_the_jump_like_a_stride():
    stride = rf.fields([Conv(name="a", k=3), Conv(name="b", k=3, s=2), Conv(name="c", k=3)])
    pooled = rf.fields([Conv(name="a", k=3), Conv(name="pool", k=2, s=2), Conv(name="c", k=3)])
    assert stride[1].jump == pooled[1].jump == 2 and stride[2].jump == pooled[2].jump == 2
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2, 2), nn.Conv2d(1, 1, 3))
    assert [(f.size, f.jump) for f in rf.fields(rf.main_path(model))] == [(f.size, f.jump) for f in pooled]


def test_the_pooling_quiz_and_prose_use_the_formula():
    assert facts()["pool_28"] == "28 → 14 → 7 → 3"
    for seed in range(20):
        numbers, answers = quiz.GENERATORS["pooled_size"](random.Random(seed))
        out = nn.MaxPool2d(numbers["k"], numbers["s"])(torch.zeros(1, 1, numbers["w"], numbers["w"])).shape[-1]
        assert answers["out"] == out
