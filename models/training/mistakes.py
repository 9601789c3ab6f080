"""What a trained network gets wrong: its confusion matrix on its validation images, and the images.

``evaluate`` runs a trained network over its validation images once and keeps every prediction;
everything else is read from those predictions:

    confusion[t, p]    how many images of true class t the network called p (rows sum to the class's count)
    per-class accuracy confusion[t, t] / Σ_p confusion[t, p]
    confused pairs     the largest off-diagonal cells: "these sandals it called sneakers"
    cell(t, p)         the indices of those images, for the gallery
    confidently wrong  the wrong predictions with the highest probability on the wrong class
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

EVAL_SIZE = 2000  # validation images, as the run's final validation accuracy counts them


@dataclass(frozen=True)
class Evaluation:
    classes: tuple[str, ...]
    labels: torch.Tensor  # (N,) true classes
    probs: torch.Tensor  # (N, classes) softmax

    @property
    def predicted(self) -> torch.Tensor:
        return self.probs.argmax(dim=1)

    def confusion(self) -> torch.Tensor:
        """(classes, classes): row = true class, column = predicted class."""
        k = len(self.classes)
        return torch.bincount(self.labels * k + self.predicted, minlength=k * k).view(k, k)

    def per_class_accuracy(self) -> list[float]:
        c = self.confusion()
        return (c.diag().float() / c.sum(dim=1).clamp_min(1).float()).tolist()

    def confused_pairs(self, top: int = 3) -> list[tuple[int, int, int]]:
        """(true, predicted, count) of the largest off-diagonal cells, most first."""
        c = self.confusion().clone()
        c.fill_diagonal_(0)
        counts, flat = c.flatten().topk(min(top, c.numel()))
        k = len(self.classes)
        return [(int(i) // k, int(i) % k, int(n)) for n, i in zip(counts, flat) if n > 0]

    def cell(self, true: int, predicted: int) -> list[int]:
        """Indices (into the validation images) of the images of class ``true`` called ``predicted``."""
        return torch.nonzero((self.labels == true) & (self.predicted == predicted)).flatten().tolist()

    def confidently_wrong(self, top: int = 12) -> list[int]:
        """Indices of the wrong predictions made with the highest probability, most confident first."""
        wrong = torch.nonzero(self.predicted != self.labels).flatten()
        confidence = self.probs[wrong].max(dim=1).values
        return wrong[confidence.argsort(descending=True)[:top]].tolist()


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, classes: tuple[str, ...],
             batch_size: int = 500) -> Evaluation:
    """Every prediction of ``model`` (eval mode, on the CPU) on ``images`` (N, C, H, W)."""
    model.eval()
    probs = torch.cat([model(images[i : i + batch_size]).softmax(dim=1) for i in range(0, len(images), batch_size)])
    return Evaluation(tuple(classes), labels.long(), probs)
