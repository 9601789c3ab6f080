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


@pytest.fixture
def store_in(monkeypatch):
    """``store_in(folder)``: the app's class store, opened anew in ``folder`` for this test (a class of
    its own: what other tests stored does not show on its pages), and the suite's again afterwards."""
    from models.store import database

    def use(folder: Path):
        monkeypatch.setenv("CNNLAB_DB", f"sqlite:///{folder / 'class.sqlite'}")
        database.reset_for_tests()
        return database.store()

    yield use
    monkeypatch.undo()
    database.reset_for_tests()


@pytest.fixture
def listeners():
    """``listeners(pids)``: (pid, address, port) of every TCP socket in LISTEN held by one of
    ``pids`` or by one of Ray's processes on this machine (its servers, agents and workers)."""
    from tests.support import RAY_PROCESSES, listening, pids_matching

    return lambda pids=(): listening([*pids, *pids_matching(*RAY_PROCESSES)])
