"""The lessons' training tasks, run on their own and through the job runner."""


import torch

from models.maths.kernels import CLASSIC
from models.training import nets
from models.training.jobs import JobRunner, JobState
from models.training.tasks import Comparison, KernelFit
from models.training.train import TrainConfig
from tests.support import eventually

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
    eventually(lambda: len(job.history) >= 3)
    runner.cancel(job)
    reported = job.history[-1].step  # read after Stop: at most one more report can follow
    eventually(lambda: not job.live, timeout_s=2)
    assert job.state is JobState.DONE
    assert job.result[-1].step <= reported + job.task.report_every  # the loop checked Stop at every step


def test_the_optimizer_race_equals_three_separate_runs_with_the_same_seed():
    from models.training import tasks, train

    base = TrainConfig(epochs=1, train_size=384, batch_size=64, seed=5)
    racers = tasks.optimizer_race(base, time_limit_s=60.0)
    assert list(racers) == ["sgd", "momentum", "adam"]
    assert {(c.optimizer, c.momentum, c.lr) for c in racers.values()} == {("sgd", 0.0, 0.01), ("sgd", 0.9, 0.01),
                                                                           ("adam", 0.9, 1e-3)}
    assert {(c.net, c.dataset, c.seed, c.batch_size) for c in racers.values()} == {(base.net, base.dataset, 5, 64)}
    points = []
    together = Comparison(tuple(racers.items()), 60.0).run(CPU, points.append)
    assert [label for label, _ in points] == sorted((label for label, _ in points), key=list(racers).index)
    for label, config in racers.items():
        alone = train.train(config, CPU)
        assert [p.loss for p in together[label].history] == [p.loss for p in alone.history], label
        assert torch.equal(together[label].state_dict["0.weight"], alone.state_dict["0.weight"]), label
    # plain SGD at 0.01 is the slowest starter: momentum's steps add up to ~10 times its own
    assert together["momentum"].history[-1].loss < together["sgd"].history[-1].loss


def test_each_schedule_races_too_and_the_time_is_shared_out_equally():
    from models.training import tasks

    racers = tasks.optimizer_race(TrainConfig(time_limit_s=60.0), ("none", "step", "cosine"), time_limit_s=45.0)
    assert len(racers) == 9 and "adam · cosine" in racers
    assert {c.time_limit_s for c in racers.values()} == {5.0}
    assert {c.schedule for c in racers.values()} == {"none", "step", "cosine"}


def test_the_finish_line_is_what_every_runner_reached_and_who_got_there_first():
    from models.training import tasks
    from models.training.train import Point

    def curve(accs):
        return [Point(step=i, total_steps=len(accs), epoch=i / 4, loss=1.0, train_acc=0.5, val_acc=a, lr=0.1,
                      images_per_s=1.0, elapsed_s=i, eta_s=0) for i, a in enumerate(accs, start=1)]

    target, epochs = tasks.first_to_reach({"a": curve([0.3, 0.62, 0.8]), "b": curve([0.5, 0.71, 0.72]),
                                           "c": curve([0.05, 0.06, 0.07])})
    assert target == 0.7  # b's best, 0.72, is the lowest of those that got off the ground (c did not)
    assert epochs == {"a": 0.75, "b": 0.5, "c": None}


def test_the_paper_scale_degradation_run_trains_as_he_et_al_did_on_cifar10():
    from models.training import tasks

    runs = tasks.degradation_runs("paper", dataset="cifar-10")
    assert list(runs) == ["plain-20", "plain-56", "resnet-20", "resnet-56"]
    for config in runs.values():
        assert (config.dataset, config.train_size, config.optimizer, config.lr, config.momentum) == \
            ("cifar-10", None, "sgd", 0.1, 0.9)
        assert (config.weight_decay, config.batch_size, config.schedule) == (1e-4, 128, "step")
        assert set(config.augment) == {"flip", "shift"}
        config.validate()
    cpu = tasks.degradation_runs("cpu")  # the live CPU run keeps its own, smaller recipe
    assert {c.train_size for c in cpu.values()} == {1500} and {c.dataset for c in cpu.values()} == {"fashion-mnist"}
