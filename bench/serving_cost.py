"""What one student costs the app server, part by part, on the classify page.

    python -m bench.serving_cost [--students 20]

Starts `streamlit run app.py` on a free local port as ``bench.load_test`` does (weights offline:
untrained, same speed), warms it up with two students, then sends three waves of students one
after another (never two at once, so each figure is the server's own work for one student, not
time spent waiting):

- ``visit``: opens the classify page, where the upload box waits;
- ``visit_upload``: the same, then uploads a picture of their own and waits for the whole page
  (both networks' top-5, Grad-CAM, feature maps);
- ``visit_upload_rerun``: the same, then reruns the page once (as moving a slider does): the
  analysis comes from the cache, and only the page is drawn again.

Reports the server's CPU-seconds per student for each wave (``/proc``, user + system, every thread
of the server), and the differences: what an upload adds to a visit, and what one redraw costs.
Clients speak Streamlit's websocket protocol (``bench/streamlit_client.py``). One JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform

from bench.load_test import picture, servers
from bench.streamlit_client import Tab
from deploy.processes import cpu_seconds

WAVES = {"visit": (False, 0), "visit_upload": (True, 0), "visit_upload_rerun": (True, 1)}


async def student(url: str, seed: int, upload: bool, reruns: int) -> None:
    async with Tab(url, "classify", "picture.source=upload") as tab:
        uploader = await tab.wait_for("file_uploader", timeout=120)
        await tab.settled(timeout=120)
        if upload:
            since = tab.mark()
            await tab.upload(uploader, f"student-{seed}.jpg", picture(seed))  # a picture of their own: no cache
            await tab.wait_for("plotly_chart", "DenseNet121", since=since, timeout=180)
            await tab.settled(since, timeout=180)
        for _ in range(reruns):
            since = tab.mark()
            await tab.rerun()
            await tab.settled(since, timeout=180)


async def wave(url: str, students: int, first_seed: int, upload: bool, reruns: int) -> None:
    for i in range(students):
        await student(url, first_seed + i, upload, reruns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    per_student = {}
    with servers(argparse.Namespace(replicas=1, runner="local", run_seconds=15)) as (url, (server,), _logs):
        asyncio.run(wave(url, 2, 10_000, True, 1))  # the models load and the inference graphs are exported
        for n, (name, (upload, reruns)) in enumerate(WAVES.items()):
            before = cpu_seconds(server.pid)
            asyncio.run(wave(url, args.students, 1_000 * (n + 1), upload, reruns))
            per_student[name] = round((cpu_seconds(server.pid) - before) / args.students, 4)
    print(json.dumps({
        "benchmark": "serving_cost", "machine": f"{platform.machine()} · {os.cpu_count()} cores",
        "students_per_wave": args.students, "cpu_s_per_student": per_student,
        "an_upload_adds": round(per_student["visit_upload"] - per_student["visit"], 4),
        "one_redraw": round(per_student["visit_upload_rerun"] - per_student["visit_upload"], 4),
    }, indent=1))


if __name__ == "__main__":
    main()
