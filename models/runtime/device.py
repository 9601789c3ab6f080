"""Where the computation runs: one decision, made here, for the whole process.

Order of preference: CUDA, then Apple MPS, then the CPU. ``CNNLAB_DEVICE`` overrides the
choice (``cpu``, ``cuda``, ``cuda:1``, ``mps``); a request the machine cannot honour falls back
to the CPU and says so instead of failing. ``CNNLAB_THREADS`` sets the CPU thread count.

This module does not import streamlit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from models.runtime.memo import memoized


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    label: str  # what the sidebar shows, e.g. "CUDA · NVIDIA H100", "CPU · 2 threads"
    note: str = ""  # set when a requested device was not available


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps and mps.is_available())
    return kind == "cpu"


def cpu_threads(env: dict | None = None) -> int:
    """Threads for the CPU: ``CNNLAB_THREADS`` or the cores this process may use.

    On a shared classroom server many sessions run forward passes at once; giving each op all
    the cores the process is allowed (not the machine's total) avoids oversubscription.
    """
    env = os.environ if env is None else env
    if env.get("CNNLAB_THREADS", "").strip().isdigit():
        return max(1, int(env["CNNLAB_THREADS"]))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU · {torch.get_num_threads()} threads"


def choose_device(env: dict | None = None) -> DeviceChoice:
    """Pick the device from the environment and the hardware (pure: sets nothing)."""
    env = os.environ if env is None else env
    requested = env.get("CNNLAB_DEVICE", "").strip().lower()
    note = ""
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError:
            device, note = torch.device("cpu"), f"CNNLAB_DEVICE={requested!r} is not a device name; using the CPU."
        else:
            if not _available(device.type):
                note = f"CNNLAB_DEVICE={requested!r} is not available here; using the CPU."
                device = torch.device("cpu")
    elif _available("cuda"):
        device = torch.device("cuda")
    elif _available("mps"):
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    return DeviceChoice(device=device, label=describe(device), note=note)


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
