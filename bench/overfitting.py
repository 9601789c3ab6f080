"""Overfitting, made and cured: the gap between training and held-out accuracy, over three seeds.

    python -m bench.overfitting [--seeds 0,1,2] [--dataset fashion-mnist]

The overfitting run is the training lab's "Overfit on purpose": the default network (206,454
parameters) on 300 training images for 60 epochs, with no regularisation. Each remedy changes one
thing: more data (3,000 images, the same number of steps), dropout 0.5 before the classifier,
weight decay 5·10⁻³, every augmentation (flip, shift, rotation), or early stopping on a 20%
validation split (patience 3). The gap is training accuracy (on the images it trained on, in eval
mode) minus held-out accuracy (2,000 test images). Prints one JSON document: every run, each
variant's mean gap, and whether the best remedy halves the overfitting run's gap.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics

import torch

from models.training import datasets, nets, train
from models.training.train import TrainConfig

BASE = dict(train_size=300, epochs=60, time_limit_s=60.0, lr=2e-3)
VARIANTS = {
    "overfit": {},
    "more data": {"train_size": 3000, "epochs": 6},
    "dropout 0.5": {"net": nets.NetSpec(dropout=0.5)},
    "weight decay": {"weight_decay": 5e-3},
    "augmentation": {"augment": ("flip", "shift", "rotate")},
    "early stopping": {"val_split": 0.2, "patience": 3},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--dataset", default="fashion-mnist")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    dev = torch.device("cpu")
    data = datasets.load(args.dataset)
    runs, gaps = [], {}
    for name, change in VARIANTS.items():
        for seed in seeds:
            r = train.train(TrainConfig(dataset=args.dataset, seed=seed, **{**BASE, **change}), dev, data=data)
            gap = r.final_train_acc - r.final_test_acc
            gaps.setdefault(name, []).append(gap)
            runs.append({"variant": name, "seed": seed, "train_acc": round(r.final_train_acc, 4),
                         "test_acc": round(r.final_test_acc, 4), "gap": round(gap, 4), "seconds": round(r.elapsed_s, 1),
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
