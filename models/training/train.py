"""One training run: a plain loop over tensors that already sit on the device.

No DataLoader: the data sets are small enough to keep whole in memory (on the GPU, whole on the
device), and a batch is an index into them. A seed fixes the initial weights and the order of
examples, so the same seed gives the same curve on the same device. On a CPU, images and weights
are channels-last and training's convolutions run in bf16 (autocast) where the CPU has bf16
instructions (accuracy is always measured in fp32); on a GPU the loop
synchronises with the host only when it reports metrics. ``python -m bench.fashion_accuracy
--ablation`` measures each of these.

The loop knows nothing of threads, queues or pages: it calls ``report`` with a ``Point`` now
and then and stops as soon as ``should_stop()`` is true (checked every batch), keeping what it
has learned. See ``models.training.jobs`` for who runs it.

The time limit covers everything a run does, its final evaluation included: training stops
early enough to leave the evaluation the time it is expected to take (measured on the run's
own validation probes), and the evaluation itself goes batch by batch, each batch no larger
than a training batch, checking the clock and ``should_stop`` before each. A run that is out of
time, or told to stop, evaluates one batch of each set and ends: the figures then say on how
many images they were measured (``RunResult.evaluated``). How long one step may take is
bounded before the run starts (``models.training.cost``), so "one batch" is a bounded time too.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import safetensors.torch
import torch
import torch.nn.functional as F
from torch import nn

from models.errors import LabError
from models.maths import fitting
from models.training import augment, cost, datasets, nets, precision
from models.training.mistakes import Evaluation
from models.training.snapshots import SNAPSHOTS, Snapshot, moments, take

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "step", "cosine")
POINTS_PER_EPOCH = 20  # curve resolution: a report every 1/20 epoch
PROBE_SIZE = 256  # validation images checked at every report (the live curve)
PROBE_RATIO = 2  # at least PROBE_RATIO × PROBE_SIZE training images between reports: probing costs < ~15%
FINAL_EVAL_SIZE = 2000  # validation images, and test images, checked once at the end
VAL_SPLIT = 0.1  # every run validates on this share of its training data by default …
MIN_VAL_SPLIT, MAX_VAL_SPLIT = 0.05, 0.5  # … a share between these
MIN_VAL_IMAGES = PROBE_SIZE  # … and on at least this many images, where the training data has them
MAX_SNAPSHOTS = 20
MAX_LABEL_SMOOTHING = 0.3


class RunSettingsError(LabError, ValueError):
    """Settings no training run or lesson task can use."""

    area = "run"
    CODES = {"optimizer": ("name", "choices"), "schedule": ("name", "choices"), "lr": (), "batch": (),
             "budget": (), "no_runs": (), "kernel": ("name",), "kernel_fit": (), "augment": ("name", "choices"),
             "val_split": ("low", "limit"), "patience": (), "snapshots": ("limit",),
             "label_smoothing": ("limit",),
             "step_cost": ("network", "batch", "seconds", "device", "limit", "largest"),
             "step_cost_none": ("network", "seconds", "device", "limit")}


@dataclass(frozen=True)
class TrainConfig:
    """One training run of the training lab: a ``Task`` of the job runner (``models.training.jobs``)."""

    kind: ClassVar[str] = "train"
    net: nets.NetSpec = field(default_factory=nets.NetSpec)
    dataset: str = "synthetic"
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.0
    schedule: str = "none"
    batch_size: int = 128
    epochs: int = 3
    time_limit_s: float = 60.0
    seed: int = 0
    train_size: int | None = None  # use only the first N training images (the lessons' small tasks)
    augment: tuple[str, ...] = ()  # per-batch data augmentation on the device (models.training.augment)
    val_split: float = VAL_SPLIT  # this share of the training images is held back to validate on
    patience: int = 0  # early stopping: end after this many reports without a better validation accuracy
    label_smoothing: float = 0.0  # the target puts this much probability evenly on every class (Szegedy et al., 2016)
    snapshots: int = SNAPSHOTS  # moments at which the filters and feature maps are kept; 0: none

    def run(self, device: torch.device, report=lambda p: None, should_stop=lambda: False) -> RunResult:
        """What the job runner calls: every task it runs has run(device, report, should_stop)."""
        return train(self, device, report, should_stop)

    def validate(self, device: torch.device | None = None, threads: int | None = None) -> None:
        """Raise ``RunSettingsError`` for settings no run can use, and on ``device``, when given,
        for a step that would take too long there, on ``threads`` CPU threads (``models.training.cost``)."""
        if self.optimizer not in OPTIMIZERS:
            raise RunSettingsError("optimizer", name=self.optimizer, choices=", ".join(OPTIMIZERS))
        if self.schedule not in SCHEDULES:
            raise RunSettingsError("schedule", name=self.schedule, choices=", ".join(SCHEDULES))
        if not (0 < self.lr <= 10) or not math.isfinite(self.lr):
            raise RunSettingsError("lr")
        if not 1 <= self.batch_size <= 4096:
            raise RunSettingsError("batch")
        if self.epochs < 1 or self.time_limit_s <= 0:
            raise RunSettingsError("budget")
        if set(self.augment) - set(augment.KINDS):
            raise RunSettingsError("augment", name=", ".join(sorted(set(self.augment) - set(augment.KINDS))),
                                   choices=", ".join(augment.KINDS))
        if not MIN_VAL_SPLIT <= self.val_split <= MAX_VAL_SPLIT:
            raise RunSettingsError("val_split", low=MIN_VAL_SPLIT, limit=MAX_VAL_SPLIT)
        if self.patience < 0:
            raise RunSettingsError("patience")
        if not 0 <= self.label_smoothing <= MAX_LABEL_SMOOTHING:
            raise RunSettingsError("label_smoothing", limit=MAX_LABEL_SMOOTHING)
        if not 0 <= self.snapshots <= MAX_SNAPSHOTS:
            raise RunSettingsError("snapshots", limit=MAX_SNAPSHOTS)
        if device is not None:
            self._check_step(device, threads)

    def _check_step(self, device: torch.device, threads: int | None) -> None:
        try:
            data = datasets.load(self.dataset)
        except datasets.DatasetUnavailable:  # not here: the run says so where it trains (a Ray worker may have it)
            return
        step = cost.step_cost(self.net, tuple(data.train_x.shape[1:]), len(data.classes), device.type, threads)
        limit = cost.max_step_s(self.time_limit_s)
        if step.seconds(self.batch_size) <= limit:
            return
        said = {"network": self.net.label(), "device": device.type.upper(), "limit": f"{limit:.1f}"}
        largest = step.largest_batch(limit)
        if largest < 1:
            raise RunSettingsError("step_cost_none", seconds=f"{step.seconds(1):.1f}", **said)
        raise RunSettingsError("step_cost", batch=self.batch_size, seconds=f"{step.seconds(self.batch_size):.1f}",
                               largest=largest, **said)


@dataclass(frozen=True)
class Point:
    """What a run reports as it goes: one point of its curves."""

    step: int
    total_steps: int
    epoch: float  # fractional
    loss: float  # mean training loss since the previous point
    train_acc: float  # training accuracy since the previous point
    val_acc: float  # accuracy on a fixed probe of the validation split (never the test set)
    lr: float
    images_per_s: float
    elapsed_s: float
    eta_s: float  # to the end of the last epoch, or to the time limit if that comes first
    snapshot: Snapshot | None = None  # the newest snapshot, on the point reported just after it; never stored


def point_from_dict(fields: dict) -> Point:
    """A Point from its stored or recorded fields. Points kept before every run had a validation
    split carry ``test_acc`` (a probe of the test set, the old way) where the curve's value now is;
    the run's row says which way it was measured (``models.store.schema``: ``heldout``)."""
    fields = {k: v for k, v in fields.items() if k != "snapshot"}  # snapshots are kept apart
    old = fields.pop("test_acc", None)
    if fields.get("val_acc") is None:
        fields["val_acc"] = old
    return Point(**fields)


def config_from_dict(fields: dict) -> TrainConfig:
    """A TrainConfig from its JSON form (``dataclasses.asdict``, lists where it has tuples), as the
    class store and a shipped network's record keep it; a field it does not know raises TypeError."""
    settings = dict(fields)
    net = dict(settings.pop("net"))
    net = nets.NetSpec(**{**net, "block_config": tuple(net.get("block_config", nets.NetSpec.block_config)),
                          "layers": tuple(tuple(layer) for layer in net.get("layers", ()))})
    settings["augment"] = tuple(settings.get("augment", ()))
    return TrainConfig(net=net, **settings)


@dataclass
class RunResult:
    config: TrainConfig
    label: str
    classes: tuple[str, ...]
    parameters: int
    device: str
    stopped_by: str  # "finished", "time limit", "early stop" or "cancelled"
    history: list[Point]
    final_val_acc: float  # on up to FINAL_EVAL_SIZE validation images, with the weights the run keeps
    best_val_acc: float  # the best of the validation curve and final_val_acc
    test_acc: float  # on up to FINAL_EVAL_SIZE test images: measured once, when the run ends
    # on up to FINAL_EVAL_SIZE of the images it trained on, in eval mode: the other half of the gap
    final_train_acc: float
    elapsed_s: float  # the whole run, its final evaluation included
    images_per_s: float
    state_dict: dict[str, torch.Tensor]  # on the CPU, for saving and trying the model
    mean: float
    std: float
    in_channels: int
    image_size: int
    steps: int
    train_images: int = 0  # how many images it trained on (the subset, less the validation split)
    snapshots: list[Snapshot] = field(default_factory=list)  # what it had learned at snapshots.moments()
    trained_in: str = ""  # "host pid 1234": the process that trained it (a Ray worker, or the app server)
    # the validation images' predictions at the end, made once in the run: what the network gets wrong
    evaluation: Evaluation | None = None
    evaluated: tuple[int, int, int] = (0, 0, 0)  # validation, training and test images the final figures count

    @property
    def rankable(self) -> bool:
        """Whether its final validation accuracy counts enough images to rank the class by: a run
        stopped during its evaluation may have measured one batch (32 right of 32 is no 100%)."""
        return self.evaluation is None or len(self.evaluation.labels) >= MIN_VAL_IMAGES

    def summary(self) -> dict:
        """One row of the results table."""
        c = self.config
        return {
            "network": self.label, "data": c.dataset, "optimizer": c.optimizer, "lr": c.lr,
            "schedule": c.schedule, "batch": c.batch_size, "epochs": c.epochs, "seed": c.seed,
            "params": self.parameters, "dropout": c.net.dropout, "weight decay": c.weight_decay,
            "augment": "+".join(c.augment) or "none", "train images": self.train_images, "activation": c.net.activation,
            "val split": c.val_split, "label smoothing": c.label_smoothing, "train acc": round(self.final_train_acc, 4),
            "val acc": round(self.final_val_acc, 4), "val images": self.evaluated[0],
            "best val acc": round(self.best_val_acc, 4),
            "test acc": round(self.test_acc, 4), "time (s)": round(self.elapsed_s, 1),
            "images/s": round(self.images_per_s), "stopped by": self.stopped_by, "device": self.device,
        }


def make_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


def make_schedule(config: TrainConfig, optimizer, total_steps: int):
    """Per-step schedules: step divides the rate by 10 at 50% and 75% (as ResNet did), cosine anneals to 0."""
    if config.schedule == "step":
        milestones = [total_steps // 2, (3 * total_steps) // 4]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.1)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps))
    return None


@torch.no_grad()
def logits_of(model: nn.Module, x: torch.Tensor, device: torch.device, batch_size: int = 500,
              go_on: Callable[[], bool] = lambda: True):
    """``model``'s outputs (in eval mode, fp32) for ``x``'s images, a batch at a time, on the
    device: the first batch always, each further one only while ``go_on()``. Computed in fp32 even
    where training runs in bf16: a network is judged as it is used afterwards (``restore`` gives it
    in fp32), so the results table, early stopping's choice and the confusion matrix agree image
    for image."""
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(x), batch_size):
            if i and not go_on():
                return
            yield model(precision.to_device(x[i : i + batch_size], device))
    finally:
        model.train(was_training)


EVAL_PASS_S = 0.15  # an evaluation pass takes about this long at most: Stop waits for one of each set
EVAL_SHARE_OF_LIMIT = 0.25  # the final evaluation is left at most this share of a run's time limit


def eval_batch_size(batch_size: int, step_s: float | None, device: torch.device) -> int:
    """How many images an evaluation pass takes: as many as fit in ``EVAL_PASS_S`` (a pass in fp32
    costs about two thirds of a training step per image, ``step_s`` being the latest step's time),
    at least a share of a training batch (``precision.EVAL_SHARE``), at most 500. Few images a
    pass cost the small networks a sixth of their speed in probes (one pass of 256 images took 16);
    many cost the large ones seconds of waiting after Stop."""
    least = max(1, batch_size // precision.EVAL_SHARE.get(device.type, 1))
    if not step_s:
        return min(500, least)
    return int(min(500, max(least, EVAL_PASS_S * batch_size / (2 / 3 * step_s))))


def scored(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, batch_size: int = 500,
           go_on: Callable[[], bool] = lambda: True) -> tuple[float, int]:
    """The share of ``x`` that ``model`` gets right, and on how many images it was measured (all,
    unless ``go_on()`` said to stop early: see ``logits_of``)."""
    correct, n = torch.zeros((), dtype=torch.long, device=device), 0
    for logits in logits_of(model, x, device, batch_size, go_on):
        correct += (logits.argmax(1) == y[n : n + len(logits)].to(device)).sum()
        n += len(logits)
    return correct.item() / max(1, n), n


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, batch_size: int = 500) -> float:
    """The share of all of ``x`` that ``model`` gets right."""
    return scored(model, x, y, device, batch_size)[0]


def build_model(config: TrainConfig, data: datasets.Dataset, device: torch.device) -> nn.Module:
    # the seed fixes the initial weights, whatever other sessions build meanwhile (models.runtime.seeding)
    return precision.on_device(nets.build(config.net, data.in_channels, len(data.classes), seed=config.seed), device)


def splits(config: TrainConfig, data: datasets.Dataset) -> tuple[slice, slice]:
    """The images of ``data.train_x`` a run trains on, and those it validates on.

    Held out, honestly: the validation images come from the training data and are never trained
    on; they draw the live curve, pick early stopping's weights, rank the class and show what the
    network gets wrong. The test set is looked at once, when the run ends (the overfitting
    lesson's rule). See ``models.maths.fitting.validation_split`` for where they are taken from.
    """
    available = len(data.train_x)
    subset = available if config.train_size is None else min(config.train_size, available)
    n, n_val = fitting.validation_split(available, subset, config.val_split, MIN_VAL_IMAGES)
    return slice(0, n), slice(n, n + n_val)


def train(
    config: TrainConfig,
    device: torch.device,
    report: Callable[[Point], None] = lambda p: None,
    should_stop: Callable[[], bool] = lambda: False,
    data: datasets.Dataset | None = None,
) -> RunResult:
    began = time.perf_counter()
    deadline = began + config.time_limit_s  # for everything below, the final evaluation included
    config.validate()
    data = data or datasets.load(config.dataset)
    trained_on, validated_on = splits(config, data)
    n = trained_on.stop
    # On the device once: a batch is then an index, with no host → device copy per step.
    train_x, train_y = precision.to_device(data.train_x[trained_on], device), data.train_y[trained_on].to(device)
    val_x, val_y = data.train_x[validated_on], data.train_y[validated_on]
    probe_x, probe_y = val_x[:PROBE_SIZE].to(device), val_y[:PROBE_SIZE].to(device)
    model = build_model(config, data, device)
    optimizer = make_optimizer(config, model.parameters())
    steps_per_epoch = math.ceil(n / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    scheduler = make_schedule(config, optimizer, total_steps)
    report_every = max(1, round(steps_per_epoch / POINTS_PER_EPOCH),
                       math.ceil(PROBE_RATIO * PROBE_SIZE / config.batch_size))
    order = torch.Generator().manual_seed(config.seed)  # the seed fixes the order of examples
    draws = torch.Generator().manual_seed(config.seed + 1)  # … and every augmentation drawn
    eval_batch = eval_batch_size(config.batch_size, None, device)  # until a step has been timed
    final_images = sum(min(FINAL_EVAL_SIZE, len(x)) for x in (val_x, train_x, data.test_x))
    eval_rate = math.inf  # images/s of forward passes: measured at each probe, until then a guess
    best_val, best_state, since_best = -1.0, None, 0  # early stopping
    marks = set(moments(total_steps, config.snapshots))
    watched = val_x[:1].to(device)  # the fixed validation image whose feature maps the snapshots keep
    taken = [take(model, watched, 0, 0.0)] if 0 in marks else []
    unreported: Snapshot | None = taken[-1] if taken else None

    history: list[Point] = []
    probes = 0
    loss_sum = torch.zeros((), device=device)  # accumulated on the device: no sync per step
    correct_sum = torch.zeros((), dtype=torch.long, device=device)
    seen_since, images_done, step = 0, 0, 0
    stopped_by = "finished"
    start = time.perf_counter()
    model.train()
    for _epoch in range(config.epochs):
        perm = torch.randperm(n, generator=order).to(device)
        for i in range(steps_per_epoch):
            if should_stop():
                stopped_by = "cancelled"
                break
            # leave the final evaluation the time it takes (20% more than measured, for safety), but
            # never more than a quarter of the run: beyond that it evaluates what fits, and says so
            reserve = min(1.2 * final_images / eval_rate, EVAL_SHARE_OF_LIMIT * config.time_limit_s)
            if time.perf_counter() + reserve >= deadline:
                stopped_by = "time limit"
                break
            stepped = time.perf_counter()  # a step's own time: not the checks, probes or pages before it
            idx = perm[i * config.batch_size : (i + 1) * config.batch_size]
            xb, yb = augment.augment(train_x[idx], config.augment, draws), train_y[idx]  # (B, C, H, W), (B,)
            with precision.autocast(device):
                logits = model(xb)
                loss = F.cross_entropy(logits, yb, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler:
                scheduler.step()
            step += 1
            if step >= 2:  # the first step also made its kernels: it is not timed
                step_s = time.perf_counter() - stepped
                eval_batch = eval_batch_size(config.batch_size, step_s, device)
                if probes < 2:  # a guess until a probe is timed: an image's pass ≈ ⅔ of its step
                    eval_rate = 1.5 * len(idx) / step_s
            loss_sum += loss.detach() * len(idx)
            correct_sum += (logits.argmax(1) == yb).sum()
            seen_since += len(idx)
            images_done += len(idx)
            if step in marks:  # after the step's timing: a snapshot is not part of a step
                taken.append(take(model, watched, step, step / steps_per_epoch))
                unreported = taken[-1]
            if step % report_every == 0 or step == total_steps:
                elapsed = time.perf_counter() - start
                rate = images_done / elapsed
                eta = min((total_steps - step) * config.batch_size / rate, deadline - time.perf_counter())
                probed = time.perf_counter()
                val_acc, n_probed = scored(model, probe_x, probe_y, device, eval_batch, lambda: not should_stop())
                if n_probed < len(probe_x):  # Stop pressed during the probe: no point of fewer images
                    stopped_by = "cancelled"
                    break
                probes += 1
                if probes >= 2:  # the first probe also made the evaluation's kernels; the fastest is the truest
                    measured = n_probed / max(1e-6, time.perf_counter() - probed)
                    eval_rate = measured if probes == 2 else max(eval_rate, measured)
                point = Point(
                    step=step, total_steps=total_steps, epoch=step / steps_per_epoch,
                    loss=loss_sum.item() / seen_since, train_acc=correct_sum.item() / seen_since,
                    val_acc=val_acc, lr=optimizer.param_groups[0]["lr"], images_per_s=rate, elapsed_s=elapsed,
                    eta_s=max(0.0, eta),
                )
                history.append(point)
                report(dataclasses.replace(point, snapshot=unreported) if unreported else point)
                unreported = None
                loss_sum.zero_()
                correct_sum.zero_()
                seen_since = 0
                if config.patience:
                    if point.val_acc > best_val:  # keep the best weights seen on the validation split
                        best_val, since_best = point.val_acc, 0
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    else:
                        since_best += 1
                        if since_best >= config.patience:
                            stopped_by = "early stop"
                            break
        else:
            continue
        break  # the inner loop stopped early

    trained_s = time.perf_counter() - start
    if stopped_by == "early stop" and best_state is not None:
        model.load_state_dict(best_state)  # early stopping ends with the best validated weights
    if marks and (not taken or taken[-1].step != step or stopped_by == "early stop"):
        taken.append(take(model, watched, step, step / steps_per_epoch))  # where it ended

    # The final evaluation, within the time limit: a batch of each set at least, the rest while
    # there is time and nobody pressed Stop.
    def go_on() -> bool:
        return not should_stop() and time.perf_counter() < deadline

    probs = torch.cat([logits.float().softmax(1).cpu()
                       for logits in logits_of(model, val_x[:FINAL_EVAL_SIZE], device, eval_batch, go_on)])
    evaluation = Evaluation(data.classes, val_y[: len(probs)].long(), probs)  # what the network gets wrong
    final = (evaluation.predicted == evaluation.labels).float().mean().item()
    final_train, n_train = scored(model, train_x[:FINAL_EVAL_SIZE], train_y[:FINAL_EVAL_SIZE], device,
                                  eval_batch, go_on)
    test, n_test = scored(model, data.test_x[:FINAL_EVAL_SIZE], data.test_y[:FINAL_EVAL_SIZE], device,
                          eval_batch, go_on)  # the only look at the test set
    elapsed = time.perf_counter() - began
    return RunResult(
        config=config, label=config.net.label(), classes=data.classes,
        parameters=nets.count_parameters(model), device=str(device), stopped_by=stopped_by,
        history=history, final_val_acc=final, final_train_acc=final_train, test_acc=test,
        # the best of the curve, and of the final figure where it counts enough images to compare
        best_val_acc=max(([final] if len(probs) >= min(MIN_VAL_IMAGES, len(val_x)) else [])
                         + [p.val_acc for p in history], default=final),
        elapsed_s=elapsed, images_per_s=images_done / trained_s if trained_s > 0 else 0.0,
        state_dict={k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()},
        mean=data.mean, std=data.std, in_channels=data.in_channels, image_size=data.image_size, steps=step,
        train_images=n, snapshots=taken, trained_in=f"{socket.gethostname()} pid {os.getpid()}",
        evaluation=evaluation, evaluated=(len(probs), n_train, n_test),
    )


def restore(result: RunResult) -> nn.Module:
    """The trained network, rebuilt on the CPU in eval mode (never a shared pretrained model)."""
    model = nets.build(result.config.net, result.in_channels, len(result.classes))
    model.load_state_dict(result.state_dict)
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities (B, classes) for standardised images (B, C, H, W)."""
    return model(x).softmax(dim=1)


def to_safetensors(result: RunResult) -> bytes:
    """The trained weights as a .safetensors file, with what is needed to use them as metadata."""
    metadata = {
        "network": result.label, "config": json.dumps(dataclasses.asdict(result.config)),
        "classes": json.dumps(list(result.classes)), "mean": str(result.mean), "std": str(result.std),
        "in_channels": str(result.in_channels), "image_size": str(result.image_size),
    }
    return safetensors.torch.save(result.state_dict, metadata=metadata)

