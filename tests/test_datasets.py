import gzip
import os
import struct
from pathlib import Path

import pytest
import torch

from models.training import datasets
from models.training.datasets import DatasetUnavailable, read_idx

ROOT = Path(__file__).resolve().parents[1]


def _write_idx(path, array: torch.Tensor, gz=True):
    header = bytes([0, 0, 0x08, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape)
    data = header + array.to(torch.uint8).numpy().tobytes()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _write_fashion(folder, n_train=20, n_test=8, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    arrays = {
        "train_x": torch.randint(0, 256, (n_train, 28, 28), generator=g),
        "train_y": torch.randint(0, 10, (n_train,), generator=g),
        "test_x": torch.randint(0, 256, (n_test, 28, 28), generator=g),
        "test_y": torch.randint(0, 10, (n_test,), generator=g),
    }
    for key, stem in datasets.FASHION_FILES.items():
        _write_idx(folder / (stem + (".gz" if gz else "")), arrays[key], gz)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_reads_idx_files_the_test_wrote(tmp_path, gz):
    arrays = _write_fashion(tmp_path / "fm", gz=gz)
    ds = datasets.fashion_mnist.__wrapped__(tmp_path / "fm")
    assert ds.train_x.shape == (20, 1, 28, 28) and ds.test_x.shape == (8, 1, 28, 28)
    assert torch.equal(ds.train_y, arrays["train_y"].long())
    restored = ds.train_x[:, 0] * ds.std + ds.mean  # standardisation is undone exactly
    assert torch.allclose(restored * 255, arrays["train_x"].float(), atol=1e-3)
    assert abs(ds.train_x.mean().item()) < 1e-4
    assert ds.classes[9] == "Ankle boot" and ds.in_channels == 1


def test_bad_idx_files_get_a_sentence(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x03junk")
    with pytest.raises(DatasetUnavailable, match="not an idx file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x01\x02")
    with pytest.raises(DatasetUnavailable, match="header promises 10"):
        read_idx(short)
    truncated = tmp_path / "t.gz"
    truncated.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(DatasetUnavailable, match="could not be read"):
        read_idx(truncated)


def test_mismatched_image_and_label_counts_are_refused(tmp_path):
    folder = tmp_path / "fm"
    _write_fashion(folder)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", torch.zeros(5))
    with pytest.raises(DatasetUnavailable, match="different image and label counts"):
        datasets.fashion_mnist.__wrapped__(folder)


def test_fashion_mnist_is_found_in_the_data_root_and_missing_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "root"))
    with pytest.raises(DatasetUnavailable, match="dataset-fashion-mnist"):
        datasets.fashion_mnist.__wrapped__()
    _write_fashion(tmp_path / "root" / "fashion-mnist")
    assert datasets.fashion_mnist.__wrapped__().source == str(tmp_path / "root" / "fashion-mnist")


def test_synthetic_shapes_are_deterministic_and_vary_in_position():
    a = datasets.synthetic.__wrapped__(n_train=300, n_test=60, seed=3)
    b = datasets.synthetic.__wrapped__(n_train=300, n_test=60, seed=3)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.train_y, b.train_y)
    assert a.train_x.shape == (300, 1, 28, 28) and a.classes == datasets.SHAPES
    assert set(a.train_y.tolist()) == set(range(len(datasets.SHAPES)))
    # The same class appears at different places: the centre of mass moves.
    raw = a.train_x[a.train_y == 0, 0] * a.std + a.mean
    ys = torch.arange(28.0)
    centre_row = (raw.sum(2) * ys).sum(1) / raw.sum((1, 2))
    assert centre_row.std() > 1.5


def test_unknown_dataset_name_is_a_sentence():
    with pytest.raises(DatasetUnavailable, match="choose one of"):
        datasets.load("imagenet")


def _cifar_arrays(n, seed):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    return images, torch.randint(0, 10, (n,), generator=g)


def test_cifar10_binary_version_is_read_from_the_data_root(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    written = {}
    for i, name in enumerate(names):
        x, y = _cifar_arrays(4, i)
        records = torch.cat([y.to(torch.uint8).unsqueeze(1), x.reshape(4, -1)], dim=1)
        (folder / name).write_bytes(records.numpy().tobytes())
        written[name] = (x, y)
    ds = datasets.cifar10.__wrapped__(tmp_path)
    assert ds.train_x.shape == (20, 3, 32, 32) and ds.test_x.shape == (4, 3, 32, 32)
    assert torch.equal(ds.train_y[:4], written["data_batch_1.bin"][1])
    restored = ds.test_x * ds.std + ds.mean
    assert torch.allclose(restored * 255, written["test_batch.bin"][0].float(), atol=1e-3)
    assert ds.in_channels == 3 and ds.classes[0] == "airplane"


def test_cifar10_python_version_reads_arrays_but_never_runs_code(tmp_path, monkeypatch):
    import pickle

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        x, y = _cifar_arrays(3, i)
        batch = {"data": x.reshape(3, -1).numpy(), "labels": y.tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
    assert datasets.cifar10.__wrapped__(tmp_path).train_x.shape == (15, 3, 32, 32)

    class Exploit:
        def __reduce__(self):
            return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))

    monkeypatch.chdir(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps({"data": Exploit(), "labels": []}))
    with pytest.raises(DatasetUnavailable, match="not a CIFAR-10 batch"):
        datasets.cifar10.__wrapped__(tmp_path)
    assert not (tmp_path / "PWNED").exists()


def test_cifar10_absent_is_a_sentence(tmp_path):
    with pytest.raises(DatasetUnavailable, match="CIFAR-10 is not on this machine"):
        datasets.cifar10.__wrapped__(tmp_path)


def test_on_disk_looks_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(datasets, "_download_fashion_mnist", lambda root: pytest.fail("a download was tried"))
    assert datasets.on_disk("synthetic") and not datasets.on_disk("fashion-mnist") and not datasets.on_disk("cifar-10")
    folder = tmp_path / "data" / "fashion-mnist"
    folder.mkdir(parents=True)
    for stem in datasets.FASHION_FILES.values():
        (folder / f"{stem}.gz").write_bytes(b"")
    assert datasets.on_disk("fashion-mnist")


def _python_cifar(root, n=3):
    """A small CIFAR-10 in torchvision's Python layout, written by the test."""
    import pickle

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        x, y = _cifar_arrays(n, i)
        (folder / name).write_bytes(pickle.dumps({"data": x.reshape(n, -1).numpy(), "labels": y.tolist()}))
    return folder


def test_cifar10_is_verified_against_torchvisions_checksums(tmp_path):
    import hashlib

    folder = _python_cifar(tmp_path)
    published = datasets.cifar10_checksums()
    assert set(published) == {f"data_batch_{i}" for i in range(1, 6)} | {"test_batch"}
    with pytest.raises(DatasetUnavailable) as err:  # the test's files are not the published ones
        datasets.verify_cifar10(tmp_path)
    assert err.value.code == "cifar_corrupt" and err.value.params["file"] == "data_batch_1"
    own = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in published}
    assert datasets.verify_cifar10(tmp_path, own) == folder  # files that match their checksums pass
    (folder / "test_batch").write_bytes(b"truncated")
    with pytest.raises(DatasetUnavailable, match="test_batch"):
        datasets.verify_cifar10(tmp_path, own)
    (folder / "test_batch").unlink()
    with pytest.raises(DatasetUnavailable, match="not on this machine"):
        datasets.verify_cifar10(tmp_path, own)


def _cli(*args, data):
    import subprocess
    import sys

    env = {**os.environ, "CNNLAB_DATA": str(data), "CNNLAB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "models.datasets", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_the_datasets_command_says_what_is_there_and_fetching_offline_is_a_sentence(tmp_path):
    missing = _cli("status", "cifar10", data=tmp_path)
    assert missing.returncode == 1 and "CIFAR-10 is not on this machine" in missing.stdout
    offline = _cli("fetch", "cifar10", data=tmp_path)
    assert offline.returncode == 1 and "CNNLAB_OFFLINE=1 forbids downloads" in offline.stdout
    _python_cifar(tmp_path)
    broken = _cli("status", "cifar10", data=tmp_path)  # there, but not the published files
    assert broken.returncode == 1 and "does not match its published checksum" in broken.stdout
    assert _cli("status", "synthetic", data=tmp_path).returncode == 0
    assert _cli("fetch", "synthetic", data=tmp_path).returncode == 2  # only CIFAR-10 is fetched this way
