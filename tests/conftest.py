"""Every test runs offline, with an empty torch cache and data root of its own.

No test may reach the network: ``CNNLAB_OFFLINE=1`` is set before anything is imported, and
tests that exercise downloads serve files from a local HTTP server on 127.0.0.1.
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_session_home = tempfile.mkdtemp(prefix="cnnlab-test-")
os.environ["CNNLAB_OFFLINE"] = "1"
os.environ["TORCH_HOME"] = os.path.join(_session_home, "torch")
os.environ["CNNLAB_DATA"] = os.path.join(_session_home, "data")
os.environ["CNNLAB_DB"] = f"sqlite:///{_session_home}/class.sqlite"  # a class store of the suite's own
os.environ.setdefault("CNNLAB_THREADS", "2")
# The suite pins the CPU, so that it passes alike on a laptop, in CI and on a GPU machine (its
# expectations — the ONNX Runtime backend, exact equality with a second pass — are the CPU's).
# What the app does on a GPU is checked there by ``python -m bench.gpu_check``.
os.environ["CNNLAB_DEVICE"] = "cpu"
# Ray, where a test starts it, on 127.0.0.1 only: its head, its workers and this process (which
# joins it) alike. Read by Ray when it is imported, so set here, before any test module imports it.
from deploy.school import ONE_MACHINE_RAY  # noqa: E402

os.environ.update(ONE_MACHINE_RAY)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A fresh, empty torch cache for one test; the zoo forgets models loaded before it."""
    from models.runtime import zoo

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    zoo.clear_cache()
    yield tmp_path / "torch"
    zoo.clear_cache()


@pytest.fixture
def use_checkpoint(monkeypatch):
    """``use_checkpoint(ckpt)``: for this test, the registered network ``ckpt.name`` takes its
    weights from ``ckpt`` (a fake file in the test's torch cache, a local URL)."""
    import dataclasses

    from models.runtime import networks

    def use(ckpt):
        network = networks.get(ckpt.name)
        monkeypatch.setitem(networks.NETWORKS, ckpt.name, dataclasses.replace(network, checkpoint=ckpt))

    return use


APP = str(ROOT / "app.py")


@pytest.fixture
def open_page():
    """``open_page("classify", lang="ko", **{"rf.n": "5"})``: an AppTest that opened that page
    first, with those query parameters, as a browser opening a link does."""
    from streamlit.testing.v1 import AppTest

    def open_(page: str, **params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        for name, value in params.items():
            at.query_params[name] = value
        return at.switch_page(f"app_pages/{page}.py").run()

    return open_


# --- which addresses the servers a test started listen on (from /proc: no tool needed) ---------

def _address(hex_address: str) -> str:
    """/proc/net/tcp{,6}'s ``0100007F`` (IPv4) or 32 hex digits (IPv6), each 32-bit word in the
    machine's byte order: the address, an IPv4-mapped IPv6 one given as IPv4."""
    import ipaddress

    raw = bytes.fromhex(hex_address)
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) if sys.byteorder == "little" else raw
    address = ipaddress.ip_address(raw)
    return str(getattr(address, "ipv4_mapped", None) or address)


def listening(pids) -> list[tuple[int, str, int]]:
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


@pytest.fixture
def listeners():
    """``listeners(pids)``: (pid, address, port) of every TCP socket in LISTEN held by one of
    ``pids`` or by one of Ray's processes on this machine (its servers, agents and workers)."""
    from bench.load_test import RAY_PROCESSES, pids_matching

    return lambda pids=(): listening([*pids, *pids_matching(*RAY_PROCESSES)])
