"""Where the computation runs: one decision, made here, for the whole process.

Order of preference: CUDA, then Apple MPS, then the CPU. ``CNNLAB_DEVICE`` overrides the
choice (``cpu``, ``cuda``, ``cuda:1``, ``mps``); a request the machine cannot honour falls back
to the CPU and says so instead of failing. ``CNNLAB_THREADS`` sets the CPU thread count. Both are
read through ``models.settings``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models import settings
from models.errors import LabError
from models.runtime.memo import memoized


class DeviceUnavailable(LabError):
    area = "device"
    CODES = {"unavailable": ("requested",)}


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    label: str  # what the sidebar shows, e.g. "CUDA · NVIDIA H100", "CPU · 2 threads"
    note: DeviceUnavailable | None = None  # set when a requested device was not available


def _available(device: torch.device) -> bool:
    """Whether this machine has the device: ``cuda:1`` needs a second GPU."""
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps and mps.is_available())
    return device.type == "cpu"


def cpu_threads(env: dict | None = None) -> int:
    """Threads for the CPU: ``CNNLAB_THREADS`` or the cores this process may use.

    On a shared classroom server many sessions run forward passes at once; giving each op all
    the cores the process is allowed (not the machine's total) avoids oversubscription.
    """
    return (settings.read(env) if env is not None else settings.current()).threads


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU · {torch.get_num_threads()} threads"


def choose_device(env: dict | None = None) -> DeviceChoice:
    """Pick the device from ``CNNLAB_DEVICE`` and the hardware (pure: sets nothing). A device
    this machine does not have falls back to the CPU, with a note that says so."""
    requested = (settings.read(env) if env is not None else settings.current()).device
    note = None
    if requested:
        device = torch.device(requested)
        if not _available(device):
            note = DeviceUnavailable("unavailable", requested=requested)
            device = torch.device("cpu")
    elif _available(torch.device("cuda")):
        device = torch.device("cuda")
    elif _available(torch.device("mps")):
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    return DeviceChoice(device=device, label=describe(device), note=note)


def training_threads() -> int:
    """Threads a training run computes with on the CPU: all but one, left to the web server.
    With every core busy training, each page refresh stalls PyTorch's whole thread pool
    (measured here: 943 → ~400 images/s)."""
    return max(1, cpu_threads() - 1)


def use_threads(n: int | None = None) -> None:
    """Set the CPU thread count for the calling thread.

    PyTorch keeps one global count that each new thread adopts when it first computes, so a
    count set in one thread leaks into threads started later. Every thread that computes
    (each Streamlit script run, each training worker) therefore sets its own.
    """
    n = n or cpu_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


@memoized
def current() -> DeviceChoice:
    """The process-wide device, chosen once."""
    use_threads()
    return choose_device()
