"""The numbers a picture's text alternative says: where a heat map is strongest, how a curve ends,
how many feature maps and of what size, what a confusion matrix gets wrong most.

Every picture has words (docs/accessibility.md, "Figures"): a student who cannot see a Grad-CAM
overlay hears "ResNet18's Grad-CAM for 'tabby cat': strongest over the upper left, 31% of the heat
in one cell of the 7×7 grid". This module computes those numbers from the data the picture is
drawn from; the sentences are in ``lessons/strings/<lang>.toml`` under ``alt`` and are filled by
``ui/figures.py``. Pure: numpy in, plain values out, no wording.

Where a place is said, it is one of nine regions: the picture cut into thirds each way
(``REGIONS``, row by row from the top left), named by keys the strings translate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REGIONS = ("top_left", "top", "top_right", "left", "centre", "right", "bottom_left", "bottom", "bottom_right")
FLAT = 0.02  # a curve whose last value is within 2% (of its largest value) of its first is flat


def region(row: float, col: float, height: int, width: int) -> str:
    """The region (a third of the height, a third of the width) that holds the point (row, col)."""
    r = min(2, max(0, int(3 * (row + 0.5) / height)))
    c = min(2, max(0, int(3 * (col + 0.5) / width)))
    return REGIONS[3 * r + c]


@dataclass(frozen=True)
class Heat:
    """Where a non-negative map (a Grad-CAM, an effective receptive field) is strongest."""
    region: str         # the region of ``REGIONS`` that holds the most heat
    region_share: float  # that region's share of all the heat, in [0, 1]
    cell_share: float   # the hottest single cell's share of all the heat
    height: int
    width: int


def heat(values) -> Heat:
    """The strongest region of a map (h, w) of non-negative values, and how much of the heat it
    and the hottest cell hold. An all-zero map has no strongest place: the centre, with shares 0."""
    z = np.clip(np.asarray(values, dtype=np.float64), 0, None)
    h, w = z.shape
    total = float(z.sum())
    if total <= 0:
        return Heat("centre", 0.0, 0.0, h, w)
    # the thirds as region() cuts them: row r belongs to third min(2, 3·(r + ½) // h)
    rows = np.minimum(2, (3 * (np.arange(h) + 0.5) / h).astype(int))
    cols = np.minimum(2, (3 * (np.arange(w) + 0.5) / w).astype(int))
    sums = np.zeros((3, 3))
    np.add.at(sums, (rows[:, None], cols[None, :]), z)
    best = int(sums.argmax())
    return Heat(REGIONS[best], float(sums.flat[best]) / total, float(z.max()) / total, h, w)


@dataclass(frozen=True)
class Curve:
    """How a series of values (a loss, an accuracy, per epoch or step) went."""
    first: float
    final: float
    best: float
    best_at: int      # the index of the best value (the first if it repeats)
    trend: str        # "rising", "falling" or "flat": the final value against the first


def curve(values, higher_is_better: bool) -> Curve:
    v = [float(x) for x in values]
    if not v:
        raise ValueError("a curve needs at least one value")
    best_at = int(np.argmax(v) if higher_is_better else np.argmin(v))
    scale = max(abs(x) for x in v) or 1.0
    change = v[-1] - v[0]
    trend = "flat" if abs(change) <= FLAT * scale else ("rising" if change > 0 else "falling")
    return Curve(v[0], v[-1], v[best_at], best_at, trend)


@dataclass(frozen=True)
class Maps:
    """A stack of feature maps (C, H, W): how many, how big, which responds most and where."""
    channels: int
    height: int
    width: int
    strongest: int    # the channel with the largest activation (0-based)
    region: str       # where in that channel the largest activation is


def maps(values) -> Maps:
    m = np.asarray(values, dtype=np.float64)
    c, h, w = m.shape
    flat = int(m.reshape(-1).argmax())
    channel, rest = divmod(flat, h * w)
    row, col = divmod(rest, w)
    return Maps(c, h, w, channel, region(row, col, h, w))


@dataclass(frozen=True)
class Filters:
    """Convolution filters (F, C, k, k): how many, their size, and the strongest by its L2 norm."""
    count: int
    channels: int
    size: int
    strongest: int   # 0-based
    ratio: float     # the strongest filter's norm over the weakest's (how unequal they are)


def filters(values) -> Filters:
    f = np.asarray(values, dtype=np.float64)
    norms = np.sqrt((f.reshape(len(f), -1) ** 2).sum(axis=1))
    weakest = float(norms.min())
    return Filters(f.shape[0], f.shape[1], f.shape[-1], int(norms.argmax()),
                   float(norms.max()) / weakest if weakest > 0 else float("inf"))


@dataclass(frozen=True)
class Ink:
    """A picture (H, W) or (H, W, 3) in [0, 1]: its size, how much of it is bright, and where."""
    height: int
    width: int
    bright_share: float  # the share of pixels brighter than half
    region: str          # the region of the bright pixels' centre (the centre if none is bright)


def ink(values) -> Ink:
    a = np.asarray(values, dtype=np.float64)
    grey = a.mean(axis=-1) if a.ndim == 3 else a
    h, w = grey.shape
    bright = grey > 0.5
    if not bright.any():
        return Ink(h, w, 0.0, "centre")
    rows, cols = np.nonzero(bright)
    return Ink(h, w, float(bright.mean()), region(float(rows.mean()), float(cols.mean()), h, w))


@dataclass(frozen=True)
class Confusion:
    """A confusion matrix (rows: the true class, columns: the prediction)."""
    accuracy: float              # the diagonal's share of all images
    total: int
    worst: tuple[int, int, int] | None  # (true, predicted, count) of the largest off-diagonal cell


def confusion(matrix) -> Confusion:
    m = np.asarray(matrix, dtype=np.int64)
    total = int(m.sum())
    off = m.copy()
    np.fill_diagonal(off, 0)
    worst = None
    if off.max() > 0:
        r, c = divmod(int(off.argmax()), m.shape[1])
        worst = (r, c, int(off[r, c]))
    return Confusion(float(np.trace(m)) / total if total else 0.0, total, worst)


def ranked(labels, values) -> list[tuple[str, float]]:
    """(label, value) from the largest value down; ties keep the given order."""
    order = sorted(range(len(values)), key=lambda i: -float(values[i]))
    return [(labels[i], float(values[i])) for i in order]
