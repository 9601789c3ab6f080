"""One hostile student cannot take the class down: each attack of issue 27, reproduced, and held.

* Guessing the teacher's key with 20 clients that reconnect all the time gets one guess a second
  for the whole server, against a real ``streamlit run`` on 127.0.0.1 spoken to over its
  websocket (``bench/streamlit_client.py``); a short key is refused at start, unsaid.
* Five tabs with five fresh cookies from one address get one place in the queue, not all five;
  the next student, from another address, gets theirs. Connections that do nothing store nothing.
* HAProxy tells the app servers each student's address, and not one a client made up.
* "Forget me" in one tab is not undone by a second tab of the same browser (AppTest, one store).
* A run that a restart interrupted is said to its student once, in their language (AppTest).
"""

from __future__ import annotations

import asyncio
import http.server
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bench.streamlit_client import Tab, find
from deploy.processes import free_port, wait_healthy
from deploy.school import haproxy_config
from models.store import database, teacher
from models.store.journal import server_name
from tests.support import QuietHandler

ROOT = Path(__file__).resolve().parents[1]
SHORT_KEY = "hunter22"  # 8 characters: what issue 27 guessed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app server as a classroom runs it, with a class store of its own and a short key."""
    home = tmp_path_factory.mktemp("access")
    db = f"sqlite:///{home / 'class.sqlite'}"
    env = {**os.environ, "CNNLAB_DB": db, "CNNLAB_TEACHER_KEY": SHORT_KEY, "CNNLAB_MAX_RUN_SECONDS": "3",
           "CNNLAB_MAX_QUEUE": "4", "CNNLAB_RUNS_PER_ADDRESS": "1"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, timeout_s=120, proc=proc)
        store = database.Store(db)
        yield url, store, home / "server.log"
        store.engine.dispose()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


async def _guess_until(url: str, client: int, stop_at: float, sent: list) -> None:
    """A client that tries a key, waits 0.6 s for the answer, hangs up and comes back, as issue 27's did."""
    n = 0
    while time.monotonic() < stop_at:
        async with Tab(url, "teacher", headers={"X-Forwarded-For": f"10.9.0.{client}"}) as tab:
            key_field = await tab.wait_for("text_input", "Teacher", timeout=120)  # str() escapes the apostrophe
            tab.type_into(key_field, f"guess {client}.{n}")
            await tab.click(await tab.wait_for("button", "Open the dashboard", timeout=120))
            sent.append(time.monotonic())
            await asyncio.sleep(0.6)
        n += 1


@pytest.mark.slow  # a real server and 20 clients for about 15 s
def test_twenty_reconnecting_clients_get_one_key_guess_a_second_and_store_no_student(server):
    url, store, log = server
    began = time.time()

    async def attack() -> list:
        async with Tab(url, "teacher") as warm:  # the server's first page is slow (imports): not the attack's
            await warm.wait_for("text_input", "Teacher", timeout=120)
        sent: list = []
        stop_at = time.monotonic() + 8
        await asyncio.wait_for(asyncio.gather(*[_guess_until(url, i, stop_at, sent) for i in range(20)]), 150)
        return sent

    sent = asyncio.run(attack())
    time.sleep(teacher.MAX_WAIT_S + 1.5)  # the turns booked last come and go
    misses = [(at, address) for at, address in store.misses(since=began - teacher.MAX_WAIT_S)]
    turns = [at for at, _ in misses]
    assert len(sent) >= 40  # the attack was made: many guesses sent …
    assert 3 <= len(misses) <= 8 + teacher.MAX_WAIT_S + 1  # … and about one a second was compared
    assert all(b - a >= teacher.TURN_S - 1e-6 for a, b in itertools.pairwise(turns))  # never two in one second
    assert all(address.startswith("10.9.0.") for _, address in misses)  # each logged with its address
    said = log.read_text()
    assert said.count("a wrong teacher's key from 10.9.0.") == len(misses)
    assert "CNNLAB_TEACHER_KEY=(not shown, 8 characters) is not a key of at least 16 characters" in said
    assert SHORT_KEY not in said  # refused, and never said back
    assert store.class_students() == []  # a hundred connections that did nothing kept: nobody stored


async def _start_training(url: str, address: str) -> str:
    """A tab with a fresh cookie presses Start on the training lab: what it was told."""
    async with Tab(url, "training_lab", headers={"X-Forwarded-For": address}) as tab:
        since = tab.mark()
        await tab.click(await tab.wait_for("button", "Start training", timeout=120))
        view = await tab.wait_until(
            lambda v: find(v, "alert", "network address") or find(v, "alert", "Waiting for a free slot")
            or find(v, "progress") or find(v, "alert", "busy"), since=since, timeout=120)
        return "address" if find(view, "alert", "network address") else "busy" if find(view, "alert", "busy") else "in"


@pytest.mark.slow  # a real server, six tabs, two short runs
def test_five_fresh_cookies_from_one_address_get_one_place_and_the_next_student_theirs(server):
    url, store, _ = server

    async def class_() -> tuple[list[str], str]:
        hostile = await asyncio.gather(*[_start_training(url, "10.8.0.66") for _ in range(5)])
        return hostile, await _start_training(url, "10.8.0.7")

    hostile, next_student = asyncio.run(class_())
    assert sorted(hostile) == ["address"] * 4 + ["in"]  # one place for the address, four sentences
    assert next_student == "in"  # the queue still has room for the rest of the class
    assert len(store.class_students()) == 2  # stored when their run started; the four refused ones, nowhere


class _Echo(QuietHandler):
    """An app server stand-in that answers every request with the X-Forwarded-For it was sent."""

    def do_GET(self):
        self.send_body("|".join(self.headers.get_all("X-Forwarded-For") or []).encode())


@pytest.mark.school
def test_haproxy_sends_each_students_address_and_drops_one_the_client_made_up(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        if os.environ.get("CNNLAB_REQUIRE_BROWSER") == "1":
            pytest.fail("haproxy is not installed; .ci/run installs Debian's haproxy")
        pytest.skip("haproxy is not installed (apt install haproxy)")
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(f"127.0.0.1:{port}", [("app1", f"127.0.0.1:{echo.server_address[1]}")]))
    proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "10.6.6.6"})
        for _ in range(100):
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    seen = answer.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert seen == "127.0.0.1"  # where the request came from: the proxy's word, and only it
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        echo.shutdown()


def _second_tab(open_page, first, page: str):
    """Another tab of the same browser: the same cookie, so the same token and student."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["_identity.token"] = first.session_state["_identity.token"]
    at.session_state["_identity.student"] = first.session_state["_identity.student"]
    return at.switch_page(f"app_pages/{page}.py").run()


def _cookie_scripts(at) -> list[str]:
    return [e.proto.body for e in at.get("html") if "cnnlab_student" in e.proto.body]


def test_forget_me_in_one_tab_is_not_undone_by_a_second_tab(open_page):
    store = database.store()
    first = open_page("quiz")
    first.sidebar.text_input[0].input("Ada")
    next(b for b in first.sidebar.button if b.label == "Save the name").click().run()
    old = first.session_state["_identity.student"]
    old_token = first.session_state["_identity.token"]
    assert store.student(old.id).name == "Ada"
    second = _second_tab(open_page, first, "quiz")
    assert second.session_state["_identity.student"].id == old.id
    lesson = "residual_block"
    second.selectbox(key="_quiz.lesson").set_value(lesson).run()
    first.sidebar.checkbox(key="_identity.forget_sure").check().run()
    first.sidebar.button(key="_identity.forget").click().run()
    assert store.student(old.id) is None
    # the second tab answers a question, as issue 27's did: it re-created Ada and wrote her token back
    choice = second.radio(key=f"quiz.{lesson}/skip-why.choice")
    choice.set_value(choice.options[0])
    second.button(key=f"FormSubmitter:quiz.form.{lesson}/skip-why-Check").click().run()
    assert not second.exception
    now = second.session_state["_identity.student"]
    assert second.session_state["_identity.token"] != old_token and now.id != old.id
    assert store.student(old.id) is None and store.answers(old.id) == [] and store.is_forgotten(old.id)
    assert all(f"cnnlab_student={old_token};" not in script or "held ===" in script
               for script in _cookie_scripts(second))  # the old token is only ever compared, never set
    second.run()
    assert all(old_token not in script for script in _cookie_scripts(second))


def test_a_run_the_restart_interrupted_is_said_once_in_the_students_language(open_page):
    from streamlit.testing.v1 import AppTest

    store = database.store()
    token = database.new_token()
    ada = store.arrive(token)
    here = server_name(8501)  # this process's server, as AppTest's runs see it
    store.run_started("before-the-restart/7", ada.id, "train", here)
    store.interrupt_leftovers(here)  # what the restarted server does when it makes its runner
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["_identity.token"], at.session_state["_identity.student"] = token, ada
    at.query_params["lang"] = "ko"
    at.switch_page("app_pages/training_lab.py").run()
    assert not at.exception
    assert sum("지난 학습이 중단되었습니다" in w.value for w in at.warning) == 1
    at.run()
    assert not any("지난 학습이 중단되었습니다" in w.value for w in at.warning)  # said once
