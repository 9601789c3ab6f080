"""Convolution arithmetic, written once: output sizes, parameters, multiply-adds, receptive fields.

Symbols as in the lecture notes and Dumoulin & Visin's "A guide to convolution arithmetic":
input size W, kernel K, padding P, stride S, dilation D, channels C_in → C_out, groups G.

    K_eff = D·(K − 1) + 1                          (a dilated kernel's span)
    W′    = ⌊(W − K_eff + 2P) / S⌋ + 1             (nn.Conv2d)
    W′    = (W − 1)·S − 2P + K_eff + output_pad    (nn.ConvTranspose2d)
    params = K·K·(C_in / G)·C_out + C_out           (weights + one bias per filter)
    MACs   = W′·H′·C_out·K·K·(C_in / G)            (one multiply-add per weight per output cell)

Every function is checked against what ``torch.nn`` really produces (tests/test_conv_arithmetic.py).
Settings that describe no convolution raise ``ConvSettingsError`` with a ``code`` the UI
translates.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import LabError


class ConvSettingsError(LabError, ValueError):
    """Settings that describe no convolution."""

    area = "conv"
    CODES = {"stride_zero": (), "dilation_zero": (), "negative_padding": (), "no_channels": (),
             "groups": ("c_in", "c_out", "groups"), "kernel_too_large": ("k_eff", "padded")}


def effective_kernel(k: int, d: int = 1) -> int:
    """K_eff = D·(K − 1) + 1: the span a dilated kernel covers."""
    return d * (k - 1) + 1


@dataclass(frozen=True)
class Conv:
    """One sliding window of kernel K, padding P, stride S and dilation D: a 2-D convolution on
    a square W×W×C_in input, or, with no input size and no channels, one layer of a stack whose
    receptive field is traced (``models.maths.receptive_field``; a pooling layer slides the same
    way, so it is a ``Conv`` there too)."""

    k: int
    w: int | None = None  # the input's width W; needed for the output size, not for a receptive field
    p: int = 0
    s: int = 1
    d: int = 1
    c_in: int = 1
    c_out: int = 1
    groups: int = 1
    bias: bool = True
    name: str = ""  # the layer's name in a network ("layer1.0.conv1")

    def check(self) -> Conv:
        if self.s < 1:
            raise ConvSettingsError("stride_zero")
        if self.d < 1 or self.k < 1:
            raise ConvSettingsError("dilation_zero")
        if self.p < 0:
            raise ConvSettingsError("negative_padding")
        if (self.w is not None and self.w < 1) or self.c_in < 1 or self.c_out < 1 or self.groups < 1:
            raise ConvSettingsError("no_channels")
        if self.c_in % self.groups or self.c_out % self.groups:
            raise ConvSettingsError("groups", c_in=self.c_in, c_out=self.c_out, groups=self.groups)
        if self.w is not None and self.k_eff > self.w + 2 * self.p:
            raise ConvSettingsError("kernel_too_large", k_eff=self.k_eff, padded=self.w + 2 * self.p)
        return self

    @property
    def k_eff(self) -> int:
        return effective_kernel(self.k, self.d)

    @property
    def out(self) -> int:
        """W′ = ⌊(W − K_eff + 2P) / S⌋ + 1."""
        self.check()
        if self.w is None:
            raise TypeError("the output size needs the input's width w")
        return (self.w - self.k_eff + 2 * self.p) // self.s + 1

    @property
    def remainder(self) -> int:
        """What the floor drops: (W − K_eff + 2P) mod S padded positions the last window never reaches."""
        self.check()
        return (self.w - self.k_eff + 2 * self.p) % self.s

    @property
    def weights(self) -> int:
        return self.k * self.k * (self.c_in // self.groups) * self.c_out

    @property
    def parameters(self) -> int:
        return self.weights + (self.c_out if self.bias else 0)

    @property
    def macs(self) -> int:
        return self.out * self.out * self.c_out * self.k * self.k * (self.c_in // self.groups)

    def activation_bytes(self, bytes_per_value: int = 4) -> int:
        """Memory of one output feature map (batch 1, float32 by default)."""
        return self.out * self.out * self.c_out * bytes_per_value

    def unreached(self) -> list[int]:
        """Input rows (0-based, unpadded) that no kernel window touches: the floor made visible."""
        covered = set()
        for i in range(self.out):
            start = i * self.s - self.p
            covered.update(start + j * self.d for j in range(self.k))
        return [r for r in range(self.w) if r not in covered]

    def torch_line(self) -> str:
        """The equivalent ``nn.Conv2d(...)``, defaults left out."""
        args = [str(self.c_in), str(self.c_out), f"kernel_size={self.k}"]
        args += [f"{name}={value}" for name, value, default in (
            ("stride", self.s, 1), ("padding", self.p, 0), ("dilation", self.d, 1),
            ("groups", self.groups, 1), ("bias", self.bias, True)) if value != default]
        return f"nn.Conv2d({', '.join(args)})"


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """Padding (before, after) that keeps W′ = W at stride 1; unequal when K_eff is even."""
    total = effective_kernel(k, d) - 1
    return total // 2, total - total // 2


def transposed_out(w: int, k: int, p: int = 0, s: int = 1, d: int = 1, output_padding: int = 0) -> int:
    """W′ of nn.ConvTranspose2d: (W − 1)·S − 2P + K_eff + output_padding."""
    return (w - 1) * s - 2 * p + effective_kernel(k, d) + output_padding


def dense_parameters(w: int, h: int, c: int, units: int) -> int:
    """A fully-connected layer on a flattened W×H×C image: one weight per pixel per unit, plus biases."""
    return w * h * c * units + units


# --- the sliding window, step by step -------------------------------------------------------

@dataclass(frozen=True)
class Step:
    row: int  # output cell
    col: int
    cells: tuple[tuple[int, int], ...]  # input cells under the kernel, in kernel order (padded coordinates)
    values: tuple[float, ...]  # input values there (0 in the padding)
    products: tuple[float, ...]  # element-wise products with the kernel
    total: float  # their sum: the output cell


def sliding_window(x: list[list[float]], kernel: list[list[float]], p: int = 0, s: int = 1, d: int = 1) -> list[Step]:
    """Every position of the kernel over ``x`` (H×W, zero-padded by ``p``), as CNNs compute it
    (cross-correlation: the kernel is not flipped). Matches torch.nn.functional.conv2d."""
    h, w, k = len(x), len(x[0]), len(kernel)
    Conv(w=min(h, w), k=k, p=p, s=s, d=d).check()
    out_h, out_w = (h - effective_kernel(k, d) + 2 * p) // s + 1, (w - effective_kernel(k, d) + 2 * p) // s + 1

    def at(r: int, c: int) -> float:  # padded coordinates
        r, c = r - p, c - p
        return x[r][c] if 0 <= r < h and 0 <= c < w else 0.0

    steps = []
    for i in range(out_h):
        for j in range(out_w):
            cells = tuple((i * s + a * d, j * s + b * d) for a in range(k) for b in range(k))
            values = tuple(at(r, c) for r, c in cells)
            offsets = ((a, b) for a in range(k) for b in range(k))
            products = tuple(v * kernel[a][b] for v, (a, b) in zip(values, offsets))
            steps.append(Step(i, j, cells, values, products, sum(products)))
    return steps


def chain(w: int, layers) -> list[int]:
    """Sizes through a stack of (K, S, P) layers: [W, W′₁, W′₂, …]."""
    sizes = [w]
    for k, s, p in layers:
        sizes.append(Conv(w=sizes[-1], k=k, p=p, s=s).out)
    return sizes
