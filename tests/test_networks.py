"""The network record: one ``register`` call adds a network to every consumer."""

import dataclasses

import pytest
import torch
from torchvision import models as tvm
from torchvision.models.feature_extraction import create_feature_extractor

from models.probes import residual
from models.runtime import cam, classify, examples, networks, zoo

RESNET34 = networks.resnet("resnet34", "ResNet-34", tvm.resnet34, tvm.ResNet34_Weights.IMAGENET1K_V1)


@pytest.fixture
def with_resnet34(monkeypatch):
    monkeypatch.setitem(networks.NETWORKS, "resnet34", RESNET34)  # the one place
    monkeypatch.setenv("CNNLAB_INFERENCE", "torch")  # no ONNX export of a third network: faster
    classify.CACHE.clear()
    yield
    classify.CACHE.clear()
    zoo.clear_cache()


def test_a_registered_third_network_is_classified_explained_and_listed(with_resnet34):
    result = classify.analyse(examples.photo_bytes("cat"))
    assert list(result.predictions) == ["resnet18", "densenet121", "resnet34"]
    pred = result.predictions["resnet34"]
    assert pred.title == "ResNet-34" and len(pred.categories) == 1000 and not pred.pretrained
    assert [pred.stages[s].shape for s in RESNET34.stages][-1] == (512, 7, 7)
    clf = zoo.classifier("resnet34")
    with torch.no_grad():
        assert torch.allclose(pred.probs, clf.model(result.x).softmax(1)[0], atol=1e-5)
    heat = cam.grad_cam(clf.network, clf.model, pred.cam_activation, pred.top(1)[0][0])
    assert heat.shape == (7, 7) and float(heat.max()) == pytest.approx(1.0)
    assert zoo.STORE.status("resnet34").error.params["file"] == "resnet34-b627a593.pth"  # its own checkpoint
    assert RESNET34.checkpoint.hash_prefix == "b627a593"


@pytest.mark.parametrize("name", list(networks.NETWORKS) + ["resnet34"])
def test_the_records_forward_is_torchvisions(name):
    network = RESNET34 if name == "resnet34" else networks.get(name)
    model = network.build()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ours = network.forward(model, x)
        reference = create_feature_extractor(model, list(network.stages))(x)
        assert torch.allclose(ours[network.logits], model(x), atol=1e-4)
        for stage in network.stages:
            assert torch.allclose(ours[stage], reference[stage], atol=1e-4), stage
        upto = network.upto(model, network.stages[1])
        assert torch.allclose(upto(x), reference[network.stages[1]], atol=1e-4)


def test_the_ablation_forward_of_any_registered_resnet_is_the_model_when_nothing_is_off():
    model = RESNET34.build()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(residual.resnet_forward(model, x, network=RESNET34), model(x), atol=1e-4)
    assert len(residual.block_names(model)) == 3 + 4 + 6 + 3


def test_a_replaced_checkpoint_gives_a_record_of_its_own():
    base = networks.get("resnet18")
    other = dataclasses.replace(base, checkpoint=dataclasses.replace(base.checkpoint, url="http://127.0.0.1:9/x-00000000.pth"))
    assert other.checkpoint.filename == "x-00000000.pth" and base.checkpoint.filename == "resnet18-f37072fd.pth"
