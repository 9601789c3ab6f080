import torch

from models.runtime.device import choose_device, cpu_threads


def test_cpu_is_chosen_when_no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    choice = choose_device(env={})
    assert choice.device.type == "cpu"
    assert choice.label.startswith("CPU · ")
    assert choice.note == ""


def test_cuda_is_preferred_to_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA H100")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    choice = choose_device(env={})
    assert choice.device.type == "cuda"
    assert choice.label == "CUDA · NVIDIA H100"


def test_mps_is_used_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert choose_device(env={}).label == "Apple MPS"


def test_environment_overrides_the_choice(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA H100")
    assert choose_device(env={"CNNLAB_DEVICE": "cpu"}).device.type == "cpu"


def test_unavailable_or_invalid_request_falls_back_to_cpu_with_a_note(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for requested in ("cuda", "banana"):
        choice = choose_device(env={"CNNLAB_DEVICE": requested})
        assert choice.device.type == "cpu"
        assert requested in choice.note


def test_thread_count_comes_from_the_environment_or_the_allowed_cores():
    assert cpu_threads({"CNNLAB_THREADS": "3"}) == 3
    assert cpu_threads({"CNNLAB_THREADS": "0"}) == 1
    assert cpu_threads({}) >= 1
    assert cpu_threads({"CNNLAB_THREADS": "many"}) == cpu_threads({})
