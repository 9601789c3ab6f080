"""The degradation experiment of the residual block lesson, recorded for the page to show.

    python -m bench.degradation [--scale recorded|gpu|cpu] [--out lessons/residual_block/degradation.json]

Trains plain and residual networks of 20 and 56 layers (``models.training.tasks.degradation_runs``)
one after another with no time limit, so every run takes the same number of steps, and writes
their curves and final figures as JSON; the page shows the file, labelled as recorded, until a
student starts the live run. Prints a summary as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from models.runtime import device
from models.training import tasks, train

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default=None, choices=sorted(tasks.SCALES))
    parser.add_argument("--out", default=str(ROOT / "lessons" / "residual_block" / "degradation.json"))
    args = parser.parse_args()
    device.use_threads()
    dev = device.current().device
    scale = args.scale or ("gpu" if dev.type == "cuda" else "recorded")
    curves, finals, start = {}, {}, time.perf_counter()
    for label, config in tasks.degradation_runs(scale, time_limit_s=3600).items():
        result = train.train(config, dev)
        curves[label] = [dataclasses.asdict(p) for p in result.history]
        last = result.history[-1]
        finals[label] = {"final_train_acc": round(last.train_acc, 4), "final_loss": round(last.loss, 4),
                         "final_val_acc": round(result.final_val_acc, 4), "test_acc": round(result.test_acc, 4),
                         "steps": result.steps, "seconds": round(result.elapsed_s, 1)}
    size = tasks.SCALES[scale]
    record = {"machine": f"{platform.machine()} · {device.current().label} · torch {torch.__version__}",
              "scale": scale, "train_size": size["train_size"] or 60000, "epochs": size["epochs"],
              "finals": finals, "curves": curves}
    Path(args.out).write_text(json.dumps(record, indent=1))
    print(json.dumps({"scale": scale, "seconds": round(time.perf_counter() - start, 1), "finals": finals,
                      "written": args.out}, indent=2))


if __name__ == "__main__":
    main()
