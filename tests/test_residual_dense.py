"""The residual and dense lessons' computations, checked against torchvision's own modules."""

import dataclasses
import math

import pytest
import torch
from torchvision.models import densenet121, resnet18
from torchvision.models.resnet import BasicBlock, Bottleneck

from models.maths import blocks
from models.probes import dense, residual
from models.training import datasets, nets, tasks
from models.runtime import zoo


def params(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("c", [16, 64, 256])
def test_basic_block_parameters_match_torchvision(c):
    assert blocks.basic_block_params(c) == params(BasicBlock(c, c))


@pytest.mark.parametrize("c_in, width", [(64, 64), (256, 64), (1024, 256)])
def test_bottleneck_parameters_match_torchvision(c_in, width):
    downsample = None if c_in == 4 * width else torch.nn.Sequential(
        torch.nn.Conv2d(c_in, 4 * width, 1, bias=False), torch.nn.BatchNorm2d(4 * width))
    block = Bottleneck(c_in, width, downsample=downsample)
    shortcut = blocks.projection_params(c_in, 4 * width) if downsample is not None else 0
    assert blocks.bottleneck_params(c_in, width) + shortcut == params(block)


def test_projection_shortcut_is_resnet18s_downsample():
    model = resnet18()
    for stage, (c_in, c_out) in zip((model.layer2, model.layer3, model.layer4), ((64, 128), (128, 256), (256, 512))):
        assert blocks.projection_params(c_in, c_out) == params(stage[0].downsample)
        assert stage[0].downsample[0].stride == (2, 2)


def test_halving_the_map_and_doubling_the_channels_keeps_the_work():
    assert blocks.stage_macs(56, 64) == blocks.stage_macs(28, 128) == blocks.stage_macs(14, 256)
    conv = torch.nn.Conv2d(64, 64, 3, padding=1, bias=False)
    assert blocks.stage_macs(56, 64) == 56 * 56 * conv.weight.numel()


def test_block_with_zero_initialised_f_is_the_identity():
    block = nets.BasicBlock(16, 16).eval()
    torch.nn.init.zeros_(block.bn2.weight)  # F(x) = BN(...) with γ = 0, β = 0: F(x) = 0
    x = torch.rand(2, 16, 8, 8)  # non-negative, as after the ReLU of the previous block
    assert torch.equal(block(x), x)
    tv = BasicBlock(16, 16).eval()
    torch.nn.init.zeros_(tv.bn2.weight)
    assert torch.equal(tv(x), x)


@pytest.fixture(scope="module")
def shared_resnet():
    return zoo.classifier("resnet18").model


def test_written_out_forward_is_torchvisions(shared_resnet):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(residual.resnet_forward(shared_resnet, x), shared_resnet(x), atol=1e-5)


@pytest.mark.parametrize("branch", residual.BRANCHES)
def test_switching_a_block_off_changes_the_output_and_back_restores_it_exactly(shared_resnet, branch):
    x = torch.randn(1, 3, 64, 64)
    before = residual.resnet_forward(shared_resnet, x)
    off = residual.resnet_forward(shared_resnet, x, {"layer3.1": branch})
    after = residual.resnet_forward(shared_resnet, x)
    assert not torch.allclose(before, off)
    assert torch.equal(before, after)
    assert not any(m.training for m in shared_resnet.modules())


def test_switching_off_f_where_the_shape_changes_keeps_the_projection(shared_resnet):
    x = torch.randn(1, 3, 64, 64)
    assert residual.resnet_forward(shared_resnet, x, {"layer2.0": "residual"}).shape == (1, 1000)


def test_deletion_sweep_removes_each_block_once(shared_resnet):
    sweep = residual.deletion_sweep(shared_resnet, torch.randn(1, 3, 64, 64))
    assert sweep.blocks == residual.block_names(shared_resnet) and len(sweep.blocks) == 8
    assert len(sweep.probs) == len(sweep.top1) == 8 and all(0 <= p <= 1 for p in sweep.probs)


def test_gradient_norms_cover_every_convolution():
    plain = residual.gradient_norms(nets.NetSpec("plain", depth=20), batch=16)
    assert len(plain.norms) == 19 and all(n > 0 and math.isfinite(n) for n in plain.norms)  # 6·3 + 1 convolutions
    assert plain.layers[0] == "conv1"


def test_gradient_norms_are_those_of_the_batch_the_training_loop_feeds():
    """The reference: the data set's own (already standardised) images, as ``train`` feeds them,
    one forward and backward pass by hand. Standardising them a second time changes every norm."""
    spec = nets.NetSpec("plain", depth=8)
    data = datasets.synthetic(n_train=16, n_test=1, seed=0)
    assert abs(float(data.train_x.mean())) < 1e-4 and abs(float(data.train_x.std()) - 1) < 1e-3
    model = nets.build(spec, in_channels=1, num_classes=len(data.classes), seed=0).train()
    torch.nn.functional.cross_entropy(model(data.train_x), data.train_y).backward()
    expected = [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert residual.gradient_norms(spec, batch=16, seed=0).norms == pytest.approx(expected, rel=1e-6)


def test_vanishing_gradients_without_batchnorm_are_visible():
    """Without BatchNorm, the plain 56-layer net's first layer gets a far smaller gradient than its
    last; the residual net's shortcut keeps them within a small factor."""
    plain = residual.gradient_norms(nets.NetSpec("plain", depth=56, batch_norm=False), batch=16)
    res = residual.gradient_norms(nets.NetSpec("resnet", depth=56, batch_norm=False), batch=16)
    assert plain.norms[0] / plain.norms[-2] < res.norms[0] / res.norms[-2]


def test_degradation_experiment_runs_end_to_end_at_a_tiny_scale():
    runs = tasks.degradation_runs("cpu", depths=(8, 14), dataset="synthetic")
    assert list(runs) == ["plain-8", "plain-14", "resnet-8", "resnet-14"]
    assert len({(c.optimizer, c.lr, c.batch_size, c.epochs, c.train_size) for c in runs.values()}) == 1
    tiny = {label: dataclasses.replace(c, train_size=256, epochs=1) for label, c in runs.items()}
    results = tasks.Comparison(tuple(tiny.items()), time_limit_s=60).run(torch.device("cpu"))
    assert set(results) == set(runs)
    for result in results.values():
        assert result.history and all(0 <= p.train_acc <= 1 for p in result.history)


def test_densenet121_bookkeeping_matches_the_model():
    model = densenet121()
    blocks = dense.bookkeeping(model)
    assert [(b.c0, b.layers, b.growth_rate) for b in blocks] == [(64, 6, 32), (128, 12, 32), (256, 24, 32), (512, 16, 32)]
    assert [b.c_out for b in blocks] == [256, 512, 1024, 1024]
    assert [b.transition_out for b in blocks] == [128, 256, 512, None]
    # the real feature maps have exactly those channels
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for name, module in model.features.named_children():
            x = module(x)
            if name.startswith("denseblock"):
                assert x.shape[1] == blocks[int(name[-1]) - 1].c_out
            if name.startswith("transition"):
                assert x.shape[1] == blocks[int(name[-1]) - 1].transition_out


def test_each_dense_layer_reads_c0_plus_l_times_k_channels():
    model = densenet121()
    for (name, block), info in zip(dense._blocks(model), dense.bookkeeping(model)):
        for i, layer in enumerate(block.children()):
            assert layer.conv1.in_channels == info.c0 + i * info.growth_rate


def test_feature_reuse_is_lower_triangular_with_the_sources_means():
    model = densenet121()
    heat = dense.feature_reuse(model, 0)  # 6 layers + the transition, 7 sources
    assert heat.shape == (7, 7)
    assert torch.isnan(heat[0, 1:]).all() and not torch.isnan(heat[-1]).any()
    layer3 = model.features.denseblock1.denselayer3.conv1.weight  # reads input, layer 1, layer 2
    assert torch.isclose(heat[2, 1], layer3.abs().mean(dim=(0, 2, 3))[64:96].mean())


def test_family_sizes_give_the_known_multiply_adds():
    from models.probes.layer_table import family_sizes

    sizes = family_sizes(("ResNet-18", "ResNet-50"))
    assert round(sizes["ResNet-18"]["macs"] / 1e9, 2) == 1.81 and round(sizes["ResNet-50"]["macs"] / 1e9, 2) == 4.09
    assert sizes["ResNet-50"]["blocks"] == (3, 4, 6, 3)
