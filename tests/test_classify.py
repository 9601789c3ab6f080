"""Classification, feature maps and Grad-CAM, each checked against PyTorch running the model itself."""

import dataclasses
import hashlib
import io
import threading

import pytest
import torch
from PIL import Image
from torchvision.models.feature_extraction import create_feature_extractor

from models.runtime import cam, classify, device, examples, inference, networks, zoo
from models.runtime.weights import Checkpoint

NAMES = tuple(networks.NETWORKS)  # every registered network


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture(scope="module")
def x():
    _steps, x = classify.preprocess(examples.example("shapes"), zoo.classifier("resnet18").transforms())
    return x


def test_preprocessing_steps_reproduce_the_weights_own_transform():
    image = Image.open(io.BytesIO(examples.photo_bytes("cat"))).convert("RGB")  # 451 × 300
    transform = zoo.classifier("resnet18").transforms()
    steps, x = classify.preprocess(image, transform)
    assert torch.equal(x[0], transform(image))
    assert [s.name for s in steps] == ["original", "resized", "cropped", "normalised"]
    assert [s.shape for s in steps] == [(3, 300, 451), (3, 256, 384), (3, 224, 224), (3, 224, 224)]


def test_both_networks_were_trained_with_the_same_preprocessing():
    a, b = (zoo.classifier(n).transforms() for n in NAMES)
    assert (a.resize_size, a.crop_size, a.mean, a.std, a.interpolation) == \
           (b.resize_size, b.crop_size, b.mean, b.std, b.interpolation)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
@pytest.mark.parametrize("name", NAMES)
def test_engine_gives_the_models_own_logits_and_stage_outputs(name, backend, x, monkeypatch):
    monkeypatch.setenv("CNNLAB_INFERENCE", backend)
    clf = zoo.classifier(name)
    engine = inference.Engine(clf)
    assert engine.backend == backend
    out = engine(x)
    with torch.no_grad():
        logits = clf.model(x)
        reference = create_feature_extractor(clf.model, list(networks.get(name).stages))(x)
    assert torch.allclose(out[networks.get(name).logits], logits, atol=1e-4, rtol=1e-4)
    for stage in networks.get(name).stages:
        assert torch.allclose(out[stage], reference[stage], atol=1e-4, rtol=1e-4), stage
    # the export must leave the shared model as it found it: every BatchNorm in eval mode
    assert not any(m.training for m in clf.model.modules())


def test_onnx_runtime_uses_the_threads_the_setting_gives_with_the_same_answers(x, monkeypatch):
    # One thread per pass by default (CNNLAB_INFERENCE_THREADS): fewer CPU-seconds per picture
    # when a class uploads at once; more threads change the speed, never the numbers.
    monkeypatch.setenv("CNNLAB_INFERENCE", "onnxruntime")
    clf = zoo.classifier("resnet18")
    one = inference.Engine(clf)
    assert one._session.get_session_options().intra_op_num_threads == 1
    monkeypatch.setenv("CNNLAB_INFERENCE_THREADS", "2")
    two = inference.Engine(clf)
    assert two._session.get_session_options().intra_op_num_threads == 2
    logits = networks.get("resnet18").logits
    assert torch.allclose(one(x)[logits], two(x)[logits], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_building_an_engine_never_disturbs_a_network_running_in_another_thread(backend, monkeypatch):
    # Every student's script is a thread of one process. torch.fx (create_feature_extractor)
    # traces by patching nn.Module.__call__ for all of them: a pass running beside it failed with
    # "module is not installed as a submodule". The engine must not trace that way.
    monkeypatch.setenv("CNNLAB_INFERENCE", backend)
    clf = zoo.classifier("resnet18")
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU()).eval()
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        expected = other(x)
    stop, failures, passes = threading.Event(), [], [0]

    def student():
        while not stop.is_set():
            try:
                with torch.no_grad():
                    assert torch.equal(other(x), expected)
                passes[0] += 1
            except Exception as err:  # noqa: BLE001 — the failure is what we look for
                failures.append(repr(err))
                return

    thread = threading.Thread(target=student)
    thread.start()
    try:
        for _ in range(2):
            inference.Engine(clf)
    finally:
        stop.set()
        thread.join()
    assert failures == [] and passes[0] > 0


def test_stage_shapes_are_those_of_the_papers(x):
    result = classify.predict(zoo.classifier("resnet18"), x)
    assert [result.stages[s].shape for s in networks.get("resnet18").stages] == [
        (64, 112, 112), (64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)]
    dense = classify.predict(zoo.classifier("densenet121"), x)
    # 64 + 6·32 = 256; halved to 128; 128 + 12·32 = 512; 256 + 24·32 = 1024; 512 + 16·32 = 1024
    channels = [dense.stages[s].shape[0] for s in networks.get("densenet121").stages]
    assert channels == [256, 128, 512, 256, 1024, 512, 1024]


def test_kept_feature_maps_are_the_most_active_channels(x):
    clf = zoo.classifier("resnet18")
    layer1 = create_feature_extractor(clf.model, ["layer1"])(x)["layer1"][0]
    kept = classify.predict(clf, x).stages["layer1"]
    means = layer1.mean(dim=(1, 2))
    assert set(kept.channels) == set(means.topk(classify.SHOWN_CHANNELS).indices.tolist())
    assert torch.allclose(kept.maps, layer1[list(kept.channels)], atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_head_continues_the_forward_pass_from_the_cam_layer(name, x):
    clf = zoo.classifier(name)
    with torch.no_grad():
        layer = clf.network.cam_layer
        a = create_feature_extractor(clf.model, [layer])(x)[layer]
        assert torch.allclose(clf.network.head(clf.model, a), clf.model(x), atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_grad_cam_equals_the_textbook_computation_with_hooks(name, x):
    """The reference: backpropagate through the whole network of a private copy, with a hook."""
    clf = zoo.classifier(name)
    model = zoo.build(name, clf.model.state_dict())
    layer = model.get_submodule(clf.network.cam_layer)
    kept = {}
    layer.register_forward_hook(lambda m, i, out: kept.update(a=out) or out.retain_grad())
    xi = x.clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(xi)
        c = int(logits.argmax())
        logits[0, c].backward()
    a, g = kept["a"], kept["a"].grad
    expected = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(1))[0]
    expected = expected / expected.max()

    got = cam.grad_cam(clf.network, clf.model, classify.predict(clf, x).cam_activation, c)
    assert got.shape == expected.shape == (7, 7)
    assert torch.allclose(got, expected.detach(), atol=1e-4)


def test_grad_cam_differs_between_classes(x):
    clf = zoo.classifier("densenet121")
    a = classify.predict(clf, x).cam_activation
    assert not torch.allclose(cam.grad_cam(clf.network, clf.model, a, 1), cam.grad_cam(clf.network, clf.model, a, 500))


def test_a_predictions_grad_cam_is_the_maps_own_and_computed_once_per_class():
    classify.CACHE.clear()
    clf = zoo.classifier("resnet18")
    pred = classify.analyse(examples.photo_bytes("cat")).predictions["resnet18"]
    heat = pred.grad_cam(clf, 281)
    assert torch.equal(heat, cam.grad_cam(clf.network, clf.model, pred.cam_activation, 281))
    again = classify.analyse(examples.photo_bytes("cat")).predictions["resnet18"]  # a rerun: from the cache
    assert again.grad_cam(clf, 281) is heat  # not computed again
    assert not torch.equal(again.grad_cam(clf, 5), heat)


def test_repeat_classification_is_served_from_the_cache():
    classify.CACHE.clear()
    data = jpeg(examples.example("stripes"))
    first = classify.analyse(data)
    again = classify.analyse(data)
    assert not first.from_cache and again.from_cache
    assert again.predictions is first.predictions  # nothing was computed again
    assert classify.CACHE.hits == 1 and classify.CACHE.misses == 1
    assert not classify.analyse(jpeg(examples.example("checkerboard"))).from_cache


def test_the_cache_keeps_what_the_page_shows_and_is_bounded_in_bytes(monkeypatch):
    big = Image.linear_gradient("L").resize((1600, 1200)).convert("RGB")
    first = classify.analyse(jpeg(big))
    assert max(max(step.image.size) for step in first.steps) <= classify.SHOWN_SIDE
    assert first.steps.resized.shape == (3, 256, 341)  # the size the transform worked at, still said
    one = classify.nbytes(first)
    assert 0.5 * 2**20 < one < 4 * 2**20
    monkeypatch.setattr(classify, "CACHE", classify._LRU(max_bytes=int(2.5 * one)))
    for i in range(5):
        classify.analyse(jpeg(big.rotate(90 * i, expand=True)) if i < 4 else jpeg(big.transpose(0)))
    assert len(classify.CACHE) == 2 and classify.CACHE.bytes <= 2.5 * one  # the two newest


def test_analysis_reports_latency_the_device_and_each_networks_categories():
    result = classify.analyse(examples.photo_bytes("coffee"))
    assert set(result.predictions) == set(NAMES)
    for name, p in result.predictions.items():
        assert p.forward_ms > 0 and p.device == str(device.current().device) and not p.pretrained
        assert p.categories is networks.get(name).categories and p.title == networks.get(name).title
        (label, prob), = p.named_top(1)
        assert label == p.categories[int(p.probs.argmax())] and prob == float(p.probs.max())


def _with_top_class(pred: classify.Prediction, index: int) -> classify.Prediction:
    probs = torch.full_like(pred.probs, 0.5 / (len(pred.probs) - 1))
    probs[index] = 0.5
    return dataclasses.replace(pred, probs=probs)


def test_the_networks_agree_only_when_their_top_classes_are_the_same():
    result = classify.analyse(examples.photo_bytes("coffee"))
    r, d = result.predictions["resnet18"], result.predictions["densenet121"]
    same = {"resnet18": _with_top_class(r, 7), "densenet121": _with_top_class(d, 7)}
    other = {"resnet18": _with_top_class(r, 7), "densenet121": _with_top_class(d, 8)}
    assert dataclasses.replace(result, predictions=same).agree()
    assert not dataclasses.replace(result, predictions=other).agree()


def test_pretrained_weights_in_the_cache_are_used_and_said(torch_home, use_checkpoint):
    model = networks.get("resnet18").builder(weights=None)
    torch.nn.init.zeros_(model.fc.weight)
    torch.nn.init.zeros_(model.fc.bias)
    model.fc.bias.data[123] = 10.0  # this "pretrained" net always says class 123
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    payload = buf.getvalue()
    real = networks.get("resnet18").checkpoint
    ckpt = Checkpoint(name="resnet18", weights=real.weights,
                      url=f"http://127.0.0.1:9/models/resnet18-{hashlib.sha256(payload).hexdigest()[:8]}.pth")
    ckpt.path().parent.mkdir(parents=True, exist_ok=True)
    ckpt.path().write_bytes(payload)
    use_checkpoint(ckpt)

    result = classify.analyse(examples.photo_bytes("rocket"))
    resnet, dense = result.predictions["resnet18"], result.predictions["densenet121"]
    assert resnet.pretrained and resnet.top(1)[0][0] == 123
    assert not dense.pretrained


def test_built_in_examples_decode():
    for name in examples.PHOTOS:
        assert classify.analyse(examples.photo_bytes(name)).decoded.format == "JPEG"
