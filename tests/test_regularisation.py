"""The overfitting lesson's knobs: augmentation, dropout, activations, the validation split and
early stopping, each checked against what PyTorch does itself."""

import math

import pytest
import torch
from torch import nn

from models.training import augment, nets, train
from models.training.train import RunSettingsError, TrainConfig

CPU = torch.device("cpu")


def test_a_flip_is_torchs_flip_and_a_shift_repeats_the_border():
    x = torch.arange(2 * 1 * 5 * 6, dtype=torch.float).view(2, 1, 5, 6)
    flip = torch.tensor([[[-1.0, 0, 0], [0, 1, 0]]]).repeat(2, 1, 1)
    assert torch.allclose(augment.apply(x, flip), x.flip(-1), atol=1e-5)
    one_px = torch.tensor([[[1.0, 0, 2 / 6], [0, 1, 0]]]).repeat(2, 1, 1)  # look one pixel to the right
    expected = torch.cat([x[..., 1:], x[..., -1:]], dim=-1)  # shifted left, the last column repeated
    assert torch.allclose(augment.apply(x, one_px), expected, atol=1e-5)


def test_augmentations_are_drawn_within_their_bounds_and_fixed_by_the_seed():
    theta = augment.transforms(1000, augment.KINDS, 28, torch.Generator().manual_seed(0))
    angles = torch.atan2(theta[:, 1, 0], theta[:, 1, 1])
    assert angles.abs().max() <= math.radians(augment.ROTATE_DEG) + 1e-6
    shifts_px = theta[:, :, 2] * 28 / 2
    assert torch.allclose(shifts_px, shifts_px.round(), atol=1e-4) and shifts_px.abs().max() <= augment.SHIFT_PX
    flipped = (theta[:, 0, 0] * theta[:, 1, 1] - theta[:, 0, 1] * theta[:, 1, 0]) < 0  # a mirror has det < 0
    assert 400 < int(flipped.sum()) < 600
    again = augment.transforms(1000, augment.KINDS, 28, torch.Generator().manual_seed(0))
    assert torch.equal(theta, again)


def test_dropout_sits_before_the_classifier_and_adds_no_parameters():
    plain, dropped = nets.build(nets.NetSpec(), 1, 10), nets.build(nets.NetSpec(dropout=0.5), 1, 10)
    assert nets.count_parameters(plain) == nets.count_parameters(dropped)
    classifier = dropped[-1]
    assert isinstance(classifier, nn.Sequential) and isinstance(classifier[0], nn.Dropout)
    assert classifier[0].p == 0.5 and isinstance(classifier[1], nn.Linear) and classifier[1].out_features == 10
    x = torch.randn(4, 1, 28, 28)
    dropped.eval()
    assert torch.equal(dropped(x), dropped(x))  # dropout is off in eval mode
    assert nets.NetSpec(dropout=0.5).label() == "plain_cnn, dropout 0.5"


@pytest.mark.parametrize("name, module", [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh)])
def test_the_activation_replaces_every_relu(name, module):
    for network in ("plain_cnn", "resnet"):
        model = nets.build(nets.NetSpec(network, depth=8, activation=name), 1, 10)
        kinds = {type(m) for m in model.modules()}
        assert nn.ReLU not in kinds and module in kinds, network


def test_settings_no_network_or_run_can_use_are_refused_with_a_code():
    with pytest.raises(nets.NetworkError) as err:
        nets.build(nets.NetSpec(dropout=0.9), 1, 10)
    assert err.value.code == "dropout"
    for bad, code in ((TrainConfig(patience=-1), "patience"), (TrainConfig(val_split=0.7), "val_split"),
                      (TrainConfig(val_split=0.0), "val_split"),
                      (TrainConfig(augment=("cutout",)), "augment")):
        with pytest.raises(RunSettingsError) as err:
            bad.validate()
        assert err.value.code == code


def test_the_validation_split_is_held_back_and_watched():
    # the whole data set: a quarter held back
    whole = train.train(TrainConfig(val_split=0.25, epochs=1, batch_size=500, snapshots=0), CPU)
    assert whole.train_images == 4500 and whole.summary()["val split"] == 0.25
    # 400 of the 6,000 images: trained on all 400, validated on unused ones
    result = train.train(TrainConfig(train_size=400, val_split=0.25, epochs=2, batch_size=50), CPU)
    assert result.train_images == 400
    assert result.history and all(0 <= p.val_acc <= 1 for p in result.history)
    assert result.summary()["train images"] == 400


def test_early_stopping_ends_the_run_with_its_best_validated_weights():
    config = TrainConfig(train_size=240, val_split=0.5, patience=2, epochs=300, batch_size=40, lr=1e-2,
                         time_limit_s=60)
    result = train.train(config, CPU)
    assert result.stopped_by == "early stop" and result.steps < 300 * 6
    model = train.restore(result)
    from models.training import datasets

    data = datasets.load("synthetic")
    held = train.splits(config, data)[1]
    assert held.stop - held.start <= train.PROBE_SIZE  # the probe is the whole validation split
    val_x, val_y = data.train_x[held], data.train_y[held]
    val_acc = (train.predict(model, val_x).argmax(1) == val_y).float().mean().item()
    assert val_acc == pytest.approx(max(p.val_acc for p in result.history), abs=1e-6)


def test_augmented_runs_repeat_with_the_seed_and_differ_without_it():
    config = TrainConfig(train_size=256, epochs=1, batch_size=64, augment=("flip", "shift", "rotate"), seed=4)
    a, b = train.train(config, CPU), train.train(config, CPU)
    assert [p.loss for p in a.history] == [p.loss for p in b.history]
    plain = train.train(TrainConfig(train_size=256, epochs=1, batch_size=64, seed=4), CPU)
    assert [p.loss for p in a.history] != [p.loss for p in plain.history]
