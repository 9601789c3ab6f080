"""The app in a real browser: `streamlit run app.py` on a local port, driven by headless Chromium.

Every page in both languages renders with no exception on the page and no error in the browser
console; on the classify page an uploaded image gets both top-5 lists; on the training lab a run
starts, shows progress and stops; switching the language keeps the page. A screenshot of every
page goes to ``test-artifacts/screenshots/``; with ``CNNLAB_SCREENSHOTS=docs/img`` the README's three
pictures are written there (``test_the_readmes_screenshots``; otherwise beside the artifacts).

Chromium is Debian's (``/usr/bin/chromium``, or ``CNNLAB_CHROMIUM``): Playwright cannot download
its own here. Without it these tests skip, unless ``CNNLAB_REQUIRE_BROWSER=1`` (set by .ci/run),
where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from lessons import course, strings
from tests.support import HOSTILE_NAMES, TEACHER_KEY, hostile_class, running_app
from ui.literal import WORD_JOINER

pytestmark = [pytest.mark.browser, pytest.mark.school]  # Chromium, against an app server of its own

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("CNNLAB_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
CHROMIUM = os.environ.get("CNNLAB_CHROMIUM", "/usr/bin/chromium")
PAGES = [lesson.id for lesson in course()]
# Opened at a page's URL (/classify), Streamlit's client first probes /classify/_stcore/... to
# learn its base path, gets a 404, then uses /_stcore/...: a console line that is not an error of ours.
BASE_PATH_PROBE = re.compile(r"/_stcore/(host-config|health)")


def _chromium() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CNNLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package")
    pytest.skip(f"Chromium not found at {CHROMIUM} (set CNNLAB_CHROMIUM, or apt install chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("server")) as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright  # imported here: the skip above needs no browser

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu",
                                                                "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 2400})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("response", lambda r: pg.errors.append(f"{r.status} {r.url}")
          if r.status >= 400 and not BASE_PATH_PROBE.search(r.url) else None)
    yield pg
    context.close()


def settle(pg, timeout_s: float = 60) -> None:
    """Wait until the page has a heading and Streamlit has finished running its script."""
    pg.wait_for_selector("h1", timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pg.locator('[data-testid="stStatusWidget"]').count() == 0:  # the "Running…" indicator
            time.sleep(0.5)
            if pg.locator('[data-testid="stStatusWidget"]').count() == 0:
                break
        time.sleep(0.2)
    else:
        raise AssertionError("the page kept running")
    while time.monotonic() < deadline and pg.locator('[data-testid="stSkeleton"]').count():
        time.sleep(0.2)  # elements still being drawn: the screenshot should show them


def real_errors(pg) -> list[str]:
    # "Failed to load resource" lines are the console's echo of responses, checked one by one above
    return [e for e in pg.errors if not e.startswith("Failed to load resource")]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_errors(server, page, name, lang):
    page.goto(f"{server}/{'' if name == 'home' else name}?lang={lang}")  # the home page is the app's root
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert real_errors(page) == []
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert strings(lang)["page.training_lab"] in nav  # the whole frame is in the chosen language
    if name != "home":  # the home page's title is the app's name in both languages
        assert bool(re.search("[가-힣]", page.locator("h1").first.inner_text())) == (lang == "ko")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}.png"), full_page=True)


def test_an_uploaded_image_gets_both_top5_lists(server, page):
    page.goto(f"{server}/classify")
    settle(page)
    page.get_by_text("Upload", exact=True).click()
    settle(page)
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 140, 60)).save(buf, "PNG")
    page.locator('input[type="file"]').set_input_files(files=[{"name": "field.png", "mimeType": "image/png",
                                                              "buffer": buf.getvalue()}])
    page.get_by_text("File: field.png").wait_for(timeout=60_000)
    settle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.get_by_text("ResNet18").wait_for(timeout=30_000)
    chart.get_by_text("DenseNet121").wait_for()
    assert chart.locator("g.trace.bars").count() == 2  # one bar trace per network: two top-5 lists
    assert page.locator('[data-testid="stException"]').count() == 0
    assert real_errors(page) == []


def test_a_training_run_starts_shows_progress_and_stops(server, page):
    page.goto(f"{server}/training_lab")
    settle(page)
    page.get_by_test_id("stMain").get_by_role("button", name="Start training").click()
    page.get_by_text(re.compile(r"Step \d+ of \d+")).first.wait_for(timeout=60_000)
    # the app's Stop, not the one in Streamlit's header (that one stops the script run, not the training)
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    stop.click()
    stop.wait_for(state="detached", timeout=30_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)  # the run's row in the results
    assert page.locator('[data-testid="stException"]').count() == 0
    assert real_errors(page) == []


def test_switching_the_language_keeps_the_page(server, page):
    page.goto(f"{server}/receptive_fields")
    settle(page)
    page.get_by_text("한국어", exact=True).click()
    page.wait_for_function("() => /[가-힣]/.test(document.querySelector('h1')?.innerText || '')", timeout=30_000)
    settle(page)
    # Playwright's page.url misses history.pushState; the address bar is location
    assert page.evaluate("location.pathname").endswith("/receptive_fields")
    assert "lang=ko" in page.evaluate("location.search")


def test_a_shared_link_opens_the_same_settings(server, page):
    page.goto(f"{server}/receptive_fields?rf.n=5&lang=ko")
    settle(page)
    assert page.get_by_test_id("stSliderThumbValue").first.inner_text() == "5"
    assert re.search("[가-힣]", page.locator("h1").first.inner_text())
    page.get_by_test_id("stSidebarNav").get_by_text(strings("ko")["page.training_lab"]).click()
    page.wait_for_function("() => location.pathname.endsWith('/training_lab')")
    settle(page)
    # Playwright's page.url misses history.pushState; the address bar is location.href
    assert page.evaluate("location.search") == "?lang=ko"  # the other page's settings left with it


def test_the_first_visitor_of_a_fresh_server_gets_the_framed_page_and_keeps_the_first_click(page, tmp_path):
    """No visitor has run app.py yet when a lesson's address is opened: the page still comes
    inside the frame (sidebar, navigation, language), and the first click on it takes effect."""
    with running_app(tmp_path) as app:
        url = app.url
        page.goto(f"{url}/receptive_fields")
        settle(page)
        assert strings("en")["page.training_lab"] in page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert page.evaluate("location.pathname").endswith("/receptive_fields")
        page.get_by_text("한국어", exact=True).click()  # the first click of this server's first visitor
        page.wait_for_function("() => /[가-힣]/.test(document.querySelector('h1')?.innerText || '')", timeout=30_000)
        settle(page)
        assert page.evaluate("location.pathname").endswith("/receptive_fields")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert real_errors(page) == []


# --- the class remembers (the class store, models/store) ------------------------------------

def _start_and_stop_a_run(pg, lang: str = "en", reload_while_running: bool = False) -> None:
    s = strings(lang)
    main = pg.get_by_test_id("stMain")
    main.get_by_role("button", name=s["train.start"]).click()
    stop = main.get_by_role("button", name=s["train.stop"], exact=True)
    stop.wait_for(timeout=60_000)
    if reload_while_running:
        pg.reload()
        settle(pg)
        main = pg.get_by_test_id("stMain")
        stop = main.get_by_role("button", name=s["train.stop"], exact=True)
        stop.wait_for(timeout=30_000)  # the live run was picked up: its progress and Stop,
        assert main.get_by_role("button", name=s["train.start"]).is_disabled()  # not a second Start
    stop.click()
    stop.wait_for(state="detached", timeout=30_000)
    pg.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)  # the run's row


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_run_survives_a_reload_and_a_second_tab_but_not_a_shared_link(server, browser, lang):
    link = f"{server}/training_lab?lang={lang}&train.epochs=20"  # 20 epochs: it runs until stopped
    context = browser.new_context(viewport={"width": 1280, "height": 2400})
    pg = context.new_page()
    pg.goto(link)
    settle(pg)
    _start_and_stop_a_run(pg, lang, reload_while_running=True)
    pg.reload()
    settle(pg)
    pg.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)  # still there after a reload
    second = context.new_page()  # a second tab of the same browser
    second.goto(pg.evaluate("location.href"))
    settle(second)
    second.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    other = browser.new_context(viewport={"width": 1280, "height": 2400})  # another student's browser
    stranger = other.new_page()
    stranger.goto(pg.evaluate("location.href"))  # the same link, settings and all
    settle(stranger)
    assert stranger.get_by_text(strings(lang)["train.no_results"]).count() == 1
    assert stranger.locator('[data-testid="stDataFrame"]').count() == 0
    thumbs = stranger.get_by_test_id("stSliderThumbValue").all_inner_texts()
    assert "20" in thumbs and "5" not in thumbs  # the link's settings came along: 20 epochs, not the default 5
    for p in (pg, second, stranger):
        assert p.locator('[data-testid="stException"]').count() == 0
    context.close()
    other.close()


def test_forget_me_in_one_tab_holds_in_the_other_tab_of_the_browser(server, browser):
    s = strings("en")
    context = browser.new_context(viewport={"width": 1280, "height": 2400})
    first, second = context.new_page(), context.new_page()

    def cookie() -> str:
        return next(c["value"] for c in context.cookies() if c["name"] == "cnnlab_student")

    first.goto(f"{server}/quiz")
    settle(first)
    sidebar = first.get_by_test_id("stSidebar")
    sidebar.get_by_text(s["student.settings"]).click()
    sidebar.get_by_label(s["student.name"]).fill("Ada to forget")
    sidebar.get_by_role("button", name=s["student.save_name"]).click()
    sidebar.get_by_text("Ada to forget", exact=True).wait_for(timeout=30_000)
    old = cookie()
    second.goto(f"{server}/")
    settle(second)
    second.get_by_test_id("stSidebar").get_by_text("Ada to forget", exact=True).wait_for(timeout=30_000)
    sidebar.get_by_text(s["student.forget_confirm"]).click()
    sidebar.get_by_role("button", name=s["student.forget"]).click()
    sidebar.get_by_text("Ada to forget", exact=True).wait_for(state="detached", timeout=30_000)
    first.wait_for_function(f"!document.cookie.includes('cnnlab_student={old}')", timeout=30_000)
    new = cookie()
    second.get_by_test_id("stSidebarNav").get_by_text(s["page.pooling"]).click()  # the other tab goes on
    settle(second)
    second.wait_for_timeout(2000)  # it reloads itself, taking the browser's new cookie
    settle(second)
    assert cookie() == new != old  # the old token was not written back
    assert second.get_by_test_id("stSidebar").get_by_text("Ada to forget").count() == 0
    second.get_by_test_id("stSidebar").get_by_text(s["student.settings"]).click()
    second.get_by_test_id("stSidebar").get_by_label(s["student.name"]).fill("Ada again")
    second.get_by_test_id("stSidebar").get_by_role("button", name=s["student.save_name"]).click()
    first.reload()
    settle(first)
    first.get_by_test_id("stSidebar").get_by_text("Ada again", exact=True).wait_for(timeout=30_000)  # one student
    for pg in (first, second):
        assert pg.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_the_teacher_sees_three_students_with_the_key_and_nothing_without(server, browser):
    s = strings("en")
    names = ["Ada L.", "Grace H.", "Alan T."]
    contexts = []
    for name in names:
        context = browser.new_context(viewport={"width": 1280, "height": 2400})
        contexts.append(context)
        pg = context.new_page()
        pg.goto(f"{server}/quiz")
        settle(pg)
        sidebar = pg.get_by_test_id("stSidebar")
        sidebar.get_by_text(s["student.settings"]).click()
        sidebar.get_by_label(s["student.name"]).fill(name)
        sidebar.get_by_role("button", name=s["student.save_name"]).click()
        sidebar.get_by_text(name, exact=True).wait_for(timeout=30_000)
        form = pg.get_by_test_id("stMain").get_by_test_id("stForm").first
        form.get_by_label("Output value").fill("7")
        form.get_by_role("button", name=s["quiz.check"]).click()
        pg.get_by_text(re.compile(r"^(Right|Not quite)")).first.wait_for(timeout=30_000)
        pg.goto(f"{server}/training_lab?train.epochs=20")
        settle(pg)
        _start_and_stop_a_run(pg)
    teacher_context = browser.new_context(viewport={"width": 1280, "height": 2400})
    teacher = teacher_context.new_page()
    teacher.goto(f"{server}/teacher")
    settle(teacher)
    main = teacher.get_by_test_id("stMain")
    assert not any(name in main.inner_text() for name in names)  # without the key: nothing about students
    main.get_by_label(s["teacher.key"]).fill("a wrong key")
    main.get_by_role("button", name=s["teacher.unlock"]).click()
    main.get_by_text(s["teacher.wrong_key"]).wait_for(timeout=30_000)
    assert not any(name in main.inner_text() for name in names)
    _open_dashboard(teacher)
    text = main.inner_text()
    for name in names:
        assert name in text, name  # in the table of who is here
    assert s["teacher.no_runs"] not in text and s["teacher.no_answers"] not in text
    assert main.locator('[data-testid="stDataFrame"]').count() >= 2  # the leaderboard and the quiz
    assert teacher.locator('[data-testid="stException"]').count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    teacher.screenshot(path=str(ARTIFACTS / "teacher-unlocked-en.png"), full_page=True)
    for context in contexts + [teacher_context]:
        context.close()


def _open_dashboard(teacher) -> None:
    """Give the teacher's key on the teacher's page and wait for the dashboard."""
    s, main = strings("en"), teacher.get_by_test_id("stMain")
    main.get_by_label(s["teacher.key"]).fill(TEACHER_KEY)
    main.get_by_role("button", name=s["teacher.unlock"]).click()
    main.get_by_text(s["teacher.leaderboard"]).wait_for(timeout=30_000)
    settle(teacher)


def test_a_hostile_students_names_reach_the_teachers_screen_as_plain_text(browser, tmp_path):
    from models.store import database

    store = database.Store(f"sqlite:///{tmp_path / 'class.sqlite'}")  # the class the server below opens
    run_ids = hostile_class(store)
    store.engine.dispose()
    with running_app(tmp_path) as app:
        url = app.url
        context = browser.new_context(viewport={"width": 1280, "height": 2400})
        teacher = context.new_page()
        asked = []
        teacher.on("request", lambda r: asked.append(r.url))
        teacher.goto(f"{url}/teacher")
        settle(teacher)
        _open_dashboard(teacher)
        here = teacher.get_by_test_id("stTable")  # who is here: st.table, whose cells are Markdown
        shown = here.inner_text().replace(WORD_JOINER, "")
        for name in HOSTILE_NAMES:  # the very characters typed: no image, emoji, banner, link, bold or maths
            assert name in shown, (name, shown)
        assert here.locator("img, a, b, strong, em, code, .katex, span[style]").count() == 0
        legend = teacher.locator(".js-plotly-plot .legend")  # the curves' key: Plotly reads names as HTML
        legend.first.wait_for(timeout=30_000)
        keys = legend.first.locator(".legendtext").all_text_contents()
        for name, run_id in zip(HOSTILE_NAMES, run_ids):
            assert f"{name} · #{run_id}" in keys, (name, keys)
        assert legend.locator("a").count() == 0 and legend.locator("tspan[style*='bold']").count() == 0
        assert not [address for address in asked if "127.0.0.1:9/" in address or "x.io" in address]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        teacher.screenshot(path=str(ARTIFACTS / "teacher-hostile-names-en.png"), full_page=True)
        context.close()


# --- learning from a run (drawing, mistakes, snapshots) -------------------------------------

def _draw(pg, canvas, strokes) -> None:
    """Draw with the mouse on a Fabric.js canvas: each stroke a list of (x, y) in [0, 1]."""
    box = canvas.bounding_box()
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        pg.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        pg.mouse.down()
        for x, y in rest:
            pg.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        pg.mouse.up()


def _canvas(pg):
    """The drawing canvas: Fabric's upper canvas takes the pointer events."""
    canvas = pg.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    return canvas


def test_a_drawing_is_explained_while_blank_then_classified_by_both_networks(server, page):
    s = strings("en")
    page.goto(f"{server}/classify")
    settle(page)
    page.get_by_text(s["picture.source_draw"], exact=True).click()
    settle(page)
    canvas = _canvas(page)
    page.get_by_text(s["draw.blank"]).wait_for(timeout=30_000)  # nothing drawn: said, not classified
    assert page.locator(".js-plotly-plot").count() == 0
    _draw(page, canvas, [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)], [(0.3, 0.5), (0.7, 0.5)]])
    chart = page.locator(".js-plotly-plot").first
    chart.get_by_text("ResNet18").wait_for(timeout=60_000)
    chart.get_by_text("DenseNet121").wait_for()
    assert page.get_by_text(s["draw.blank"]).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert real_errors(page) == []


def test_after_a_run_a_confusion_cell_opens_its_images_the_snapshots_scrub_and_a_drawing_is_tried(server, page):
    s = strings("en")
    page.goto(f"{server}/training_lab?train.epochs=20")
    settle(page)
    _start_and_stop_a_run(page)
    settle(page)
    main = page.get_by_test_id("stMain")
    # the confusion matrix: click the first cell (true = predicted = the first class)
    matrix = page.locator(".js-plotly-plot").filter(has_text=s["figure.predicted_class"]).first
    matrix.scroll_into_view_if_needed()
    area = matrix.locator(".nsewdrag").first.bounding_box()
    k = 6  # the synthetic shapes
    page.mouse.click(area["x"] + area["width"] / (2 * k), area["y"] + area["height"] / (2 * k))
    main.get_by_text(re.compile(r"These \d+ circle images it got right")).wait_for(timeout=30_000)
    settle(page)
    # the snapshots: from the random start to the last moment, other pictures
    before = _snapshot_sources(page)
    assert len(before) >= 2  # the filters and at least one stage's maps
    thumb = main.get_by_test_id("stSlider").filter(has_text=s["train.snapshot_moment"]).get_by_role("slider")
    thumb.focus()
    page.keyboard.press("End")
    page.wait_for_function(f"(before) => JSON.stringify({SNAPSHOT_IMAGES}) !== JSON.stringify(before)", arg=before,
                           timeout=30_000)
    settle(page)
    assert _snapshot_sources(page) != before
    # try your model on a drawing: the 28×28 input it gets is shown, then its probabilities
    main.get_by_text(s["picture.source_draw"], exact=True).click()
    settle(page)
    _draw(page, _canvas(page), [[(0.5, 0.15), (0.85, 0.5), (0.5, 0.85), (0.15, 0.5), (0.5, 0.15)]])
    main.get_by_text(s["train.seen_as"].format(size=28)).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert real_errors(page) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "training_lab-after-a-run-en.png"), full_page=True)


# The snapshots are inline PNGs (ui.figures.inline_image): their data URIs change with the moment shown.
SNAPSHOT_IMAGES = ("[...document.querySelectorAll('img')].map(i => i.src)"
                   ".filter(src => src.startsWith('data:image/png'))")


def _snapshot_sources(pg) -> list[str]:
    return pg.evaluate(SNAPSHOT_IMAGES)


# --- the README's pictures (docs/img/ when asked) -------------------------------------------

# CNNLAB_SCREENSHOTS=docs/img rewrites the README's pictures; otherwise they go with the artifacts,
# so that CI takes them too (and sees them fail) without touching the committed ones.
DOCS_SHOTS = os.environ.get("CNNLAB_SCREENSHOTS") or str(ARTIFACTS.parent / "readme")


def test_the_readmes_screenshots(browser, tmp_path):
    """The home page, the classify page with the example photo, and the training lab after a
    finished run, each as a student's 1280×800 window shows it, written to $CNNLAB_SCREENSHOTS (or the artifacts).
    Where this machine's torch cache holds the pretrained weights, the server gets a copy of
    them, so that the predictions are the real ones."""
    out = Path(DOCS_SHOTS) if Path(DOCS_SHOTS).is_absolute() else ROOT / DOCS_SHOTS
    out.mkdir(parents=True, exist_ok=True)
    cache = Path.home() / ".cache" / "torch" / "hub" / "checkpoints"
    if cache.is_dir():
        shutil.copytree(cache, tmp_path / "torch" / "hub" / "checkpoints")
    s = strings("en")
    with running_app(tmp_path) as app:
        url = app.url
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        pg = context.new_page()
        pg.goto(url)
        settle(pg)
        pg.screenshot(path=str(out / "home.png"))
        pg.goto(f"{url}/classify")
        settle(pg)
        chart = pg.locator(".js-plotly-plot").first
        chart.get_by_text("ResNet18").wait_for(timeout=60_000)
        settle(pg)
        # from the preprocessing, step by step, down to the top of both networks' answers
        pg.locator("h2#preprocessing").evaluate("e => e.scrollIntoView({block: 'start'})")
        time.sleep(1)  # the charts' entry animation
        pg.screenshot(path=str(out / "classify.png"))
        pg.goto(f"{url}/training_lab?train.epochs=3")
        settle(pg)
        main = pg.get_by_test_id("stMain")
        main.get_by_role("button", name=s["train.start"]).click()
        main.get_by_role("button", name=s["train.stop"], exact=True).wait_for(timeout=60_000)
        main.get_by_role("button", name=s["train.stop"], exact=True).wait_for(state="detached", timeout=120_000)
        pg.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        settle(pg)
        curves = pg.locator(".js-plotly-plot").filter(has_text=s["figure.loss"]).first
        curves.evaluate("e => e.scrollIntoView({block: 'end'})")  # the results table and its curves
        time.sleep(1)  # the charts' entry animation
        pg.screenshot(path=str(out / "training_lab.png"))
        assert pg.locator('[data-testid="stException"]').count() == 0
        context.close()


def _at(pg, lesson: str, timeout_s: float = 30) -> None:
    """Wait until the tab shows ``lesson`` (its address: Playwright's page.url misses pushState)."""
    pg.wait_for_function(f"() => location.pathname.endsWith('/{lesson}')", timeout=timeout_s * 1000)


def _nav(pg, lesson: str) -> None:
    """Open a lesson from the sidebar, in the same session (a new address would be a new one)."""
    pg.get_by_test_id("stSidebarNav").get_by_text(strings("en")[f"page.{lesson}"], exact=True).click()
    _at(pg, lesson)
    settle(pg)


def _own_tab(browser, url: str, contexts: list):
    """A tab in a browser context of its own (another person: its own cookies), opened on ``url``
    and settled; its context is added to ``contexts``, for the test to close."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    contexts.append(context)
    pg = context.new_page()
    pg.goto(url)
    settle(pg)
    return pg


def test_the_teacher_leads_two_students_follow_one_steps_away_and_back_and_a_late_one_lands_there(browser, tmp_path):
    s = strings("en")
    contexts = []
    tab = functools.partial(_own_tab, browser, contexts=contexts)
    with running_app(tmp_path) as app:  # a class of its own: the lead is the whole class's
        teacher = tab(f"{app.url}/teacher")
        _open_dashboard(teacher)
        students = [tab(f"{app.url}/pooling") for _ in range(2)]
        for pg in students:
            pg.evaluate("window.sameDocument = true")  # gone if the tab reloaded
        teacher.get_by_test_id("stMain").get_by_text(s["lead.toggle"], exact=True).click()
        teacher.get_by_text(s["lead.leading"]).wait_for(timeout=30_000)
        for pg in students:  # the lead began: the bar, and no page led to yet
            pg.get_by_text(s["lead.following"]).wait_for(timeout=30_000)
        _nav(teacher, "receptive_fields")
        teacher.get_by_test_id("stMain").get_by_text(s["rf.pooling"], exact=True).click()  # a setting
        teacher.wait_for_function("() => location.search.includes('rf.pool=true')", timeout=30_000)
        for pg in students:
            _at(pg, "receptive_fields")
            pg.wait_for_function("() => location.search.includes('rf.pool=true')", timeout=30_000)
            assert pg.evaluate("window.sameDocument === true")  # followed without a reload
        away, follower = students
        away.get_by_role("button", name=s["lead.explore"]).click()
        away.get_by_text(s["lead.away"]).wait_for(timeout=30_000)
        _nav(teacher, "pooling")
        _at(follower, "pooling")
        assert away.evaluate("location.pathname").endswith("/receptive_fields")  # exploring on their own
        away.get_by_role("button", name=s["lead.back"]).click()
        _at(away, "pooling")
        away.get_by_text(s["lead.following"]).wait_for(timeout=30_000)
        late = tab(f"{app.url}/")  # arrives now, at the course's first page
        _at(late, "pooling")
        assert teacher.evaluate("location.pathname").endswith("/pooling")
        assert not teacher.get_by_text(s["lead.following"]).count()  # the teacher never follows
        for pg in [teacher, *students, late]:
            assert pg.locator('[data-testid="stException"]').count() == 0
        for context in contexts:
            context.close()


def _led_class(browser, app, page: str, students: int = 2):
    """A teacher's tab with the key, leading the class on ``page``, and ``students`` tabs following
    it there. Returns (teacher, students, contexts to close)."""
    s, contexts = strings("en"), []
    tab = functools.partial(_own_tab, browser, contexts=contexts)
    teacher = tab(f"{app.url}/teacher")
    _open_dashboard(teacher)
    teacher.get_by_test_id("stMain").get_by_text(s["lead.toggle"], exact=True).click()
    teacher.get_by_text(s["lead.leading"]).wait_for(timeout=30_000)
    tabs = [tab(f"{app.url}/") for _ in range(students)]
    _nav(teacher, page)
    for pg in tabs:
        _at(pg, page)
    return teacher, tabs, contexts


def test_a_class_poll_collects_both_students_answers_and_the_teacher_reveals_to_all(browser, tmp_path):
    s = strings("en")
    with running_app(tmp_path) as app:
        teacher, students, contexts = _led_class(browser, app, "conv_arithmetic")
        teacher.get_by_text(s["predict.toggle"], exact=True).click()  # the students follow the setting
        for pg, answer in zip(students, ("28", "30")):
            pg.wait_for_function("() => location.search.includes('predict=true')", timeout=30_000)
            main = pg.get_by_test_id("stMain")
            main.get_by_label(s["predict.arith"]).fill(answer)
            main.get_by_role("button", name=s["predict.commit"]).click()
            main.get_by_text(s["poll.waiting"]).wait_for(timeout=30_000)  # the result stays hidden
        count = teacher.locator('[data-testid="stMetric"]').filter(has_text=s["poll.answered"])
        count.get_by_text("2", exact=True).wait_for(timeout=30_000)  # both, live
        teacher.get_by_role("button", name=s["poll.show"]).click()
        teacher.locator("p.cnnlab-alt").filter(has_text="28").first.wait_for(state="attached", timeout=30_000)
        teacher_text = teacher.get_by_test_id("stMain").inner_text()
        assert not re.search(r"Student \d", teacher_text)  # the projector counts answers, it names nobody
        teacher.get_by_role("button", name=s["poll.reveal"]).click()
        for pg in students:
            pg.get_by_text(s["poll.waiting"]).wait_for(state="detached", timeout=30_000)
            pg.get_by_text(re.compile(r"^28×28×\d+$")).first.wait_for(timeout=30_000)  # the result, for all at once
        for pg in [teacher, *students]:
            assert pg.locator('[data-testid="stException"]').count() == 0
        for context in contexts:
            context.close()


def test_a_class_run_is_watched_by_both_students_with_the_same_curves_and_is_one_run(browser, tmp_path):
    from sqlalchemy import func, select

    from models.store import database, schema

    s = strings("en")
    with running_app(tmp_path, CNNLAB_MAX_RUN_SECONDS="8") as app:
        teacher, students, contexts = _led_class(browser, app, "receptive_fields")
        assert all(pg.get_by_role("button", name=s["class_run.start"]).count() == 0 for pg in students)
        teacher.get_by_role("button", name=s["class_run.start"]).click()
        for pg in students:  # live on their pages, then as stored
            pg.get_by_text(s["class_run.done"]).wait_for(timeout=90_000)
        settle(students[0])
        settle(students[1])
        curves = [[text for text in pg.locator("p.cnnlab-alt").all_inner_texts() if "per epoch" in text]
                  for pg in students]
        assert curves[0] and curves[0] == curves[1]  # the same run's curves, in the same words
        for pg in [teacher, *students]:
            assert pg.locator('[data-testid="stException"]').count() == 0
        for context in contexts:
            context.close()
    store = database.Store(f"sqlite:///{tmp_path / 'class.sqlite'}")
    try:
        with store.engine.connect() as conn:  # trained once for the whole class
            assert conn.execute(select(func.count()).select_from(schema.class_runs)).scalar() == 1
        run = store.class_run("demo.stack")  # and kept, with the curves the students saw
        assert run is not None and run.state == "done" and run.history and run.summary
    finally:
        store.engine.dispose()
