"""A class of thirty: N students at once, each a real session, against one server.

    python -m bench.load_test [--students 30] [--trainers 5] [--arrival-s 1] [--client ws|browser] [--tour] [--cold]
                              [--replicas 1|2|1,2] [--runner local|ray]
                              [--follow [--changes 10]]

Starts `streamlit run app.py` on a free local port (weights offline: untrained, same speed) — or,
with ``--replicas N`` or ``--runner ray``, a School (``deploy/school.py``: N app servers behind
HAProxy, training on a local Ray head when asked) — and
lets N students arrive a fraction of a second apart. Every student opens the classify page,
uploads a picture of their own (a different one each, so no answer comes from the cache) and
waits until both networks' top-5 chart is there; the first ``--trainers`` of them then go to the
training lab and start a run (at most one runs at a time, four wait, more are refused: the
runner's defaults). Reports p50 / p95 / max time from upload to prediction, training runs
completed / queued / refused, every error (exceptions on a page, timeouts; console errors in a
browser), and the server's memory after one student warmed it up (models loaded) and again after
every student has gone. One JSON document.

``--follow``: the students instead follow a teacher who leads the class (``ui/lead.py``): one
teacher's tab gives the key, switches "Lead the class" on and changes page or setting
``--changes`` times; the report gives p50 / p95 / max seconds from the teacher's click to each
student's run of the teacher's page, with the teacher's setting, ended. The teacher has opened
each of those lessons once before the class (their models loaded), as before a lesson.

``--tour``: each student instead opens every page once, in an order of their own, half of them
in Korean, and the report gives the time per page. ``--cold``: no warm-up student, so the class
meets a server that has loaded nothing yet (the models load, and the inference graphs are
exported, while everyone waits): the harshest start, and the one that finds races.

Two kinds of student:
- ``ws`` (default) speaks Streamlit's websocket protocol (`bench/streamlit_client.py`): the
  server does everything it does for a browser, and nothing is drawn, so the figures are the
  server's, as with thirty students on their own laptops;
- ``browser`` is a headless Chromium tab each. On a 2-core machine the thirty renderers take
  most of the CPU from the server, so these figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from bench.cold_start import CHROMIUM_ARGS
from bench.streamlit_client import Tab, find
from deploy.processes import RAY_PROCESSES, cpu_seconds, free_port, processes_cpu, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
BASE_PATH_PROBE = re.compile(r"/_stcore/(host-config|health)")  # see tests/test_browser.py


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def picture(seed: int) -> bytes:
    """A student's photo: random shapes on a random background, 640×480 JPEG."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        draw.ellipse([x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)],
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def failure(index: int, err: Exception) -> str:
    """One line for a student who could not finish: a timeout, a page's exception, a refused click."""
    return f"student {index}: {type(err).__name__}: {(str(err).splitlines() or [''])[0]}"


def progress_shown(view) -> bool:
    return bool(find(view, "progress", "Step") or find(view, "progress", "Training…")
                or find(view, "alert", "Waiting for a free slot") or find(view, "alert", "busy"))


async def ws_student(url: str, index: int, trains: bool, report: dict) -> None:
    """A student as Streamlit's websocket protocol: the server does all its work, nothing is drawn."""
    try:
        async with Tab(url, "classify", "picture.source=upload") as tab:
            uploader = await tab.wait_for("file_uploader", timeout=120)
            start, since = time.monotonic(), tab.mark()
            await tab.upload(uploader, f"student-{index}.jpg", picture(index))
            await tab.wait_for("plotly_chart", "DenseNet121", since=since, timeout=180)
            report["prediction_s"].append(time.monotonic() - start)
            await tab.settled(since, timeout=180)
            if trains:
                since = tab.mark()
                await tab.goto("training_lab")
                await tab.click(await tab.wait_for("button", "Start training", since=since, timeout=120))
                view = await tab.wait_until(progress_shown, since=tab.mark(), timeout=120)
                if find(view, "alert", "busy"):
                    report["runs"]["refused"] += 1
                else:
                    report["runs"]["queued" if find(view, "alert", "Waiting") else "started"] += 1
                    await tab.wait_until(lambda v: find(v, "dataframe") and not find(v, "button", "Stop"),
                                         since=tab.mark(), timeout=600)
                    report["runs"]["completed"] += 1
    except Exception as err:  # noqa: BLE001 — a student who could not finish is the figure we want
        report["errors"].append(failure(index, err))


async def ws_tourist(url: str, index: int, report: dict) -> None:
    """A student who opens the home page, then every lesson page once in an order of their own;
    every other student reads in Korean. Each page visit is timed until its run has ended."""
    query = "lang=ko" if index % 2 else ""
    tab = Tab(url, "", query)
    try:
        async with tab:
            await tab.settled(timeout=300)
            pages = [page for page in tab.pages if page]  # from the app's own navigation
            for page in random.Random(index).sample(pages, len(pages)):
                start, since = time.monotonic(), tab.mark()
                await tab.goto(page, query)
                await tab.settled(since, timeout=300)
                report["page_s"].setdefault(page, []).append(time.monotonic() - start)
    except Exception as err:  # noqa: BLE001 — as for ws_student
        report["errors"].append(failure(index, err))


async def browser_student(browser, url: str, index: int, trains: bool, report: dict) -> None:
    """A student as a Chromium tab: what a class sees, page rendering included."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1800})
    page = await context.new_page()
    errors = report["errors"]
    page.on("console", lambda m: errors.append(f"student {index}: console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"student {index}: HTTP {r.status} {r.url}")
            if r.status >= 400 and not BASE_PATH_PROBE.search(r.url) else None)
    main = page.get_by_test_id("stMain")
    try:
        await page.goto(f"{url}/classify", timeout=120_000)
        await page.wait_for_selector("h1", timeout=120_000)
        await main.get_by_text("Upload", exact=True).click(timeout=120_000)
        await page.locator('input[type="file"]').wait_for(state="attached", timeout=120_000)  # hidden, as browsers do
        name = f"student-{index}.jpg"
        start = time.monotonic()
        await page.locator('input[type="file"]').set_input_files(
            files=[{"name": name, "mimeType": "image/jpeg", "buffer": picture(index)}])
        await main.get_by_text(f"File: {name}").wait_for(timeout=180_000)
        await page.locator(".js-plotly-plot").first.get_by_text("DenseNet121").wait_for(timeout=180_000)
        report["prediction_s"].append(time.monotonic() - start)
        if await page.locator('[data-testid="stException"]').count():
            errors.append(f"student {index}: exception on the classify page")
        if trains:
            await page.goto(f"{url}/training_lab", timeout=120_000)
            await page.wait_for_selector("h1", timeout=120_000)
            await main.get_by_role("button", name="Start training").click(timeout=120_000)
            progress = main.get_by_text(re.compile(r"Step \d+ of \d+|Training…|Waiting for a free slot|busy"))
            await progress.first.wait_for(timeout=120_000)
            text = await progress.first.inner_text()
            if "busy" in text:
                report["runs"]["refused"] += 1
            else:
                report["runs"]["queued" if "Waiting" in text else "started"] += 1
                await main.get_by_role("button", name="Stop", exact=True).wait_for(state="detached", timeout=600_000)
                await main.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)
                report["runs"]["completed"] += 1
    except Exception as err:  # noqa: BLE001 — a student who could not finish is the figure we want
        errors.append(failure(index, err))
    finally:
        await context.close()


# --- follow the teacher (--follow) ---------------------------------------------------------------

TEACHER_KEY = "the-load-tests-teachers-key"  # the servers' CNNLAB_TEACHER_KEY in this mode
FOLLOW_PAGES = ("receptive_fields", "pooling", "conv_arithmetic", "residual_block", "overfitting")


def moved(tab: Tab, page: str, predict: bool) -> bool:
    """Whether the tab's latest run of the page has ended on ``page`` with the teacher's setting."""
    app = [run for run in tab.runs if not run.fragment]
    return bool(app) and app[-1].page == page and app[-1].status == "FINISHED_SUCCESSFULLY" \
        and ("predict=true" in tab.query) == predict


async def lead_the_class(teacher: Tab) -> None:
    """The teacher's tab: the key, then the dashboard's "Lead the class" switch."""
    key = await teacher.wait_for("text_input", "Teacher", timeout=120)
    teacher.type_into(key, TEACHER_KEY)
    await teacher.click(await teacher.wait_for("button", "Open the dashboard", timeout=120))
    since = teacher.mark()
    await teacher.toggle(await teacher.wait_for("checkbox", "Lead the class", since=since, timeout=120), True)
    await teacher.wait_for("markdown", "You are leading the class", timeout=120)


async def follow_class(url: str, args) -> dict:
    """``args.students`` tabs follow a teacher who changes page or setting ``args.changes`` times:
    every other change opens the next lesson of ``FOLLOW_PAGES``, the others switch predict-before-
    reveal (a setting every page's link carries). Each change is timed from the teacher's click to
    each student's run of the new page, with the new setting, ended."""
    report = {"follow_s": [], "errors": [], "changes": 0, "per_change": []}
    async with contextlib.AsyncExitStack() as stack:
        # behind a school's proxy, the teacher's tab and the students' may be kept on different servers
        teacher = await stack.enter_async_context(Tab(url, "teacher", server=getattr(args, "teacher_server", None)))
        await teacher.settled(timeout=300)  # the navigation names the pages
        for page in FOLLOW_PAGES:  # the teacher tries the lessons before the class: their models load
            since = teacher.mark()
            await teacher.goto(page)
            await teacher.settled(since, timeout=300)
        await teacher.goto("teacher")
        await lead_the_class(teacher)
        students = []
        for i in range(args.students):  # they arrive while the class is led: each shows the bar
            students.append(await stack.enter_async_context(
                Tab(url, "", "lang=ko" if i % 2 else "", server=getattr(args, "student_server", None))))
            await asyncio.sleep(args.arrival_s)
        for i, tab in enumerate(students):
            try:
                await tab.wait_for("button", "", timeout=60)
                await tab.wait_until(lambda view: find(view, "markdown", "Following the teacher")
                                     or find(view, "markdown", "선생님을 따라가는 중"), timeout=60)
            except Exception as err:  # noqa: BLE001 — a student who does not follow is the figure we want
                report["errors"].append(failure(i, err))
        page, predict = None, False
        for change in range(args.changes):
            await teacher.settled(timeout=120)
            start = time.monotonic()
            if change % 2 == 0 or page is None:
                page = FOLLOW_PAGES[(change // 2) % len(FOLLOW_PAGES)]
                await teacher.goto(page)
            else:
                predict = not predict
                switch = find(teacher.view(), "checkbox", "Predict before reveal")
                await teacher.toggle(switch, predict)

            async def arrives(i: int, tab: Tab, page=page, predict=predict, start=start, change=change) -> None:
                try:
                    await tab.wait_until(lambda _view: moved(tab, page, predict), timeout=args.follow_timeout_s)
                    report["follow_s"].append(time.monotonic() - start)
                except Exception as err:  # noqa: BLE001 — as above
                    last = [f"{r.page or '?'}:{r.status}" for r in tab.runs if not r.fragment][-2:]
                    last.append("away" if find(tab.view(), "markdown", "🧭") else "following")
                    report["errors"].append(f"change {change}: {failure(i, err)} (last runs {last}, {tab.query})")

            before = len(report["follow_s"])
            await asyncio.gather(*(arrives(i, tab) for i, tab in enumerate(students)))
            report["changes"] += 1
            report["per_change"].append({"to": page if change % 2 == 0 else f"predict={str(predict).lower()}",
                                         **summary(report["follow_s"][before:])})
    return report


async def lesson(url: str, args) -> dict:
    """The class: ``args.students`` students, one every ``args.arrival_s`` seconds, the first
    ``args.trainers`` of them training after their prediction."""
    report = {"prediction_s": [], "page_s": {}, "errors": [],
              "runs": {"started": 0, "queued": 0, "refused": 0, "completed": 0}}
    async with contextlib.AsyncExitStack() as stack:
        if args.client == "browser":
            from playwright.async_api import async_playwright  # only this client needs it

            playwright = await stack.enter_async_context(async_playwright())
            browser = await playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            stack.push_async_callback(browser.close)
        tasks = []
        for i in range(args.students):
            trains = i < args.trainers
            if args.client == "browser":
                student = browser_student(browser, url, i, trains, report)
            else:
                student = ws_tourist(url, i, report) if args.tour else ws_student(url, i, trains, report)
            tasks.append(asyncio.create_task(student))
            await asyncio.sleep(args.arrival_s)
        await asyncio.gather(*tasks)
    return report


def percentile(values: list[float], q: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2) if len(values) > 1 else \
        round(values[0], 2) if values else float("nan")


def summary(times: list[float]) -> dict:
    """p50, p95 and max of times, in seconds."""
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": round(max(times), 2) if times else None}


@contextlib.contextmanager
def servers(args: argparse.Namespace):
    """One ``streamlit run`` (the classroom), or a School (N app servers behind HAProxy, runs on
    Ray or in each server); yields (the class's URL, the app servers' processes, their stderr)."""
    env = {"CNNLAB_OFFLINE": "1", "CNNLAB_MAX_RUN_SECONDS": str(args.run_seconds)}
    if getattr(args, "follow", False):  # a class store of the run's own: the lead is the whole class's
        home = Path(tempfile.mkdtemp(prefix="cnnlab-follow-"))
        env |= {"CNNLAB_TEACHER_KEY": TEACHER_KEY, "CNNLAB_DB": f"sqlite:///{home / 'class.sqlite'}"}
    if args.replicas == 1 and args.runner == "local":
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # The server's console goes to a file, read at the end: a pipe nobody reads during the class
        # fills at 64 kB, and then the server's event loop waits on its next log line, for ever.
        console = tempfile.TemporaryFile("w+")
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT,
                                  env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=console, text=True)
        logs: list[str] = []
        try:
            wait_healthy(url, timeout_s=90, proc=server)
            yield url, [server], logs
        finally:
            server.terminate()
            server.wait(timeout=30)
            console.seek(0)
            logs.append(console.read())
            console.close()
        return
    from deploy.school import School  # the school's setup: HAProxy, and Ray if asked

    logs = []
    with School(replicas=args.replicas, runner=args.runner, env=env) as school:
        try:
            yield school.url, school.apps, logs
        finally:
            logs.append(school.logs())


def measure(args: argparse.Namespace) -> dict:
    """Start the server(s), warm up with one student, send the class, and report (see the top)."""
    args = argparse.Namespace(**{**vars(args), "replicas": int(str(args.replicas).split(",")[0])})
    if args.follow:
        return measure_follow(args)
    with servers(args) as (url, apps, logs):
        # one student first, alone: the models load and the inference graphs are exported, as
        # when the teacher tries the page before the class; the memory after is the baseline.
        # Behind the proxy each server is warmed by one student of its own.
        warm = argparse.Namespace(**{**vars(args), "students": len(apps), "trainers": 0})
        warm_up = {"prediction_s": [], "errors": []} if args.cold else asyncio.run(lesson(url, warm))
        time.sleep(args.settle_s)
        idle_mb = sum(rss_mb(p.pid) for p in apps)
        start, machine_cpu = time.monotonic(), cpu_seconds()
        server_cpu, ray_cpu, proxy_cpu = sum(cpu_seconds(p.pid) for p in apps), processes_cpu(*RAY_PROCESSES), \
            processes_cpu("haproxy")
        report = asyncio.run(lesson(url, args))
        duration = time.monotonic() - start
        server_cpu = sum(cpu_seconds(p.pid) for p in apps if p.poll() is None) - server_cpu
        ray_cpu, proxy_cpu = processes_cpu(*RAY_PROCESSES) - ray_cpu, processes_cpu("haproxy") - proxy_cpu
        machine_cpu = cpu_seconds() - machine_cpu
        time.sleep(args.settle_s)  # closed tabs: the runtime drops their sessions
        after_mb = sum(rss_mb(p.pid) for p in apps)
    stderr = "\n".join(logs)
    times, pages = report["prediction_s"], [t for ts in report["page_s"].values() for t in ts]
    tracebacks = stderr.count("Traceback")
    return {
        "benchmark": "load_test", "machine": f"{platform.machine()} · {os.cpu_count()} cores",
        "client": args.client, "students": args.students, "arrival_s": args.arrival_s, "cold": args.cold,
        "replicas": args.replicas, "runner": args.runner,
        **({"tour": True, "pages_visited": len(pages), "page_s": summary(pages),
            "page_s_by_page": {page: summary(ts) for page, ts in sorted(report["page_s"].items())}}
           if args.tour else {"trainers": args.trainers, "served": len(times), "prediction_s": summary(times)}),
        "runs": report["runs"], "errors": report["errors"][:20], "error_count": len(report["errors"]),
        "server_tracebacks": tracebacks,
        "first_traceback": stderr[stderr.find("Traceback"):][:6000] if tracebacks else None,
        "warm_up": {"prediction_s": [round(x, 2) for x in warm_up["prediction_s"]], "errors": warm_up["errors"]},
        "server_rss_mb": {"before": idle_mb, "after_all_closed": after_mb, "growth": round(after_mb - idle_mb, 1)},
        "duration_s": round(duration, 1),
        # where the machine's CPU went during the class: the app servers, Ray's processes (the
        # training, on its workers), the proxy, and the rest (the clients, or the browsers)
        "cpu_s": {"available": round(duration * os.cpu_count(), 1), "used": round(machine_cpu, 1),
                  "app_servers": round(server_cpu, 1), "ray": round(ray_cpu, 1), "haproxy": round(proxy_cpu, 1),
                  "clients_and_rest": round(machine_cpu - server_cpu - ray_cpu - proxy_cpu, 1)},
        "cpu_s_per_upload": round(server_cpu / max(1, len(times)), 3) if not args.trainers else None,
    }


def measure_follow(args: argparse.Namespace) -> dict:
    """``--follow``: the class follows the teacher (see ``follow_class``); one JSON document."""
    with servers(args) as (url, apps, logs):
        start, server_cpu = time.monotonic(), sum(cpu_seconds(p.pid) for p in apps)
        report = asyncio.run(follow_class(url, args))
        duration = time.monotonic() - start
        server_cpu = sum(cpu_seconds(p.pid) for p in apps if p.poll() is None) - server_cpu
    stderr = "\n".join(logs)
    times = report["follow_s"]
    return {
        "benchmark": "load_test_follow", "machine": f"{platform.machine()} · {os.cpu_count()} cores",
        "students": args.students, "changes": report["changes"], "replicas": args.replicas, "runner": args.runner,
        "followed": len(times), "expected": args.students * args.changes, "follow_s": summary(times),
        "per_change": report["per_change"],
        "errors": report["errors"][:20], "error_count": len(report["errors"]),
        "server_tracebacks": stderr.count("Traceback"), "duration_s": round(duration, 1),
        "app_servers_cpu_s": round(server_cpu, 1),
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=5)
    parser.add_argument("--arrival-s", type=float, default=1.0,
                        help="seconds between two students' arrivals (0: all at once)")
    parser.add_argument("--run-seconds", type=int, default=15, help="CNNLAB_MAX_RUN_SECONDS for the server")
    parser.add_argument("--client", choices=("ws", "browser"), default="ws",
                        help="ws: Streamlit's websocket protocol, the server's own figures; "
                             "browser: headless Chromium tabs on this machine, rendering included")
    parser.add_argument("--tour", action="store_true",
                        help="instead, every student opens every page once, in an order of their own (ws only)")
    parser.add_argument("--cold", action="store_true", help="no warm-up student before the class")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--replicas", type=str, default="1",
                        help="app servers behind HAProxy; a list (1,2) measures each in turn, side by side")
    parser.add_argument("--runner", choices=("local", "ray"), default="local",
                        help="where runs train: each app server's threads, or a Ray head on this machine")
    parser.add_argument("--follow", action="store_true",
                        help="instead, the students follow a teacher who leads the class (ws only)")
    parser.add_argument("--changes", type=int, default=10, help="--follow: the teacher's changes of page or setting")
    parser.add_argument("--follow-timeout-s", type=float, default=30.0,
                        help="--follow: a student not on the teacher's page this long after a change is an error")
    parser.add_argument("--settle-s", type=float, default=5.0,
                        help="pause before each memory reading, for sessions to be dropped")
    return parser


def main() -> None:
    options = parser()
    args = options.parse_args()
    if (args.tour or args.follow) and args.client == "browser":
        options.error("--tour and --follow are for the websocket client only")
    counts = [int(n) for n in args.replicas.split(",")]
    if len(counts) == 1:
        print(json.dumps(measure(argparse.Namespace(**{**vars(args), "replicas": counts[0]})), indent=1))
        return
    print(json.dumps({"benchmark": "load_test_side_by_side", "by_replicas": {
        n: measure(argparse.Namespace(**{**vars(args), "replicas": n})) for n in counts}}, indent=1))


if __name__ == "__main__":
    main()
