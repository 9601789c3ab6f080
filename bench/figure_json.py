"""What a chart costs each tab that draws it: the pooling page's figures turned into Plotly JSON.

    python -m bench.figure_json [--repeats 200]

``st.plotly_chart`` does two things with a figure on every run of every tab: ``fig.to_dict()``
(Plotly deep-copies every trace and looks through it for arrays to encode) and
``plotly.io.to_json`` of that dict. This measures both, for the figures the pooling page draws
(the shipped network's whole pipeline on the example picture, the activation curves, the class
probabilities), as the app did before and as it does now:

- ``to_dict``: a fresh ``to_dict()`` per draw (before), against the dict a shared figure keeps
  (``ui.figures._finished``, now);
- ``json``: ``to_json`` with the json module's engine (before), against orjson's (now: Plotly
  picks it when orjson is installed).

Milliseconds per draw (median of ``--repeats``), and the ratios, measured in this one run. One
JSON document.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import plotly.graph_objects as go
import plotly.io as pio
import torch
import torchvision.transforms.functional as TF

from lessons import ROOT as LESSONS_DIR
from models.maths import activations
from models.probes import pipeline
from models.runtime.examples import example
from models.training import shipped, train
from ui import figures


def pooling_figures() -> dict[str, go.Figure]:
    """The pooling page's charts as a student on the example picture gets them (English)."""
    result = shipped.load(LESSONS_DIR / "pooling" / "network.pt")
    picture = example("shapes", size=result.image_size).convert("L")
    x = (TF.to_tensor(picture).unsqueeze(0) - result.mean) / result.std
    steps = pipeline.walk(train.restore(result), x)
    return {"pipeline": figures.pipeline(pipeline.drawn(steps)),
            "activation_curves": figures.activation_curves(activations.curves()),
            "class_probabilities": figures.class_probabilities(result.classes, steps[-1].output.tolist())}


def per_draw_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.manual_seed(0)
    report = {"benchmark": "figure_json", "machine": f"{platform.machine()} · {torch.get_num_threads()} threads",
              "repeats": args.repeats, "figures": {}}
    for name, fig in pooling_figures().items():
        kept = fig.to_dict()  # a shared figure's dict (ui.figures._Drawn.to_dict), worked out once
        plain = go.Figure(fig)  # the same figure as an ordinary one: to_dict() copies it every time
        row = {
            "to_dict_ms": per_draw_ms(plain.to_dict, args.repeats),
            "kept_dict_ms": per_draw_ms(fig.to_dict, args.repeats),
            "json_engine_ms": per_draw_ms(lambda d=kept: pio.to_json(d, validate=False, engine="json"), args.repeats),
            "orjson_engine_ms": per_draw_ms(lambda d=kept: pio.to_json(d, validate=False, engine="orjson"),
                                            args.repeats),
            "json_kb": round(len(pio.to_json(kept, validate=False)) / 1024, 1),
        }
        before, now = row["to_dict_ms"] + row["json_engine_ms"], row["kept_dict_ms"] + row["orjson_engine_ms"]
        row |= {"before_ms": round(before, 3), "now_ms": round(now, 3), "ratio": round(before / now, 1)}
        report["figures"][name] = row
    total_before = sum(r["before_ms"] for r in report["figures"].values())
    total_now = sum(r["now_ms"] for r in report["figures"].values())
    report["all"] = {"before_ms": round(total_before, 2), "now_ms": round(total_now, 2),
                     "ratio": round(total_before / total_now, 1),
                     "json_ratio": round(sum(r["json_engine_ms"] for r in report["figures"].values())
                                         / sum(r["orjson_engine_ms"] for r in report["figures"].values()), 1)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
