"""Class runs (``ui.class_run``): the teacher trains a lesson's demo once; every student watches it.

AppTest sessions of one class store (``store_in``: a SQLite file of the test's own, as two app
servers would share it): a teacher's session that holds the key, and two students'. The runner is
the process's real one (``ui.runs.runner``), training the receptive-field page's comparison of a
7×7 layer and three 3×3 layers on the generated shapes (seconds).
"""

import json
from collections import Counter

import pytest
from sqlalchemy import func, select
from streamlit.proto.WidgetStates_pb2 import WidgetStates

from lessons import ROOT as LESSONS
from lessons import strings
from models.store import database, schema
from models.training import jobs
from models.training.train import point_from_dict
from tests.support import eventually
from ui import class_run, lead

PAGE, KEY = "receptive_fields", "demo.stack"
START, STOP, CHART = f"{KEY}.class.start", f"{KEY}.class.stop", f"{KEY}.class.chart"


@pytest.fixture
def cls(store_in, tmp_path):
    """A class store of this test's own: its class runs are the whole class's."""
    return store_in(tmp_path)


def _teacher(open_page):
    at = open_page(PAGE)
    at.session_state[lead.TEACHER] = True  # as after the key was given (tests/test_teacher.py gives it)
    return at.run()


def _buttons(at) -> set[str]:
    return {b.key for b in at.button}


def _curves(at) -> dict[str, list[float]] | None:
    """The class run's chart on this tab: each trace's name and its y values."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(CHART):
            return {trace.get("name"): trace.get("y") for trace in json.loads(chart.proto.spec)["data"]}
    return None


def _said(at, key: str) -> bool:
    return any(strings("en")[key] in c.value for c in at.caption)


def _class_jobs() -> list[jobs.Job]:
    return [job for job in jobs.runner().live_jobs() if job.owner == database.CLASS]


def test_the_teachers_class_run_trains_once_and_both_students_watch_the_same_curves(open_page, cls):
    teacher = _teacher(open_page)
    students = [open_page(PAGE), open_page(PAGE)]
    assert START in _buttons(teacher)
    assert all(START not in _buttons(s) and f"{KEY}.start" in _buttons(s) for s in students)  # their own stays
    before = len(jobs.runner().live_jobs())
    teacher.button(key=START).click().run()
    assert not teacher.exception
    (job,) = _class_jobs()  # submitted once, under the class
    assert len(jobs.runner().live_jobs()) == before + 1 and job.tag == KEY and job.address is None
    assert teacher.button(key=START).disabled and STOP in _buttons(teacher)  # one class run at a time

    live = []  # what each student saw while it ran
    for student in students:
        eventually(lambda s=student: _curves(s.run()) and _said(s, "class_run.live"), timeout_s=120, every_s=0.5)
        assert STOP not in _buttons(student) and START not in _buttons(student)
        live.append(_curves(student))
        assert len(_class_jobs()) == 1  # watching adds no job
    done = eventually(lambda: (r := cls.class_run(KEY)) and not r.live and r, timeout_s=150, every_s=0.5)
    eventually(lambda: not _class_jobs() and jobs.runner().job_of(database.CLASS) is None)  # collected

    final = [_curves(s.run()) for s in students]
    assert final[0] == final[1]  # the same curves on both pages: the stored run's
    assert {name.split(" · ")[0] for name in final[0]} == set(done.summary["runs"])
    for seen in live:  # what was drawn live is the start of the same curves
        assert all(final[0][name][:len(y)] == y for name, y in seen.items())
    assert all(_said(s, "class_run.done") for s in students)
    points = Counter(label for label, _ in done.history)
    assert all(len(y) == points[name.split(" · ")[0]] for name, y in final[0].items() if name.endswith("training"))
    with cls.engine.connect() as conn:  # saved once, not once per watching tab
        assert conn.execute(select(func.count()).select_from(schema.class_runs)).scalar() == 1
    again = open_page(PAGE)  # a reload, or a late student: the stored class run
    assert _curves(again) == final[0] and not again.exception
    assert all(s.id != database.CLASS for s, _ in cls.class_students())  # the class's owner is no student


def test_a_student_has_no_class_run_button_and_a_forged_click_starts_nothing(open_page, cls):
    teacher, student = _teacher(open_page), open_page(PAGE)
    assert START not in _buttons(student)
    forged = WidgetStates()
    click = forged.widgets.add()
    click.id, click.trigger_value = teacher.button(key=START).id, True  # the teacher's button's id, sent by a student
    student._run(forged)
    assert not student.exception
    assert cls.class_run(KEY) is None and cls.class_run(live=True) is None and not _class_jobs()


def test_a_finished_class_run_takes_the_recorded_runs_place_for_that_class(open_page, cls):
    recorded = strings("en")["res.recorded"].split("{")[0]  # "Recorded …": the page's note on the recorded run
    at = open_page("residual_block")
    assert any(recorded in i.value for i in at.info) and not _said(at, "class_run.done")
    curves = json.loads((LESSONS / "residual_block" / "degradation.json").read_text())["curves"]
    history = [(label, point_from_dict(p)) for label in ("plain-20", "plain-56") for p in curves[label][:3]]
    run_id = cls.claim_class_run("demo.degradation", "comparison", "elsewhere:8501")  # another server ran it
    rows = {"plain-20": {"train acc": 0.93, "val acc": 0.9}, "plain-56": {"train acc": 0.8, "val acc": 0.78}}
    assert cls.finish_class_run(run_id, "done", history, {"runs": rows})
    class_run._forget()  # as CACHE_S later: a tab of this server reads the store again
    at = open_page("residual_block")
    assert not at.exception and _said(at, "class_run.done")
    assert not any(recorded in i.value for i in at.info)  # the class's own run instead
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("demo.degradation.class.chart"))
    assert {trace["name"].split(" · ")[0] for trace in json.loads(chart.proto.spec)["data"]} == {"plain-20", "plain-56"}
    overfitting = open_page("overfitting")  # the page that sets it beside a recorded overfitting run
    assert not overfitting.exception and _said(overfitting, "class_run.done")
    worse = strings("en")["ov.verdict_degradation"].split("{")[0]
    assert any(worse in m.value and "80%" in m.value for m in overfitting.markdown)  # the class's plain-56
