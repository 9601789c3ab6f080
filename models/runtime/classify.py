"""Classifying a picture with the pretrained networks, and everything the page shows about how.

``preprocess`` replays the weights' own transform (``weights.transforms()``: resize the shorter
side to 256, centre-crop 224, scale to [0, 1], normalise with ImageNet's mean and std) one step
at a time, keeping each intermediate to show. ``analyse`` turns uploaded bytes into the top-5 of
every model, the feature maps of every stage and the activation Grad-CAM needs, in one forward
pass per model (``models.runtime.inference``), and keeps the result: reruns of the page, and the same
picture uploaded again by anyone, are served from the cache.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import torch
import torchvision.transforms.functional as TF
from PIL import Image

from models.runtime import cam, images, inference, networks, zoo

SHOWN_CHANNELS = 8  # feature maps kept per stage: the most active channels


@dataclass(frozen=True)
class Step:
    name: str  # "original", "resized", "cropped", "normalised"
    image: Image.Image  # what to show for this step
    shape: tuple[int, ...]  # the tensor's shape at this step, (C, H, W)


@dataclass(frozen=True)
class Steps:
    """The weights' preprocessing, one named step at a time; iterating gives them in order."""

    original: Step
    resized: Step  # the shorter side → 256
    cropped: Step  # 224 × 224 from the middle: what the network's cells cover
    normalised: Step  # each channel (v − mean) / std, stretched back to colours to be seen

    def __iter__(self):
        return iter((self.original, self.resized, self.cropped, self.normalised))

    def __len__(self) -> int:
        return 4


def preprocess(image: Image.Image, transform) -> tuple[Steps, torch.Tensor]:
    """The steps of torchvision's ``ImageClassification`` transform, and its output (1, 3, 224, 224).

    The output equals ``transform(image)`` exactly (tested): the steps are its own, with its
    own sizes, interpolation and statistics, read from the transform object.
    """
    image = image.convert("RGB")
    resized = TF.resize(image, transform.resize_size, interpolation=transform.interpolation,
                        antialias=transform.antialias)  # shorter side → 256
    cropped = TF.center_crop(resized, transform.crop_size)  # 224 × 224 from the middle
    x = TF.convert_image_dtype(TF.pil_to_tensor(cropped), torch.float)  # (3, 224, 224) in [0, 1]
    x = TF.normalize(x, mean=transform.mean, std=transform.std)  # each channel: (v − mean) / std
    # The normalised tensor has no colours to show as such: stretch each channel to [0, 1].
    lo, hi = x.amin(dim=(1, 2), keepdim=True), x.amax(dim=(1, 2), keepdim=True)
    seen = ((x - lo) / (hi - lo).clamp_min(1e-6) * 255).round().byte().permute(1, 2, 0).numpy()

    def shape(im: Image.Image) -> tuple[int, int, int]:
        return (3, im.height, im.width)

    steps = Steps(Step("original", image, shape(image)), Step("resized", resized, shape(resized)),
                  Step("cropped", cropped, shape(cropped)), Step("normalised", Image.fromarray(seen), tuple(x.shape)))
    return steps, x.unsqueeze(0)


@dataclass(frozen=True)
class StageMaps:
    shape: tuple[int, int, int]  # (C, H, W) of the whole activation
    channels: tuple[int, ...]  # which channels are kept: the most active ones
    maps: torch.Tensor  # (len(channels), H, W)


@dataclass(frozen=True)
class Prediction:
    model: str  # the network's name, "resnet18"
    title: str  # "ResNet18"
    categories: list[str]  # the class names of ``probs``, from the weights' metadata
    pretrained: bool
    probs: torch.Tensor  # (1000,) softmax
    stages: dict[str, StageMaps]
    cam_activation: torch.Tensor  # (1, C, 7, 7): the activation of the network's ``cam_layer``
    forward_ms: float  # one forward pass, batch 1, on ``device``
    backend: str
    device: str
    # Grad-CAM maps by class, computed once: the page draws them on every rerun (an opacity slider
    # moved, another student with the same picture), and the analysis they belong to is cached.
    _cams: dict[int, torch.Tensor] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def grad_cam(self, clf: zoo.Classifier, class_index: int) -> torch.Tensor:
        """The Grad-CAM map (h, w) of this picture for a class (``models.runtime.cam``), from the
        activation kept by the forward pass; ``clf`` is the classifier that made this prediction."""
        if class_index not in self._cams:
            self._cams[class_index] = cam.grad_cam(clf.network, clf.model, self.cam_activation, class_index)
        return self._cams[class_index]

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        """(class index, probability) of the k most probable classes."""
        p, i = self.probs.topk(k)
        return list(zip(i.tolist(), p.tolist()))

    def named_top(self, k: int = 5) -> list[tuple[str, float]]:
        """(class name, probability) of the k most probable classes."""
        return named_top(self.probs, self.categories, k)


def named_top(probs: torch.Tensor, categories, k: int = 5) -> list[tuple[str, float]]:
    """(class name, probability) of the k most probable classes of a (1000,) softmax."""
    p, i = probs.topk(k)
    return [(categories[j], q) for j, q in zip(i.tolist(), p.tolist())]


def _stage(a: torch.Tensor) -> StageMaps:
    a = a[0]  # (C, H, W)
    strongest = a.mean(dim=(1, 2)).topk(min(SHOWN_CHANNELS, a.shape[0])).indices.sort().values
    return StageMaps(tuple(a.shape), tuple(strongest.tolist()), a[strongest].clone())


def predict(clf: zoo.Classifier, x: torch.Tensor) -> Prediction:
    """One forward pass of a shared classifier on one preprocessed image (1, 3, 224, 224)."""
    engine = inference.engine(clf)
    if clf.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = engine(x)  # returns CPU tensors: the time includes the copy back
    forward_ms = (time.perf_counter() - start) * 1000
    network = clf.network
    return Prediction(
        model=network.name,
        title=network.title,
        categories=network.categories,
        pretrained=clf.pretrained,
        probs=out[network.logits][0].softmax(dim=0),
        stages={s: _stage(out[s]) for s in network.stages},
        cam_activation=out[network.cam_layer].clone(),
        forward_ms=forward_ms,
        backend=engine.backend,
        device=str(clf.device),
    )


@dataclass(frozen=True)
class Analysis:
    digest: str
    decoded: images.Decoded  # its image: the original step as shown, at most SHOWN_SIDE
    steps: Steps
    x: torch.Tensor  # (1, 3, 224, 224): what every model saw
    predictions: dict[str, Prediction]
    total_ms: float  # from bytes to every top-5, when it was computed
    from_cache: bool = False  # this copy was served from the cache

    def agree(self) -> bool:
        """Whether the models' most probable classes are the same."""
        return len({p.top(1)[0][0] for p in self.predictions.values()}) == 1


SHOWN_SIDE = 512  # the original and resized steps are kept this large at most: what a page shows of them


def _shown(step: Step) -> Step:
    """The step as the page shows it: its picture no larger than ``SHOWN_SIDE`` (its shape
    still says the size the network's transform worked at)."""
    if max(step.image.size) <= SHOWN_SIDE:
        return step
    image = step.image.copy()
    image.thumbnail((SHOWN_SIDE, SHOWN_SIDE))
    return dataclasses.replace(step, image=image)


def _image_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


def nbytes(analysis: Analysis) -> int:
    """What an analysis holds in memory: its pictures and its tensors (the cache's measure)."""
    tensors = [analysis.x]
    for p in analysis.predictions.values():
        tensors += [p.probs, p.cam_activation, *(s.maps for s in p.stages.values()), *p._cams.values()]
    pictures = {id(s.image): s.image for s in analysis.steps} | {id(analysis.decoded.image): analysis.decoded.image}
    return sum(t.nelement() * t.element_size() for t in tensors) + sum(map(_image_bytes, pictures.values()))


class _LRU:
    """A thread-safe cache shared by every session: the latest analyses, as many as fit in
    ``max_bytes``. Bounded in bytes, not entries: what one entry costs is up to the picture."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self._items, self._lock = max_bytes, OrderedDict(), threading.Lock()
        self.bytes = self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key][0]
            self.misses += 1
            return None

    def put(self, key, value, size: int) -> None:
        with self._lock:
            if key in self._items:
                self.bytes -= self._items.pop(key)[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes and len(self._items) > 1:  # the newest always stays
                self.bytes -= self._items.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = self.hits = self.misses = 0


# About 2.8 MB an analysis (two networks' kept maps and CAM activations, the 224-pixel crop, the
# input tensor, the shown steps): some sixty pictures.
CACHE = _LRU(96 * 2**20)


def analyse(data: bytes, names: tuple[str, ...] | None = None) -> Analysis:
    """Bytes → decoded picture → preprocessing → the prediction of every named network (by
    default every registered one). Raises ``ImageError``."""
    classifiers = [zoo.classifier(n) for n in (names or tuple(networks.NETWORKS))]
    key = (images.digest(data), tuple((c.name, c.pretrained, id(c.model)) for c in classifiers))
    cached = CACHE.get(key)
    if cached is not None:
        return dataclasses.replace(cached, from_cache=True)  # a shallow copy: the tensors are shared
    start = time.perf_counter()
    decoded = images.decode(data)
    steps, x = preprocess(decoded.image, classifiers[0].transforms())  # both weights share one transform
    predictions = {c.name: predict(c, x) for c in classifiers}
    # Kept, and cached, is what the pages show: the steps' pictures at most SHOWN_SIDE, not the upload.
    steps = Steps(*map(_shown, steps))
    decoded = dataclasses.replace(decoded, image=steps.original.image)
    result = Analysis(key[0], decoded, steps, x, predictions, (time.perf_counter() - start) * 1000)
    CACHE.put(key, result, nbytes(result))
    return result
