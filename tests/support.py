"""What tests share besides fixtures: waiting for something to happen, and the ports and
processes of the servers a test starts.

``eventually(condition)`` is how a test waits: it asks until the condition holds and returns
what it returned, or fails the test once ``timeout_s`` has passed. No test sleeps for a fixed
time and hopes that something happened (or did not) meanwhile; it waits for an event that says
so. The port and process helpers are ``deploy.processes``' (the school and the benchmarks use
them too), re-exported here so that tests take them from one place; ``listening`` tells which
addresses those processes listen on.
"""

from __future__ import annotations

import contextlib
import inspect
import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from deploy.processes import RAY_PROCESSES, free_port, pids_matching, wait_healthy

__all__ = ["RAY_PROCESSES", "app_server", "eventually", "free_port", "listening", "pids_matching", "wait_healthy"]

ROOT = Path(__file__).resolve().parents[1]

T = TypeVar("T")


def eventually(condition: Callable[[], T], timeout_s: float = 20.0, every_s: float = 0.02,
               between: Callable[[], object] | None = None) -> T:
    """``condition()``'s first truthy value, asked every ``every_s`` (calling ``between()``, an
    AppTest's ``run`` for instance, before each new try); an AssertionError that names the
    condition if none came within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {_source(condition)}")
        time.sleep(every_s)
        if between is not None:
            between()


def _source(fn: Callable) -> str:
    try:
        return inspect.getsource(fn).strip()
    except (OSError, TypeError):
        return repr(fn)


# --- which addresses the servers a test started listen on (from /proc: no tool needed) ---------

def _address(hex_address: str) -> str:
    """/proc/net/tcp{,6}'s ``0100007F`` (IPv4) or 32 hex digits (IPv6), each 32-bit word in the
    machine's byte order: the address, an IPv4-mapped IPv6 one given as IPv4."""
    raw = bytes.fromhex(hex_address)
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) if sys.byteorder == "little" else raw
    address = ipaddress.ip_address(raw)
    return str(getattr(address, "ipv4_mapped", None) or address)


def listening(pids: Iterable[int]) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every TCP socket in LISTEN that one of ``pids`` holds."""
    listen = {}  # socket inode -> (address, port)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                host, port = fields[1].split(":")
                listen[fields[9]] = (_address(host), int(port, 16))
    found = []
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        found += [(pid, *listen[link[8:-1]]) for link in links if link.startswith("socket:[") and link[8:-1] in listen]
    return found


# --- an app server of the test's own ---------------------------------------------------------

@contextlib.contextmanager
def app_server(home: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, offline, with its torch cache, data
    and class store under ``home`` (and ``env`` besides); yields its URL and its process. Its
    console goes to ``home/server.log``, which must hold no traceback when it stops: nothing went
    wrong behind the pages either."""
    port = free_port()
    env = {**os.environ, "CNNLAB_OFFLINE": "1", "TORCH_HOME": str(home / "torch"), "CNNLAB_DATA": str(home / "data"),
           "CNNLAB_DB": f"sqlite:///{home / 'class.sqlite'}", **env}
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
    except RuntimeError as err:
        proc.kill()
        pytest.fail(f"the server did not start ({err}):\n" + (home / "server.log").read_text())
    yield url, proc
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
    text = (home / "server.log").read_text()
    assert "Traceback" not in text, text
