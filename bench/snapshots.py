"""What the snapshots of a run cost: the same run with and without them, interleaved.

    python -m bench.snapshots [--rounds 3] [--epochs 1] [--network plain_cnn] [--dataset fashion-mnist]

Each round trains the same configuration twice on this machine, once with no snapshots and once
with the default number (models.training.snapshots.SNAPSHOTS), in alternating order; the ratio of
their training times is what snapshots cost. Prints one JSON document. The promise: at most 5%.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from dataclasses import replace

import torch

from models.runtime import device
from models.training import datasets, nets, snapshots, train
from models.training.train import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--network", default="plain_cnn", choices=nets.lab_networks())
    parser.add_argument("--dataset", default="fashion-mnist" if datasets.on_disk("fashion-mnist") else "synthetic")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    dev = torch.device(args.device) if args.device else device.current().device
    device.use_threads()
    data = datasets.load(args.dataset)
    base = TrainConfig(net=nets.NetSpec(args.network), dataset=args.dataset, epochs=args.epochs, time_limit_s=3600)
    seconds = {0: [], snapshots.SNAPSHOTS: []}
    same_curve = True
    for i in range(args.rounds):
        order = (0, snapshots.SNAPSHOTS) if i % 2 == 0 else (snapshots.SNAPSHOTS, 0)
        results = {}
        for count in order:
            results[count] = train.train(replace(base, snapshots=count), dev, data=data)
            seconds[count].append(results[count].elapsed_s)
        same_curve &= [p.loss for p in results[0].history] == [p.loss for p in results[snapshots.SNAPSHOTS].history]
    without, with_ = statistics.median(seconds[0]), statistics.median(seconds[snapshots.SNAPSHOTS])
    print(json.dumps({
        "benchmark": "snapshot_cost", "machine": f"{platform.machine()} · {device.describe(dev)}",
        "network": base.net.label(), "dataset": args.dataset, "epochs": args.epochs, "rounds": args.rounds,
        "snapshots": snapshots.SNAPSHOTS, "seconds_without": seconds[0], "seconds_with": seconds[snapshots.SNAPSHOTS],
        "median_ratio_with_to_without": round(with_ / without, 4), "same_curve_for_the_seed": same_curve,
        "within_5_percent": with_ / without <= 1.05,
    }, indent=1))


if __name__ == "__main__":
    main()
