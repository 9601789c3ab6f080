"""A finished run to a row of the ``runs`` table, and back.

Curves and settings are JSON; trained weights are a safetensors file (tensors only: loading one
runs no code, unlike a pickle). A row that does not parse, or weights that do not load, raise
``StoredRowError``: the caller skips that row with a note and goes on.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import safetensors.torch

from models.training import snapshots
from models.training.mistakes import Evaluation
from models.training.train import Point, RunResult, config_from_dict, point_from_dict


class StoredRowError(ValueError):
    """A stored row that cannot be read back (corrupted or tampered with)."""


@dataclass(frozen=True)
class StoredRun:
    """A run as the class store keeps it: its row, its curves, and its weights if kept."""

    id: int
    kind: str
    tag: str
    label: str
    summary: dict  # the results table's row
    history: list  # Points, or (label, Point) pairs for a comparison
    meta: dict
    created_at: float
    weights: bytes | None
    heldout: str = "validation"  # what the curves were measured on; "test" for rows kept before version 3

    def result(self) -> RunResult:
        """The trained network's RunResult, rebuilt from the kept weights (for "try your model")."""
        if self.weights is None:
            raise StoredRowError("no weights kept for this run")
        try:
            state_dict = safetensors.torch.load(self.weights)
            m = self.meta
            config = config_from_dict(m["config"])
        except Exception as err:  # whatever is wrong with the row, it is not used
            raise StoredRowError(f"run {self.id}: weights or settings unreadable ({type(err).__name__})") from err
        s = self.summary
        return RunResult(config=config, label=self.label, classes=tuple(m["classes"]), parameters=s["params"],
                         device=s["device"], stopped_by=s["stopped by"], history=self.history,
                         final_val_acc=s["val acc"], best_val_acc=s["best val acc"], test_acc=s["test acc"],
                         elapsed_s=s["time (s)"],
                         final_train_acc=s.get("train acc", 0.0), train_images=s.get("train images", 0),
                         images_per_s=s["images/s"], state_dict=state_dict, mean=m["mean"], std=m["std"],
                         in_channels=m["in_channels"], image_size=m["image_size"], steps=m.get("steps", 0),
                         evaluated=tuple(m.get("evaluated", (0, 0, 0))))


def decode_snapshots(blob: bytes | None) -> list:
    """A run's snapshots; a blob that does not parse raises ``StoredRowError``."""
    if not blob:
        return []
    try:
        return snapshots.decode(blob)
    except Exception as err:  # whatever is wrong with it, it is not shown
        raise StoredRowError(f"snapshots unreadable ({type(err).__name__})") from err


def encode_evaluation(evaluation: Evaluation | None) -> bytes | None:
    if evaluation is None:
        return None
    return safetensors.torch.save({"labels": evaluation.labels.contiguous(), "probs": evaluation.probs.contiguous()})


def decode_evaluation(blob: bytes | None, classes: tuple[str, ...]) -> Evaluation | None:
    """A run's final predictions; None if none were kept. A blob that does not parse, or whose
    shapes do not fit the run's classes, raises ``StoredRowError``."""
    if not blob:
        return None
    try:
        tensors = safetensors.torch.load(blob)
        labels, probs = tensors["labels"].long(), tensors["probs"].float()
        if probs.ndim != 2 or probs.shape != (len(labels), len(classes)) or bool((labels >= len(classes)).any()):
            raise ValueError(f"shapes {tuple(labels.shape)} and {tuple(probs.shape)} for {len(classes)} classes")
    except Exception as err:  # whatever is wrong with it, it is not shown
        raise StoredRowError(f"evaluation unreadable ({type(err).__name__})") from err
    return Evaluation(tuple(classes), labels, probs)


def _fields(point: Point) -> dict:
    """A point's figures; the snapshot it may carry is left out (kept in the runs' own column)."""
    return {f.name: getattr(point, f.name) for f in dataclasses.fields(point) if f.name != "snapshot"}


def encode_history(history: list) -> str:
    """Points, or (label, Point) pairs of a comparison, as JSON."""
    def one(entry) -> dict | list:
        if isinstance(entry, tuple):
            label, point = entry
            return [label, _fields(point)]
        return _fields(entry)

    return json.dumps([one(entry) for entry in history])


def decode_history(text: str) -> list:
    out = []
    for entry in json.loads(text):
        out.append((entry[0], point_from_dict(entry[1])) if isinstance(entry, list) else point_from_dict(entry))
    return out


def encode_result(result: RunResult) -> dict:
    """The columns of a training-lab run."""
    meta = {"config": dataclasses.asdict(result.config), "classes": list(result.classes), "mean": result.mean,
            "std": result.std, "in_channels": result.in_channels, "image_size": result.image_size,
            "steps": result.steps, "trained_in": result.trained_in, "evaluated": list(result.evaluated)}
    return {"label": result.label, "summary": json.dumps(result.summary()), "history": encode_history(result.history),
            # the leaderboard ranks by final_acc: none for a run whose evaluation Stop cut short
            "meta": json.dumps(meta), "final_acc": result.final_val_acc if result.rankable else None,
            "best_acc": result.best_val_acc,
            "test_acc": result.test_acc, "heldout": "validation",
            "seconds": result.elapsed_s, "weights": safetensors.torch.save(result.state_dict),
            "snapshots": snapshots.encode(result.snapshots) if result.snapshots else None,
            "evaluation": encode_evaluation(result.evaluation)}


def upgrade_summary(summary: dict) -> dict:
    """A results row kept before every run had a validation split, in today's columns. Its "final
    acc" was measured once at the end on the test set: that is its "test acc". Its "best acc" was
    the best of test-set probes, a figure that peeked at the test set: it is dropped, and there is
    no validation accuracy to show."""
    if "final acc" not in summary or "test acc" in summary:
        return summary
    old = {k: v for k, v in summary.items() if k not in ("final acc", "best acc")}
    return {**old, "val acc": None, "best val acc": None, "test acc": summary["final acc"]}


def decode_row(row) -> StoredRun:
    try:
        heldout = getattr(row, "heldout", None) or "test"
        summary = json.loads(row.summary)
        if isinstance(summary.get("runs"), dict):  # a comparison: one results row per run
            summary = {**summary, "runs": {k: upgrade_summary(v) for k, v in summary["runs"].items()}}
        return StoredRun(id=row.id, kind=row.kind, tag=row.tag, label=row.label, summary=upgrade_summary(summary),
                         history=decode_history(row.history), meta=json.loads(row.meta), created_at=row.created_at,
                         weights=row.weights, heldout=heldout)
    except Exception as err:  # curves that do not parse: the row is skipped
        raise StoredRowError(f"run {row.id}: curves or settings do not parse ({type(err).__name__})") from err
