"""The runner's memory over many runs from sessions that come and go (``bench.soak``, smaller)."""

from bench.soak import soak


def test_many_runs_from_sessions_that_come_and_go_leave_memory_where_ten_left_it():
    held = []
    report = soak(runs=40, sessions=12, at_once=4, real_every=10, on_run=lambda done, runner: held.append(runner.held()))
    assert report["runs"] == {"done": 40}
    # each run leaves 45 MB of weights: kept by the runner, 30 more runs would add over 1 GB
    assert report["growth_mb"] < 50, report
    assert report["jobs_held_at_end"] == 0
    assert max(held) <= 2 * 4  # the live sessions' latest jobs, and those of sessions just gone
