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
import http.server
import inspect
import ipaddress
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from deploy.processes import RAY_PROCESSES, free_port, pids_matching, wait_healthy

__all__ = ["HOSTILE_NAMES", "RAY_PROCESSES", "TEACHER_KEY", "AppServer", "QuietHandler", "eventually", "free_port",
           "hostile_class", "listening", "pids_matching", "running_app", "wait_healthy"]

ROOT = Path(__file__).resolve().parents[1]
TEACHER_KEY = "the-teachers-key-for-tests"

# one hostile student's names (40 characters at most each): a Markdown image from a server of the
# student's choosing, an emoji short code, a Streamlit directive, a link, HTML, LaTeX
HOSTILE_NAMES = ("![x](http://127.0.0.1:9/x.png) :smile:", ":red-background[HACK] [l](http://x.io)",
                 "<b>bold</b> <a href=x>a</a> $x^2$")

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


# --- a web server of the test's own ---------------------------------------------------------

class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A test's HTTP server stand-in: ``send_body`` answers 200 with ``body``; nothing is logged."""

    def send_body(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# --- the app as a student's browser meets it ------------------------------------------------

@dataclass(frozen=True)
class AppServer:
    url: str  # http://127.0.0.1:port
    pid: int  # the server's process: its memory and CPU time are in /proc/<pid>
    log: Path  # what it printed


@contextlib.contextmanager
def running_app(home: Path, **env: str) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, offline, with its store, data and
    torch cache in ``home`` and ``env``'s settings; fails the test if the server logged a traceback."""
    port = free_port()
    env = {**os.environ, "CNNLAB_OFFLINE": "1", "TORCH_HOME": str(home / "torch"), "CNNLAB_DATA": str(home / "data"),
           "CNNLAB_MAX_RUN_SECONDS": "30", "CNNLAB_DB": f"sqlite:///{home / 'class.sqlite'}",
           "CNNLAB_TEACHER_KEY": TEACHER_KEY, **env}
    log_path = home / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
    except RuntimeError as err:
        proc.kill()
        pytest.fail(f"the server did not start ({err}):\n" + log_path.read_text())
    try:
        yield AppServer(url, proc.pid, log_path)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    text = log_path.read_text()
    assert "Traceback" not in text, text  # nothing went wrong behind the pages either


def hostile_class(store) -> list[int]:
    """A student of ``store`` under each of ``HOSTILE_NAMES``, each with a finished training run
    (on the leaderboard, with its curves); the runs' ids, in the names' order."""
    from models.store import database  # here: tests that need no store need no torch
    from models.training.train import Point

    run_ids = []
    for name in HOSTILE_NAMES:
        student = store.arrive(database.new_token())
        assert store.rename(student.id, name).name == name  # stored as typed: only its display matters
        run_ids.append(store.save_run(student.id, "train", "train", label="ResNet-8", summary={"val acc": 0.5},
                                      history=[Point(1, 2, 0.5, 1.0, 0.4, 0.5, 0.1, 100.0, 1.0, 1.0)]))
    return run_ids


# --- a page's own tables, not the numbers of its charts -------------------------------------

def lesson_tables(at) -> list:
    """The values (DataFrames) of the page's tables in order, leaving out those inside a chart's
    "The numbers" expander (ui.charts.show), so that a test can count a page's own tables."""
    import lessons

    numbers = {lessons.strings(lang)["figure.numbers"] for lang in lessons.LANGUAGES}
    found = []

    def walk(node, inside: bool):
        if type(node).__name__ == "Dataframe" and not inside:
            found.append(node.value)
        inside = inside or (type(node).__name__ == "Expander" and getattr(node, "label", None) in numbers)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child, inside)

    walk(at._tree, False)
    return found


def pipeline_rows(at) -> list[str]:
    """The titles of the pooling page's pipeline figure's rows ("1. Conv2d · 16×28×28", …), each
    drawn (maps or bars), and its softmax chart's class count: ([], 0) when they are not there."""
    rows, classes = [], 0
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        titles = [a["text"] for a in spec["layout"].get("annotations", [])]
        if titles and all(re.match(r"\d+\. \w+ · [\d×]+$", title) for title in titles):
            drawn = {trace.get("yaxis", "y") for trace in spec["data"]}
            rows = [title for i, title in enumerate(titles, start=1) if f"y{'' if i == 1 else i}" in drawn]
        elif any(trace.get("type") == "bar" and trace.get("orientation") == "h" for trace in spec["data"]):
            classes = len(spec["data"][0]["y"])  # the class names
    return rows, classes
