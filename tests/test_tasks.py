"""The lessons' training tasks, run on their own and through the job runner."""

import time

import torch

from models.training import nets
from models.training.tasks import Comparison, KernelFit
from models.training.jobs import JobRunner, JobState
from models.maths.kernels import CLASSIC
from models.training.train import TrainConfig

CPU = torch.device("cpu")


def test_gradient_descent_finds_the_sobel_kernel():
    points = KernelFit(target="sobel_x", steps=400, lr=0.05).run(CPU)
    learned = torch.tensor(points[-1].kernel)
    assert torch.allclose(learned, torch.tensor(CLASSIC["sobel_x"], dtype=torch.float), atol=0.05)
    assert points[-1].loss < points[0].loss / 100


def test_a_comparison_runs_each_network_and_reports_which_point_is_whose():
    seen = []
    small = dict(epochs=1, train_size=256, batch_size=64)
    task = Comparison(runs=(
        ("7×7", TrainConfig(net=nets.NetSpec("stack", layers=((7, 1, 3),)), **small)),
        ("3×3 ×3", TrainConfig(net=nets.NetSpec("stack", layers=((3, 1, 1),) * 3), **small)),
    ), time_limit_s=30)
    results = task.run(CPU, report=seen.append)
    assert list(results) == ["7×7", "3×3 ×3"]
    assert {label for label, _ in seen} == {"7×7", "3×3 ×3"}
    # one 7×7 layer of 16 channels: 49·16² weights; three 3×3: 27·16² — the lesson's comparison
    assert results["7×7"].parameters - results["3×3 ×3"].parameters == (49 - 27) * 16 * 16 - 2 * 2 * 16


def test_tasks_go_through_the_job_runner_and_stop_within_a_step_of_stop():
    runner = JobRunner(device=CPU)
    job = runner.submit("alice", KernelFit(steps=10_000_000, time_limit_s=60, report_every=10))
    deadline = time.monotonic() + 20
    while len(job.history) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.cancel(job)
    reported = job.history[-1].step  # read after Stop: at most one more report can follow
    stopped_at = time.monotonic()
    while job.live and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.state is JobState.DONE and time.monotonic() - stopped_at < 2
    assert job.result[-1].step <= reported + job.task.report_every  # the loop checked Stop at every step
