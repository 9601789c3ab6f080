"""The GPU check's own logic, on the CPU: every check runs small and passes, and what needs CUDA
says it was skipped (on the GPU itself: ``python -m bench.gpu_check``, bench/results/)."""

import json
import statistics

import pytest
import torch

from bench import gpu_check, latency
from models.runtime import inference, zoo


def test_percentile_interpolates_like_numpy():
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    assert latency.percentile(values, 50) == statistics.median(values)
    assert latency.percentile(values, 0) == 1.0 and latency.percentile(values, 100) == 10.0
    # numpy.percentile([1, 2, 3, 4, 5, 10], 95) = 5 + 0.75 * (10 - 5)
    assert latency.percentile(values, 95) == pytest.approx(8.75)


@pytest.mark.slow  # every check of the benchmark, small: ~15 s
def test_every_check_passes_small_on_the_cpu_and_says_what_it_skipped(tmp_path):
    out = tmp_path / "gpu_check.json"
    only = ("inference", "grad_cam", "latency", "classroom", "throughput", "concurrent_runs", "runner",
            "out_of_memory", "compile")
    report = gpu_check.run_checks(torch.device("cpu"), gpu_check.QUICK, 60.0, out, only)
    assert report["passed"], {k: v for k, v in report["checks"].items() if not v["passed"]}
    assert json.loads(out.read_text())["checks"].keys() == set(only)  # written to the file too
    checks = report["checks"]
    resnet = checks["latency"]["resnet18"]
    assert resnet["cuda_graph_fp32"] == {"skipped": "CUDA only"}
    assert resnet["eager_channels_last_bf16"] == {"skipped": "CUDA only"}
    assert resnet["eager_fp32"]["runs"] == gpu_check.QUICK.latency_runs
    assert resnet["eager_channels_last_fp32"]["same_top5_as_eager_fp32"] == 1.0
    assert checks["compile"]["skipped"].startswith("CUDA only")
    assert checks["out_of_memory"]["real_allocation"] is False  # injected on a CPU, real on CUDA
    assert checks["classroom"]["served_from_cache"] == 0  # every student's picture is different
    assert checks["concurrent_runs"]["by_runs_at_once"]["2"]["runs_done"] == 2


def test_a_failing_check_fails_the_report_with_its_traceback(monkeypatch):
    def broken(dev, scale):
        raise RuntimeError("cuDNN said no")

    monkeypatch.setattr(gpu_check, "CHECKS", (("broken", broken),))
    report = gpu_check.run_checks(torch.device("cpu"), gpu_check.QUICK, 60.0, None, ("broken",))
    assert report["passed"] is False
    assert "cuDNN said no" in report["checks"]["broken"]["error"]


def test_pictures_for_the_class_are_all_different():
    pictures = gpu_check.pictures(30)
    assert len(set(pictures)) == 30


def test_the_cpu_engine_is_ready_at_once_and_never_captures_a_graph():
    engine = inference.engine(zoo.classifier("resnet18"))
    assert engine.ready.is_set()
    assert engine.backend in ("onnxruntime", "torch")
