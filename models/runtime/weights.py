"""Pretrained ImageNet weights: found in the torch cache, verified, loaded safely, fetched on demand.

torchvision publishes each checkpoint under a name that carries the first hex digits of its
SHA-256 (``resnet18-f37072fd.pth``) and keeps it in ``$TORCH_HOME/hub/checkpoints``. torch.hub
checks that hash only while downloading; here it is checked every time a file is loaded, and
the file is read with ``torch.load(weights_only=True)``, so a corrupt or tampered file is
refused with a message and never executed.

Downloads use an explicit timeout (a classroom without internet must hear "unavailable" in
seconds, not hang). ``CNNLAB_OFFLINE=1`` forbids any network access.

    python -m models.weights fetch     # pre-fetch and verify every network's weights (offline classrooms)
    python -m models.weights status    # what is cached, and whether it verifies

(The command is ``models/weights.py``; which checkpoints exist is ``models.runtime.networks``.)
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from models import settings
from models.errors import LabError

FETCH_COMMAND = "python -m models.weights fetch"
DOWNLOAD_TIMEOUT_S = 8.0  # per network operation (connect, each read), not for the whole file

Progress = Callable[[int, int], None]  # (bytes done, bytes total or 0 when unknown)


@dataclass(frozen=True)
class Checkpoint:
    """One pretrained checkpoint: which torchvision weights, and where its file comes from."""

    name: str  # "resnet18"
    weights: object  # a torchvision WeightsEnum member: metadata, transforms
    url: str

    @property
    def filename(self) -> str:
        return Path(urlparse(self.url).path).name

    @property
    def hash_prefix(self) -> str:
        """The SHA-256 prefix in the file name: ``resnet18-f37072fd.pth`` → ``f37072fd``."""
        match = re.search(r"-([a-f0-9]{6,})\.", self.filename)
        if not match:
            raise ValueError(f"{self.filename} carries no hash in its name")
        return match.group(1)

    def path(self) -> Path:
        return Path(torch.hub.get_dir()) / "checkpoints" / self.filename


class WeightsError(LabError):
    """A checkpoint that cannot be used."""

    area = "weights"
    CODES = {"not_cached": ("file", "folder", "command"), "corrupt": ("path", "prefix", "command"),
             "unreadable": ("path", "kind"), "offline": ("file",), "download_failed": ("file", "reason", "command")}


class WeightsMissing(WeightsError):
    pass


class WeightsCorrupt(WeightsError):
    pass


def offline() -> bool:
    """``CNNLAB_OFFLINE``: no download of any kind."""
    return settings.current().offline


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(ckpt: Checkpoint, path: Path | None = None) -> Path:
    """Return the checkpoint's path if the file exists and matches its published hash."""
    path = path or ckpt.path()
    if not path.is_file():
        raise WeightsMissing("not_cached", file=ckpt.filename, folder=str(path.parent), command=FETCH_COMMAND)
    if not sha256_of(path).startswith(ckpt.hash_prefix):
        raise WeightsCorrupt("corrupt", path=str(path), prefix=ckpt.hash_prefix, command=FETCH_COMMAND)
    return path


def load_state_dict(ckpt: Checkpoint) -> dict[str, torch.Tensor]:
    """Verify, then load with ``weights_only=True`` (tensors only, no code) onto the CPU."""
    path = verify(ckpt)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling refused, truncated archive, …
        raise WeightsCorrupt("unreadable", path=str(path), kind=type(err).__name__) from err


def download(ckpt: Checkpoint, *, timeout: float = DOWNLOAD_TIMEOUT_S, progress: Progress | None = None) -> Path:
    """Download into the torch cache through a temporary file; verify before it takes the name."""
    if offline():
        raise WeightsMissing("offline", file=ckpt.filename)
    dest = ckpt.path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + f".{os.getpid()}.{threading.get_ident()}.partial")
    try:
        with urllib.request.urlopen(ckpt.url, timeout=timeout) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        verify(ckpt, partial)
        os.replace(partial, dest)
    except WeightsError:
        raise
    except OSError as err:  # URLError, timeouts and refused connections are all OSErrors
        raise WeightsMissing("download_failed", file=ckpt.filename, reason=str(getattr(err, "reason", err)),
                             command=FETCH_COMMAND) from err
    finally:
        partial.unlink(missing_ok=True)
    return dest


def fetch(ckpt: Checkpoint, **kwargs) -> Path:
    """The cached file if it verifies, otherwise a fresh, verified download."""
    try:
        return verify(ckpt)
    except WeightsError:
        return download(ckpt, **kwargs)


class State(enum.Enum):
    READY = "ready"
    DOWNLOADING = "downloading"
    UNAVAILABLE = "unavailable"  # missing and cannot be downloaded now
    CORRUPT = "corrupt"


@dataclass(frozen=True)
class Status:
    state: State
    fraction: float = 0.0  # download progress, 0..1
    error: WeightsError | None = None  # why it is not ready


class WeightsStore:
    """Process-wide view of every checkpoint: ready, downloading (with progress) or unavailable.

    ``status`` is cheap (hashes a file at most once per size and modification time);
    ``ensure`` starts at most one background download per checkpoint, never blocking the caller.
    """

    def __init__(self, checkpoint: Callable[[str], Checkpoint]):
        self.checkpoint = checkpoint  # name → its Checkpoint, looked up on every call
        self._lock = threading.Lock()
        self._downloads: dict[str, Status] = {}  # live or failed downloads
        self._verified: dict[str, tuple[float, int]] = {}  # name → (mtime, size) that verified

    def status(self, name: str) -> Status:
        ckpt = self.checkpoint(name)
        with self._lock:
            download = self._downloads.get(name)
        if download and download.state is State.DOWNLOADING:
            return download
        path = ckpt.path()
        try:
            stat = path.stat()
        except FileNotFoundError:
            if download:  # a finished attempt that failed says why
                return download
            return Status(State.UNAVAILABLE, error=WeightsMissing("not_cached", file=ckpt.filename,
                                                                  folder=str(path.parent), command=FETCH_COMMAND))
        if self._verified.get(name) == (stat.st_mtime, stat.st_size):
            return Status(State.READY)
        try:
            verify(ckpt, path)
        except WeightsCorrupt as err:
            return Status(State.CORRUPT, error=err)
        self._verified[name] = (stat.st_mtime, stat.st_size)
        return Status(State.READY)

    def ensure(self, name: str) -> Status:
        """Start a background download if the file is missing or corrupt and the network is allowed."""
        status = self.status(name)
        if status.state in (State.READY, State.DOWNLOADING) or offline():
            return status
        with self._lock:
            if name in self._downloads:  # one attempt per process; the fetch command retries
                return status
            self._downloads[name] = Status(State.DOWNLOADING)
        threading.Thread(target=self._download, args=(name,), daemon=True, name=f"weights-{name}").start()
        return self.status(name)

    def _download(self, name: str) -> None:
        def progress(done: int, total: int) -> None:
            with self._lock:
                self._downloads[name] = Status(State.DOWNLOADING, fraction=done / total if total else 0.0)

        try:
            download(self.checkpoint(name), progress=progress)
            result = Status(State.READY)
        except WeightsError as err:
            result = Status(State.UNAVAILABLE, error=err)
        with self._lock:
            self._downloads[name] = result
