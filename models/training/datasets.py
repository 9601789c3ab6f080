"""Image data sets for the training lab and the lessons' tasks, held in memory as tensors.

* ``synthetic``: shapes (circle, ring, square, triangle, cross, bar) drawn in code at a random
  position, scale and rotation. Needs nothing on disk and no network: the embedded default.
  Because the label never depends on where the shape is, it also shows translation invariance.
* ``fashion-mnist``: the standard idx files, found in ``$CNNLAB_DATA``,
  ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``) or the data root;
  downloaded by torchvision only as a last resort and never when ``CNNLAB_OFFLINE=1``.
* ``cifar-10``: only when present in the data root, as the binary version
  (``cifar-10-batches-bin``) or torchvision's Python version (``cifar-10-batches-py``, read
  with an unpickler that accepts NumPy arrays and nothing else). Never downloaded by a page:
  ``python -m models.datasets fetch cifar10`` downloads it through torchvision, which checks the
  archive's MD5, and ``verify_cifar10`` checks every batch file against torchvision's own list.

Every split is ``(N, C, H, W)`` float32, standardised with the training set's mean and std.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from models import settings
from models.errors import LabError
from models.runtime.memo import memoized

SHAPES = ("circle", "ring", "square", "triangle", "cross", "bar")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
FASHION_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR_RECORD = 1 + 3 * 32 * 32  # binary version: a label byte, then 1024 red, 1024 green, 1024 blue


class DatasetUnavailable(LabError):
    """A data set that cannot be loaded here."""

    area = "data"
    CODES = {"unreadable": ("path", "reason"), "not_idx": ("path",), "truncated": ("path", "size", "promised"),
             "counts_differ": ("folder",), "fashion_missing": ("looked", "folder"), "not_cifar": ("path", "size"),
             "cifar_unreadable": ("path", "reason"), "cifar_missing": ("root",), "unknown": ("name", "choices"),
             "cifar_corrupt": ("file", "folder"), "offline": ("name",), "fetch_failed": ("name", "reason", "folder")}


@dataclass(frozen=True)
class Dataset:
    name: str
    classes: tuple[str, ...]
    train_x: torch.Tensor  # (N, C, H, W) float32, standardised
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str  # where it came from, said on the page
    mean: float = 0.0  # what was subtracted and divided, to show or draw images back
    std: float = 1.0

    @property
    def in_channels(self) -> int:
        return self.train_x.shape[1]

    @property
    def image_size(self) -> int:
        return self.train_x.shape[-1]


def data_root(env: dict | None = None) -> Path:
    """``CNNLAB_DATA``: where data sets are looked for and kept."""
    return (settings.read(env) if env is not None else settings.current()).data


def _standardise(name, classes, train_x, train_y, test_x, test_y, source) -> Dataset:
    mean, std = train_x.mean().item(), train_x.std().item()
    return Dataset(
        name, tuple(classes),
        (train_x - mean) / std, train_y.long(), (test_x - mean) / std, test_y.long(),
        source, mean, std,
    )


# --- synthetic shapes ---------------------------------------------------------------------

def _signed_distance(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Signed distance (negative inside) of every shape at local coordinates (u, v): (6, ...)."""
    r = torch.sqrt(u * u + v * v)
    au, av = u.abs(), v.abs()
    circle = r - 0.9
    ring = (r - 0.7).abs() - 0.22
    square = torch.maximum(au, av) - 0.75
    triangle = torch.maximum(au * math.sqrt(3) / 2 + v / 2, -v) - 0.45
    cross = torch.minimum(torch.maximum(au - 0.22, av - 0.9), torch.maximum(au - 0.9, av - 0.22))
    bar = torch.maximum(au - 0.95, av - 0.2)
    return torch.stack([circle, ring, square, triangle, cross, bar])


def render_shapes(labels: torch.Tensor, size: int = 28, seed: int = 0, noise: float = 0.08) -> torch.Tensor:
    """Draw ``labels`` (N,) as shapes at random position, scale and rotation: (N, 1, size, size) in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    n = labels.shape[0]
    centre = (torch.rand(n, 2, generator=g) - 0.5) * 0.7  # shape centre, image spans [-1, 1]
    scale = 0.3 + 0.3 * torch.rand(n, generator=g)
    angle = 2 * math.pi * torch.rand(n, generator=g)
    axis = torch.linspace(-1, 1, size)
    y, x = torch.meshgrid(axis, axis, indexing="ij")  # (H, W)
    dx = x - centre[:, 0, None, None]  # (N, H, W)
    dy = y - centre[:, 1, None, None]
    cos, sin = angle.cos()[:, None, None], angle.sin()[:, None, None]
    s = scale[:, None, None]
    u, v = (cos * dx + sin * dy) / s, (-sin * dx + cos * dy) / s  # rotate into the shape's frame
    distance = _signed_distance(u, v).gather(0, labels.view(1, n, 1, 1).expand(1, n, size, size))[0]
    pixel = 2 / size
    image = (0.5 - distance * s / pixel).clamp(0, 1)  # one pixel of anti-aliasing
    image = image + noise * torch.randn(image.shape, generator=g)
    return image.clamp(0, 1).unsqueeze(1)


@memoized
def synthetic(n_train: int = 6000, n_test: int = 1000, size: int = 28, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    train_y = torch.randint(len(SHAPES), (n_train,), generator=g)
    test_y = torch.randint(len(SHAPES), (n_test,), generator=g)
    train_x = render_shapes(train_y, size, seed=seed + 1)
    test_x = render_shapes(test_y, size, seed=seed + 2)
    return _standardise("synthetic", SHAPES, train_x, train_y, test_x, test_y, "generated in code")


# --- Fashion-MNIST from idx files ---------------------------------------------------------

def read_idx(path: Path) -> torch.Tensor:
    """Read an idx file (optionally gzipped) of unsigned bytes: magic 0x0000_08_NN, NN dimensions."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DatasetUnavailable("unreadable", path=str(path), reason=str(err)) from err
    if len(data) < 4 or data[0:2] != b"\0\0" or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise DatasetUnavailable("not_idx", path=str(path))
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if len(body) != math.prod(shape):
        raise DatasetUnavailable("truncated", path=str(path), size=len(body), promised=math.prod(shape))
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def fashion_mnist_dirs(env: dict | None = None) -> list[Path]:
    env = os.environ if env is None else env
    root = data_root(env)
    return [root / "fashion-mnist", DEBIAN_FASHION_DIR, root / "FashionMNIST" / "raw"]


def _download_fashion_mnist(root: Path) -> None:
    if settings.current().offline:
        return
    from torchvision.datasets import FashionMNIST

    try:
        FashionMNIST(root=str(root), train=True, download=True)
        FashionMNIST(root=str(root), train=False, download=True)
    except Exception:  # noqa: BLE001 — no network: the caller reports what it looked for
        pass


@memoized
def fashion_mnist(folder: Path | None = None) -> Dataset:
    candidates = [Path(folder)] if folder else fashion_mnist_dirs()
    for attempt in range(2):
        for d in candidates:
            files = {key: _find_idx(d, stem) for key, stem in FASHION_FILES.items()}
            if all(files.values()):
                t = {key: read_idx(path) for key, path in files.items()}
                if t["train_x"].shape[0] != t["train_y"].shape[0] or t["test_x"].shape[0] != t["test_y"].shape[0]:
                    raise DatasetUnavailable("counts_differ", folder=str(d))
                images = {k: t[k].unsqueeze(1).float() / 255 for k in ("train_x", "test_x")}  # (N, 1, 28, 28)
                return _standardise(
                    "fashion-mnist", FASHION_CLASSES, images["train_x"], t["train_y"],
                    images["test_x"], t["test_y"], str(d),
                )
        if attempt == 0 and folder is None:
            _download_fashion_mnist(data_root())
    looked = ", ".join(str(d) for d in candidates)
    raise DatasetUnavailable("fashion_missing", looked=looked, folder=str(data_root() / "fashion-mnist"))


# --- CIFAR-10, when present on disk -----------------------------------------------------------

def read_cifar_binary(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch file of the binary version: (N, 3, 32, 32) uint8 images, (N,) labels."""
    data = path.read_bytes()
    if not data or len(data) % CIFAR_RECORD:
        raise DatasetUnavailable("not_cifar", path=str(path), size=len(data))
    records = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(-1, CIFAR_RECORD)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].long()


class _ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays in plain containers; any other class is refused (no code runs)."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a data file")
        return super().find_class(module, name)


def read_cifar_python(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch file of torchvision's Python version: a pickled dict of 'data' and 'labels'."""
    try:
        batch = _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="latin1").load()
        images = torch.as_tensor(batch["data"], dtype=torch.uint8).reshape(-1, 3, 32, 32)
        labels = torch.as_tensor(batch["labels"], dtype=torch.long)
    except Exception as err:
        raise DatasetUnavailable("cifar_unreadable", path=str(path), reason=str(err)) from err
    return images, labels


def _cifar_layouts(root: Path):
    train_bin = [f"data_batch_{i}.bin" for i in range(1, 6)]
    train_py = [f"data_batch_{i}" for i in range(1, 6)]
    yield root / "cifar-10-batches-bin", train_bin, "test_batch.bin", read_cifar_binary
    yield root / "cifar-10-batches-py", train_py, "test_batch", read_cifar_python


@memoized
def cifar10(root: Path | None = None) -> Dataset:
    root = Path(root) if root else data_root()
    for folder, train_files, test_file, reader in _cifar_layouts(root):
        if all((folder / f).is_file() for f in train_files + [test_file]):
            parts = [reader(folder / f) for f in train_files]
            test_x, test_y = reader(folder / test_file)
            train_x = torch.cat([x for x, _ in parts]).float() / 255  # (50000, 3, 32, 32)
            train_y = torch.cat([y for _, y in parts])
            return _standardise("cifar-10", CIFAR_CLASSES, train_x, train_y, test_x.float() / 255, test_y, str(folder))
    raise DatasetUnavailable("cifar_missing", root=str(root))


def cifar10_checksums() -> dict[str, str]:
    """Each batch file of the Python version with its MD5, as torchvision publishes them."""
    from torchvision.datasets import CIFAR10

    return dict(CIFAR10.train_list + CIFAR10.test_list)


def verify_cifar10(root: Path | None = None, checksums: dict[str, str] | None = None) -> Path:
    """The Python version's folder, every batch file present and matching its MD5; else
    ``DatasetUnavailable`` naming the first file that does not."""
    from torchvision.datasets.utils import check_integrity

    folder = (Path(root) if root else data_root()) / "cifar-10-batches-py"
    for name, md5 in (checksums or cifar10_checksums()).items():
        if not (folder / name).is_file():
            raise DatasetUnavailable("cifar_missing", root=str(folder.parent))
        if not check_integrity(str(folder / name), md5):
            raise DatasetUnavailable("cifar_corrupt", file=name, folder=str(folder))
    return folder


def fetch_cifar10(root: Path | None = None) -> Path:
    """Download CIFAR-10 (the Python version, 163 MB) into the data root through torchvision, which
    checks the archive's MD5 before it unpacks it, then verify every file. Offline: a sentence."""
    root = Path(root) if root else data_root()
    if settings.current().offline:
        raise DatasetUnavailable("offline", name="CIFAR-10")
    from torchvision.datasets import CIFAR10

    try:
        root.mkdir(parents=True, exist_ok=True)
        CIFAR10(root=str(root), train=True, download=True)
    except Exception as err:  # no network, a proxy, a full disk, a bad archive: said
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise DatasetUnavailable("fetch_failed", name="CIFAR-10", reason=reason, folder=str(root)) from err
    return verify_cifar10(root)


LOADERS = {"synthetic": synthetic, "fashion-mnist": fashion_mnist, "cifar-10": cifar10}


def on_disk(name: str) -> bool:
    """Whether the data set can be loaded from this machine as it is: no download is tried."""
    if name == "fashion-mnist":
        return any(all(_find_idx(d, stem) for stem in FASHION_FILES.values()) for d in fashion_mnist_dirs())
    if name == "cifar-10":
        return any(all((folder / f).is_file() for f in train + [test])
                   for folder, train, test, _ in _cifar_layouts(data_root()))
    return name in LOADERS


def load(name: str) -> Dataset:
    if name not in LOADERS:
        raise DatasetUnavailable("unknown", name=name, choices=", ".join(LOADERS))
    return LOADERS[name]()


def prepare(name: str = "synthetic") -> threading.Thread:
    """Make the training lab's default data set now, in a thread of its own, at the server's
    start: otherwise the first student to open the lab pays for it (0.37 CPU-s here), in the
    middle of a class's uploads. Students who come sooner wait for this one (``memoized``)."""
    thread = threading.Thread(target=load, args=(name,), daemon=True, name=f"prepare-{name}")
    thread.start()
    return thread
