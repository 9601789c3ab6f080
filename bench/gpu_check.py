"""Everything the app does on a GPU, checked and timed on one: run it where a GPU is lent.

    python -m bench.gpu_check [--out bench/results/gpu_check.json] [--budget-s 420] [--quick]

Needs only torch and torchvision (the GPU machine has no streamlit and no internet: the networks
are untrained there, which changes no check but the top-5 agreement of reduced precisions, see
``bench.latency``). Fashion-MNIST is read from ``$CNNLAB_DATA/fashion-mnist`` or Debian's folder.
In this order, each a check with its figures and pass/fail:

* ``inference``: the app's engine of every registered network against the model's own forward;
* ``grad_cam``: Grad-CAM against the textbook computation with a hook on a private copy;
* ``latency``: batch-1 latency of ResNet18 and DenseNet121, eager fp32, channels-last, bf16 and
  fp16 autocast, a replayed CUDA graph, and the app's engine (``bench.latency``);
* ``classroom``: 30 students' different pictures classified at once through ``models.runtime.classify``;
* ``fast_and_good``: the training lab's "Fast and good" recipe on Fashion-MNIST, once per seed;
* ``throughput``: images/s of every lab network through the engine's loop, in each layout
  (contiguous or channels-last) and precision (fp32 or bf16 autocast), against a plain fp32
  loop, with each run's peak GPU memory;
* ``concurrent_runs``: 1, 2, 4 and 8 students' runs at once: the class's images/s, which with the
  memory per run suggests ``CNNLAB_MAX_RUNS``;
* ``degradation``, ``degradation_lesson``: the residual lesson's four networks at the paper's
  recipe and at the lesson's live GPU scale, time-limited, with the time all their epochs take;
* ``runner``: three runs from three students at once, overlapping on one device;
* ``out_of_memory``: a run asking for more memory than the card has fails alone, the next works;
* ``run_limits``: each lab network's step cost measured, Stop honoured within 2 s, and a
  DenseNet121 run with a 2-s time limit (issue 27) refused or done within 10 s;
* ``compile``: ``torch.compile(mode="reduce-overhead")`` timed in a child process, last, given
  whatever is left of ``--budget-s`` (compiling DenseNet121 takes minutes).

On a machine without CUDA everything runs on the CPU, smaller, and the CUDA-only parts say
"skipped". The JSON is printed and rewritten to ``--out`` after every check, so a run cut short
keeps what it measured. Exit status 1 if any check failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import torch
import torchvision
from PIL import Image, ImageDraw

from bench import latency
from bench.fashion_accuracy import one_run
from bench.train_throughput import SPECS, eager_fp32
from models.runtime import cam, classify, device, examples, inference, networks, zoo
from models.training import cost, datasets, jobs, nets, precision, tasks, train
from models.training.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
GIB = 2**30


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


@dataclass(frozen=True)
class Scale:
    """How much each check does: the full run on a GPU, a small one to test the script on a CPU."""

    latency_runs: int = 200
    latency_inputs: int = 200
    classroom_students: int = 30
    fast_seeds: tuple[int, ...] = (0, 1, 2)
    fast_seconds: float = 10.0  # issue 28's goal: >= 92% within 10 s on one GPU
    throughput_seconds: float = 2.0
    throughput_networks: tuple[str, ...] = tuple(SPECS)
    concurrent_runs: tuple[int, ...] = (1, 2, 4, 8)
    concurrent_train_size: int = 16384
    degradation_seconds: float = 15.0  # per network
    runner_train_size: int = 2048
    limits_networks: tuple[str, ...] = tuple(nets.lab_networks())


QUICK = Scale(latency_runs=3, latency_inputs=2, classroom_students=3, fast_seeds=(0,), fast_seconds=2.0,
              throughput_seconds=0.3, throughput_networks=("plain_cnn",), degradation_seconds=0.5,
              concurrent_runs=(1, 2), concurrent_train_size=256,
              runner_train_size=256, limits_networks=("plain_cnn",))


def check_inference(dev: torch.device, scale: Scale) -> dict:
    x = classify.preprocess(examples.example("shapes"), networks.get("resnet18").transforms())[1]
    out = {}
    for name in networks.NETWORKS:
        clf = zoo.classifier(name)
        engine = inference.engine(clf)
        engine.ready.wait(timeout=120)  # on CUDA: the captured graph, not the eager fallback
        got = engine(x)
        with torch.no_grad():
            expected = clf.model(x.to(dev)).float().cpu()
        error = float((got[clf.network.logits] - expected).abs().max())
        out[name] = {"backend": engine.backend, "device": str(clf.device), "max_abs_logit_error": error,
                     "passed": error < 1e-2 and clf.device.type == dev.type
                     and (dev.type != "cuda" or engine.backend == "torch+cuda-graph")}
    return {"passed": all(v["passed"] for v in out.values()), **out}


def check_grad_cam(dev: torch.device, scale: Scale) -> dict:
    x = classify.preprocess(examples.example("shapes"), networks.get("resnet18").transforms())[1]
    out = {}
    for name, network in networks.NETWORKS.items():
        clf = zoo.classifier(name)
        model = network.build(clf.model.state_dict()).to(dev)
        layer = model.get_submodule(network.cam_layer)
        kept = {}
        layer.register_forward_hook(lambda m, i, o: kept.update(a=o) or o.retain_grad())  # noqa: B023 — this model only
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


def check_latency(dev: torch.device, scale: Scale) -> dict:
    out = {}
    for name in latency.GOALS_MS:
        r = latency.measure(name, dev, scale.latency_runs, scale.latency_inputs)
        out[name] = {**r, "passed": latency.passed(name, r, dev)}
    return {"passed": all(v["passed"] for v in out.values()), **out}


def pictures(n: int) -> list[bytes]:
    """``n`` different PNG pictures (640×480): the example photos, then drawn shapes and colours."""
    out = [examples.photo_bytes(name) for name in ("cat", "coffee", "rocket")][:n]
    g = torch.Generator().manual_seed(1)
    while len(out) < n:
        r = torch.randint(0, 256, (8,), generator=g).tolist()
        im = Image.new("RGB", (640, 480), tuple(r[:3]))
        draw = ImageDraw.Draw(im)
        draw.ellipse((r[3], r[4], 320 + r[5], 240 + r[6]), fill=(r[7], r[1], r[0]))
        draw.rectangle((len(out) * 15, 300, len(out) * 15 + 200, 460), fill=(r[2], r[7], r[4]))
        buffer = io.BytesIO()
        im.save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def check_classroom(dev: torch.device, scale: Scale) -> dict:
    """A class uploads at once: every picture different, so nothing comes from the cache."""
    data = pictures(scale.classroom_students)
    for name in networks.NETWORKS:
        inference.engine(zoo.classifier(name)).ready.wait(timeout=120)
    classify.analyse(data[0])  # warm: the first pass of each network picks cuDNN's algorithms
    classify.CACHE.clear()

    def one(picture: bytes) -> tuple[float, str]:
        start = time.perf_counter()
        analysis = classify.analyse(picture)
        return time.perf_counter() - start, analysis.predictions["resnet18"].backend

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(data)) as pool:
        done = list(pool.map(one, data))
    wall = time.perf_counter() - start
    seconds = [s for s, _ in done]
    return {"students": len(data), "p95_s": round(latency.percentile(seconds, 95), 3),
            "median_s": round(statistics.median(seconds), 3), "wall_s": round(wall, 3),
            "pictures_per_s": round(len(data) / wall, 1), "backends": sorted({b for _, b in done}),
            "served_from_cache": classify.CACHE.hits,
            "passed": len(done) == len(data) and classify.CACHE.hits == 0}


def check_fast_and_good(dev: torch.device, scale: Scale) -> dict:
    data = datasets.fashion_mnist()
    config = replace(tasks.fast_recipe(), time_limit_s=scale.fast_seconds)
    runs = [one_run(replace(config, seed=seed), dev, data) for seed in scale.fast_seeds]
    median = statistics.median(r["test_accuracy_10k"] for r in runs)
    within = all(r["stopped_by"] == "finished" for r in runs)
    return {"recipe": dict(tasks.FAST_RECIPE), "time_limit_s": scale.fast_seconds, "runs": runs,
            "median_test_accuracy": median, "all_finished_within_limit": within,
            "goal": ">= 0.92 median on the 10,000 test images after at most time_limit_s of training",
            "passed": median >= 0.92 if dev.type == "cuda" else bool(runs)}


def _peak_memory(dev: torch.device) -> int | None:
    return torch.cuda.max_memory_allocated(dev) if dev.type == "cuda" else None


# The engine's layout and precision on a device: (channels-last, bf16 autocast).
LAYOUTS = ((False, False), (True, False), (False, True), (True, True))


def _engine_images_per_s(spec, data, dev: torch.device, seconds: float, channels_last: bool, bf16: bool):
    kept = precision.CHANNELS_LAST[dev.type], precision.BF16[dev.type]
    precision.CHANNELS_LAST[dev.type], precision.BF16[dev.type] = channels_last, bf16
    try:
        return train.train(TrainConfig(net=spec, epochs=1000, time_limit_s=seconds, batch_size=128), dev, data=data)
    finally:
        precision.CHANNELS_LAST[dev.type], precision.BF16[dev.type] = kept


def check_throughput(dev: torch.device, scale: Scale) -> dict:
    """Every lab network through the engine's loop in each layout and precision (the engine's
    defaults first), against a plain fp32 loop: what the defaults in models.training.train rest on."""
    data = datasets.synthetic()
    default = (precision.CHANNELS_LAST[dev.type], precision.BF16[dev.type])
    layouts = (default,) + tuple(x for x in LAYOUTS if x != default) if dev.type == "cuda" else (default,)
    rows = {}
    for name in scale.throughput_networks:
        spec = SPECS[name]
        row: dict = {}
        for channels_last, bf16 in layouts:
            if dev.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(dev)
            result = _engine_images_per_s(spec, data, dev, scale.throughput_seconds, channels_last, bf16)
            key = f"engine_{'channels_last' if channels_last else 'contiguous'}_{'bf16' if bf16 else 'fp32'}"
            row[key] = round(result.images_per_s)
            if (channels_last, bf16) == default:
                peak = _peak_memory(dev)
                row |= {"parameters": result.parameters, "engine_default": key,
                        "peak_gpu_memory_mib": None if peak is None else round(peak / 2**20)}
        baseline = eager_fp32(spec, data, dev, scale.throughput_seconds, 128)
        row |= {"eager_fp32_images_per_s": round(baseline),
                "speedup": round(row[row["engine_default"]] / baseline, 2),
                "fastest": max((k for k in row if k.startswith("engine_") and k != "engine_default"), key=row.get)}
        rows[name] = row
    out = {"image": "1×28×28", "batch_size": 128, "seconds_each": scale.throughput_seconds, "networks": rows}
    if dev.type == "cuda":
        total = torch.cuda.get_device_properties(dev).total_memory
        heaviest = max(r["peak_gpu_memory_mib"] for r in rows.values()) * 2**20
        out["max_runs_by_memory"] = {"runs": int(0.8 * total // heaviest), "total_gib": round(total / GIB, 1),
                                     "heaviest_run_mib": round(heaviest / 2**20)}
    out["passed"] = all(r[r["engine_default"]] > 0 for r in rows.values())
    return out


def check_concurrent_runs(dev: torch.device, scale: Scale) -> dict:
    """n students' runs at once on one device: the class's images/s, from which CNNLAB_MAX_RUNS is
    suggested (more runs at once than this helps nobody: each one only gets slower)."""
    rows = {}
    for n in scale.concurrent_runs:
        runner = jobs.JobRunner(max_running=n, max_queued=n, device=dev)
        start = time.perf_counter()
        submitted = [runner.submit(f"student {i}", TrainConfig(epochs=1, train_size=scale.concurrent_train_size,
                                                               seed=i, time_limit_s=60)) for i in range(n)]
        while any(j.live for j in submitted) and time.perf_counter() - start < 120:
            time.sleep(0.01)
        wall = time.perf_counter() - start
        done = [j for j in submitted if j.result is not None]
        runner.shutdown()
        rows[str(n)] = {"runs_done": len(done), "wall_s": round(wall, 2),
                        "class_images_per_s": round(sum(j.result.train_images for j in done) / wall),
                        "each_run_images_per_s": round(statistics.median(j.result.images_per_s for j in done))
                        if done else 0}
    best = max(rows, key=lambda k: rows[k]["class_images_per_s"])
    return {"train_size": scale.concurrent_train_size, "network": TrainConfig().net.label(), "by_runs_at_once": rows,
            "most_images_per_s_at": int(best),
            "passed": all(r["runs_done"] == int(n) for n, r in rows.items())}


def check_degradation(dev: torch.device, scale: Scale, which: str = "paper") -> dict:
    """The residual lesson's four networks, time-limited, on the data there is here (Fashion-MNIST):
    ``paper``, the paper's recipe (SGD 0.1, momentum 0.9, weight decay 1e-4, batch 128, flips and
    shifts, 30 epochs planned); ``gpu``, the live run the lesson starts on a GPU."""
    runs, start = {}, time.perf_counter()
    for label, config in tasks.degradation_runs(which, dataset="fashion-mnist",
                                                time_limit_s=scale.degradation_seconds).items():
        result = train.train(config, dev)
        total = config.epochs * -(-result.train_images // config.batch_size)
        last = result.history[-1] if result.history else None
        runs[label] = {"epochs_done": round(last.epoch, 2) if last else 0.0, "steps": result.steps,
                       "train_acc": round(last.train_acc, 4) if last else None,
                       "final_val_acc": round(result.final_val_acc, 4), "test_acc": round(result.test_acc, 4),
                       "seconds": round(result.elapsed_s, 1),
                       "images_per_s": round(result.images_per_s), "stopped_by": result.stopped_by,
                       "projected_s_for_all_epochs": round(result.elapsed_s * total / max(1, result.steps))}
    config = next(iter(tasks.degradation_runs(which, dataset="fashion-mnist").values()))
    return {"scale": which, "batch_size": config.batch_size, "optimizer": config.optimizer, "lr": config.lr,
            "epochs_planned": config.epochs, "time_limit_s_each": scale.degradation_seconds, "runs": runs,
            "projected_s_for_all_four": sum(r["projected_s_for_all_epochs"] for r in runs.values()),
            "seconds": round(time.perf_counter() - start, 1), "passed": all(r["steps"] > 0 for r in runs.values())}


def check_runner(dev: torch.device, scale: Scale) -> dict:
    runner = jobs.JobRunner(max_running=3, max_queued=4, device=dev)
    started = time.perf_counter()
    submitted = [runner.submit(f"student {i}", TrainConfig(epochs=2, train_size=scale.runner_train_size, seed=i))
                 for i in range(3)]
    while any(j.live for j in submitted) and time.perf_counter() - started < 120:
        time.sleep(0.02)
    spans = [(j.started_at, j.started_at + j.result.elapsed_s) for j in submitted if j.result is not None]
    overlapped = len(spans) == 3 and max(s for s, _ in spans) < min(e for _, e in spans)
    states = [j.state.value for j in submitted]
    runner.shutdown()
    return {"states": states, "overlapped": overlapped, "seconds": round(time.perf_counter() - started, 2),
            "passed": states == ["done"] * 3 and overlapped}


def check_run_limits(dev: torch.device, scale: Scale) -> dict:
    """Issue 27's limits on this device: each lab network's measured step cost (models.training.cost),
    Stop pressed once a run has reported (the slot free within 2 s), and a DenseNet121 run with a
    2-s time limit at batch 512 (refused, or its slot free within 10 s, its evaluation included)."""
    data = datasets.load("synthetic")
    shape, classes = tuple(data.train_x.shape[1:]), len(data.classes)
    networks = {}
    for name in scale.limits_networks:
        runner = jobs.JobRunner(device=dev, max_time_s=600)
        config = TrainConfig(net=nets.NetSpec(name), dataset="synthetic", epochs=100, time_limit_s=600)
        step = cost.step_cost(config.net, shape, classes, dev.type)
        batch = min(128, step.largest_batch(cost.max_step_s(config.time_limit_s)))
        row = {"fixed_s": round(step.fixed_s, 4), "per_image_ms": round(step.per_image_s * 1000, 4), "batch": batch}
        if batch >= 1:
            job = runner.submit("student", replace(config, batch_size=batch))
            started = time.perf_counter()
            while not job.history and job.live and time.perf_counter() - started < 120:
                time.sleep(0.01)
            pressed = time.perf_counter()
            runner.cancel(job)
            while job.live and time.perf_counter() - pressed < 30:
                time.sleep(0.005)
            result = job.result
            row.update(stop_s=round(time.perf_counter() - pressed, 3), steps=getattr(result, "steps", None),
                       stopped_by=getattr(result, "stopped_by", None), evaluated=getattr(result, "evaluated", None))
        runner.shutdown()
        networks[name] = row
    runner = jobs.JobRunner(device=dev)
    started = time.perf_counter()
    try:
        job = runner.submit("student", TrainConfig(net=nets.NetSpec("densenet121"), batch_size=512, time_limit_s=2))
        while job.live and time.perf_counter() - started < 60:
            time.sleep(0.005)
        short = {"released_s": round(time.perf_counter() - started, 2), "elapsed_s": round(job.result.elapsed_s, 2),
                 "stopped_by": job.result.stopped_by, "evaluated": job.result.evaluated, "steps": job.result.steps}
    except train.RunSettingsError as refused:
        short = {"refused": refused.code, "sentence": str(refused),
                 "released_s": round(time.perf_counter() - started, 2)}
    runner.shutdown()
    stops = [row["stop_s"] for row in networks.values() if "stop_s" in row]
    return {"networks": networks, "densenet121_2s_batch512": short, "max_stop_s": max(stops, default=None),
            "goal": "Stop frees the slot within 2 s on every lab network; a 2-s DenseNet121 run within 10 s",
            "passed": bool(stops) and max(stops) < 2.0 and short["released_s"] < 10}


@dataclass(frozen=True)
class TooLarge:
    """A run that asks the device for more memory than it has."""

    kind: ClassVar[str] = "check"
    time_limit_s: float = 30.0

    def validate(self, device=None, threads=None) -> None:
        pass

    def run(self, dev, report, should_stop):
        if dev.type == "cuda":
            _free, total = torch.cuda.mem_get_info(dev)
            return torch.empty(2 * total, dtype=torch.uint8, device=dev)  # plain cudaMalloc: refused at once
        raise torch.OutOfMemoryError("injected: no CUDA device to exhaust")


def check_out_of_memory(dev: torch.device, scale: Scale) -> dict:
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


def check_compile(dev: torch.device, scale: Scale, seconds_left: float) -> dict:
    """``torch.compile`` in a child process, so that a compile longer than the time left is cut
    off without losing the rest of the report."""
    if dev.type != "cuda":
        return {"skipped": "CUDA only (reduce-overhead records CUDA graphs)", "passed": True}
    if seconds_left < 30:
        return {"skipped": f"only {seconds_left:.0f} s of the budget left", "passed": False}
    command = [sys.executable, "-m", "bench.latency", "--compile", "--runs", str(scale.latency_runs),
               "--inputs", str(scale.latency_inputs), "--only", "compile_reduce_overhead_fp32,cuda_graph_fp32"]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds_left)
    except subprocess.TimeoutExpired:
        return {"skipped": f"compiling took longer than the {seconds_left:.0f} s left", "passed": False}
    if done.returncode != 0:
        return {"error": done.stderr[-2000:], "passed": False}
    report = json.loads(done.stdout)
    out = {}
    for name in latency.GOALS_MS:
        r = report[name]
        compiled = r.get("compile_reduce_overhead_fp32", {})
        out[name] = {"compile_s": r.get("compile_s"), "compiled": compiled, "cuda_graph": r.get("cuda_graph_fp32"),
                     "passed": "median_ms" in compiled}
    return {"passed": all(v["passed"] for v in out.values()), **out}


CHECKS = (("inference", check_inference), ("grad_cam", check_grad_cam), ("latency", check_latency),
          ("classroom", check_classroom), ("fast_and_good", check_fast_and_good),
          ("throughput", check_throughput), ("concurrent_runs", check_concurrent_runs),
          ("degradation", check_degradation),
          ("degradation_lesson", lambda d, s: check_degradation(d, s, "gpu")),
          ("runner", check_runner), ("out_of_memory", check_out_of_memory), ("run_limits", check_run_limits))


def run_checks(dev: torch.device, scale: Scale, budget_s: float, out: Path | None,
               only: tuple[str, ...] | None = None) -> dict:
    start = time.perf_counter()
    report = {"command": "python -m bench.gpu_check", "date": time.strftime("%Y-%m-%d"),
              "machine": {"platform": platform.platform(), "device": device.describe(dev),
                          "torch": torch.__version__, "torchvision": torchvision.__version__,
                          "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                          "cpu_cores": os.cpu_count()},
              "checks": {}}
    checks = list(CHECKS) + [("compile", lambda d, s: check_compile(d, s, budget_s - (time.perf_counter() - start)))]
    for name, check in checks:
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            result = check(dev, scale)
        except Exception:  # noqa: BLE001 — a check that breaks is a failed check, with its traceback
            result = {"passed": False, "error": traceback.format_exc()[-2000:]}
        result["check_s"] = round(time.perf_counter() - t0, 1)
        report["checks"][name] = result
        report["passed"] = all(c["passed"] for c in report["checks"].values())
        print(f"{name}: {'pass' if result['passed'] else 'FAIL'} ({result['check_s']} s)", file=sys.stderr, flush=True)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=1))
    report["seconds"] = round(time.perf_counter() - start, 1)
    if out is not None:
        out.write_text(json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="also write the JSON here (rewritten after every check)")
    parser.add_argument("--budget-s", type=float, default=420.0, help="the compile check gets what is left of it")
    parser.add_argument("--quick", action="store_true", help="a small run of every check (tests, a CPU)")
    parser.add_argument("--only", default=None, help="comma-separated checks to run")
    args = parser.parse_args(argv)
    device.use_threads()
    dev = device.current().device
    only = tuple(args.only.split(",")) if args.only else None
    report = run_checks(dev, QUICK if args.quick else Scale(), args.budget_s,
                        Path(args.out) if args.out else None, only)
    print(json.dumps(report, indent=1))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
