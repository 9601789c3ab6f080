"""Held-out accuracy on Fashion-MNIST against wall time, with the training lab's default network.

    python -m bench.fashion_accuracy [--seconds 60] [--device cpu|cuda]

Trains through the same loop the app uses (models.training.train.train), stops at the time limit, then
measures accuracy on the whole 10,000-image test set. Prints one JSON document. The goal is at
least 90% within 60 s on a 2-core CPU, and at least 92% within 10 s on one H100.
Defaults: Adam from 5e-3, annealed to zero (cosine) over 2 epochs, batch 128.
"""

from __future__ import annotations

import argparse
import json
import platform

import torch

from models.training import datasets, train
from models.runtime import device
from models.training.train import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    parser.add_argument("--lr", type=float, default=5e-3, help="the start of the cosine schedule")
    parser.add_argument("--epochs", type=int, default=2, help="annealed to zero over these, if time allows")
    parser.add_argument("--schedule", default="cosine")
    args = parser.parse_args()
    dev = torch.device(args.device) if args.device else device.current().device
    device.use_threads()
    data = datasets.fashion_mnist()
    config = TrainConfig(dataset="fashion-mnist", epochs=args.epochs, time_limit_s=args.seconds,
                         batch_size=args.batch_size, lr=args.lr, schedule=args.schedule)
    result = train.train(config, dev, data=data)
    model = train.restore(result).to(dev)
    test_acc = train.accuracy(model, data.test_x, data.test_y, dev)
    print(json.dumps({
        "benchmark": "fashion_mnist_accuracy_vs_time",
        "machine": f"{platform.machine()} · {device.describe(dev)}",
        "torch": torch.__version__,
        "network": result.label, "parameters": result.parameters, "optimizer": config.optimizer,
        "lr": config.lr, "schedule": config.schedule, "epochs": config.epochs, "stopped_by": result.stopped_by, "batch_size": config.batch_size,
        "time_limit_s": args.seconds, "trained_s": round(result.elapsed_s, 2),
        "epochs_done": round(result.history[-1].epoch, 2) if result.history else 0,
        "images_per_s": round(result.images_per_s),
        "test_accuracy_10k": round(test_acc, 4),
        "curve": [(round(p.elapsed_s, 1), round(p.test_acc, 4)) for p in result.history],
    }, indent=1))


if __name__ == "__main__":
    main()
