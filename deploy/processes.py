"""This machine's ports and processes, read from /proc (Linux), with no tool to install.

A free port for a server to start on, the moment it answers its health check, the processes
whose command line matches (Ray's head, agents and workers; HAProxy), and the CPU time they
used. ``deploy.school`` starts its servers with these, ``bench`` measures with them, and the
tests take them through ``tests.support``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

RAY_PROCESSES = ("ray::", "/ray/")  # Ray's head, agents and workers, by their command lines


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout_s: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    """Return once the app server at ``url`` answers Streamlit's health check; a RuntimeError if
    its process ``proc`` ends first, or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process ended with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy within {timeout_s:.0f} s")


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far: by one process (user + system, /proc/<pid>/stat), or by the whole
    machine when ``pid`` is None (/proc/stat, all cores, idle left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    if pid is None:
        user, nice, system = map(int, Path("/proc/stat").read_text().split()[1:4])
        return (user + nice + system) / ticks
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


def pids_matching(*matches: str) -> list[int]:
    """Every other process whose command line contains one of ``matches`` (Ray's:
    ``RAY_PROCESSES``; HAProxy: "haproxy")."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended while we looked
            continue
        if any(m in command for m in matches):
            pids.append(int(proc.name))
    return pids


def processes_cpu(*matches: str) -> float:
    """CPU-seconds used so far by every other process whose command line contains one of
    ``matches``."""
    total = 0.0
    for pid in pids_matching(*matches):
        try:
            total += cpu_seconds(pid)
        except OSError:  # it ended while we looked
            continue
    return total
