"""Classification speed: the app's inference engine beside a bare torchvision eager forward.

    python -m bench.classify_speed [--repeats 30]

Measured in one run, on whatever device the app would use (CUDA, MPS or the CPU):
- each model's forward at batch 1: torchvision's model called eagerly under inference_mode
  (the baseline), and the app's engine (``models.runtime.inference``: every stage's output too);
- the engine's time per image at batch 1, 4, 8 and 16: whether batching the requests of students
  who upload at the same moment into one pass would pay on this device;
- on a GPU, images/s at batch 64, eager;
- end to end, from uploaded JPEG bytes to both top-5 lists (``models.runtime.classify.analyse`` with an
  empty cache), and the whole page's compute: that plus Grad-CAM for both models;
- the same picture again, served from the cache;
- decoding a 12-megapixel JPEG with ``models.runtime.images.decode`` (JPEG draft) and with a plain
  Pillow decode of every pixel.
Weights are untrained (speed does not depend on their values). Medians in milliseconds; one JSON
document on stdout.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import platform
import statistics
import time

import torch
import torchvision
from PIL import Image

from models.runtime import cam, classify, device, examples, images, inference, networks, zoo


def median_ms(fn, repeats: int, warmup: int = 3, sync=lambda: None) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def big_jpeg() -> bytes:
    """A 4000×3000 photo-like JPEG (noise over a gradient), about what a phone uploads."""
    base = examples.example("shapes", size=512).resize((4000, 3000))
    noise = Image.effect_noise((4000, 3000), 25).convert("RGB")
    buf = io.BytesIO()
    Image.blend(base, noise, 0.15).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    device.use_threads()
    choice = device.current()
    dev = choice.device
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    report = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                          "device": choice.label, "threads": torch.get_num_threads(),
                          "torch": torch.__version__, "torchvision": torchvision.__version__}, "models": {}}

    x = classify.preprocess(examples.example("shapes"), zoo.classifier("resnet18").transforms())[1]
    for name, network in networks.NETWORKS.items():
        clf = zoo.classifier(name)
        bare = network.builder(weights=None).eval().to(dev)
        xd = x.to(dev)
        with torch.inference_mode():
            eager = median_ms(functools.partial(bare, xd), args.repeats, sync=sync)
        engine = inference.engine(clf)
        engine_ms = median_ms(functools.partial(engine, x), args.repeats, sync=sync)
        entry = {"eager_batch1_ms": eager, "engine_batch1_ms": engine_ms, "engine_backend": engine.backend,
                 "speedup": round(eager / engine_ms, 2)}
        entry["engine_ms_per_image_by_batch"] = {
            b: round(median_ms(lambda: engine(x.repeat(b, 1, 1, 1)), max(5, args.repeats // b)) / b, 2)  # noqa: B023
            for b in (1, 4, 8, 16)}
        if dev.type == "cuda":
            batch = x.repeat(64, 1, 1, 1).to(dev)
            with torch.inference_mode():
                ms = median_ms(functools.partial(bare, batch), max(5, args.repeats // 3), sync=sync)
            entry["eager_batch64_images_per_s"] = round(64 / ms * 1000)
        report["models"][name] = entry

    photo = examples.photo_bytes("cat")

    def fresh_analysis():
        classify.CACHE.clear()
        return classify.analyse(photo)

    def whole_page():
        result = fresh_analysis()
        for name, pred in result.predictions.items():
            cam.grad_cam(networks.get(name), zoo.classifier(name).model, pred.cam_activation, pred.top(1)[0][0])

    report["end_to_end_ms"] = median_ms(fresh_analysis, args.repeats)
    # CPU-seconds, every thread of this process counted: what one analysis takes from the other
    # students' pages on the same cores (spinning thread pools show here, not in the wall time)
    cpu_start = time.process_time()
    for _ in range(args.repeats):
        fresh_analysis()
    report["end_to_end_cpu_s"] = round((time.process_time() - cpu_start) / args.repeats, 4)
    report["page_compute_with_grad_cam_ms"] = median_ms(whole_page, args.repeats)
    classify.analyse(photo)
    report["cached_repeat_ms"] = median_ms(lambda: classify.analyse(photo), args.repeats)

    data = big_jpeg()

    def full_decode():
        with Image.open(io.BytesIO(data)) as im:
            im.load()

    report["decode_12mp_jpeg"] = {"bytes": len(data), "draft_ms": median_ms(lambda: images.decode(data), 10),
                                  "full_ms": median_ms(full_decode, 10)}
    decode = report["decode_12mp_jpeg"]
    decode["speedup"] = round(decode["full_ms"] / decode["draft_ms"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
