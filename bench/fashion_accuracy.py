"""Held-out accuracy on Fashion-MNIST within a time limit, with the training lab's "Fast and good" recipe.

    python -m bench.fashion_accuracy [--seconds 60] [--seeds 0 1 2] [--device cpu|cuda] [--ablation]

Trains through the same loop the app uses (models.training.train.train) with the recipe the
training lab's preset sets (models.training.tasks.FAST_RECIPE), once per seed, stops at the time
limit if the recipe's epochs have not finished by then, and measures accuracy on the whole
10,000-image test set. Prints one JSON document: each seed's accuracy and time, and their median.
The goal: a median of at least 92.0% and every seed at least 91.5%, within 60 s on a 2-core CPU
(within 10 s on one GPU).

``--ablation`` first trains the earlier default and then adds the recipe's changes one at a time
(seed 0 each), all in this one process, so that what each change bought is measured on the same
machine in the same minutes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from dataclasses import replace

import torch

from models.runtime import device
from models.training import datasets, precision, tasks, train
from models.training.train import TrainConfig


def one_run(config: TrainConfig, dev: torch.device, data: datasets.Dataset) -> dict:
    result = train.train(config, dev, data=data)
    test_acc = train.accuracy(train.restore(result).to(dev), data.test_x, data.test_y, dev)
    return {"seed": config.seed, "test_accuracy_10k": round(test_acc, 4), "trained_s": round(result.elapsed_s, 2),
            "epochs_done": round(result.history[-1].epoch, 2) if result.history else 0,
            "images_per_s": round(result.images_per_s), "stopped_by": result.stopped_by}


def ablation(base: TrainConfig, dev: torch.device, data: datasets.Dataset) -> list[dict]:
    """The earlier default (2 epochs, NCHW tensors, fp32), then each change on top."""
    before = replace(base, epochs=2, label_smoothing=0.0)
    bf16 = ("+ bf16 autocast (this CPU has bf16 instructions)" if precision.cpu_has_bf16() or dev.type == "cuda"
            else "+ bf16 autocast (no bf16 instructions here: stays fp32)")
    kept = dict(precision.CHANNELS_LAST), dict(precision.BF16)
    steps = [("earlier default: 2 epochs, NCHW tensors, fp32", before, False, False),
             ("+ channels-last", before, True, False),
             (bf16, before, True, True),
             (f"+ {base.epochs} epochs (the time it saved)", replace(before, epochs=base.epochs), True, True),
             ("+ label smoothing 0.1: the recipe", base, True, True)]
    out = []
    for label, config, channels_last, bf16_on in steps:
        precision.CHANNELS_LAST[dev.type], precision.BF16[dev.type] = channels_last, bf16_on
        out.append({"step": label, **one_run(config, dev, data)})
    precision.CHANNELS_LAST.update(kept[0])
    precision.BF16.update(kept[1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", default=None)
    parser.add_argument("--ablation", action="store_true")
    args = parser.parse_args()
    dev = torch.device(args.device) if args.device else device.current().device
    device.use_threads()
    data = datasets.fashion_mnist()
    config = replace(tasks.fast_recipe(), time_limit_s=args.seconds)
    report = {"benchmark": "fashion_mnist_accuracy_within_a_time_limit",
              "machine": f"{platform.machine()} · {device.describe(dev)}", "torch": torch.__version__,
              "recipe": dict(tasks.FAST_RECIPE), "network": config.net.label(),
              "time_limit_s": args.seconds}
    if args.ablation:
        report["ablation"] = ablation(config, dev, data)
    runs = [one_run(replace(config, seed=seed), dev, data) for seed in args.seeds]
    accuracies = [r["test_accuracy_10k"] for r in runs]
    report.update(runs=runs, median_test_accuracy=statistics.median(accuracies), lowest_test_accuracy=min(accuracies),
                  goal_met=statistics.median(accuracies) >= 0.92 and min(accuracies) >= 0.915)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
