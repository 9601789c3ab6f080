"""Grad-CAM (Selvaraju et al., 2017): where in the picture the evidence for a class lies.

For a layer's activation A (C, h, w) and a class score y_c:

    α_k = mean over (i, j) of ∂y_c / ∂A_k[i, j]       one weight per channel
    L   = ReLU( Σ_k α_k · A_k )                       an (h, w) map, scaled to [0, 1]

The gradient of y_c with respect to A only depends on what comes *after* A, so it is computed
through the network's head alone (``Network.head``: the rest of torchvision's ``forward``) on the
activation the inference engine already returned. No hooks on the shared model (another
session's forward would run through them) and no second pass through the convolutions: a class
picked on the page costs a few milliseconds. For ResNet18 the head is average pooling and one
linear layer, so α_k is fc.weight[c, k] / (h·w) and Grad-CAM equals the original CAM
(Zhou et al., 2016); DenseNet121's head has a BatchNorm and a ReLU first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.runtime.networks import Network


def grad_cam(network: Network, model: nn.Module, activation: torch.Tensor, class_index: int) -> torch.Tensor:
    """The Grad-CAM map (h, w) in [0, 1] of one image's activation (1, C, h, w) at
    ``network.cam_layer``, for a class."""
    a = activation.detach().to(next(model.parameters()).device).float().requires_grad_(True)
    with torch.enable_grad():
        score = network.head(model, a)[0, class_index]
        (grad,) = torch.autograd.grad(score, a)  # (1, C, h, w); the model's weights need no grads
    alpha = grad.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1)
    cam = F.relu((alpha * a.detach()).sum(dim=1))[0]  # (h, w)
    top = cam.max()
    return (cam / top if top > 0 else cam).cpu()

