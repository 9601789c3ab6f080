"""Convolution arithmetic and receptive fields, checked against what torch.nn really does."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from models.maths import receptive_field as rf
from models.maths.conv_arithmetic import (
    Conv,
    ConvSettingsError,
    dense_parameters,
    same_padding,
    sliding_window,
    transposed_out,
)

SEED_INPUT = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]
SEED_KERNEL = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]


def test_the_lecture_example_gives_15_then_16():
    steps = sliding_window(SEED_INPUT, SEED_KERNEL)
    assert [s.total for s in steps] == [15, 16, 6, 15]
    assert steps[0].products == (2, 0, 3, 0, 1, 4, 3, 0, 2)  # (1×2)+(2×0)+(3×1)+…
    expected = F.conv2d(torch.tensor(SEED_INPUT, dtype=torch.float)[None, None],
                        torch.tensor(SEED_KERNEL, dtype=torch.float)[None, None])
    assert expected.flatten().tolist() == [s.total for s in steps]


@pytest.mark.parametrize("p, s, d", [(0, 1, 1), (1, 1, 1), (1, 2, 1), (2, 1, 2), (0, 3, 1), (2, 2, 2)])
def test_sliding_window_matches_conv2d_with_padding_stride_and_dilation(p, s, d):
    g = torch.Generator().manual_seed(p * 100 + s * 10 + d)
    x = torch.randint(-3, 4, (6, 7), generator=g).float()
    k = torch.randint(-2, 3, (3, 3), generator=g).float()
    steps = sliding_window(x.tolist(), k.tolist(), p=p, s=s, d=d)
    expected = F.conv2d(x[None, None], k[None, None], padding=p, stride=s, dilation=d)[0, 0]
    assert [st.total for st in steps] == expected.flatten().tolist()
    assert (steps[-1].row + 1, steps[-1].col + 1) == tuple(expected.shape)


def test_the_lecture_example_32x32x3_with_four_5x5_filters():
    conv = Conv(w=32, k=5, p=0, s=1, c_in=3, c_out=4)
    assert conv.out == 28
    assert conv.weights == 300 and conv.parameters == 304
    layer = nn.Conv2d(3, 4, kernel_size=5)
    assert sum(p.numel() for p in layer.parameters()) == 304
    assert layer(torch.zeros(1, 3, 32, 32)).shape == (1, 4, 28, 28)


GRID = list(itertools.product([5, 8, 11], [1, 2, 3, 5], [0, 1, 2], [1, 2, 3], [1, 2],
                              [(4, 8, 1), (4, 8, 2), (6, 6, 3)]))


@pytest.mark.parametrize("w, k, p, s, d, channels", GRID)
def test_output_size_parameters_and_macs_match_nn_conv2d(w, k, p, s, d, channels):
    c_in, c_out, groups = channels
    conv = Conv(w=w, k=k, p=p, s=s, d=d, c_in=c_in, c_out=c_out, groups=groups)
    layer = nn.Conv2d(c_in, c_out, k, stride=s, padding=p, dilation=d, groups=groups)
    try:
        expected = layer(torch.zeros(1, c_in, w, w)).shape
    except RuntimeError:  # PyTorch refuses: the kernel does not fit the padded input
        with pytest.raises(ConvSettingsError) as err:
            conv.check()
        assert err.value.code == "kernel_too_large"
        return
    assert expected == (1, c_out, conv.out, conv.out)
    assert conv.parameters == sum(q.numel() for q in layer.parameters())
    assert conv.macs == conv.out**2 * layer.weight.numel()  # each weight once per output cell
    assert eval(conv.torch_line(), {"nn": nn}).weight.shape == layer.weight.shape


@pytest.mark.parametrize("w, k, p, s, d, out_pad",
                         [(5, 3, 0, 1, 1, 0), (5, 3, 1, 2, 1, 1), (7, 4, 1, 2, 1, 0), (4, 3, 2, 3, 2, 2)])
def test_transposed_output_size_matches_conv_transpose2d(w, k, p, s, d, out_pad):
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, output_padding=out_pad)
    assert layer(torch.zeros(1, 1, w, w)).shape[-1] == transposed_out(w, k, p, s, d, out_pad)


@pytest.mark.parametrize("k, d", [(1, 1), (3, 1), (5, 1), (3, 2), (4, 1)])
def test_same_padding_keeps_the_size(k, d):
    before, after = same_padding(k, d)
    x = F.pad(torch.zeros(1, 1, 9, 9), (before, after, before, after))
    assert F.conv2d(x, torch.zeros(1, 1, k, k), dilation=d).shape[-1] == 9


def test_the_floor_leaves_the_last_rows_unreached():
    conv = Conv(w=8, k=3, p=0, s=2)  # windows start at 0, 2, 4: rows 0–6 seen, row 7 never
    assert conv.out == 3 and conv.remainder == 1
    assert conv.unreached() == [7]
    assert Conv(w=7, k=3, s=2).unreached() == []


@pytest.mark.parametrize("settings, code", [
    (dict(w=5, k=3, s=0), "stride_zero"),
    (dict(w=5, k=3, p=-1), "negative_padding"),
    (dict(w=5, k=7), "kernel_too_large"),
    (dict(w=5, k=3, c_in=4, c_out=6, groups=4), "groups"),
    (dict(w=5, k=3, d=0), "dilation_zero"),
    (dict(w=5, k=3, c_out=0), "no_channels"),
])
def test_impossible_settings_are_named_not_thrown_from_torch(settings, code):
    with pytest.raises(ConvSettingsError) as err:
        _ = Conv(**settings).out
    assert err.value.code == code


def test_a_dense_layer_on_an_image_needs_a_weight_per_pixel_per_unit():
    assert dense_parameters(32, 32, 3, 4) == sum(p.numel() for p in nn.Linear(32 * 32 * 3, 4).parameters())


# --- receptive fields -----------------------------------------------------------------------

def _measured_field(stack: nn.Module, size: int = 41) -> int:
    """How many input pixels the centre output unit depends on, along one row: autograd."""
    grad, _ = rf.effective(stack, torch.randn(1, 1, size, size))
    row = (grad > 0).any(dim=0)
    return int(row.sum())


@pytest.mark.parametrize("layers", [
    [(3, 1), (3, 1), (3, 1)],
    [(7, 1)],
    [(3, 2), (3, 1), (3, 2)],
    [(5, 1), (3, 2), (3, 1)],
])
def test_theoretical_receptive_field_matches_autograd_on_small_stacks(layers):
    modules = []
    for k, s in layers:
        modules += [nn.Conv2d(1, 1, k, stride=s, padding=k // 2), nn.Tanh()]
    stack = nn.Sequential(*modules)
    for m in stack:
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.1)
    predicted = rf.fields([Conv(name=str(i), k=k, s=s, p=k // 2) for i, (k, s) in enumerate(layers)])[-1].size
    assert _measured_field(stack) == predicted


def test_three_3x3_layers_see_as_far_as_one_7x7():
    sizes = [f.size for f in rf.fields([Conv(name=str(i), k=3) for i in range(3)])]
    assert sizes == [3, 5, 7]


def test_resnet18_layer4_sees_435_pixels_with_a_jump_of_32():
    from models.runtime import zoo

    fields = rf.theoretical(zoo.build("resnet18"), ["conv1", "layer1", "layer2", "layer3", "layer4"])
    assert (fields["conv1"].size, fields["conv1"].jump) == (7, 2)
    assert (fields["layer4"].size, fields["layer4"].jump) == (435, 32)


@pytest.mark.parametrize("name", ["resnet18", "densenet121"])
def test_layer_table_totals_equal_torchvisions_and_every_prediction_holds(name):
    from models.probes import layer_table
    from models.runtime import networks, zoo

    rows = layer_table.layer_table(zoo.build(name), torch.zeros(1, 3, 224, 224))
    assert sum(r.parameters for r in rows) == networks.get(name).num_params  # 11,689,512 / 7,978,856
    predicted = [r for r in rows if r.predicted is not None]
    assert len(predicted) > 10
    assert all(r.predicted == r.out_shape[-1] for r in predicted)


def test_alexnet_and_vgg_facts_from_torchvisions_constructors():
    from models.probes.layer_table import family_sizes

    sizes = family_sizes(("AlexNet", "VGG-16"))
    assert (sizes["AlexNet"]["conv_layers"], sizes["AlexNet"]["fc_layers"]) == (5, 3)
    assert sizes["VGG-16"]["kernel_sizes"] == [3]
    assert sizes["VGG-16"]["parameters"] == 138_357_544


def test_one_filter_sums_the_same_kernel_over_rgb_like_conv2d():
    from models.maths.kernels import CLASSIC, rgb_feature_map

    image = torch.rand(3, 12, 12, generator=torch.Generator().manual_seed(0))
    layer = nn.Conv2d(3, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(CLASSIC["sobel_x"]).expand(1, 3, 3, 3) / 3)
        assert torch.allclose(rgb_feature_map(image, CLASSIC["sobel_x"]), layer(image[None])[0, 0], atol=1e-6)
    grey = torch.full((3, 8, 8), 0.4)
    assert torch.allclose(rgb_feature_map(grey, CLASSIC["blur"])[2:-2, 2:-2], torch.full((4, 4), 0.4))


def test_chain_follows_a_stack_through_real_layers():
    from models.maths.conv_arithmetic import chain

    layers = [(3, 2, 1), (3, 2, 1), (5, 1, 0)]
    x = torch.zeros(1, 1, 28, 28)
    sizes = [28]
    for k, s, p in layers:
        x = nn.Conv2d(1, 1, k, stride=s, padding=p)(x)
        sizes.append(x.shape[-1])
    assert chain(28, layers) == sizes == [28, 14, 7, 3]
