"""Parameter counts of the blocks the deep-network lessons teach, written out as the papers do.

Residual blocks (He et al., 2016), where every convolution is followed by BatchNorm and has no
bias:

    BasicBlock      2·(3·3·C·C + 2C)                          two 3×3 convolutions C → C
    Bottleneck      (C_in·w + 2w) + (9w² + 2w) + (w·4w + 2·4w)  1×1 reduce, 3×3, 1×1 expand
    projection W_s  C_in·C_out + 2·C_out                       the 1×1 shortcut where the shape changes

and the dense block (Huang et al., 2017), whose layer ℓ adds k channels (the growth rate):

    channels after ℓ layers = c₀ + ℓ·k

Each is tested against torchvision's ``BasicBlock``, ``Bottleneck`` and ``DenseNet`` modules.
"""

from __future__ import annotations


def bn_params(c: int) -> int:
    """BatchNorm learns a scale γ and a shift β per channel (its running statistics are not learned)."""
    return 2 * c


def basic_block_params(c: int) -> int:
    """Two 3×3 convolutions C → C without bias, each followed by BatchNorm: 2·(9·C² + 2C)."""
    return 2 * (3 * 3 * c * c + bn_params(c))


def bottleneck_params(c_in: int, width: int, expansion: int = 4) -> int:
    """1×1 reduce (C_in → width), 3×3 (width → width), 1×1 expand (width → 4·width), each with BatchNorm."""
    c_out = width * expansion
    return ((c_in * width + bn_params(width)) + (9 * width * width + bn_params(width))
            + (width * c_out + bn_params(c_out)))


def projection_params(c_in: int, c_out: int) -> int:
    """The 1×1 projection shortcut W_s·x used where the shape changes: a 1×1 convolution and BatchNorm."""
    return c_in * c_out + bn_params(c_out)


def stage_macs(h: int, c: int) -> int:
    """Multiply-adds of one 3×3 convolution C → C on an h×h map: h²·9·C².
    Halving the map (h/2) and doubling the channels (2C) gives (h/2)²·9·(2C)² = the same."""
    return h * h * 9 * c * c


def channels_after(c0: int, layers: int, growth_rate: int) -> int:
    """Channels a dense block passes on after ``layers`` layers: c₀ + ℓ·k."""
    return c0 + layers * growth_rate
