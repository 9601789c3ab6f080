"""The pooling lesson's pre-trained network: the file in the repository is what its record says,
the bench script that made it is the run the record describes, a damaged file is a sentence,
and the page walks it when the student has trained nothing."""

import dataclasses
import hashlib
import json
import re
import shutil
import sys

import pytest
import torch

from bench import train_pooling_net as bench
from lessons import ROOT as LESSONS_DIR
from models.probes import pipeline
from models.training import datasets, nets, shipped, train
from models.training.train import TrainConfig
from tests.support import pipeline_rows

SHIPPED = LESSONS_DIR / "pooling" / "network.pt"  # the page's (ui.lessons.pooling.SHIPPED, imported by its AppTest)

HANGUL = re.compile("[가-힣]")
needs_fashion = pytest.mark.skipif(not datasets.on_disk("fashion-mnist"), reason="Fashion-MNIST is not on this machine")


def test_the_shipped_file_is_small_and_tracked_by_git():
    record = shipped.read_record(SHIPPED)
    assert SHIPPED.stat().st_size == record["bytes"] < 512 * 1024  # 207k parameters in float16
    ignored = (SHIPPED.parents[2] / ".gitignore").read_text()
    assert "*.pt" not in ignored and "network" not in ignored


def test_the_record_is_the_run_the_bench_script_makes():
    """The training lab's defaults but for the data set, the epochs and the lifted time limit."""
    record = shipped.read_record(SHIPPED)
    config = bench.config(record["epochs"], record["seed"])
    assert record["config"] == json.loads(json.dumps(dataclasses.asdict(config)))
    assert dataclasses.replace(config, dataset="synthetic", epochs=3, time_limit_s=60.0) == TrainConfig()
    assert record["network"] == "plain_cnn" and record["dataset"] == "fashion-mnist"
    assert record["stopped_by"] == "finished" and record["evaluated"][2] == 10_000
    assert {"torch", "date", "command", "val_acc", "test_acc", "seed"} <= set(record)


@needs_fashion
def test_the_shipped_weights_reach_their_recorded_test_accuracy():
    """Measured again on every real Fashion-MNIST test image: the file is the network its record describes."""
    result = shipped.load(SHIPPED)
    model = train.restore(result)  # the training lab's own network class, as the page builds it
    assert isinstance(model, torch.nn.Sequential) and result.classes == datasets.FASHION_CLASSES
    data = datasets.fashion_mnist()
    assert (result.mean, result.std) == pytest.approx((data.mean, data.std))
    acc = train.accuracy(model, data.test_x, data.test_y, torch.device("cpu"))
    assert acc == pytest.approx(result.test_acc, abs=0.003)
    assert result.test_acc > 0.88  # a network worth walking through


@needs_fashion
def test_the_training_function_is_reproducible_and_its_file_loads(tmp_path):
    """A tiny budget of the bench script's own run, twice: the same seed gives the same weights,
    and what ``save`` writes ``load`` reads back into a network the pipeline walks."""
    full = datasets.fashion_mnist()
    data = dataclasses.replace(full, train_x=full.train_x[:1_500], train_y=full.train_y[:1_500],
                               test_x=full.test_x[:300], test_y=full.test_y[:300])  # seconds, not a minute
    tiny = bench.config(epochs=1, seed=3, snapshots=0)
    first, record = bench.train_network(tiny, data)
    again, _ = bench.train_network(tiny, data)
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    written = shipped.save(tmp_path / "network.pt", first, record)
    result = shipped.load(tmp_path / "network.pt")
    assert result.test_acc == written["test_acc"] and result.config == tiny and record["evaluated"] == [150, 1_350, 300]
    steps = pipeline.walk(train.restore(result), data.test_x[:1])
    assert [s.kind for s in steps][-3:] == ["ReLU", "Linear", "Softmax"]


@pytest.fixture
def copy(tmp_path):
    """The shipped files copied into a folder of the test's own, to be damaged there."""
    for path in (SHIPPED, shipped.record_path(SHIPPED)):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / SHIPPED.name


def _rewrite_record(weights, **changes):
    """Change the record, keeping its hash of the weights true: damage only what is named."""
    path = shipped.record_path(weights)
    record = json.loads(path.read_text())
    record.update(sha256=hashlib.sha256(weights.read_bytes()).hexdigest(), **changes)
    path.write_text(json.dumps(record))


def _damage_bytes(weights):
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))


class _Code:
    """Not a tensor: ``weights_only`` refuses to build it."""


def _another_network(weights):
    """A real state_dict, of a network other than the record's, under the record's own hash."""
    torch.save(nets.build(nets.NetSpec(network="plain", depth=8), 1, 10).state_dict(), weights)
    _rewrite_record(weights)


def _code_inside(weights):
    torch.save({"x": _Code()}, weights)
    _rewrite_record(weights)


@pytest.mark.parametrize("damage, code", [
    (lambda w: w.unlink(), "missing"),
    (lambda w: shipped.record_path(w).unlink(), "missing"),
    (_damage_bytes, "altered"),
    (lambda w: shipped.record_path(w).write_text('{"format": 1, "network": '), "unreadable"),
    (lambda w: _rewrite_record(w, parameters=1), "record"),
    (lambda w: _rewrite_record(w, config={"net": {"network": "nothing"}}), "unreadable"),
    (_another_network, "mismatch"),
    (_code_inside, "unreadable"),
], ids=["no weights", "no record", "a flipped byte", "a cut record", "a wrong count", "no such network",
        "another network", "a pickled object"])
def test_a_damaged_file_is_a_sentence_in_both_languages(copy, damage, code):
    damage(copy)
    with pytest.raises(shipped.ShippedNetworkError) as err:
        shipped.load(copy)
    assert err.value.code == code
    assert str(copy.parent) in str(err.value) and shipped.COMMAND in str(err.value)
    assert HANGUL.search(err.value.message("ko")) and shipped.COMMAND in err.value.message("ko")


@pytest.mark.parametrize("lang, says", [("en", "The class's pre-trained network"), ("ko", "수업용 사전 학습 신경망")])
def test_the_pipeline_runs_without_a_training_lab_run(open_page, lang, says):
    record = shipped.read_record(SHIPPED)
    at = open_page("pooling", lang=lang)
    assert not at.exception
    (caption,) = [c.value for c in at.caption if says in c.value]
    assert f"{record['test_acc']:.1%}" in caption and "bench/train_pooling_net.py" in caption
    assert not at.info  # nothing asks for a run first …
    assert any(b.key == "train.start" for b in at.button)  # … training one's own stays an option
    rows, classes = pipeline_rows(at)  # every step's maps or values, and the softmax over the ten classes
    assert [row.split(" · ")[0].split(". ")[1] for row in rows] == [
        "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear"]
    assert classes == 10


def test_a_missing_shipped_network_is_said_on_the_page(open_page, monkeypatch, tmp_path):
    at = open_page("pooling")
    assert sys.modules["ui.lessons.pooling"].SHIPPED == SHIPPED
    monkeypatch.setattr(sys.modules["ui.lessons.pooling"], "SHIPPED", tmp_path / "network.pt")
    at.run()
    assert not at.exception
    assert any(str(tmp_path) in w.value and shipped.COMMAND in w.value for w in at.warning)
    assert any("needs a trained network" in i.value for i in at.info)
    assert any(b.key == "train.start" for b in at.button)
