"""A school on one machine, for real: a Ray head, two app servers and HAProxy on 127.0.0.1
(``deploy.school.School``), a class of websocket students and one Chromium student through the
proxy. Every student is served, uploads are classified, runs train on Ray workers (not in the app
servers' processes), Stop works, and killing one app server in the middle of the class loses no
finished run: its students are sent to the other one, which has their runs from the shared store.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil

import pytest
from sqlalchemy import func, select

pytest.importorskip("ray")
if not shutil.which("haproxy") and not __import__("pathlib").Path("/usr/sbin/haproxy").exists():
    if __import__("os").environ.get("CNNLAB_REQUIRE_BROWSER") == "1":  # CI: .ci/run installs it
        pytest.fail("haproxy is not installed; .ci/run installs Debian's haproxy")
    pytest.skip("haproxy is not installed (apt install haproxy)")

from bench import load_test
from bench.streamlit_client import Tab, find
from deploy.school import School
from lessons import strings
from models.store import database, schema
from tests.test_browser import _chromium, settle

pytestmark = [pytest.mark.school, pytest.mark.ray, pytest.mark.slow]  # two app servers, HAProxy, a Ray head


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    home = tmp_path_factory.mktemp("school")
    env = {"CNNLAB_MAX_RUN_SECONDS": "8", "TORCH_HOME": str(home / "torch"), "CNNLAB_DATA": str(home / "data"),
           "CNNLAB_MAX_RUNS": "2", "CNNLAB_MAX_QUEUE": "8", "CNNLAB_TEACHER_KEY": load_test.TEACHER_KEY}
    with School(replicas=2, runner="ray", home=home, env=env) as s:
        yield s
    assert "Traceback" not in s.logs(), s.logs()[-6000:]


def _class_runs(school) -> list:
    store = database.Store(school.app_env()["CNNLAB_DB"])
    try:
        return store.class_runs()
    finally:
        store.engine.dispose()


def test_a_class_through_the_proxy_is_served_by_both_servers_and_trains_on_ray(school):
    args = argparse.Namespace(students=6, trainers=2, arrival_s=0.3, client="ws", tour=False, chromium="")
    report = asyncio.run(load_test.lesson(school.url, args))
    assert report["errors"] == []
    assert len(report["prediction_s"]) == 6  # every upload got both top-5 lists
    assert report["runs"]["completed"] == 2 and report["runs"]["refused"] == 0
    log = (school.home / "haproxy.log").read_text()
    assert "apps/app1" in log and "apps/app2" in log  # the proxy spread the class over both servers
    app_pids = {str(p.pid) for p in school.apps}
    trained_in = [run.meta["trained_in"] for _, run in _class_runs(school) if run.meta.get("trained_in")]
    assert len(trained_in) >= 2
    assert all(where.split(" pid ")[1] not in app_pids for where in trained_in)  # Ray workers trained them


def test_a_teacher_on_one_server_leads_students_on_the_other(school):
    # The lead lives in the class store: the teacher's tab is kept on app1 by the proxy's cookie,
    # the students' on app2, and every student follows every change (bench.load_test --follow).
    args = argparse.Namespace(students=4, changes=4, arrival_s=0.2, follow_timeout_s=60.0,
                              teacher_server="app1", student_server="app2")
    try:
        report = asyncio.run(load_test.follow_class(school.url, args))
    finally:  # the class is not led any more: the other tests' students go their own way
        store = database.Store(school.app_env()["CNNLAB_DB"])
        store.set_leading(False)
        store.engine.dispose()
    assert report["errors"] == [] and report["changes"] == 4 and len(report["follow_s"]) == 16, report
    log = (school.home / "haproxy.log").read_text()
    assert "apps/app1" in log and "apps/app2" in log


def test_a_class_run_started_on_one_server_is_watched_on_the_other_and_trains_once_on_ray(school):
    # The teacher's tab on app1 starts the receptive-field demo as a class run; it trains on a Ray
    # worker, and the students' tabs on app2 draw it from the class store, live and then kept.
    # as the websocket client finds text: in a protobuf's text form, where an apostrophe is escaped
    live, done = (strings("en")[key].split("'")[-1] for key in ("class_run.live", "class_run.done"))

    async def lesson() -> None:
        async with contextlib.AsyncExitStack() as stack:
            teacher = await stack.enter_async_context(Tab(school.url, "teacher", server="app1"))
            await load_test.lead_the_class(teacher)  # the key: the Class run button is the teacher's
            students = [await stack.enter_async_context(Tab(school.url, "receptive_fields", server="app2"))
                        for _ in range(2)]
            for tab in students:
                await tab.settled(timeout=120)  # the navigation names the pages
            await teacher.goto("receptive_fields")
            await teacher.click(await teacher.wait_for("button", strings("en")["class_run.start"], timeout=120))
            for expected in (live, done):  # a page opened on app2 while it trains, and after
                async def shows(tab, expected=expected) -> None:
                    while True:
                        since = tab.mark()
                        await tab.goto("receptive_fields")
                        if find(await tab.settled(since, timeout=120), "markdown", expected):
                            return
                        await asyncio.sleep(0.5)
                await asyncio.wait_for(asyncio.gather(*(shows(tab) for tab in students)), timeout=180)

    try:
        asyncio.run(lesson())
    finally:
        store = database.Store(school.app_env()["CNNLAB_DB"])
        run = store.class_run("demo.stack")
        store.set_leading(False)
        store.engine.dispose()
    assert run is not None and run.state == "done" and run.history and run.summary
    store = database.Store(school.app_env()["CNNLAB_DB"])
    try:
        with store.engine.connect() as conn:  # trained once for the class, on its Ray cluster (the school's runner)
            assert conn.execute(select(func.count()).select_from(schema.class_runs)).scalar() == 1
    finally:
        store.engine.dispose()


def test_every_server_of_the_school_listens_on_loopback_only(school, listeners):
    # The proxy, both app servers (and the Ray client inside them), the Ray head and its workers
    sockets = listeners([school.proxy.pid, *(p.pid for p in school.apps)])
    assert {pid for pid, _, _ in sockets} >= {school.proxy.pid, *(p.pid for p in school.apps)}, sockets
    assert {address for _, address, _ in sockets} == {"127.0.0.1"}, sockets


@pytest.mark.browser
def test_a_student_whose_server_dies_is_sent_to_the_other_and_finds_their_runs(school):
    from playwright.sync_api import sync_playwright

    s = strings("en")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 2400})
        page = context.new_page()
        page.goto(f"{school.url}/training_lab?train.epochs=20")
        settle(page)
        main = page.get_by_test_id("stMain")
        main.get_by_role("button", name=s["train.start"]).click()
        stop = main.get_by_role("button", name=s["train.stop"], exact=True)
        stop.wait_for(timeout=90_000)
        page.get_by_text(re.compile(r"Step \d+ of \d+")).first.wait_for(timeout=90_000)  # points from Ray
        stop.click()
        stop.wait_for(state="detached", timeout=30_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        before = len(_class_runs(school))
        server = next(c["value"] for c in context.cookies() if c["name"] == "CNNLAB_SERVER")
        school.kill(int(server.removeprefix("app")) - 1)  # the student's own server dies
        page.reload()
        settle(page, timeout_s=90)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)  # their runs, elsewhere
        now = next(c["value"] for c in context.cookies() if c["name"] == "CNNLAB_SERVER")
        assert now != server
        assert len(_class_runs(school)) == before  # no finished run was lost
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
