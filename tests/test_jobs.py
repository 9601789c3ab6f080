"""The job runner: queueing, refusal, one run per session, cancel, closed tabs, errors."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from models.training import train
from models.training.jobs import AlreadyRunning, JobRunner, JobState, RunnerBusy
from models.training.train import TrainConfig
from tests.support import eventually

ROOT = Path(__file__).resolve().parents[1]

CPU = torch.device("cpu")


class Gate:
    """A stand-in for train.train that runs until released (or cancelled), then returns a marker."""

    def __init__(self):
        self.release = threading.Event()
        self.started = []

    def __call__(self, config, device, report, should_stop):
        self.started.append(config.seed)
        while not self.release.is_set() and not should_stop():
            time.sleep(0.01)
        return f"result of seed {config.seed}"


def test_a_second_run_waits_in_the_queue_while_the_first_runs():
    gate = Gate()
    runner = JobRunner(max_running=1, max_queued=4, device=CPU, train_fn=gate)
    first = runner.submit("alice", TrainConfig(seed=1))
    second = runner.submit("bob", TrainConfig(seed=2))
    eventually(lambda: first.state is JobState.RUNNING)
    assert second.state is JobState.QUEUED and second.queue_position() == 1
    gate.release.set()
    eventually(lambda: second.state is JobState.DONE)
    assert first.result == "result of seed 1" and second.result == "result of seed 2"
    assert gate.started == [1, 2]


def test_a_full_queue_refuses_with_a_sentence():
    gate = Gate()
    runner = JobRunner(max_running=1, max_queued=1, device=CPU, train_fn=gate)
    runner.submit("a", TrainConfig())
    eventually(lambda: gate.started)
    runner.submit("b", TrainConfig())
    with pytest.raises(RunnerBusy, match="Try again in a minute"):
        runner.submit("c", TrainConfig())
    gate.release.set()


def test_one_live_run_per_session():
    gate = Gate()
    runner = JobRunner(device=CPU, train_fn=gate)
    job = runner.submit("alice", TrainConfig())
    with pytest.raises(AlreadyRunning):
        runner.submit("alice", TrainConfig())
    gate.release.set()
    eventually(lambda: job.state is JobState.DONE)
    assert runner.submit("alice", TrainConfig()).id != job.id  # a new run once the first ended
    gate.release.set()


def test_cancelling_a_queued_run_drops_it_at_once():
    gate = Gate()
    runner = JobRunner(device=CPU, train_fn=gate)
    runner.submit("a", TrainConfig(seed=1))
    queued = runner.submit("b", TrainConfig(seed=2))
    runner.cancel(queued)
    assert queued.state is JobState.DONE and queued.queue_position() == 0
    later = runner.submit("c", TrainConfig(seed=3))
    gate.release.set()
    eventually(lambda: later.state is JobState.DONE)  # the runner went past where b's run was
    assert gate.started == [1, 3]


def test_a_closed_tab_frees_its_slot():
    gate = Gate()
    alive = {"alice": True, "bob": True}
    runner = JobRunner(device=CPU, train_fn=gate, is_alive=lambda o: alive[o], alive_check_s=0.05)
    running = runner.submit("alice", TrainConfig(seed=1))
    queued = runner.submit("bob", TrainConfig(seed=2))
    eventually(lambda: running.state is JobState.RUNNING)
    alive["bob"] = False  # bob's tab closes while he waits: his run is skipped
    alive["alice"] = False  # alice's tab closes while she trains: her run stops
    eventually(lambda: running.state is JobState.DONE, timeout_s=5)
    eventually(lambda: queued.state is JobState.DONE, timeout_s=5)
    assert gate.started == [1]


def test_out_of_memory_ends_that_run_with_a_message_and_the_next_run_works():
    calls = []

    def flaky(config, device, report, should_stop):
        calls.append(config.seed)
        if config.seed == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "ok"

    runner = JobRunner(device=CPU, train_fn=flaky)
    failed = runner.submit("a", TrainConfig(seed=1))
    eventually(lambda: failed.state is JobState.FAILED)
    assert failed.error.code == "out_of_memory" and "ran out of memory" in str(failed.error)
    ok = runner.submit("a", TrainConfig(seed=2))
    eventually(lambda: ok.state is JobState.DONE)
    assert ok.result == "ok"


def test_time_limit_is_capped_by_the_server():
    gate = Gate()
    runner = JobRunner(device=CPU, train_fn=gate, max_time_s=5)
    job = runner.submit("a", TrainConfig(time_limit_s=600))
    assert job.task.time_limit_s == 5
    gate.release.set()


def test_real_run_cancelled_from_outside_stops_within_one_batch():
    runner = JobRunner(device=CPU)
    job = runner.submit("a", TrainConfig(epochs=50, time_limit_s=60, train_size=2048))
    eventually(lambda: job.history, timeout_s=30)
    runner.cancel(job)
    eventually(lambda: job.state is JobState.DONE, timeout_s=10)
    assert job.result.stopped_by == "cancelled"
    assert job.result.steps < 50 * 16


def test_should_stop_is_checked_before_every_batch():
    calls = []

    def stop_after_five():
        calls.append(1)
        return len(calls) > 5

    result = train.train(TrainConfig(epochs=10, train_size=640, batch_size=64), CPU, should_stop=stop_after_five)
    assert result.stopped_by == "cancelled"
    assert result.steps == 5  # the sixth check stopped it: not one batch more


def test_time_limit_stops_the_run_and_keeps_what_it_learned():
    result = train.train(TrainConfig(epochs=1000, time_limit_s=1.5, train_size=1024), CPU)
    assert result.stopped_by == "time limit"
    assert result.elapsed_s < 4
    assert result.steps > 0 and result.history
    assert result.final_val_acc > 1 / 6 + 0.05  # better than chance on six shapes
    model = train.restore(result)  # the learned weights are kept and usable
    assert train.predict(model, torch.zeros(2, 1, 28, 28)).shape == (2, 6)


EXIT_DURING_A_RUN = """
import time
from dataclasses import dataclass

import torch

from models.training import jobs


@dataclass
class Forever:
    time_limit_s: float = 60.0

    def validate(self, device=None, threads=None):
        pass

    def run(self, device, report, should_stop):
        x, conv = torch.randn(32, 3, 64, 64), torch.nn.Conv2d(3, 16, 3)
        while not should_stop():
            torch.max_pool2d(conv(x), 2)


job = jobs.JobRunner().submit("a student", Forever())
while job.state is not jobs.JobState.RUNNING:
    time.sleep(0.01)
time.sleep(0.5)  # and the process ends, with the run inside PyTorch
"""


@pytest.mark.slow  # two processes of their own, each importing torch
def test_the_process_ends_cleanly_while_a_run_is_inside_pytorch():
    # a daemon worker ended by the interpreter inside a torch operator aborted the process
    # ("terminate called without an active exception"): JobRunner.shutdown runs at exit
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", EXIT_DURING_A_RUN], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]


def test_one_mapping_from_a_runs_exception_to_the_sentence_its_student_reads():
    from models.training import jobs, nets

    assert jobs.run_error(torch.OutOfMemoryError("CUDA out of memory"), 1) == jobs.RunnerError("out_of_memory")
    own = nets.NetworkError("depth", depth=21)
    assert jobs.run_error(own, 1) is own  # settings no run can use: its own sentence
    assert jobs.run_error(KeyError("conv9"), 1) == jobs.RunnerError("failed", kind="KeyError")

    def bad_depth(config, device, report, should_stop):
        raise own

    failed = JobRunner(device=CPU, train_fn=bad_depth).submit("a", TrainConfig())
    eventually(lambda: failed.state is JobState.FAILED)
    assert failed.error is own


def test_the_local_and_the_ray_runner_are_one_runner_protocol():
    import inspect

    from models.training import jobs

    assert isinstance(JobRunner(max_running=0, device=CPU), jobs.Runner)
    assert isinstance(jobs.RefusingRunner(device=CPU), jobs.Runner)
    ray_runner = pytest.importorskip("models.training.ray_runner")  # Ray is a school's dependency
    methods = [name for name, value in vars(jobs.Runner).items() if callable(value) and not name.startswith("_")]
    assert {"submit", "job_of", "collect", "cancel", "queue_position", "live_jobs", "held", "shutdown"} <= set(methods)
    for name in methods:
        ours = inspect.signature(getattr(ray_runner.RayRunner, name))
        protocol = inspect.signature(getattr(jobs.Runner, name))
        assert list(ours.parameters) == list(protocol.parameters), name
    assert isinstance(ray_runner.RayRunner.notice, property)


def test_one_address_with_five_fresh_cookies_gets_one_place_and_the_class_the_rest():
    # one person, five tabs with five fresh cookies: five students to the runner, one address
    gate = Gate()
    runner = JobRunner(max_running=1, max_queued=5, device=CPU, train_fn=gate, per_address=1)
    first = runner.submit("tab-1", TrainConfig(seed=1), address="10.0.0.66")
    eventually(lambda: first.state is JobState.RUNNING)
    for tab in range(2, 6):
        with pytest.raises(RunnerBusy, match="network address: at most 1 at once"):
            runner.submit(f"tab-{tab}", TrainConfig(seed=tab), address="10.0.0.66")
    others = [runner.submit(f"student-{i}", TrainConfig(seed=10 + i), address=f"10.0.0.{i}") for i in range(1, 5)]
    assert [job.queue_position() for job in others] == [1, 2, 3, 4]  # the rest of the class is queued
    assert runner.submit("teacher", TrainConfig(), address=None).queue_position() == 5  # the server's own machine
    gate.release.set()
    eventually(lambda: not first.live)
    runner.collect(first)
    eventually(lambda: all(not job.live for job in others))
    assert runner.submit("tab-2", TrainConfig(seed=2), address="10.0.0.66").live  # its run ended: its turn again
    gate.release.set()


def test_the_address_limit_is_a_setting_and_zero_lifts_it():
    gate = Gate()
    runner = JobRunner(max_running=1, max_queued=8, device=CPU, train_fn=gate, per_address=0)
    jobs_ = [runner.submit(f"tab-{i}", TrainConfig(seed=i), address="192.0.2.1") for i in range(5)]  # one NAT
    assert all(job.live for job in jobs_)
    gate.release.set()
    eventually(lambda: all(not job.live for job in jobs_))
    two = JobRunner(max_running=1, max_queued=8, device=CPU, train_fn=gate, per_address=2)
    two.submit("a", TrainConfig(), address="192.0.2.1")
    two.submit("b", TrainConfig(), address="192.0.2.1")
    with pytest.raises(RunnerBusy, match="at most 2 at once"):
        two.submit("c", TrainConfig(), address="192.0.2.1")
    gate.release.set()
