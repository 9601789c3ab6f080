"""The job runner on a real Ray cluster (models.training.ray_runner), started by these tests on
127.0.0.1 (``ray start --head``), with token authentication off on loopback.

Everything the local runner promises is checked again here: points streamed back, Stop within a
batch, the time limit, one live run per student, a bounded queue counted across app servers (two
``RayRunner`` clients, as two app servers would be), the same curve for a seed, a failing run or
a killed worker ending only itself, a machine leaving the cluster ending only its own run (two
more Ray nodes on 127.0.0.1 stand for two machines), Ray on loopback only, a closed tab
cancelling its run, and an unreachable cluster giving the local runner (or a refusal) within
seconds, with no traceback. A scheduler that stops
answering for a while (its process paused with SIGSTOP) is a slow cluster, waited for; one that
stays silent past ``lost_after_s`` is a lost one, and the runs go to the fallback.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")  # requirements-ray.txt, included by requirements-dev.txt

from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: E402

from deploy.school import RayHead  # noqa: E402
from models.training import jobs, ray_runner  # noqa: E402
from models.training.jobs import AlreadyRunning, JobState, RunnerBusy, RunnerError  # noqa: E402
from models.training.train import TrainConfig  # noqa: E402
from tests.support import eventually, free_port, pids_matching  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUICK = TrainConfig(epochs=1, train_size=640, batch_size=64, seed=3)
STEADY = TrainConfig(epochs=2, train_size=3000, batch_size=64, seed=3)  # a few seconds of points
LONG = TrainConfig(epochs=50, train_size=640, batch_size=64)  # runs until stopped
RAY_S = 60.0  # how long a test waits for the cluster to do something
SCHEDULER_TITLE = "ray::Scheduler"  # how Ray titles the scheduler actor's process


def ray_env(tmp: Path) -> dict:
    return {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Ray head on 127.0.0.1 with 3 CPUs for runs, as a school starts one. Its files and logs,
    and those of the machines that join it, are in this module's temporary folder (ray*/)."""
    head = RayHead(tmp_path_factory.mktemp("ray"), num_cpus=3, env={"PYTHONPATH": str(ROOT)})
    head.start()
    os.environ["RAY_AUTH_MODE"] = "disabled"
    with pytest.MonkeyPatch.context() as patch, open(head.files / "driver.log", "a") as log:
        # What Ray tells its drivers, this process among them, when it likes ("(raylet) Raylet is
        # terminated …" and a state dump when a machine leaves), goes to a file, not to the console
        patch.setattr(ray._private.worker, "print_to_stdstream",
                      lambda data, ignore_prefix: ray._private.worker.print_worker_logs(data, log, ignore_prefix))
        try:
            ray_runner.connect(head.address, timeout_s=60)
            yield head
        finally:
            ray.shutdown()
            head.stop()


@pytest.fixture
def fresh(cluster):
    """A new scheduler for each test (it is a detached actor: it would outlive the test)."""
    try:
        ray.kill(ray.get_actor(ray_runner.SCHEDULER, namespace=ray_runner.NAMESPACE))
    except ValueError:  # none yet
        pass
    # gone by name, and its process too (the tests that pause the scheduler look for it by name)
    eventually(lambda: not _scheduler_named() and not pids_matching(SCHEDULER_TITLE), timeout_s=RAY_S)
    made = []

    def make(**kw) -> ray_runner.RayRunner:
        made.append(ray_runner.RayRunner(**{"max_running": 1, "max_queued": 4, "max_time_s": 60.0, **kw}))
        return made[-1]

    yield make
    for r in made:
        r.shutdown()


def test_a_run_on_ray_streams_its_points_and_returns_what_the_local_runner_would(fresh):
    runner = fresh()
    job = runner.submit("ada", STEADY, tag="train")
    arrivals = []
    eventually(lambda: (arrivals.append((time.monotonic(), len(job.history))) or not job.live), timeout_s=RAY_S)
    assert job.state is JobState.DONE, job.error
    assert job.worker.startswith("pid ") and int(job.worker.split()[1]) != os.getpid()  # a Ray worker ran it
    result = job.result
    assert result.stopped_by == "finished" and [p.step for p in result.history] == [p.step for p in job.history]
    assert len(result.snapshots) >= 2  # the result, weights and snapshots, came through the object store
    grew = sorted({t for (t, n), (_, before) in zip(arrivals[1:], arrivals) if n > before})
    assert len(grew) >= 2 and max(b - a for a, b in itertools.pairwise(grew)) < 1.5  # about once a second, or faster
    runner.collect(job)
    assert runner.job_of("ada") is None and runner.held() == 0


def test_the_same_seed_gives_the_same_curve_on_ray(fresh):
    runner = fresh()
    curves = []
    for _ in range(2):
        job = runner.submit("ada", QUICK)
        eventually(lambda: not job.live, timeout_s=RAY_S)  # noqa: B023 — waited for in this iteration
        curves.append([p.loss for p in job.result.history])
        runner.collect(job)
    assert curves[0] == curves[1]


def test_stop_ends_a_ray_run_within_a_batch_and_the_time_limit_holds(fresh):
    runner = fresh(max_time_s=3.0)
    job = runner.submit("ada", LONG)
    eventually(lambda: job.state is JobState.RUNNING and job.history, timeout_s=RAY_S)
    stopped = time.monotonic()
    runner.cancel(job)
    eventually(lambda: not job.live, timeout_s=10)
    assert job.result.stopped_by == "cancelled" and time.monotonic() - stopped < 2.0
    runner.collect(job)
    job = runner.submit("ada", LONG)  # the runner's cap: 3 s, whatever the task asked for
    eventually(lambda: not job.live, timeout_s=RAY_S)
    assert job.result.stopped_by == "time limit" and job.result.elapsed_s < 4.0


def test_one_live_run_per_student_and_one_queue_across_two_app_servers(fresh):
    first, second = fresh(max_running=1, max_queued=1), fresh(max_running=1, max_queued=1)
    running = first.submit("ada", LONG)
    eventually(lambda: running.state is JobState.RUNNING, timeout_s=RAY_S)
    with pytest.raises(AlreadyRunning):
        second.submit("ada", QUICK)  # Ada, sent to the other server, still has her run
    adopted = second.job_of("ada")  # … and finds it there, with its progress
    assert adopted is not None and adopted.live
    eventually(lambda: adopted.history, timeout_s=RAY_S)
    queued = second.submit("grace", QUICK)
    eventually(lambda: queued.queue_position() == 1, timeout_s=RAY_S)
    with pytest.raises(RunnerBusy):
        first.submit("alan", QUICK)  # the queue is full, counted over both servers
    second.cancel(adopted)  # Stop pressed on the other server
    eventually(lambda: not running.live and not queued.live, timeout_s=RAY_S)
    assert running.result.stopped_by == "cancelled" and queued.state is JobState.DONE


def test_one_address_gets_one_place_across_two_app_servers_whatever_its_cookies(fresh):
    first, second = fresh(max_running=1, max_queued=4), fresh(max_running=1, max_queued=4)
    running = first.submit("tab-1", LONG, address="10.0.0.66")
    with pytest.raises(RunnerBusy, match="network address: at most 1 at once"):
        second.submit("tab-2", QUICK, address="10.0.0.66")  # a fresh cookie, sent to the other server
    with pytest.raises(RunnerBusy, match="network address"):
        first.submit("tab-3", QUICK, address="10.0.0.66")
    other = second.submit("grace", QUICK, address="10.0.0.7")  # the rest of the class gets in
    assert other.live
    first.cancel(running)
    eventually(lambda: not running.live, timeout_s=RAY_S)
    second.cancel(other)
    eventually(lambda: not other.live, timeout_s=RAY_S)


def test_a_failing_run_ends_only_itself_with_its_sentence(fresh):
    runner = fresh(max_running=2)
    broken = runner.submit("ada", TrainConfig(dataset="cifar-10", epochs=1))  # no CIFAR-10 on the workers
    fine = runner.submit("grace", QUICK)
    eventually(lambda: not broken.live and not fine.live, timeout_s=RAY_S)
    assert broken.state is JobState.FAILED and broken.error.code == "cifar_missing"
    assert fine.state is JobState.DONE and fine.result.stopped_by == "finished"


def test_a_killed_worker_ends_its_run_with_a_sentence_and_the_next_run_works(fresh):
    runner = fresh()
    job = runner.submit("ada", LONG)
    eventually(lambda: job.worker and job.history, timeout_s=RAY_S)
    os.kill(int(job.worker.split()[1]), signal.SIGKILL)  # the worker process dies mid-run
    eventually(lambda: not job.live, timeout_s=60)
    assert job.state is JobState.FAILED and job.error.code == "worker_lost"
    assert "stopped in the middle" in job.error.message("en")
    runner.collect(job)
    again = runner.submit("ada", QUICK)  # the student starts again
    eventually(lambda: not again.live, timeout_s=RAY_S)
    assert again.state is JobState.DONE


def test_the_cluster_and_this_app_server_listen_on_loopback_only(cluster, listeners):
    # Ray's head, its agents and workers, and this process (it joined the cluster): no socket
    # on the machine's network address (deploy.school.ONE_MACHINE_RAY)
    assert {n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]} == {"127.0.0.1"}
    assert ray.util.get_node_ip_address() == "127.0.0.1"
    sockets = listeners([os.getpid()])
    assert len(sockets) >= 3, sockets  # the head's GCS and raylet at least
    assert {address for _, address, _ in sockets} == {"127.0.0.1"}, sockets


@ray.remote(num_cpus=3)
class _Busy:
    """Holds the head's three cores."""

    def ready(self) -> bool:
        return True


def _machine_joins(head: RayHead, cpus: int):
    """Another machine joins the cluster: here, a second Ray node on 127.0.0.1, made as
    ``ray.cluster_utils.Cluster.add_node`` makes one (``ray start --address`` refuses a second
    node on one machine, with Ray kept on loopback)."""
    from ray._private.node import Node
    from ray._private.parameter import RayParams

    node = Node(RayParams(gcs_address=head.address, node_ip_address="127.0.0.1", num_cpus=cpus, num_gpus=0,
                          object_store_memory=150 * 2**20, min_worker_port=0, max_worker_port=0,
                          node_manager_port=0, include_log_monitor=False, temp_dir=str(head.link)),
                head=False, shutdown_at_exit=True, spawn_reaper=False)
    eventually(lambda: any(n["NodeID"] == node.node_id and n["Alive"] for n in ray.nodes()), timeout_s=30)
    return node


def _machine_leaves(node) -> None:
    """The machine goes, at once: its Ray processes are killed (SIGKILL), its workers with them."""
    node.kill_all_processes(check_alive=False, allow_graceful=False, wait=True)


def test_a_machine_leaving_the_cluster_ends_only_its_run_and_the_student_starts_again(fresh, cluster):
    machines = [_machine_joins(cluster, cpus=4)]
    try:
        # The scheduler starts while the head's cores are all taken: Ray would place an actor on
        # the idle machine that just joined, unless told to keep it on the head
        head = ray_runner.head_node()
        busy = _Busy.options(scheduling_strategy=NodeAffinitySchedulingStrategy(head, soft=False)).remote()
        ray.get(busy.ready.remote())
        # Each run asks for 4 cores, more than the head's 3: runs go to the machines that join
        runner = fresh(num_cpus=4, max_running=2)
        ray.kill(busy)
        assert ray.get(runner.scheduler.__ray_call__.remote(lambda _: ray.get_runtime_context().get_node_id())) == head
        ada = runner.submit("ada", LONG)
        eventually(lambda: ada.worker and ada.history, timeout_s=RAY_S)
        machines.append(_machine_joins(cluster, cpus=4))
        grace = runner.submit("grace", STEADY)  # the first machine is full: on the second
        eventually(lambda: grace.history, timeout_s=RAY_S)
        _machine_leaves(machines[0])  # with Ada's run, in the middle of it
        eventually(lambda: not ada.live, timeout_s=90)
        assert ada.state is JobState.FAILED and ada.error.code == "worker_lost"
        assert "stopped in the middle" in ada.error.message("en")
        eventually(lambda: not grace.live, timeout_s=RAY_S)  # the other run went on to its end
        assert grace.state is JobState.DONE and grace.result.stopped_by == "finished"
        assert [p.step for p in grace.history] == [p.step for p in grace.result.history]
        # The scheduler lives on the head: the class's queue did not leave with the machine
        assert not runner.lost.is_set() and runner.notice is None
        runner.collect(ada)
        again = runner.submit("ada", QUICK)  # Ada starts again, on the machine still there
        eventually(lambda: not again.live, timeout_s=RAY_S)
        assert again.state is JobState.DONE
    finally:
        for node in machines:
            if node.any_processes_alive():
                _machine_leaves(node)


def test_a_closed_tab_cancels_its_run_on_ray(fresh):
    open_tabs = {"ada"}
    runner = fresh(is_alive=lambda owner: owner in open_tabs, alive_check_s=0.5)
    job = runner.submit("ada", LONG)
    eventually(lambda: job.history, timeout_s=RAY_S)
    open_tabs.clear()
    eventually(lambda: not job.live, timeout_s=10)
    assert job.result.stopped_by == "cancelled"


def _scheduler_named() -> bool:
    """Whether Ray still knows an actor by the scheduler's name (a killed one is gone soon after)."""
    try:
        ray.get_actor(ray_runner.SCHEDULER, namespace=ray_runner.NAMESPACE)
    except ValueError:
        return False
    return True


def _scheduler_pid() -> int:
    """The scheduler actor's process: Ray titles an actor's worker ``ray::Scheduler``."""
    pids = pids_matching(SCHEDULER_TITLE)
    assert len(pids) == 1, f"{SCHEDULER_TITLE} processes: {pids}"
    return pids[0]


@contextlib.contextmanager
def _paused(pid: int):
    """The process stops running (as if starved of CPU), then goes on where it was."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _local_fallback() -> jobs.JobRunner:
    return jobs.JobRunner(max_running=1, max_queued=4, max_time_s=60.0)


def test_a_slow_scheduler_is_waited_for_not_taken_for_a_lost_cluster(fresh):
    runner = fresh(call_timeout_s=0.5, lost_after_s=60.0, fallback=_local_fallback)
    job = runner.submit("ada", STEADY)
    eventually(lambda: job.history, timeout_s=RAY_S)
    with _paused(_scheduler_pid()):
        time.sleep(3)  # six of the poller's calls go unanswered
        with pytest.raises(RunnerError) as slow:
            runner.submit("grace", QUICK)
        assert slow.value.code == "ray_slow" and "press Start again" in slow.value.message("en")
        assert job.live and not runner.lost.is_set() and runner.notice is None
    eventually(lambda: not job.live, timeout_s=RAY_S)
    assert job.state is JobState.DONE and job.result.stopped_by == "finished"
    # Calls that were waiting went through once the scheduler answered: every point once, in order
    assert [p.step for p in job.history] == [p.step for p in job.result.history]
    runner.collect(job)
    # Grace's Start reached the scheduler late; her page finds the run, as from another server
    eventually(lambda: runner.job_of("grace") is not None, timeout_s=RAY_S)
    assert runner.job_of("grace").runner is runner and not runner.lost.is_set()


def test_a_scheduler_silent_past_lost_after_s_loses_the_cluster_and_runs_fall_back(fresh):
    runner = fresh(call_timeout_s=0.5, lost_after_s=2.0, fallback=_local_fallback)
    job = runner.submit("ada", LONG)
    eventually(lambda: job.history, timeout_s=RAY_S)
    with _paused(_scheduler_pid()):
        eventually(lambda: not job.live, timeout_s=15)
        assert job.state is JobState.FAILED and job.error.code == "worker_lost"
        assert runner.lost.is_set() and runner.notice == "ray_fallback"
        runner.collect(job)
        again = runner.submit("ada", QUICK)  # trains in this process now
        assert again.runner is runner.fallback()
        eventually(lambda: not again.live, timeout_s=RAY_S)
        assert again.state is JobState.DONE and again.result.trained_in.endswith(f"pid {os.getpid()}")


UNREACHABLE = """
import logging, time, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
from models.training import jobs
from models.training.train import TrainConfig
start = time.monotonic()
runner = jobs.runner()
print("took", round(time.monotonic() - start, 1), "kind", type(runner).__name__, "notice", jobs.notice())
try:
    runner.submit("ada", TrainConfig(epochs=1, train_size=64))
    print("submitted")
except jobs.RunnerError as err:
    print("refused", err.code)
"""


@pytest.mark.parametrize("fallback", ["local", "refuse"])
def test_an_unreachable_cluster_gives_the_local_runner_or_a_refusal_within_seconds(tmp_path, fallback):
    env = {**ray_env(tmp_path), "CNNLAB_RUNNER": "ray", "CNNLAB_RAY_FALLBACK": fallback,
           "RAY_ADDRESS": f"127.0.0.1:{free_port()}"}  # nobody listens there
    out = subprocess.run([sys.executable, "-c", UNREACHABLE], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
    took = float(out.stdout.split("took ")[1].split()[0])
    assert took < 15, out.stdout
    assert "the Ray cluster cannot be reached" in out.stdout
    if fallback == "local":
        assert "kind JobRunner notice ray_fallback" in out.stdout and "submitted" in out.stdout
    else:
        assert "kind RefusingRunner notice ray_unreachable" in out.stdout and "refused ray_unreachable" in out.stdout
