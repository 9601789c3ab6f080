"""The pooling lesson's pre-trained network: the training lab's default network, trained once on
Fashion-MNIST and kept in the repository with its training record.

    python -m bench.train_pooling_net [--epochs 5] [--seed 0] [--out lessons/pooling/network.pt]

The run is the training lab's own (``models.training.train.train``), with ``TrainConfig()``'s
defaults — ``plain_cnn``, Adam at 2·10⁻³, batches of 128, 10% of the training images held out to
validate — but for three settings: the data set is Fashion-MNIST (Debian's
``dataset-fashion-mnist``, or ``CNNLAB_DATA``), the epochs are ``--epochs``, and the time limit is
lifted so that every epoch runs whatever the machine's speed (a run cut by the clock would not be
reproducible). One CPU thread, on the CPU: the same seed on the same kind of CPU gives the same
weights (the loop trains in bf16 where the CPU has bf16 instructions, and the record says so).

The weights are then rounded to float16 (``models.training.shipped``: half the file) and measured
as kept: on the run's whole validation split and on all 10,000 test images. ``network.pt`` and
``network.json`` (the record) are written side by side; the page reads them through
``models.training.shipped.load``, which checks one against the other. Prints one JSON document:
the record, the file's size and the wall time.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torchvision

from models.training import datasets, nets, precision, shipped, train
from models.training.train import TrainConfig

OUT = Path(__file__).resolve().parents[1] / "lessons" / "pooling" / "network.pt"
EPOCHS = 5  # about 9 s an epoch on one thread of the 2-core machine of docs/benchmarks.md
NO_LIMIT_S = 3600.0  # every epoch runs: a run the clock cuts short depends on the machine's speed


def config(epochs: int = EPOCHS, seed: int = 0, **changes) -> TrainConfig:
    """The run: the training lab's defaults, on Fashion-MNIST, for ``epochs``, never cut by the clock."""
    return dataclasses.replace(TrainConfig(), dataset="fashion-mnist", epochs=epochs, seed=seed,
                               time_limit_s=NO_LIMIT_S, **changes)


def train_network(run: TrainConfig, data: datasets.Dataset) -> tuple[dict[str, torch.Tensor], dict]:
    """Train ``run`` on the CPU and measure its weights as the file keeps them: (the trained
    state_dict, the training record without the command, the file's size and its hash)."""
    cpu = torch.device("cpu")
    result = train.train(run, cpu, data=data)
    kept = nets.build(run.net, data.in_channels, len(data.classes))
    kept.load_state_dict(shipped.as_kept(result.state_dict))  # float16 → the network's float32
    trained_on, validated_on = train.splits(run, data)
    val_x, val_y = data.train_x[validated_on], data.train_y[validated_on]
    trained_x, trained_y = (data.train_x[trained_on][: train.FINAL_EVAL_SIZE],
                            data.train_y[trained_on][: train.FINAL_EVAL_SIZE])
    record = {
        "what": "the pooling lesson's pre-trained network: the training lab's default network on Fashion-MNIST",
        "network": result.label, "parameters": result.parameters, "config": dataclasses.asdict(run),
        "seed": run.seed, "dataset": run.dataset, "data_source": data.source, "epochs": run.epochs,
        "steps": result.steps, "stopped_by": result.stopped_by, "train_images": result.train_images,
        "classes": list(data.classes), "mean": data.mean, "std": data.std, "in_channels": data.in_channels,
        "image_size": data.image_size,
        # the weights as kept (float16, evaluated in float32), on every image of each set
        "val_acc": round(train.accuracy(kept, val_x, val_y, cpu), 4),
        "test_acc": round(train.accuracy(kept, data.test_x, data.test_y, cpu), 4),
        "train_acc": round(train.accuracy(kept, trained_x, trained_y, cpu), 4),
        "evaluated": [len(val_x), len(trained_x), len(data.test_x)],
        # the same on the test set before rounding: what float16 cost
        "test_acc_float32": round(train.accuracy(train.restore(result), data.test_x, data.test_y, cpu), 4),
        "precision": "bf16 autocast" if precision.BF16["cpu"] and precision.cpu_has_bf16() else "float32",
        "threads": torch.get_num_threads(), "device": "cpu", "trained_s": round(result.elapsed_s, 1),
        "images_per_s": round(result.images_per_s),
        "torch": torch.__version__, "torchvision": torchvision.__version__, "python": platform.python_version(),
        "machine": f"{platform.machine()} · {platform.platform()}",
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
    }
    return result.state_dict, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    began = time.perf_counter()
    torch.set_num_threads(1)  # the machine is shared; one thread also makes the run reproducible
    data = datasets.fashion_mnist()
    state_dict, record = train_network(config(args.epochs, args.seed), data)
    record["command"] = " ".join([shipped.COMMAND, *sys.argv[1:]])
    record = shipped.save(args.out, state_dict, record)
    shipped.load(args.out)  # what was written reads back, checked against its record
    print(json.dumps({"benchmark": "train_pooling_net", "out": str(args.out), **record,
                      "wall_s": round(time.perf_counter() - began, 1)}, indent=1))


if __name__ == "__main__":
    main()
