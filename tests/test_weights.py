"""The weights logic, offline: fake checkpoint files in a temporary torch cache, and downloads
from a local HTTP server on 127.0.0.1 standing in for download.pytorch.org."""

import hashlib
import http.server
import io
import re
import socket
import threading
import time
import urllib.request

import pytest
import torch

import models.weights as command
from models.runtime import networks, weights, zoo
from models.runtime.weights import Checkpoint, State, WeightsCorrupt, WeightsMissing, WeightsStore
from tests.support import QuietHandler, eventually


def _serialise(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _named_checkpoint(name: str, payload: bytes, base_url: str = "http://127.0.0.1:9/models") -> Checkpoint:
    """A checkpoint whose file name carries the payload's own hash, as torchvision's do."""
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    real = networks.get(name).checkpoint
    return Checkpoint(name=name, weights=real.weights, url=f"{base_url}/{name}-{prefix}.pth")


def _store() -> WeightsStore:
    """A store of its own, that has verified nothing yet, over the registered networks."""
    return WeightsStore(lambda name: networks.get(name).checkpoint)


def _install(ckpt: Checkpoint, payload: bytes) -> None:
    ckpt.path().parent.mkdir(parents=True, exist_ok=True)
    ckpt.path().write_bytes(payload)


@pytest.fixture(scope="module")
def resnet_payload():
    model = networks.get("resnet18").builder(weights=None)
    torch.nn.init.constant_(model.fc.bias, 0.125)  # recognisable after loading
    return _serialise(model.state_dict())


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was called")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def server():
    """Serve ``files`` (path → bytes) on 127.0.0.1; paths under /hang never answer."""
    files: dict[str, bytes] = {}
    release = threading.Event()

    class Handler(QuietHandler):
        def do_GET(self):
            if self.path.startswith("/hang"):
                release.wait(10)
                return
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_body(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.files = files
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    release.set()
    httpd.shutdown()


def test_torchvision_checkpoints_carry_their_hash_in_the_file_name():
    assert networks.get("resnet18").checkpoint.hash_prefix == "f37072fd"
    assert networks.get("densenet121").checkpoint.hash_prefix == "a639ec97"
    assert networks.get("resnet18").checkpoint.path().parent.name == "checkpoints"


def test_cached_file_with_matching_hash_loads_into_the_shared_model(torch_home, resnet_payload, monkeypatch,
                                                                    use_checkpoint):
    ckpt = _named_checkpoint("resnet18", resnet_payload)
    _install(ckpt, resnet_payload)
    use_checkpoint(ckpt)
    store = _store()
    assert store.status("resnet18").state is State.READY
    clf = zoo.classifier("resnet18", store=store)
    assert clf.pretrained
    assert torch.all(clf.model.fc.bias == 0.125)
    assert not clf.model.training
    assert not any(p.requires_grad for p in clf.model.parameters())
    assert zoo.classifier("resnet18", store=store) is clf  # loaded once, shared


def test_tampered_file_is_refused_and_the_model_is_labelled_untrained(torch_home, resnet_payload, monkeypatch,
                                                                      use_checkpoint):
    ckpt = _named_checkpoint("resnet18", resnet_payload)
    tampered = bytearray(resnet_payload)
    tampered[len(tampered) // 2] ^= 0xFF
    _install(ckpt, bytes(tampered))
    use_checkpoint(ckpt)
    with pytest.raises(WeightsCorrupt, match="does not match its published hash"):
        weights.load_state_dict(ckpt)
    store = _store()
    assert store.status("resnet18").state is State.CORRUPT
    clf = zoo.classifier("resnet18", store=store)
    assert not clf.pretrained
    assert clf.note.code == "corrupt" and "hash" in str(clf.note)


class _Exploit:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_a_pickle_that_runs_code_is_never_executed_even_with_a_matching_hash(torch_home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = _serialise({"fc.weight": _Exploit()})
    ckpt = _named_checkpoint("resnet18", payload)
    _install(ckpt, payload)
    with pytest.raises(WeightsCorrupt, match="plain tensors"):
        weights.load_state_dict(ckpt)
    assert not (tmp_path / "PWNED").exists()


def test_missing_file_is_reported_at_once_without_touching_the_network(torch_home, no_network):
    store = _store()
    start = time.perf_counter()
    status = store.ensure("resnet18")  # CNNLAB_OFFLINE=1 from conftest
    assert status.state is State.UNAVAILABLE
    assert weights.FETCH_COMMAND in str(status.error)
    clf = zoo.classifier("resnet18", store=store)
    assert not clf.pretrained
    assert len(clf.categories) == 1000  # names still come from the weights' metadata
    assert time.perf_counter() - start < 2.0


def test_download_fills_the_cache_verifies_and_reports_progress(torch_home, server, resnet_payload, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    ckpt = _named_checkpoint("resnet18", resnet_payload, base_url=server.base + "/models")
    server.files["/models/" + ckpt.filename] = resnet_payload
    seen = []
    path = weights.fetch(ckpt, progress=lambda done, total: seen.append((done, total)))
    assert path == ckpt.path() and path.read_bytes() == resnet_payload
    assert seen[-1] == (len(resnet_payload), len(resnet_payload))
    assert not list(path.parent.glob("*.partial"))


def test_a_download_that_fails_its_hash_is_not_kept(torch_home, server, resnet_payload, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    ckpt = _named_checkpoint("resnet18", resnet_payload, base_url=server.base + "/models")
    server.files["/models/" + ckpt.filename] = resnet_payload[:-10]
    with pytest.raises(WeightsCorrupt):
        weights.download(ckpt)
    assert not ckpt.path().exists()
    assert not list(ckpt.path().parent.glob("*"))


def test_a_server_that_never_answers_times_out_instead_of_hanging(torch_home, server, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    ckpt = Checkpoint("resnet18", networks.get("resnet18").checkpoint.weights,
                      server.base + "/hang/resnet18-f37072fd.pth")
    start = time.perf_counter()
    with pytest.raises(WeightsMissing, match="could not be downloaded"):
        weights.download(ckpt, timeout=0.5)
    assert time.perf_counter() - start < 3.0


def test_unreachable_host_is_reported_as_unavailable(torch_home, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ckpt = Checkpoint("resnet18", networks.get("resnet18").checkpoint.weights, f"http://127.0.0.1:{port}/resnet18-f37072fd.pth")
    with pytest.raises(WeightsMissing):
        weights.download(ckpt, timeout=1.0)


def test_store_downloads_in_the_background_then_reports_ready(torch_home, server, resnet_payload, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    ckpt = _named_checkpoint("resnet18", resnet_payload, base_url=server.base + "/models")
    server.files["/models/" + ckpt.filename] = resnet_payload
    store = WeightsStore({"resnet18": ckpt}.__getitem__)
    first = store.ensure("resnet18")
    assert first.state in (State.DOWNLOADING, State.READY)
    eventually(lambda: store.status("resnet18").state is State.READY, timeout_s=10)


def test_store_gives_up_once_and_says_why_when_the_download_fails(torch_home, server, monkeypatch):
    monkeypatch.setenv("CNNLAB_OFFLINE", "0")
    ckpt = Checkpoint("resnet18", networks.get("resnet18").checkpoint.weights,
                      server.base + "/missing/resnet18-f37072fd.pth")
    store = WeightsStore({"resnet18": ckpt}.__getitem__)
    store.ensure("resnet18")
    eventually(lambda: store.status("resnet18").state is not State.DOWNLOADING, timeout_s=10)
    status = store.ensure("resnet18")
    assert status.state is State.UNAVAILABLE
    assert status.error.code == "download_failed" and "could not be downloaded" in str(status.error)


def test_densenet_checkpoints_in_torchvisions_old_key_format_load(torch_home, monkeypatch, use_checkpoint):
    model = networks.get("densenet121").builder(weights=None)
    new_key = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))((?:[12])\.(?:weight|bias|running_mean|running_var))$")
    old_format = {new_key.sub(r"\1.\2", k): v for k, v in model.state_dict().items()}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old_format  # as published
    payload = _serialise(old_format)
    ckpt = _named_checkpoint("densenet121", payload)
    _install(ckpt, payload)
    use_checkpoint(ckpt)
    clf = zoo.classifier("densenet121", store=_store())
    assert clf.pretrained
    assert torch.equal(clf.model.classifier.weight, model.classifier.weight)


def test_fetch_command_reports_each_model_and_fails_offline(torch_home, capsys, no_network):
    assert command.main(["fetch"]) == 1
    out = capsys.readouterr().out
    assert "resnet18:" in out and "densenet121:" in out and "CNNLAB_OFFLINE" in out
    assert command.main(["bogus"]) == 2
