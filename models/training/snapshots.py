"""What a network has learned, at a few moments of its run: its first layer's filters, and the
feature maps one fixed held-out image makes at the end of each stage.

At the start the filters are noise (Kaiming's random initialisation) and the maps are blurred
copies of the image; a few hundred steps later the filters are edge and blob detectors and the
deeper maps light up on parts of the garment. ``take`` records one such moment; the training
loop (``models.training.train``) calls it at ``moments(total_steps)``: step 0 and evenly spaced
steps to the last one.

A snapshot is cheap on purpose: one image through the network in eval mode (no dropout, and
BatchNorm uses its running statistics without updating them, so the run's curve is the same
with or without snapshots), plus a copy of a few thousand weights. ``python -m bench.snapshots``
measures what it costs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import safetensors.torch
import torch
from torch import nn

SNAPSHOTS = 8  # moments per run: the start and 7 more, evenly spaced to the end
MAX_FILTERS = 32  # first-layer filters kept (ResNet18's stem has 64)
MAPS_PER_STAGE = 8  # feature maps kept per stage: always the first channels, so a slider shows the same ones


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: float
    filters: torch.Tensor  # (F, C, k, k): the first convolution's weights, on the CPU
    maps: tuple[tuple[str, torch.Tensor], ...]  # (stage, (M, H, W)) for the run's fixed held-out image


def moments(total_steps: int, count: int = SNAPSHOTS) -> tuple[int, ...]:
    """The steps after which a snapshot is taken: 0 (the random start), then ``count`` − 1 evenly
    spaced steps, the last one ``total_steps``. A run cut short by its time limit or by Stop gets
    one more at the step where it ended."""
    if count <= 0:
        return ()
    if count == 1:
        return (0,)
    return tuple(sorted({round(k * total_steps / (count - 1)) for k in range(count)}))


def first_conv(model: nn.Module) -> nn.Conv2d:
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


def stages(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Where a stage of the network ends, named as ``named_modules`` names them.

    * ResNets (the CIFAR ones and torchvision's): the stem's activation, then ``layer1`` … ``layerN``;
    * DenseNets: each dense block;
    * a plain ``nn.Sequential`` (``plain_cnn``, ``stack``): each activation at the top level.

    ``take`` keeps only the stages whose output is a map (B, C, H, W).
    """
    children = dict(model.named_children())
    if "layer1" in children:
        return [("relu", children["relu"])] + [(n, m) for n, m in children.items() if n.startswith("layer")]
    if "features" in children:
        return [(f"features.{n}", m) for n, m in children["features"].named_children() if n.startswith("denseblock")]
    activations = (nn.ReLU, nn.Sigmoid, nn.Tanh)
    return [(n, m) for n, m in children.items() if isinstance(m, activations)]


@torch.no_grad()
def take(model: nn.Module, image: torch.Tensor, step: int, epoch: float) -> Snapshot:
    """One moment: ``image`` (1, C, H, W), on the model's device, through the network in eval mode."""
    outputs: list[tuple[str, torch.Tensor]] = []

    def keep(name):
        def hook(_module, _inputs, output):
            if output.dim() == 4:
                outputs.append((name, output[0, :MAPS_PER_STAGE].float().to("cpu", copy=True)))  # (M, H, W)
        return hook

    handles = [module.register_forward_hook(keep(name)) for name, module in stages(model)]
    was_training = model.training
    model.eval()
    try:
        model(image)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    filters = first_conv(model).weight[:MAX_FILTERS].detach().float().to("cpu", copy=True)
    return Snapshot(step=step, epoch=epoch, filters=filters, maps=tuple(outputs))


def encode(snapshots: list[Snapshot]) -> bytes:
    """Snapshots as one safetensors file (tensors only, float16: about 100 KB for a plain_cnn run)."""
    tensors, metadata = {}, {"count": str(len(snapshots))}
    for i, s in enumerate(snapshots):
        tensors[f"{i}.filters"] = s.filters.half().contiguous()
        metadata[f"{i}.step"], metadata[f"{i}.epoch"] = str(s.step), repr(s.epoch)
        metadata[f"{i}.stages"] = ",".join(name for name, _ in s.maps)
        for name, maps in s.maps:
            tensors[f"{i}.map.{name}"] = maps.half().contiguous()
    return safetensors.torch.save(tensors, metadata=metadata)


def _metadata(blob: bytes) -> dict[str, str]:
    """A safetensors file's metadata: an 8-byte little-endian header length, then the JSON header."""
    length = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8 : 8 + length]).get("__metadata__", {})


def decode(blob: bytes) -> list[Snapshot]:
    tensors, metadata = safetensors.torch.load(blob), _metadata(blob)
    out = []
    for i in range(int(metadata["count"])):
        names = [n for n in metadata[f"{i}.stages"].split(",") if n]
        out.append(Snapshot(step=int(metadata[f"{i}.step"]), epoch=float(metadata[f"{i}.epoch"]),
                            filters=tensors[f"{i}.filters"].float(),
                            maps=tuple((n, tensors[f"{i}.map.{n}"].float()) for n in names)))
    return out
