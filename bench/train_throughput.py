"""Training throughput (images/s) of each small network, through the engine's own loop.

    python -m bench.train_throughput [--seconds 8] [--device cpu|cuda] [--networks plain_cnn,resnet]

For each network: ``engine`` is models.training.train.train (data on the device, bf16 autocast and
channels-last on CUDA, held-out probes included) on 28×28 grey images; on a GPU, ``eager_fp32``
is a plain loop on the same GPU (fp32, contiguous, each batch copied from host memory), and
``speedup`` their ratio, measured in the same run. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch
import torch.nn.functional as F

from models.runtime import device
from models.training import datasets, nets, train
from models.training.train import TrainConfig

SPECS = {
    "plain_cnn": nets.NetSpec("plain_cnn"),
    "plain-20": nets.NetSpec("plain", depth=20),
    "resnet-20": nets.NetSpec("resnet", depth=20),
    "resnet-56": nets.NetSpec("resnet", depth=56),
    "densenet": nets.NetSpec("densenet"),
    "resnet18": nets.NetSpec("resnet18"),
    "densenet121": nets.NetSpec("densenet121"),
}


def eager_fp32(spec: nets.NetSpec, data: datasets.Dataset, dev: torch.device, seconds: float, batch_size: int) -> float:
    """The baseline: what a first training loop looks like, on the same device."""
    torch.manual_seed(0)
    model = nets.build(spec, data.in_channels, len(data.classes)).to(dev).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, done, start, i = len(data.train_x), 0, None, 0
    while True:
        lo = (i * batch_size) % (n - batch_size)
        xb, yb = data.train_x[lo : lo + batch_size].to(dev), data.train_y[lo : lo + batch_size].to(dev)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()  # the usual per-step read-out
        i += 1
        if i == 3:  # warm-up done
            start, done = time.perf_counter(), 0
        elif start is not None:
            done += batch_size
            if time.perf_counter() - start >= seconds:
                return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--networks", default=",".join(SPECS))
    args = parser.parse_args()
    dev = torch.device(args.device) if args.device else device.current().device
    device.use_threads()
    data = datasets.synthetic()
    rows = []
    for name in args.networks.split(","):
        spec = SPECS[name]
        config = TrainConfig(net=spec, epochs=1000, time_limit_s=args.seconds, batch_size=args.batch_size)
        result = train.train(config, dev, data=data)
        row = {"network": name, "parameters": result.parameters, "engine_images_per_s": round(result.images_per_s)}
        if dev.type == "cuda":
            baseline = eager_fp32(spec, data, dev, args.seconds, args.batch_size)
            row |= {"eager_fp32_images_per_s": round(baseline), "speedup": round(result.images_per_s / baseline, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True, file=__import__("sys").stderr)
    print(json.dumps({
        "benchmark": "train_throughput", "machine": f"{platform.machine()} · {device.describe(dev)}",
        "torch": torch.__version__, "image": "1×28×28", "batch_size": args.batch_size,
        "seconds_per_network": args.seconds, "results": rows,
    }, indent=1))


if __name__ == "__main__":
    main()
