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
os.environ.setdefault("CNNLAB_THREADS", "2")


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A fresh, empty torch cache for one test; the zoo forgets models loaded before it."""
    from models import zoo

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    zoo.clear_cache()
    yield tmp_path / "torch"
    zoo.clear_cache()


@pytest.fixture(autouse=True)
def served_app(request, monkeypatch):
    """AppTest starts every run as a freshly started server would, with pages/ in Streamlit's
    old-style mode, which the app leaves by restarting the run once (ui.frame.in_frame); that
    restart would swallow every click AppTest sends. Tests therefore start from the state a
    server is in after its first run; ``@pytest.mark.fresh_server`` tests keep the old mode."""
    if request.node.get_closest_marker("fresh_server"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def after_first_run(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", after_first_run)


def pytest_configure(config):
    config.addinivalue_line("markers", "fresh_server: run AppTest as a freshly started server would")


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
        return at.switch_page(f"pages/{page}.py").run()

    return open_
