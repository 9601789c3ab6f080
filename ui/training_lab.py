"""The training lab's parts: settings, the live view of a run, the results table, trying a model.

Runs go through ``ui.runs`` to the process-wide ``JobRunner`` (``models.training.jobs``), as the
lessons' training tasks do; a rerun, a page switch or a closed tab never orphans a run.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from models.probes import mistakes
from models.runtime import drawing, images
from models.store.codec import StoredRowError, StoredRun
from models.training import augment, datasets, jobs, nets, tasks, train
from models.training.train import RunResult, TrainConfig
from ui import drawing as drawing_ui
from ui import figures, identity, learned, runs, task_views
from ui.i18n import labels, say, t
from ui.state import kept

KEY = "train"  # the training lab's runs, in ui.runs
TRIED = "train.tried"  # run id → RunResult of the networks tried, loaded once from the store
EVALUATED = "train.evaluated"  # (run id, Evaluation): its held-out predictions, computed once
GALLERY = 12  # images shown of a confusion cell
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3, 5e-3)  # L2: λ·‖w‖² added to the loss, as the optimizers apply it
TRAIN_SIZES = (300, 1000, 3000, 10000, 0)  # 0: all
LABEL_SMOOTHINGS = (0.0, 0.05, 0.1, 0.2)
BLOCK_CONFIGS = ((3, 3, 3), (4, 4, 4), (6, 6, 6), (6, 12, 8))


@functools.lru_cache(maxsize=64)
def parameter_count(spec: nets.NetSpec, in_channels: int, num_classes: int) -> int:
    return nets.count_parameters(nets.build(spec, in_channels, num_classes))


def offered_datasets() -> tuple[str, ...]:
    """The synthetic shapes and Fashion-MNIST always (the latter says how to get it if missing);
    CIFAR-10 once it is on this machine (``python -m models.datasets fetch cifar10``)."""
    return tuple(name for name in datasets.LOADERS if name != "cifar-10" or datasets.on_disk("cifar-10"))


def settings() -> TrainConfig:
    """The settings widgets; their values survive page switches."""
    c1, c2 = st.columns(2)
    network = c1.selectbox(t("train.network"), nets.NETWORKS, format_func=labels("train.net_", nets.NETWORKS),
                           **kept("train.network", "plain_cnn"))
    offered, widget = offered_datasets(), kept("train.dataset", "synthetic")
    if (asked := st.session_state["train.dataset"]) not in offered:  # from a link, or CIFAR-10 removed since
        err = (datasets.DatasetUnavailable("cifar_missing", root=str(datasets.data_root())) if asked == "cifar-10"
               else datasets.DatasetUnavailable("unknown", name=str(asked), choices=", ".join(offered)))
        st.caption(say(err))
        st.session_state["train.dataset"] = st.session_state["_train.dataset"] = "synthetic"
    dataset = c2.selectbox(t("train.dataset"), offered, format_func=labels("train.data_", datasets.LOADERS),
                           help=None if "cifar-10" in offered else t("train.cifar_how"), **widget)
    spec = nets.NetSpec(network=network)
    if network in ("plain", "resnet"):
        spec = replace(spec, depth=c1.select_slider(t("train.depth"), nets.CIFAR_DEPTHS, **kept("train.depth", 20)))
    elif network == "densenet":
        spec = replace(
            spec,
            growth_rate=c1.slider(t("train.growth_rate"), 4, 32, step=4, **kept("train.growth_rate", 12)),
            block_config=c2.selectbox(t("train.block_config"), BLOCK_CONFIGS, **kept("train.block_config", (4, 4, 4))),
        )
    spec = replace(spec, batch_norm=c1.toggle(t("train.batch_norm"), **kept("train.batch_norm", True)))

    c1, c2, c3 = st.columns(3)
    optimizer = c1.radio(t("train.optimizer"), train.OPTIMIZERS, format_func=labels("train.opt_", train.OPTIMIZERS),
                         **kept("train.optimizer", "adam"))
    schedule = c2.radio(t("train.schedule"), train.SCHEDULES, format_func=labels("train.sched_", train.SCHEDULES),
                        **kept("train.schedule", "none"))
    lr = c3.select_slider(t("train.lr"), LEARNING_RATES, **kept("train.lr", 2e-3))
    batch_size = c3.select_slider(t("train.batch_size"), (32, 64, 128, 256, 512), **kept("train.batch_size", 128))

    c1, c2, c3 = st.columns(3)
    epochs = c1.slider(t("train.epochs"), 1, 20, **kept("train.epochs", 5))
    max_time = int(runs.runner().max_time_s)
    time_limit = c2.slider(t("train.time_limit"), 2, max_time, **kept("train.time_limit", max_time))
    seed = c3.number_input(t("train.seed"), min_value=0, max_value=1_000_000, step=1, **kept("train.seed", 0))

    with st.expander(t("train.regularisation"), expanded=st.session_state.get(PRESET_USED, False)):
        c1, c2, c3 = st.columns(3)
        dropout = c1.slider(t("train.dropout"), 0.0, nets.MAX_DROPOUT, step=0.1, **kept("train.dropout", 0.0))
        weight_decay = c2.select_slider(t("train.weight_decay"), WEIGHT_DECAYS, **kept("train.weight_decay", 0.0))
        subset = c3.select_slider(t("train.train_size"), TRAIN_SIZES,
                                  format_func=lambda n: f"{n:,}" if n else t("train.all"),
                                  **kept("train.train_size", 0))
        c1, c2, c3 = st.columns(3)
        kinds = tuple(kind for kind in augment.KINDS
                      if c1.toggle(t(f"train.aug_{kind}"), **kept(f"train.aug_{kind}", False)))
        activation = c2.radio(t("train.activation"), tuple(nets.ACTIVATIONS), horizontal=True,
                              **kept("train.activation", "relu"))
        label_smoothing = c2.select_slider(t("train.label_smoothing"), LABEL_SMOOTHINGS,
                                           help=t("train.label_smoothing_help"),
                                           **kept("train.label_smoothing", 0.0))
        val_split = c3.slider(t("train.val_split"), train.MIN_VAL_SPLIT, 0.3, step=0.05, help=t("train.val_split_help"),
                              **kept("train.val_split", train.VAL_SPLIT))
        patience = c3.number_input(t("train.patience"), 0, 20, step=1, help=t("train.patience_help"),
                                   **kept("train.patience", 0))
    spec = replace(spec, dropout=float(dropout), activation=activation)
    return TrainConfig(net=spec, dataset=dataset, optimizer=optimizer, lr=lr, schedule=schedule,
                       batch_size=batch_size, epochs=epochs, time_limit_s=float(time_limit), seed=int(seed),
                       weight_decay=float(weight_decay), train_size=int(subset) or None, augment=kinds,
                       val_split=float(val_split), patience=int(patience), label_smoothing=float(label_smoothing))


# Presets: several knobs at once, each a lesson's experiment (the overfitting lesson uses them).
PRESETS = {
    "alexnet": {"train.optimizer": tasks.ALEXNET_RECIPE["optimizer"], "train.lr": tasks.ALEXNET_RECIPE["lr"],
                "train.batch_size": tasks.ALEXNET_RECIPE["batch_size"],
                "train.dropout": tasks.ALEXNET_RECIPE["dropout"],
                "train.weight_decay": tasks.ALEXNET_RECIPE["weight_decay"], "train.activation": "relu",
                **{f"train.aug_{kind}": kind in tasks.ALEXNET_RECIPE["augment"] for kind in augment.KINDS}},
    "fast": {"train.network": "plain_cnn", "train.dataset": tasks.FAST_RECIPE["dataset"],
             "train.optimizer": tasks.FAST_RECIPE["optimizer"], "train.lr": tasks.FAST_RECIPE["lr"],
             "train.schedule": tasks.FAST_RECIPE["schedule"], "train.batch_size": tasks.FAST_RECIPE["batch_size"],
             "train.epochs": tasks.FAST_RECIPE["epochs"], "train.label_smoothing": tasks.FAST_RECIPE["label_smoothing"],
             "train.dropout": 0.0, "train.weight_decay": 0.0, "train.train_size": 0,
             "train.val_split": tasks.FAST_RECIPE["val_split"], "train.patience": 0, "train.batch_norm": True,
             "train.activation": "relu",
             **{f"train.aug_{kind}": False for kind in augment.KINDS}},
    "overfit": {"train.train_size": 300, "train.epochs": 20, "train.dropout": 0.0, "train.weight_decay": 0.0,
                "train.aug_flip": False, "train.aug_shift": False, "train.aug_rotate": False,
                "train.val_split": train.VAL_SPLIT,
                "train.patience": 0, "train.optimizer": "adam", "train.lr": 2e-3},
    "cure": {"train.train_size": 300, "train.epochs": 20, "train.dropout": 0.5, "train.weight_decay": 5e-4,
             "train.aug_flip": True, "train.aug_shift": True, "train.aug_rotate": True,
             "train.val_split": train.VAL_SPLIT,
             "train.patience": 0, "train.optimizer": "adam", "train.lr": 2e-3},
}
PRESET_USED = "_train.preset_used"
# The numbers a preset's help sentence names, read from its recipe rather than typed into the sentence.
PRESET_HELP = {"fast": {"lr": f'{tasks.FAST_RECIPE["lr"]:g}', "epochs": tasks.FAST_RECIPE["epochs"],
                        "smoothing": f'{tasks.FAST_RECIPE["label_smoothing"]:g}'}}


def _apply(preset: str) -> None:
    st.session_state.update(PRESETS[preset])
    st.session_state[PRESET_USED] = True


def presets() -> None:
    """One button per preset; the settings below change to it (and stay changeable)."""
    columns = st.columns(len(PRESETS))
    for column, name in zip(columns, PRESETS):
        column.button(t(f"train.preset_{name}"), key=f"train.preset.{name}", on_click=_apply, args=(name,),
                      help=t(f"train.preset_{name}_help", **PRESET_HELP.get(name, {})), width="stretch")


def start_button(config: TrainConfig) -> None:
    try:
        data = datasets.load(config.dataset)
    except datasets.DatasetUnavailable as err:
        st.error(t("train.no_data"), icon="📂")
        st.caption(say(err))
        return
    source = t("train.source_generated") if config.dataset == "synthetic" else data.source  # a path otherwise
    st.caption(t("train.parameters", count=f"{parameter_count(config.net, data.in_channels, len(data.classes)):,}",
                 source=source))
    runs.start_button(config, KEY, label=t("train.start"))


def _progress(job: jobs.Job) -> None:
    """The live run: a progress bar, the latest figures and the curves so far."""
    if job.state is not jobs.JobState.RUNNING:
        return
    p, budget = job.latest, job.task.time_limit_s
    if p:
        done = max(p.step / p.total_steps, p.elapsed_s / budget)
        text = t("train.progress", step=p.step, total=p.total_steps, eta=round(p.eta_s), rate=round(p.images_per_s))
    else:  # slow networks measure their first point after hundreds of images: show the clock
        elapsed = time.monotonic() - (job.started_at or time.monotonic())
        done, text = elapsed / budget, t("train.starting", elapsed=round(elapsed))
    st.progress(min(1.0, done), text=text)
    if p:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("figure.loss"), f"{p.loss:.3f}")
        c2.metric(t("train.train_acc"), f"{p.train_acc:.1%}")
        c3.metric(t("train.val_acc"), f"{p.val_acc:.1%}")
        st.plotly_chart(figures.training_curves({job.task.net.label(): list(job.history)}), key="train.live_chart")
        learned.newest(job.history)


def live_panel() -> None:
    """While this session's run is queued or running, a view that refreshes itself once a second."""
    runs.live(KEY, _progress)


def _record(job: jobs.Job) -> None:
    """Into the class store: the row, the curves and the weights (the latest few are kept)."""
    identity.store().save_run(identity.current().id, job.kind, KEY, job.result)


def record_finished() -> None:
    """Save this student's ended run in the class store, once; the runner then forgets it."""
    runs.collect(KEY, _record)


# The results' columns (models.training.train.RunResult.summary, and "run") with their strings' keys. The CSV
# keeps these names and values, stable for a notebook; the page shows them in its language.
COLUMNS = {"run": "col_run", "network": "col_network", "data": "col_data", "optimizer": "col_optimizer",
           "lr": "col_lr", "schedule": "col_schedule", "batch": "col_batch", "epochs": "col_epochs",
           "seed": "col_seed", "params": "col_params", "dropout": "col_dropout", "weight decay": "col_weight_decay",
           "augment": "col_augment", "train images": "col_train_images", "activation": "col_activation",
           "val split": "col_val_split", "label smoothing": "col_label_smoothing", "train acc": "col_train_acc",
           "val acc": "col_val_acc",
           "best val acc": "col_best_val_acc", "test acc": "col_test_acc",
           "time (s)": "col_time", "images/s": "col_images_per_s", "stopped by": "col_stopped_by",
           "device": "col_device", "heldout": "col_heldout"}


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The results table in the page's language."""
    stopped = table["stopped by"].map(lambda how: t(f"train.stopped_{how.replace(' ', '_')}"))
    heldout = table["heldout"].map(lambda on: t(f"train.heldout_{on}"))
    return (table.assign(**{"stopped by": stopped, "heldout": heldout})
            .rename(columns={c: t(f"train.{k}") for c, k in COLUMNS.items()}))


@dataclass(frozen=True)
class LabRuns:
    """This student's training-lab runs as the store has them, read once per page run."""

    rows: list[tuple[str, StoredRun]]  # oldest first, each with its label "#n network"
    usable: dict[int, str]  # run id → label, for the runs whose trained weights are kept


def lab_runs() -> LabRuns:
    store, sid = identity.store(), identity.current().id
    stored, skipped = store.runs(sid, tag=KEY)
    for _ in skipped:
        st.caption(t("train.row_skipped"))
    kept = store.weights_kept(sid)
    rows = [(f"#{n} {run.label}", run) for n, run in enumerate(stored, start=1)]
    return LabRuns(rows, {run.id: label for label, run in rows if run.id in kept})


RACE = "train.race"  # the optimizer race's runs, in ui.runs


def race_section(config: TrainConfig) -> None:
    """The optimizer race on the settings above (their network, data, seed and batch size)."""
    st.subheader(t("race.title"), anchor="race")
    st.caption(t("race.intro"))
    task_views.optimizer_race(RACE, config, config.time_limit_s)  # the lab's time limit, shared by the racers


def learned_section(lab: LabRuns) -> None:
    """The snapshots of any of this student's runs (kept with every run, weights or not)."""
    learned.section({run.id: label for label, run in lab.rows})


def results_table(lab: LabRuns) -> None:
    runs.failure(KEY)
    results = lab.rows
    if not results:
        st.caption(t("train.no_results"))
        return
    table = pd.DataFrame([{"run": label, **run.summary, "heldout": run.heldout} for label, run in results])
    st.dataframe(_shown(table), hide_index=True)
    labels = [label for label, _ in results]
    chosen = st.multiselect(t("train.compare"), labels, default=labels[-3:], key="train.compare")
    if chosen:
        st.plotly_chart(figures.training_curves({label: run.history for label, run in results if label in chosen}),
                        key="train.compare_chart")
    st.download_button(t("train.download_csv"), table.to_csv(index=False).encode(), "results_df.csv", "text/csv")


def trained(run_id: int, lab: LabRuns) -> RunResult | None:
    """The trained network of one of this student's runs, loaded from the store once per session:
    the session holds those of its usable runs only (at most the store's latest few)."""
    held = {i: r for i, r in st.session_state.get(TRIED, {}).items() if i in lab.usable}
    if run_id not in held:
        stored = identity.store().run_with_weights(identity.current().id, run_id)
        try:
            held[run_id] = stored.result() if stored else None
        except StoredRowError:  # weights that do not load: never used, said
            held[run_id] = None
    st.session_state[TRIED] = held
    if held[run_id] is None:
        st.warning(t("train.weights_unreadable"))
    return held[run_id]


def try_model(lab: LabRuns) -> None:
    """Save a trained network, and classify an uploaded image with it at once."""
    usable = lab.usable
    if not usable:
        return
    st.subheader(t("train.try_title"))
    run_id = st.selectbox(t("train.try_which"), list(usable), index=len(usable) - 1,  # options are plain ids
                          format_func=usable.__getitem__, key="train.try_which")
    result = trained(run_id, lab)
    if result is None:
        return
    st.download_button(t("train.save"), train.to_safetensors(result), f"cnnlab-run{run_id}.safetensors",
                       "application/octet-stream")
    source = st.radio(t("picture.source"), ("upload", "draw"), horizontal=True,
                      format_func=labels("picture.source_", ("upload", "draw")), key="train.try_source")
    if source == "draw":
        st.caption(t("draw.for_small", data=t(f"train.data_{result.config.dataset}")))
        image = drawing_ui.canvas("train.try_draw")
        if drawing_ui.blank(image):
            return
        drawn = True
    else:
        upload = st.file_uploader(t("train.try_upload"), type=["png", "jpg", "jpeg", "webp", "gif", "bmp"],
                                  key="train.try_upload")
        if upload is None:
            return
        try:
            image = images.decode(upload.getvalue()).image
        except images.ImageError as err:
            st.error(say(err))
            return
        drawn = False
    c1, c2 = st.columns([1, 3])
    with c1:
        x = small_input(result, image, drawn, "train")
    probs = train.predict(train.restore(result), x)[0].tolist()
    c2.plotly_chart(figures.class_probabilities(result.classes, probs), key="train.try_chart")


def small_input(result: RunResult, image, drawn: bool, key: str):
    """A picture as a training-lab network gets it, (1, C, H, W), with a picture of that input:
    a drawing framed the way its data set's images were made; a photo fitted, inverted if asked."""
    if drawn:
        x = drawing.to_small_input(image, result.config.dataset, result.in_channels, result.image_size,
                                   result.mean, result.std)
    else:
        invert = st.checkbox(t("train.invert"), value=True, key=f"{key}.invert")
        x = images.to_small_input(image, result.in_channels, result.image_size, result.mean, result.std, invert)
    seen = (x[0] * result.std + result.mean).clamp(0, 1)  # (C, H, W), back in [0, 1]
    st.image((seen[0] if result.in_channels == 1 else seen.permute(1, 2, 0)).numpy(), width=140,
             caption=t("train.seen_as", size=result.image_size))
    return x


def _evaluation(run_id: int, result: RunResult) -> mistakes.Evaluation:
    """The run's predictions on its validation images (never the test set, which the run looked at
    once), computed once per session and run."""
    held = st.session_state.get(EVALUATED)
    if held and held[0] == run_id:
        return held[1]
    x, y = _validation_images(result)
    evaluation = mistakes.evaluate(train.restore(result), x, y, result.classes)
    st.session_state[EVALUATED] = (run_id, evaluation)
    return evaluation


def _validation_images(result: RunResult):
    """Up to ``mistakes.EVAL_SIZE`` of the images the run validated on, and their labels."""
    data = datasets.load(result.config.dataset)
    held = train.splits(result.config, data)[1]
    return data.train_x[held][: mistakes.EVAL_SIZE], data.train_y[held][: mistakes.EVAL_SIZE]


def _gallery(indices: list[int], result: RunResult, evaluation: mistakes.Evaluation) -> None:
    """The validation images of ``indices`` with the network's probabilities."""
    if not indices:
        st.caption(t("train.no_images"))
        return
    shown = indices[:GALLERY]
    tiles = (_validation_images(result)[0][shown] * result.std + result.mean).clamp(0, 1)  # back in [0, 1]
    tiles = tiles[:, 0] if result.in_channels == 1 else tiles.permute(0, 2, 3, 1)
    columns = st.columns(6)
    for i, (index, tile) in enumerate(zip(shown, tiles)):
        probs = evaluation.probs[index]
        top = probs.topk(min(3, len(result.classes)))
        caption = "  \n".join(f"{result.classes[int(c)]} {float(p):.0%}" for p, c in zip(top.values, top.indices))
        columns[i % 6].image(tile.numpy(), width=84, caption=caption, clamp=True)


CELL = "train.mistakes_cell"  # the (true, predicted) cell whose images are shown
CLICKED = "_train.cell_clicked"  # the last click on the matrix taken into account


def _cells(pairs, k: int) -> list[tuple[int, int]]:
    """Every cell, the most confused pairs first, then the other mistakes, then the diagonal."""
    first = [(a, b) for a, b, _ in pairs]
    rest = [(a, b) for a in range(k) for b in range(k) if a != b and (a, b) not in first]
    return first + rest + [(a, a) for a in range(k)]


def _open_clicked_cell(event, classes: list[str]) -> None:
    """A click on a cell of the matrix chooses that cell below (once: the chart keeps its selection
    across reruns, and the select box must stay free to change afterwards)."""
    points = (event or {}).get("selection", {}).get("points", []) if hasattr(event, "get") else []
    if not points:
        return
    x, y = points[0].get("x"), points[0].get("y")
    if x in classes and y in classes and st.session_state.get(CLICKED) != (y, x):
        st.session_state[CLICKED] = (y, x)
        st.session_state[CELL] = (classes.index(y), classes.index(x))  # rows are the true class


def mistakes_section(lab: LabRuns) -> None:
    """What a trained run gets wrong: its confusion matrix, per class, the confused pairs' images,
    and its most confident mistakes."""
    usable = lab.usable
    if not usable:
        return
    st.subheader(t("train.mistakes_title"))
    run_id = st.selectbox(t("train.try_which"), list(usable), index=len(usable) - 1, format_func=usable.__getitem__,
                          key="train.mistakes_which")
    result = trained(run_id, lab)
    if result is None:
        return
    with st.spinner(t("app.computing")):
        evaluation = _evaluation(run_id, result)
    classes = list(result.classes)
    st.caption(t("train.confusion_click"))
    clicked = st.plotly_chart(figures.confusion_heatmap(evaluation.confusion().tolist(), classes),
                              key=f"train.confusion.{run_id}", on_select="rerun", selection_mode="points")
    _open_clicked_cell(clicked, classes)
    accuracy = evaluation.per_class_accuracy()
    st.plotly_chart(figures.class_probabilities(classes, accuracy, top=len(classes), axis=t("figure.accuracy")),
                    key="train.per_class")
    st.caption(t("train.per_class_caption", n=len(evaluation.labels)))
    pairs = evaluation.confused_pairs(3)
    if pairs:
        said = "; ".join(t("train.pair", count=n, true=classes[a], predicted=classes[b]) for a, b, n in pairs)
        st.markdown(t("train.most_confused", pairs=said))
    if pairs or CELL in st.session_state:
        options = _cells(pairs, len(classes))
        if st.session_state.get(CELL) not in options:
            st.session_state.pop(CELL, None)
        a, b = st.selectbox(t("train.cell"), options, format_func=lambda ab: t("train.cell_option", true=classes[ab[0]],
                                                                               predicted=classes[ab[1]]),
                            key=CELL)
        cell = evaluation.cell(a, b)
        if cell:
            st.markdown(t("train.cell_sentence" if a != b else "train.cell_right",
                          count=len(cell), true=classes[a], predicted=classes[b]))
        _gallery(cell, result, evaluation)
    st.markdown(f"**{t('train.confidently_wrong')}**")
    _gallery(evaluation.confidently_wrong(GALLERY), result, evaluation)
