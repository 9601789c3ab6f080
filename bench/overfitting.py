"""Overfitting, made and cured: the gap between training and held-out accuracy, over three seeds.

    python -m bench.overfitting [--seeds 0,1,2] [--dataset fashion-mnist] [--out lessons/overfitting/overfit.json]

The runs are the overfitting lesson's own (``models.training.tasks.overfit_run`` and ``remedy``):
the default network on 300 training images for 60 epochs with no regularisation, then each
remedy changing one thing: more data (ten times the images, the same number of steps), dropout
0.5 before the classifier, weight decay 5·10⁻³, every augmentation (flip, shift, rotation), or
early stopping on a 20% validation split (patience 3). The time limit is lifted to 120 s so
that every run does all its steps. The gap is training accuracy (on the images it trained on, in eval
mode) minus held-out accuracy (2,000 test images). Prints one JSON document: every run, each
variant's mean gap, and whether the best remedy halves the overfitting run's gap. The first seed's
overfitting run is recorded (curves and final accuracies) for the lesson page to show.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
from dataclasses import replace
from pathlib import Path

import torch

from models.training import datasets, tasks, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--out",
                        default=str(Path(__file__).resolve().parents[1] / "lessons" / "overfitting" / "overfit.json"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    dev = torch.device("cpu")
    data = datasets.load(args.dataset)
    runs, gaps = [], {}
    base = tasks.overfit_run(args.dataset)
    variants = {"overfit": base, **{name: tasks.remedy(name, base) for name in tasks.REMEDIES}}
    for name, config in variants.items():
        for seed in seeds:
            r = train.train(replace(config, seed=seed, time_limit_s=120.0), dev, data=data)
            gap = r.final_train_acc - r.final_val_acc
            if name == "overfit" and seed == seeds[0]:
                Path(args.out).write_text(json.dumps({
                    "machine": platform.platform(), "dataset": args.dataset, "train_images": r.train_images,
                    "epochs": r.config.epochs, "train_acc": round(r.final_train_acc, 4),
                    "val_acc": round(r.final_val_acc, 4), "test_acc": round(r.test_acc, 4),
                    "curves": [dataclasses.asdict(p) for p in r.history]}))
            gaps.setdefault(name, []).append(gap)
            runs.append({"variant": name, "seed": seed, "train_acc": round(r.final_train_acc, 4),
                         "val_acc": round(r.final_val_acc, 4), "test_acc": round(r.test_acc, 4), "gap": round(gap, 4),
                         "seconds": round(r.elapsed_s, 1),
                         "stopped_by": r.stopped_by, "train_images": r.train_images})
            print(json.dumps(runs[-1]), flush=True, file=__import__("sys").stderr)
    mean_gap = {name: round(statistics.mean(g), 4) for name, g in gaps.items()}
    best = min((n for n in mean_gap if n != "overfit"), key=mean_gap.get)
    print(json.dumps({"benchmark": "overfitting", "machine": platform.platform(), "dataset": args.dataset,
                      "seeds": seeds, "mean_gap": mean_gap, "overfit_gap_min": round(min(gaps["overfit"]), 4),
                      "best_remedy": best, "best_remedy_ratio": round(mean_gap[best] / mean_gap["overfit"], 3),
                      "halved": mean_gap[best] <= mean_gap["overfit"] / 2, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
