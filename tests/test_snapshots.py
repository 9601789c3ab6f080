"""Snapshots of what a network learned (models.training.snapshots): taken at the promised moments,
equal to the network at that moment, free for the run's curve, and kept by the class store."""

import pytest
import torch
from torchvision.models.feature_extraction import create_feature_extractor

from models.training import datasets, nets, snapshots, train
from models.training.train import RunSettingsError, TrainConfig

CPU = torch.device("cpu")


def _run(**kw):
    return train.train(TrainConfig(epochs=1, train_size=640, batch_size=64, seed=3, **kw), CPU)


@pytest.fixture(scope="module")
def run():
    return _run()


def test_the_moments_are_the_start_and_evenly_spaced_steps_to_the_end():
    assert snapshots.moments(100, 8) == (0, 14, 29, 43, 57, 71, 86, 100)
    assert snapshots.moments(3, 8) == (0, 1, 2, 3)  # a short run: each step once
    assert snapshots.moments(50, 1) == (0,) and snapshots.moments(50, 0) == ()


def test_a_run_keeps_its_snapshots_at_those_moments(run):
    assert [s.step for s in run.snapshots] == list(snapshots.moments(run.steps, snapshots.SNAPSHOTS))
    assert run.snapshots[-1].epoch == pytest.approx(1.0)


def test_the_first_and_last_snapshots_are_the_network_at_those_moments(run):
    start = nets.build(run.config.net, 1, len(run.classes), seed=run.config.seed)
    assert torch.equal(run.snapshots[0].filters, start[0].weight.detach())
    assert torch.equal(run.snapshots[-1].filters, run.state_dict["0.weight"])
    # the last maps are the trained network's stages on the first validation image
    data = datasets.synthetic()
    model, image = train.restore(run), data.train_x[train.splits(run.config, data)[1]][:1]
    stages = [name for name, _ in snapshots.stages(model)][:2]  # the third, after the FC layer, is no map
    reference = create_feature_extractor(model, return_nodes=stages)(image)
    assert [name for name, _ in run.snapshots[-1].maps] == stages
    for name, maps in run.snapshots[-1].maps:
        assert torch.allclose(maps, reference[name][0, : snapshots.MAPS_PER_STAGE], atol=1e-5), name


def test_snapshots_do_not_change_the_curve_of_a_seed(run):
    without = _run(snapshots=0)
    assert without.snapshots == []
    assert [p.loss for p in without.history] == [p.loss for p in run.history]
    assert [p.val_acc for p in without.history] == [p.val_acc for p in run.history]
    assert torch.equal(without.state_dict["0.weight"], run.state_dict["0.weight"])


def test_the_live_view_gets_each_snapshot_with_the_next_point():
    points = []
    result = train.train(TrainConfig(epochs=1, train_size=640, batch_size=64, seed=3), CPU, report=points.append)
    reported = [p.snapshot.step for p in points if p.snapshot is not None]
    assert reported and set(reported) <= {s.step for s in result.snapshots}
    assert all(p.snapshot is None for p in result.history)  # the kept curve carries none


def test_a_run_cut_short_keeps_a_snapshot_where_it_ended():
    stops = iter([False] * 5 + [True] * 1000)
    result = train.train(TrainConfig(epochs=3, train_size=640, batch_size=64), CPU, should_stop=lambda: next(stops))
    assert result.stopped_by == "cancelled" and result.snapshots[-1].step == result.steps == 5


@pytest.mark.parametrize("spec", [nets.NetSpec("resnet", depth=8), nets.NetSpec("densenet", block_config=(2, 2)),
                                  nets.NetSpec("resnet18")], ids=lambda s: s.network)
def test_every_network_of_the_lab_has_stages_with_maps(spec):
    model = nets.build(spec, 1, 10)
    snap = snapshots.take(model, torch.randn(1, 1, 28, 28), 0, 0.0)
    assert len(snap.maps) >= 2 and all(m.dim() == 3 for _, m in snap.maps)
    assert model.training  # take() puts it back in training mode


def test_snapshots_survive_their_encoding(run):
    back = snapshots.decode(snapshots.encode(run.snapshots))
    assert [(s.step, s.epoch) for s in back] == [(s.step, s.epoch) for s in run.snapshots]
    for a, b in zip(back, run.snapshots):
        assert torch.allclose(a.filters, b.filters, rtol=1e-3, atol=1e-3)
        assert [n for n, _ in a.maps] == [n for n, _ in b.maps]


def test_too_many_snapshots_is_said():
    with pytest.raises(RunSettingsError) as err:
        TrainConfig(snapshots=train.MAX_SNAPSHOTS + 1).validate()
    assert err.value.code == "snapshots"
