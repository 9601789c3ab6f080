"""Overfitting or degradation? Told apart from accuracies alone, as the lecture notes do.

* **Overfitting** (과적합): the network fits its training images far better than images it has
  not seen. Training accuracy is high, held-out accuracy is well below it, and the gap grows.
* **Degradation** (성능 저하): a deeper network is worse than a shallower one *on its own training
  images*. Its training accuracy is lower, so this is not overfitting: more parameters did not
  fit the data better, the deeper plain network is harder to optimise (He et al., 2016).

``diagnose`` returns one of ``"overfitting"``, ``"degradation"``, ``"fits"`` (no clear gap, no
deeper network behind a shallower one) and the numbers it compared, for a sentence on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

GAP = 0.10  # a training – held-out gap of ten points or more is overfitting
BEHIND = 0.02  # a deeper network this far behind a shallower one in *training* accuracy is degradation


@dataclass(frozen=True)
class Diagnosis:
    verdict: str  # "overfitting", "degradation" or "fits"
    train_acc: float
    test_acc: float
    gap: float  # train_acc − test_acc
    shallower_train_acc: float | None = None


def diagnose(train_acc: float, test_acc: float, shallower_train_acc: float | None = None) -> Diagnosis:
    """What a run's final accuracies say; ``shallower_train_acc`` is a shallower twin's training
    accuracy, when the run is the deeper of two networks trained alike."""
    gap = train_acc - test_acc
    if shallower_train_acc is not None and train_acc < shallower_train_acc - BEHIND:
        verdict = "degradation"  # checked first: a deeper net behind on its own data is not overfitting
    elif gap >= GAP:
        verdict = "overfitting"
    else:
        verdict = "fits"
    return Diagnosis(verdict, train_acc, test_acc, gap, shallower_train_acc)


def split_sizes(images: int, val_split: float) -> tuple[int, int]:
    """(training, validation) images when ``val_split`` of ``images`` is held back to validate on."""
    n_val = round(images * val_split)
    return images - n_val, n_val


def validation_split(available: int, subset: int, val_split: float, least: int) -> tuple[int, int]:
    """(training images, validation images) of a run that uses ``subset`` of ``available``
    training images and validates on ``val_split`` of them, or on at least ``least``.

    The validation images always come from the training data, never from the test set: the
    training set's first ``n_train`` images are trained on, the ``n_val`` after them validated on.
    Where the run uses only part of the data set (a lesson's 300 images), the validation images
    are taken from the images it leaves unused, so it still trains on all 300; otherwise they are
    the subset's last ``val_split`` (e.g. 54,000 + 6,000 of Fashion-MNIST's 60,000).
    """
    wanted = max(round(subset * val_split), min(least, subset))
    unused = available - subset
    if unused >= wanted:
        return subset, wanted
    n_train, n_val = split_sizes(subset, val_split)
    return n_train, max(n_val, 1)
