"""The networks and the training loop: sizes from the papers, learning, seeds, saving."""

import json
import math

import pytest
import safetensors
import safetensors.torch
import torch
import torch.nn.functional as F

from models.training import datasets, nets, train
from models.training.train import TrainConfig

CPU = torch.device("cpu")


@pytest.mark.parametrize("depth, millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85)])
def test_cifar_resnet_parameter_counts_match_the_paper(depth, millions):
    model = nets.build(nets.NetSpec("resnet", depth=depth), in_channels=3, num_classes=10)
    assert round(nets.count_parameters(model) / 1e6, 2) == millions


def test_plain_and_residual_nets_differ_only_in_the_shortcuts():
    plain = nets.build(nets.NetSpec("plain", depth=20), 3, 10)
    residual = nets.build(nets.NetSpec("resnet", depth=20), 3, 10)
    assert nets.count_parameters(plain) == nets.count_parameters(residual)
    residual.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    assert not torch.allclose(plain.eval()(x), residual.eval()(x))


def test_residual_block_with_zero_residual_passes_its_input_through():
    block = nets.BasicBlock(16, 16).eval()
    torch.nn.init.zeros_(block.bn2.weight)  # F(x) = 0, so y = ReLU(x)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(block(x), F.relu(x))


def test_projection_free_shortcut_halves_the_map_and_doubles_the_channels():
    block = nets.BasicBlock(16, 32, stride=2)
    assert block(torch.randn(2, 16, 8, 8)).shape == (2, 32, 4, 4)


def test_depth_that_is_not_6n_plus_2_is_a_sentence():
    with pytest.raises(nets.NetworkError, match="6n \\+ 2"):
        nets.build(nets.NetSpec("resnet", depth=21), 3, 10)


def test_small_densenet_uses_torchvisions_blocks_and_its_bookkeeping():
    model = nets.build(nets.NetSpec("densenet", growth_rate=12, block_config=(4, 4, 4)), 1, 6)
    # channels: 24 + 4·12 = 72 → transition halves to 36 → 36 + 48 = 84 → 42 → 42 + 48 = 90
    assert model.classifier.in_features == 90
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 6)


def test_batchnorm_can_be_switched_off():
    model = nets.build(nets.NetSpec("resnet", depth=20, batch_norm=False), 1, 6)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())


def test_a_runs_label_names_its_network_as_each_record_says():
    specs = [nets.NetSpec("plain", depth=20), nets.NetSpec("resnet", depth=56),
             nets.NetSpec("densenet", growth_rate=12, block_config=(4, 4, 4)),
             nets.NetSpec("stack", layers=((7, 1, 3), (3, 2, 1))),
             nets.NetSpec("resnet18"), nets.NetSpec("plain_cnn", batch_norm=False, dropout=0.5, activation="tanh")]
    assert [spec.label() for spec in specs] == ["plain-20", "resnet-56", "densenet k=12 (4, 4, 4)", "7×7/1 → 3×3/2",
                                                "resnet18", "plain_cnn, no BN, dropout 0.5, tanh"]


def test_a_trainable_network_is_one_registration(monkeypatch):
    tiny = nets.Trainable("tiny", lambda spec, c, k: torch.nn.Sequential(torch.nn.Flatten(),
                                                                        torch.nn.Linear(c * 28 * 28, k)),
                          title=lambda spec: "tiny net")
    monkeypatch.setitem(nets.NETWORKS, "tiny", tiny)  # the one place
    assert nets.lab_networks()[-1] == "tiny"
    assert nets.NetSpec("tiny", dropout=0.5).label() == "tiny net, dropout 0.5"
    model = nets.build(nets.NetSpec("tiny", dropout=0.5), 1, 6)
    assert isinstance(model[1][0], torch.nn.Dropout) and model(torch.zeros(2, 1, 28, 28)).shape == (2, 6)


def test_the_lab_offers_every_registered_network_but_the_lessons_conv_stack():
    assert nets.lab_networks() == ("plain_cnn", "plain", "resnet", "densenet", "resnet18", "densenet121")
    with pytest.raises(nets.NetworkError) as raised:
        nets.build(nets.NetSpec("vgg"), 1, 6)
    assert raised.value.params == {"name": "vgg", "choices": ", ".join(nets.lab_networks())}


@pytest.mark.parametrize("spec", [
    nets.NetSpec("plain_cnn"), nets.NetSpec("plain", depth=8), nets.NetSpec("resnet", depth=8),
    nets.NetSpec("densenet", growth_rate=4, block_config=(2, 2)), nets.NetSpec("resnet18"),
    pytest.param(nets.NetSpec("densenet121"), marks=pytest.mark.slow),  # ~9 s; DenseNet's blocks train above
], ids=lambda s: s.label())
def test_a_few_steps_lower_the_loss_of_every_network(spec):
    torch.manual_seed(0)
    data = datasets.synthetic(n_train=600, n_test=100)
    x, y = data.train_x[:16], data.train_y[:16]
    model = nets.build(spec, 1, len(data.classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(6):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_the_same_seed_gives_the_same_curve_and_another_seed_another():
    config = TrainConfig(epochs=3, train_size=512, batch_size=64, seed=7)
    a, b = train.train(config, CPU), train.train(config, CPU)
    c = train.train(TrainConfig(epochs=3, train_size=512, batch_size=64, seed=8), CPU)
    def curve(r):
        return [(p.step, p.loss, p.train_acc, p.val_acc) for p in r.history]
    assert curve(a) == curve(b) and len(curve(a)) > 1
    assert curve(a) != curve(c)


def test_default_run_learns_the_shapes():
    result = train.train(TrainConfig(epochs=2), CPU)
    assert result.stopped_by == "finished"
    assert result.final_val_acc > 0.6
    assert result.history[-1].loss < result.history[0].loss
    assert result.parameters == nets.count_parameters(train.restore(result))


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_schedules_follow_their_formulas(schedule):
    config = TrainConfig(epochs=2, train_size=1024, batch_size=64, schedule=schedule, optimizer="sgd", lr=0.05)
    result = train.train(config, CPU)
    total = result.history[-1].total_steps
    for p in result.history:  # the rate after p.step scheduler steps
        if schedule == "cosine":
            expected = 0.05 * 0.5 * (1 + math.cos(math.pi * p.step / total))
        else:  # ÷10 at 50% and again at 75% of the steps, as ResNet was trained
            expected = 0.05 * 0.1 ** ((p.step >= total // 2) + (p.step >= 3 * total // 4))
        assert p.lr == pytest.approx(expected, abs=1e-9)
    assert result.history[-1].lr < result.history[0].lr


def test_settings_no_run_can_use_are_sentences():
    for bad in (TrainConfig(lr=0), TrainConfig(optimizer="lbfgs"), TrainConfig(batch_size=0),
                TrainConfig(schedule="x")):
        with pytest.raises(train.RunSettingsError):
            bad.validate()


def test_saved_weights_are_safetensors_with_what_is_needed_to_use_them(tmp_path):
    result = train.train(TrainConfig(epochs=1, train_size=256), CPU)
    path = tmp_path / "run.safetensors"
    path.write_bytes(train.to_safetensors(result))
    assert set(safetensors.torch.load_file(path)) == set(result.state_dict)
    with safetensors.safe_open(path, "pt") as f:
        meta = f.metadata()
    assert json.loads(meta["classes"]) == list(datasets.SHAPES)
    assert float(meta["std"]) == pytest.approx(result.std)


@pytest.mark.parametrize("network", ["plain_cnn", "resnet"])
def test_colour_32px_data_like_cifar10_trains_through_the_same_loop(network):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)
    data = datasets._standardise("cifar-10", datasets.CIFAR_CLASSES, x, y, x[:16], y[:16], "test")
    config = TrainConfig(net=nets.NetSpec(network, depth=8), dataset="cifar-10", epochs=1, batch_size=32)
    result = train.train(config, CPU, data=data)
    assert result.steps == 2 and result.in_channels == 3 and result.image_size == 32


def test_validation_images_come_from_the_training_data_and_never_from_what_is_trained_on():
    from models.maths import fitting

    # the whole data set: the last tenth is held back
    assert fitting.validation_split(60000, 60000, 0.1, 256) == (54000, 6000)
    # a lesson's 300 images: all trained on, validated on 256 of the images the run leaves unused
    assert fitting.validation_split(60000, 300, 0.1, 256) == (300, 256)
    # nothing left unused: carved from the subset itself
    assert fitting.validation_split(300, 300, 0.2, 256) == (240, 60)
    data = datasets.synthetic()
    trained_on, validated_on = train.splits(TrainConfig(train_size=512), data)
    assert trained_on == slice(0, 512) and validated_on == slice(512, 512 + 256)


def test_the_test_set_is_looked_at_once_when_the_run_ends(monkeypatch):
    """The live curve, early stopping and "best" use the validation images; the test images are
    evaluated once, after the last step, on the weights the run keeps."""
    data = datasets.synthetic()
    looked = []
    real = train.logits_of  # every evaluation of a run goes through it

    def spy(model, x, device, *args, **kwargs):
        is_test = bool(len(x)) and bool((data.test_x == x[:1].cpu()).flatten(1).all(1).any())
        looked.append("test" if is_test else "other")
        return real(model, x, device, *args, **kwargs)

    monkeypatch.setattr(train, "logits_of", spy)
    result = train.train(TrainConfig(epochs=2, train_size=1024, val_split=0.2, patience=50), torch.device("cpu"),
                         data=data)
    assert looked.count("test") == 1 and looked[-1] == "test"
    assert len(result.history) >= 4 and looked.count("other") >= len(result.history)
    assert 0 <= result.test_acc <= 1 and result.best_val_acc >= result.final_val_acc
    assert result.summary()["test acc"] == round(result.test_acc, 4)


def test_a_run_without_validation_is_refused_with_its_sentence():
    with pytest.raises(train.RunSettingsError) as refused:
        TrainConfig(val_split=0.0).validate()
    assert refused.value.code == "val_split"
