"""Everything the app does on a GPU, checked and timed on one: run it where a GPU is lent.

    python -m bench.gpu_check [--device cuda] [--seconds 5]

Needs only torch and torchvision (the GPU machine has no streamlit and no internet: the networks
are untrained there, which changes no check). It runs

* the inference engine of every registered network against the model's own forward pass, and
  its batch-1 time;
* Grad-CAM against the textbook computation with a hook on a private copy;
* a training run through the engine's loop (bf16 autocast and channels-last on CUDA) and a plain
  fp32 loop on the same device, with their images/s;
* the job runner with three runs at once from three students, checking that they overlapped;
* an out-of-memory inside a run (a real allocation larger than the card, on CUDA): that run
  fails with its code, and the next run on the same runner works;

and prints one JSON document with every figure and a pass/fail per check. It exits with status 1
if any check failed (on a machine without CUDA it runs on the CPU and says so).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from dataclasses import dataclass
from typing import ClassVar

import torch
import torchvision

from bench.train_throughput import eager_fp32
from models.runtime import cam, classify, device, examples, inference, networks, zoo
from models.training import datasets, jobs, nets, train
from models.training.train import TrainConfig


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def check_inference(dev: torch.device) -> dict:
    x = classify.preprocess(examples.example("shapes"), networks.get("resnet18").transforms())[1]
    out = {}
    for name in networks.NETWORKS:
        clf = zoo.classifier(name)
        engine = inference.engine(clf)
        got = engine(x)
        with torch.no_grad():
            expected = clf.model(x.to(dev)).float().cpu()
        error = float((got[clf.network.logits] - expected).abs().max())
        for _ in range(3):
            engine(x)
        _sync(dev)
        start = time.perf_counter()
        for _ in range(20):
            engine(x)
        _sync(dev)
        out[name] = {"backend": engine.backend, "device": str(clf.device), "max_abs_logit_error": error,
                     "batch1_ms": round((time.perf_counter() - start) / 20 * 1000, 2),
                     "passed": error < 5e-2 and clf.device.type == dev.type}
    return {"passed": all(v["passed"] for v in out.values()), **out}


def check_grad_cam(dev: torch.device) -> dict:
    x = classify.preprocess(examples.example("shapes"), networks.get("resnet18").transforms())[1]
    out = {}
    for name, network in networks.NETWORKS.items():
        clf = zoo.classifier(name)
        model = network.build(clf.model.state_dict()).to(dev)
        layer = model.get_submodule(network.cam_layer)
        kept = {}
        layer.register_forward_hook(lambda m, i, o: kept.update(a=o) or o.retain_grad())
        with torch.enable_grad():
            logits = model(x.to(dev).clone().requires_grad_(True))
            c = int(logits.argmax())
            logits[0, c].backward()
        a, g = kept["a"], kept["a"].grad
        expected = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1))[0]
        expected = (expected / expected.max()).detach().cpu()
        got = cam.grad_cam(network, clf.model, classify.predict(clf, x).cam_activation, c)
        error = float((got - expected).abs().max())
        out[name] = {"max_abs_error": error, "passed": got.shape == expected.shape and error < 1e-2}
    return {"passed": all(v["passed"] for v in out.values()), **out}


def check_training(dev: torch.device, seconds: float) -> dict:
    data = datasets.synthetic()
    spec = nets.NetSpec("plain_cnn")
    config = TrainConfig(net=spec, epochs=1000, time_limit_s=seconds, batch_size=128)
    result = train.train(config, dev, data=data)
    baseline = eager_fp32(spec, data, dev, seconds, 128)
    again = train.train(TrainConfig(net=spec, epochs=1, train_size=1024, seed=3), dev, data=data)
    twice = train.train(TrainConfig(net=spec, epochs=1, train_size=1024, seed=3), dev, data=data)
    same_curve = [p.loss for p in again.history] == [p.loss for p in twice.history]
    return {"engine_images_per_s": round(result.images_per_s), "eager_fp32_images_per_s": round(baseline),
            "speedup": round(result.images_per_s / baseline, 2), "final_test_acc": round(result.final_test_acc, 4),
            "stopped_by": result.stopped_by, "same_seed_same_curve": same_curve,
            "passed": result.final_test_acc > 0.5 and result.device == str(dev) and same_curve}


def check_runner(dev: torch.device) -> dict:
    runner = jobs.JobRunner(max_running=3, max_queued=4, device=dev)
    started = time.perf_counter()
    submitted = [runner.submit(f"student {i}", TrainConfig(epochs=2, train_size=2048, seed=i)) for i in range(3)]
    while any(j.live for j in submitted) and time.perf_counter() - started < 120:
        time.sleep(0.02)
    spans = [(j.started_at, j.started_at + j.result.elapsed_s) for j in submitted if j.result is not None]
    overlapped = len(spans) == 3 and max(s for s, _ in spans) < min(e for _, e in spans)
    states = [j.state.value for j in submitted]
    runner.shutdown()
    return {"states": states, "overlapped": overlapped, "seconds": round(time.perf_counter() - started, 2),
            "passed": states == ["done"] * 3 and overlapped}


@dataclass(frozen=True)
class TooLarge:
    """A run that asks the device for more memory than it has."""

    kind: ClassVar[str] = "check"
    time_limit_s: float = 30.0

    def validate(self) -> None:
        pass

    def run(self, dev, report, should_stop):
        if dev.type == "cuda":
            free, total = torch.cuda.mem_get_info(dev)
            return torch.empty(2 * total, dtype=torch.uint8, device=dev)  # plain cudaMalloc: refused at once
        raise torch.OutOfMemoryError("injected: no CUDA device to exhaust")


def check_out_of_memory(dev: torch.device) -> dict:
    runner = jobs.JobRunner(device=dev)
    failed = runner.submit("student", TooLarge())
    while failed.live:
        time.sleep(0.01)
    runner.collect(failed)
    ok = runner.submit("student", TrainConfig(epochs=1, train_size=512))
    while ok.live:
        time.sleep(0.01)
    code = failed.error.code if failed.error else None
    runner.shutdown()
    return {"failed_with": code, "real_allocation": dev.type == "cuda", "next_run": ok.state.value,
            "passed": code == "out_of_memory" and ok.state is jobs.JobState.DONE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    device.use_threads()
    dev = device.current().device
    report = {"machine": {"platform": platform.platform(), "device": device.describe(dev), "torch": torch.__version__,
                          "torchvision": torchvision.__version__, "cuda": torch.cuda.is_available()}, "checks": {}}
    for name, check in (("inference", check_inference), ("grad_cam", check_grad_cam),
                        ("training", lambda d: check_training(d, args.seconds)), ("runner", check_runner),
                        ("out_of_memory", check_out_of_memory)):
        try:
            report["checks"][name] = check(dev)
        except Exception:  # noqa: BLE001 — a check that breaks is a failed check, with its traceback
            report["checks"][name] = {"passed": False, "error": traceback.format_exc()[-2000:]}
        print(f"{name}: {'pass' if report['checks'][name]['passed'] else 'FAIL'}", file=sys.stderr, flush=True)
    report["passed"] = all(c["passed"] for c in report["checks"].values())
    print(json.dumps(report, indent=1))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
