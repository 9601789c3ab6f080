import torch

from models import settings
from models.runtime.device import choose_device, cpu_threads


def test_cpu_is_chosen_when_no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    choice = choose_device(env={})
    assert choice.device.type == "cpu"
    assert choice.label.startswith("CPU · ")
    assert choice.note is None


def test_cuda_is_preferred_to_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
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


def test_a_device_this_machine_lacks_falls_back_to_cpu_with_a_note(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    choice = choose_device(env={"CNNLAB_DEVICE": "cuda"})
    assert choice.device.type == "cpu" and "'cuda' is not available" in str(choice.note)


def test_a_second_gpu_that_is_not_there_is_not_used(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    choice = choose_device(env={"CNNLAB_DEVICE": "cuda:1"})
    assert choice.device.type == "cpu" and "cuda:1" in str(choice.note)


def test_a_device_name_that_means_nothing_is_said_and_the_usual_choice_made(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert choose_device(env={"CNNLAB_DEVICE": "banana"}).device.type == "cpu"
    (problem,) = settings.read({"CNNLAB_DEVICE": "banana"}).problems
    assert problem.startswith("CNNLAB_DEVICE='banana' is not cpu, cuda, cuda:N or mps")


def test_thread_count_comes_from_the_environment_or_the_allowed_cores():
    assert cpu_threads({"CNNLAB_THREADS": "3"}) == 3
    assert cpu_threads({}) >= 1
    for bad in ("0", "many"):
        assert cpu_threads({"CNNLAB_THREADS": bad}) == cpu_threads({})
        assert "CNNLAB_THREADS" in settings.read({"CNNLAB_THREADS": bad}).problems[0]
