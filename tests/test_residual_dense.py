"""The residual and dense lessons' computations, checked against torchvision's own modules."""

import dataclasses
import math

import pytest
import torch
from torchvision.models import densenet121, resnet18
from torchvision.models.resnet import BasicBlock, Bottleneck

from models.maths import blocks
from models.probes import dense, residual
from models.runtime import zoo
from models.training import datasets, nets, tasks


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


def test_default_init_is_pytorchs_own_conv_init_and_a_sixth_of_kaimings_variance():
    """The reference: the same network with every convolution reset by ``nn.Conv2d`` itself under
    the same seed, one forward and backward pass by hand; then the two variances the lesson cites,
    2/n for the nets' Kaiming initialisation (n = C_out·k²) and 1/(3n) for PyTorch's default."""
    from models.runtime.seeding import seeded

    spec = nets.NetSpec("plain", depth=8, batch_norm=False)
    data = datasets.synthetic(n_train=16, n_test=1, seed=0)
    model = nets.build(spec, in_channels=1, num_classes=len(data.classes), seed=0)
    kaiming = model.layer3[0].conv2.weight.detach().clone()  # 64 → 64 channels, 3×3: n = 576
    with seeded(0):
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.reset_parameters()
    torch.nn.functional.cross_entropy(model.train()(data.train_x), data.train_y).backward()
    expected = [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    got = residual.gradient_norms(spec, batch=16, seed=0, init="default")
    assert got.norms == pytest.approx(expected, rel=1e-5) and got.label.endswith("default init")
    default = model.layer3[0].conv2.weight.detach()
    assert float(kaiming.var()) == pytest.approx(2 / 576, rel=0.03)
    assert float(default.var()) == pytest.approx(1 / (3 * 576), rel=0.03)
    assert float(default.abs().max()) <= 1 / math.sqrt(576)  # U(±1/√n)
    with pytest.raises(ValueError, match="init must be one of"):
        residual.gradient_norms(spec, batch=16, init="xavier")


@pytest.mark.parametrize("ratio, verdict", [(1e-3, "vanished"), (0.099, "vanished"), (0.1, "similar"), (1.0, "similar"),
                                            (10.0, "similar"), (10.1, "larger"), (564.0, "larger")])
def test_first_vs_last_reads_a_ratio_as_the_lessons_three_answers(ratio, verdict):
    assert residual.first_vs_last(ratio) == verdict


def _at_init(network: str, batch_norm: bool = True, init: str = "kaiming") -> residual.GradientNorms:
    spec = nets.NetSpec(network, depth=residual.GRADIENT_DEPTH, batch_norm=batch_norm)
    return residual.gradient_norms(spec, init=init)


def test_gradient_facts_are_the_probes_numbers():
    from models.content.facts import facts, scientific, times

    f = facts()
    assert f["grad_plain_bn"] == times(_at_init("plain").norms[0] / _at_init("plain").norms[-1])
    assert f["grad_resnet_bn"] == times(_at_init("resnet").ratio)
    assert f["grad_plain_nobn"] == times(_at_init("plain", False).ratio)
    assert f["grad_plain_bn_default"] == times(_at_init("plain", True, "default").ratio)
    assert f["grad_kaiming_first"] == scientific(_at_init("plain", False).norms[0])
    assert f["grad_default_first"] == scientific(_at_init("plain", False, "default").norms[0])
    assert f["grad_resnet_nobn_first"] == scientific(_at_init("resnet", False).norms[0])
    assert (f["grad_batch"], f["grad_seed"], f["grad_depth"]) == ("64", "0", "56")
    assert (times(564.2), times(2.94), times(0.644), times(12345.0)) == ("560", "2.9", "0.64", "12,000")
    assert scientific(1.23e-23) == "1.2 × 10⁻²³" and scientific(16000.0) == "1.6 × 10⁴"
    assert [scientific(x) for x in (0.0159, 0.566, 2.0, 319.4, 5649.0)] == ["0.016", "0.57", "2.0", "320", "5,600"]


def test_what_the_lesson_says_about_gradients_at_initialisation_holds():
    """Each sentence of residual_depth#gradients, against the measurement (seed 0, one batch)."""
    plain, res = _at_init("plain"), _at_init("resnet")
    # with BatchNorm nothing vanishes: the plain net's gradients grow toward the input …
    assert residual.first_vs_last(plain.ratio) == "larger" and plain.ratio > 100
    # … the more so the deeper the network …
    shallow = residual.gradient_norms(nets.NetSpec("plain", depth=20))
    assert 1 < shallow.ratio < plain.ratio
    # … while the residual net's stay within a small factor
    assert residual.first_vs_last(res.ratio) == "similar"
    # Kaiming initialisation alone, without BatchNorm: no vanishing either
    assert residual.first_vs_last(_at_init("plain", False).ratio) == "similar"
    # PyTorch's default initialisation without BatchNorm: vanished, in every layer
    kaiming, default = _at_init("plain", False), _at_init("plain", False, "default")
    assert all(0 < d < 1e-15 * k for d, k in zip(default.norms, kaiming.norms))
    # with BatchNorm, the initialisation hardly matters
    assert residual.first_vs_last(_at_init("plain", True, "default").ratio) == "larger"
    # without BatchNorm the residual net's gradients are large instead
    assert min(_at_init("resnet", False).norms) > 100 * max(kaiming.norms)


def test_facts_compute_the_measured_ones_only_when_asked():
    from models.content.facts import GRADIENT_FACTS, Facts, facts

    calls = []
    lazy = Facts({"a": "1"}, {"b": lambda: calls.append(1) or {"b": "2"}})
    assert "b" in lazy and "c" not in lazy and list(lazy) == ["a", "b"] and len(lazy) == 2 and not calls
    assert lazy["a"] == "1" and not calls and lazy["b"] == "2" and calls == [1]
    assert all(name in facts() for name in GRADIENT_FACTS)


@pytest.mark.parametrize("build, count", [("resnet18", 18), ("resnet34", 34), ("resnet50", 50), ("resnet101", 101),
                                          ("densenet121", 121), ("densenet169", 169)])
def test_the_number_in_the_name_counts_the_weighted_layers(build, count):
    """Every Conv2d and Linear of torchvision's constructor, less ResNet's 1×1 projection shortcuts."""
    import torchvision.models as tvm

    from models.probes.layer_table import weighted_layers

    with torch.device("meta"):
        model = getattr(tvm, build)(weights=None)
    modules = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    projections = sum(getattr(block, "downsample", None) is not None for block in model.modules())  # one conv each
    assert len(weighted_layers(model)) == len(modules) - projections == count


def test_the_lessons_layer_counts_are_torchvisions():
    from models.content.facts import facts

    f = facts()
    assert f["resnet18_layers"] == "1 + 16 + 1 = 18" and f["resnet18_blocks"] == "8"
    assert f["densenet121_layers"] == "1 + 116 + 3 + 1 = 121" and f["densenet121_dense_layers"] == "58"
    model = resnet18()
    assert 1 + 2 * len(residual.block_names(model)) + 1 == 18
    # the 3 projections are not in the name
    assert sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()) == 1 + 16 + 3


@pytest.mark.slow  # four networks trained: ~15 s
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
    assert [(b.c0, b.layers, b.growth_rate) for b in blocks] == [(64, 6, 32), (128, 12, 32), (256, 24, 32),
                                                                 (512, 16, 32)]
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
    for (_name, block), info in zip(dense._blocks(model), dense.bookkeeping(model)):
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
