"""ReLU against sigmoid and tanh: the functions and their gradients, as autograd computes them.

    σ(x) = 1 / (1 + e^(−x))     σ′(x) = σ(x)(1 − σ(x)) ≤ ¼
    tanh(x)                      tanh′(x) = 1 − tanh²(x) ≤ 1
    ReLU(x) = max(0, x)          ReLU′(x) = 1 for x > 0, else 0

A gradient passes through one of these per layer: through twenty sigmoids it is multiplied by at
most (¼)²⁰, which is why deep sigmoid networks barely learned (기울기 소실, vanishing gradients)
and why AlexNet's ReLU, whose gradient is 1 wherever it is active, trained several times faster.
"""

from __future__ import annotations

import torch

FUNCTIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def curves(lo: float = -6.0, hi: float = 6.0,
           points: int = 241) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """name → (x, f(x), f′(x)), the gradient from autograd."""
    out = {}
    for name, f in FUNCTIONS.items():
        x = torch.linspace(lo, hi, points, requires_grad=True)
        y = f(x)
        (grad,) = torch.autograd.grad(y.sum(), x)
        out[name] = (x.detach().tolist(), y.detach().tolist(), grad.tolist())
    return out


def gradient_through(name: str, layers: int, x: float = 0.0) -> float:
    """The factor a gradient is multiplied by through ``layers`` activations at their input ``x``
    (at x = 0: the sigmoid's best case, ¼ per layer)."""
    t = torch.tensor(float(x), requires_grad=True)
    (grad,) = torch.autograd.grad(FUNCTIONS[name](t), t)
    return float(grad) ** layers
