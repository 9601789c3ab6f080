"""Batch-1 latency of the pretrained classifiers, in every way the app could run them.

    python -m bench.latency [--networks resnet18,densenet121] [--runs 200] [--inputs 200] [--compile]

For each network (torchvision's model, untrained weights: latency does not depend on the values)
it times one picture at a time, ``runs`` times after a warm-up, as

* ``eager_fp32``: ``model(x)`` as torchvision gives it (on CUDA, cuDNN's convolutions may use TF32,
  PyTorch's default);
* ``eager_channels_last_fp32``: weights and input stored (N, H, W, C);
* ``eager_channels_last_bf16`` / ``_fp16``: the same under autocast (CUDA only);
* ``cuda_graph_fp32``: the eager pass captured once as a CUDA graph and replayed — what the app's
  engine does on CUDA (``models.runtime.inference.CudaGraph``);
* ``compile_reduce_overhead_fp32`` (``--compile``): ``torch.compile(mode="reduce-overhead")``,
  Inductor's fused kernels replayed as CUDA graphs, with its compile time;
* ``app_engine``: the app's own engine (``models.runtime.inference``), outputs copied back to the
  host as the pages need them.

On CUDA each run is timed with CUDA events between two synchronisations (the latency a student
waits for, launches included); elsewhere with the wall clock. Each variant's top-5 is compared
with ``eager_fp32``'s on ``inputs`` pictures (seeded noise: with untrained weights, the logits of
different classes are close, so reduced precision flips near-ties that trained weights would
not; the agreement of the fp32 variants is the strict check). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from models.runtime import inference, networks, zoo
from models.runtime.inference import CudaGraph

GOALS_MS = {"resnet18": 1.5, "densenet121": 4.0}  # issue 28: batch-1 latency on an H200


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated, as numpy's default."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lo = int(position)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def time_runs(fn: Callable[[], object], dev: torch.device, runs: int, warmup: int = 20) -> list[float]:
    """Milliseconds of each of ``runs`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        if dev.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize(dev)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(percentile(times, 95), 3),
            "runs": len(times)}


def top5(logits: torch.Tensor) -> tuple[int, ...]:
    return tuple(logits.float().flatten().topk(5).indices.tolist())


def variants(model: nn.Module, channels_last: nn.Module, dev: torch.device) -> dict[str, Callable | str]:
    """name → a batch-1 forward x → logits, or the reason the variant cannot run here.
    ``channels_last`` is a second copy of the model (``Module.to`` converts in place)."""
    channels_last = channels_last.to(memory_format=torch.channels_last)
    cuda = dev.type == "cuda"

    def eager(x):
        return model(x.contiguous())

    def eager_cl(x):
        return channels_last(x.contiguous(memory_format=torch.channels_last))

    def autocast(dtype):
        def run(x):
            with torch.autocast("cuda", dtype=dtype):
                return channels_last(x.contiguous(memory_format=torch.channels_last))
        return run

    out: dict[str, Callable | str] = {"eager_fp32": eager, "eager_channels_last_fp32": eager_cl}
    out["eager_channels_last_bf16"] = autocast(torch.bfloat16) if cuda else "CUDA only"
    out["eager_channels_last_fp16"] = autocast(torch.float16) if cuda else "CUDA only"
    if cuda:
        graph = CudaGraph(lambda x: (model(x),), dev)

        def replay(x):
            graph.x.copy_(x)
            graph.graph.replay()
            return graph.out[0]
        out["cuda_graph_fp32"] = replay
    else:
        out["cuda_graph_fp32"] = "CUDA only"
    return out


def gpu_ops_per_pass(fn: Callable[[torch.Tensor], object], x: torch.Tensor) -> int | None:
    """How many kernels and copies one pass puts on the GPU (torch.profiler), on CUDA."""
    if x.device.type != "cuda":
        return None
    try:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            fn(x)
            torch.cuda.synchronize(x.device)
        return sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
    except Exception:  # noqa: BLE001 — a profiler that cannot run here leaves the count out
        return None


def measure(name: str, dev: torch.device, runs: int, inputs: int, compile_: bool = False,
            only: set[str] | None = None) -> dict:
    """Every variant of one network (or those in ``only``): latency, and top-5 agreement with eager fp32."""
    network = networks.get(name)
    model = network.build().to(dev)
    pictures = torch.randn(inputs, 1, 3, 224, 224, generator=torch.Generator().manual_seed(0)).to(dev)
    x0 = pictures[0]
    result: dict = {"goal_ms": GOALS_MS.get(name)}
    with torch.no_grad():
        reference = [top5(model(p)) for p in pictures]
        result["gpu_ops_per_eager_pass"] = gpu_ops_per_pass(model, x0)
        runs_of = variants(model, network.build().to(dev), dev)
        if compile_:
            runs_of["compile_reduce_overhead_fp32"] = _compiled(network.build().to(dev), dev, x0, result)
        for variant, fn in runs_of.items():
            if only is not None and variant not in only:
                continue
            if isinstance(fn, str):
                result[variant] = {"skipped": fn}
                continue
            times = time_runs(functools.partial(fn, x0), dev, runs)
            agree = sum(top5(fn(p)) == ref for p, ref in zip(pictures, reference)) / len(pictures)
            result[variant] = {**summary(times), "same_top5_as_eager_fp32": round(agree, 4)}
    if only is None or "app_engine" in only:
        clf = zoo.classifier(name)  # the app's engine, on the process's device
        engine = inference.engine(clf)
        engine.ready.wait(timeout=120)
        host = x0.cpu()
        times = time_runs(lambda: engine(host), dev, runs)
        result["app_engine"] = {**summary(times), "backend": engine.backend, "outputs": len(network.nodes),
                                "includes": "the input's copy in, every stage's activation copied back to the host"}
    timed = [v for v in result.values() if isinstance(v, dict) and "median_ms" in v]
    if timed:
        result["best_median_ms"] = min(v["median_ms"] for v in timed)
    return result


def _compiled(model: nn.Module, dev: torch.device, x0: torch.Tensor, result: dict) -> Callable | str:
    """``torch.compile(mode="reduce-overhead")``, compiled (and its graphs recorded) here, timed."""
    if dev.type != "cuda":
        return "CUDA only (reduce-overhead records CUDA graphs)"
    try:
        compiled = torch.compile(model, mode="reduce-overhead")
        start = time.perf_counter()
        for _ in range(3):  # compile, then warm up, then record the CUDA graph
            compiled(x0)
        torch.cuda.synchronize(dev)
        result["compile_s"] = round(time.perf_counter() - start, 1)
    except Exception as err:  # noqa: BLE001 — a compiler that fails here is a finding, not a crash
        return f"compile failed: {err!r}"[:500]

    def run(x):
        with contextlib.suppress(AttributeError):
            torch.compiler.cudagraph_mark_step_begin()  # each call's outputs may be overwritten
        return compiled(x).clone()
    return run


def passed(name: str, r: dict, dev: torch.device) -> bool:
    """The issue's goal: under the goal latency with the same top-5 as fp32 (an fp32 variant, or
    any variant whose top-5 agree on every input), on CUDA; elsewhere that every variant ran."""
    if dev.type != "cuda":
        return all("median_ms" in v or "skipped" in v for v in r.values() if isinstance(v, dict))
    fast = [v for k, v in r.items() if isinstance(v, dict) and "median_ms" in v
            and v.get("same_top5_as_eager_fp32", 1.0) == 1.0 and v["median_ms"] < r["goal_ms"]]
    return bool(fast)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=",".join(GOALS_MS))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--inputs", type=int, default=200)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--only", default=None, help="comma-separated variants to time (default: all)")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    from models.runtime import device

    dev = device.current().device
    report = {name: measure(name, dev, args.runs, args.inputs, args.compile, only) for name in args.networks.split(",")}
    print(json.dumps({"benchmark": "latency", "device": device.describe(dev), **report}, indent=1))


if __name__ == "__main__":
    main()
