"""Classic hand-made kernels, and what a kernel does to an RGB image."""

from __future__ import annotations

import torch
import torch.nn.functional as F

CLASSIC: dict[str, list[list[float]]] = {
    "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],  # Laplacian-style: responds to any edge
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],  # vertical edges (change from left to right)
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],  # horizontal edges
    "blur": [[1 / 9] * 3] * 3,  # box blur: the mean of the neighbourhood
    "gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}


def rgb_feature_map(image: torch.Tensor, kernel: list[list[float]]) -> torch.Tensor:
    """One filter on a (3, H, W) image in [0, 1]: the same K×K kernel on each of R, G and B,
    summed into one (H, W) feature map — what one output channel of a conv layer computes.
    Each channel's kernel is divided by 3, so a blur of a grey image stays the same grey."""
    k = torch.tensor(kernel, dtype=image.dtype)
    weight = (k / image.shape[0]).expand(1, image.shape[0], *k.shape)  # (C_out=1, C_in=3, K, K)
    return F.conv2d(image.unsqueeze(0), weight, padding=k.shape[-1] // 2)[0, 0]  # (H, W)
