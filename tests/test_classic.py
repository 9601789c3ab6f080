"""AlexNet and VGG as the lesson shows them, against torchvision's networks themselves."""

import random

import torch
from torchvision import models as tvm

from models.content import quiz
from models.content.facts import facts
from models.probes import classic
from models.training import tasks


def test_alexnet_has_five_convolutions_and_three_fully_connected_layers_with_torchvisions_shapes():
    layers = classic.alexnet_layers()
    assert [w.name for w in layers] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]
    model = tvm.alexnet(weights=None).eval()
    shapes, x = {}, torch.zeros(1, 3, 224, 224)
    hooks = [model.get_submodule(w.module).register_forward_hook(
        lambda m, i, o, name=w.name: shapes.__setitem__(name, tuple(o.shape[1:]))) for w in layers]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    assert {w.name: w.out_shape for w in layers} == shapes
    assert shapes["conv1"] == (64, 55, 55) and shapes["fc8"] == (1000,)
    assert sum(w.parameters for w in layers) == sum(p.numel() for p in model.parameters()) == 61_100_840


def test_most_of_alexnets_parameters_sit_in_its_fully_connected_layers():
    layers = classic.alexnet_layers()
    share = classic.parameter_share(layers)
    total = share["conv"] + share["fc"]
    assert round(total / 1e6) == 61 and round(100 * share["fc"] / total) == 96  # as the quiz says
    fc6 = next(w for w in layers if w.name == "fc6")
    assert fc6.parameters == 256 * 6 * 6 * 4096 + 4096
    assert f"{fc6.parameters / 1e6:.1f}" == "37.8" and fc6.parameters // 10_000 == 3775
    assert facts()["alexnet_fc_share"] == "96%" and facts()["alexnet_params"] == "61,100,840"


def test_vgg16s_stages_are_read_from_torchvisions_configuration():
    stages = classic.vgg_stages("D")
    assert [(s.convs, s.channels, s.size) for s in stages] == [(2, 64, 224), (2, 128, 112), (3, 256, 56),
                                                               (3, 512, 28), (3, 512, 14)]
    with torch.device("meta"):
        model = tvm.vgg16(weights=None)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert sum(s.convs for s in stages) == len(convs) == 13 and {c.kernel_size for c in convs} == {(3, 3)}
    assert facts()["vgg16_params"] == f"{sum(p.numel() for p in model.parameters()):,}" == "138,357,544"
    assert facts()["vgg16_channels"] == "64 → 128 → 256 → 512"


def test_the_recipe_is_the_notes_and_the_preset_trains_with_it():
    r = tasks.ALEXNET_RECIPE
    assert (r["optimizer"], r["momentum"], r["lr"], r["batch_size"], r["dropout"]) == ("sgd", 0.9, 0.01, 128, 0.5)
    config = tasks.alexnet_recipe(tasks.overfit_run("synthetic"))
    config.validate()
    assert config.net.dropout == 0.5 and config.augment == ("flip", "shift") and config.weight_decay == 5e-4


def test_the_generated_questions_are_checked_by_the_lessons_own_formulas():
    for seed in range(20):
        numbers, answers = quiz.GENERATORS["alexnet_conv1"](random.Random(seed))
        conv = torch.nn.Conv2d(3, 1, numbers["k"], stride=numbers["s"], padding=numbers["p"])
        assert answers["out"] == conv(torch.zeros(1, 3, numbers["w"], numbers["w"])).shape[-1]
        numbers, answers = quiz.GENERATORS["fc_layer"](random.Random(seed))
        fc = torch.nn.Linear(numbers["c"] * numbers["h"] ** 2, numbers["n"])
        assert answers["params"] == sum(p.numel() for p in fc.parameters())
    q = quiz.question("classic_networks", "conv1-output", "ko", 3)
    right = quiz.GENERATORS["alexnet_conv1"](random.Random("conv1-output:3"))[1]["out"]
    assert q.check({"out": right}) and not q.check({"out": right + 1})
