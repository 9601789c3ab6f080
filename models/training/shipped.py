"""A training-lab network trained once and kept in the repository, with its training record.

The pooling lesson's pipeline walks a trained ``plain_cnn``: the student's own from the training
lab when they have one, otherwise this one, so that the page works before anyone has trained.
``python -m bench.train_pooling_net`` trains it with the training lab's own loop
(``models.training.train``) and ``save`` writes two files side by side:

* ``network.pt``: the weights, a plain ``state_dict`` written by ``torch.save``, its floating-point
  tensors in float16 (half the size of float32; the record's accuracies are measured on these
  rounded weights), read back with ``weights_only=True``: tensors only, no code runs;
* ``network.json``: its training record, readable: the run's settings (a ``TrainConfig``), seed,
  data set, epochs, the validation and test accuracy of the weights as kept, torch's version, the
  date, the command that made it, and the SHA-256 of ``network.pt``.

``load`` checks the weights against their record — the file's hash, then every tensor's name and
shape against the network the record's settings build, and its parameter count — and gives a
``RunResult`` as the training lab's runs do, so ``train.restore`` and
``models.probes.pipeline.walk`` take it unchanged. A missing or damaged file is a
``ShippedNetworkError``, a sentence in the page's language, never a crash.

This is not ``models.runtime.weights``: those are the published ImageNet checkpoints, downloaded
into the torch cache and checked against torchvision's hashes; this one is small enough (about
0.4 MB) to live in git beside the lesson that uses it.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import torch

from models.errors import LabError
from models.training import nets
from models.training.train import RunResult, config_from_dict

FORMAT = 1  # the record's layout; a record of another format is not read
COMMAND = "python -m bench.train_pooling_net"  # what makes the two files again
KEPT_DTYPE = torch.float16  # floating-point tensors as they are kept; int tensors (BatchNorm's counter) as they are
# what a record must hold for load to make a RunResult of it
NEEDED = ("format", "network", "config", "classes", "parameters", "sha256", "mean", "std", "in_channels",
          "image_size", "val_acc", "test_acc", "train_acc", "evaluated", "steps", "train_images", "stopped_by",
          "trained_s", "images_per_s", "device")


class ShippedNetworkError(LabError):
    """A shipped network whose files are missing, damaged, or do not match their record."""

    area = "shipped"
    CODES = {"missing": ("path", "command"), "unreadable": ("path", "reason", "command"),
             "altered": ("path", "command"), "mismatch": ("path", "network", "tensor", "command"),
             "record": ("path", "network", "parameters", "built", "counted", "command")}


def record_path(weights: Path) -> Path:
    """The record beside the weights: network.pt → network.json."""
    return Path(weights).with_suffix(".json")


def as_kept(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The weights as the file keeps them: floating-point tensors rounded to ``KEPT_DTYPE``, on the CPU."""
    return {name: (t.to(KEPT_DTYPE) if t.is_floating_point() else t).detach().cpu().contiguous()
            for name, t in state_dict.items()}


def save(weights: Path, state_dict: dict[str, torch.Tensor], record: dict) -> dict:
    """Write ``as_kept(state_dict)`` to ``weights`` and ``record`` (with the file's size and
    SHA-256 added) to the JSON beside it; return the record as written."""
    buffer = io.BytesIO()
    torch.save(as_kept(state_dict), buffer)
    data = buffer.getvalue()
    record = {"format": FORMAT, **record, "file": Path(weights).name, "bytes": len(data),
              "sha256": hashlib.sha256(data).hexdigest()}
    Path(weights).parent.mkdir(parents=True, exist_ok=True)
    Path(weights).write_bytes(data)
    record_path(weights).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


def read_record(weights: Path) -> dict:
    """The training record beside ``weights``, every needed field present."""
    path = record_path(weights)
    if not path.is_file():
        raise ShippedNetworkError("missing", path=str(path), command=COMMAND)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ShippedNetworkError("unreadable", path=str(path), reason=type(err).__name__, command=COMMAND) from err
    absent = [key for key in NEEDED if key not in record] if isinstance(record, dict) else ["everything"]
    if absent or record["format"] != FORMAT:
        reason = f"no {', '.join(absent)}" if absent else f"format {record['format']!r}, not {FORMAT}"
        raise ShippedNetworkError("unreadable", path=str(path), reason=reason, command=COMMAND)
    return record


def _tensors(weights: Path, record: dict) -> dict[str, torch.Tensor]:
    """The file's tensors, once its bytes are the ones the record hashed."""
    if not weights.is_file():
        raise ShippedNetworkError("missing", path=str(weights), command=COMMAND)
    data = weights.read_bytes()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ShippedNetworkError("altered", path=str(weights), command=COMMAND)
    try:
        state_dict = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # any unpickling failure (a truncated zip, a refused object): a sentence
        raise ShippedNetworkError("unreadable", path=str(weights), reason=type(err).__name__,
                                  command=COMMAND) from err
    if not isinstance(state_dict, dict) or not all(isinstance(t, torch.Tensor) for t in state_dict.values()):
        raise ShippedNetworkError("unreadable", path=str(weights), reason="not a state_dict", command=COMMAND)
    return state_dict


def load(weights: Path) -> RunResult:
    """The shipped network at ``weights`` and its record, checked against each other, as a
    ``RunResult`` whose ``state_dict`` is in float32 (the network's own dtype)."""
    weights = Path(weights)
    record = read_record(weights)
    state_dict = _tensors(weights, record)

    try:
        config = config_from_dict(record["config"])
        model = nets.build(config.net, record["in_channels"], len(record["classes"]))
    except (TypeError, ValueError, KeyError) as err:  # settings that describe no network
        raise ShippedNetworkError("unreadable", path=str(record_path(weights)), reason=type(err).__name__,
                                  command=COMMAND) from err
    built, counted = config.net.label(), nets.count_parameters(model)
    if built != record["network"] or counted != record["parameters"]:
        raise ShippedNetworkError("record", path=str(record_path(weights)), network=str(record["network"]),
                                  parameters=f"{record['parameters']:,}", built=built, counted=f"{counted:,}",
                                  command=COMMAND)
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    got = {name: tuple(t.shape) for name, t in state_dict.items()}
    if got != expected:  # the first tensor that is missing, extra or of another shape
        differ = sorted(set(got) ^ set(expected)) or sorted(n for n in got if got[n] != expected[n])
        raise ShippedNetworkError("mismatch", path=str(weights), network=built, tensor=differ[0], command=COMMAND)
    floats = {name: t.float() if t.is_floating_point() else t for name, t in state_dict.items()}
    r = record
    return RunResult(
        config=config, label=r["network"], classes=tuple(r["classes"]), parameters=r["parameters"],
        device=r["device"], stopped_by=r["stopped_by"], history=[], final_val_acc=r["val_acc"],
        best_val_acc=r["val_acc"], test_acc=r["test_acc"], final_train_acc=r["train_acc"],
        elapsed_s=r["trained_s"], images_per_s=r["images_per_s"], state_dict=floats, mean=r["mean"], std=r["std"],
        in_channels=r["in_channels"], image_size=r["image_size"], steps=r["steps"], train_images=r["train_images"],
        trained_in=r.get("command", COMMAND), evaluated=tuple(r["evaluated"]),
    )

