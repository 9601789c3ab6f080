"""The lesson plans (lessons/plans.toml): every lesson taught once, in the navigation's order, each
period within its 50 minutes, each class run given its time limit, every poll and question real,
and the teaching docs showing the tables the TOML makes."""

import ast
import inspect
from pathlib import Path

import pytest

import lessons
from models import settings
from models.content import plans, quiz

ROOT = Path(__file__).resolve().parents[1]
NOT_TAUGHT = {"home", "quiz", "teacher"}  # the start page, the quiz (homework) and the dashboard
STEPS = [step for period in plans.periods() for step in period.steps]


def navigation() -> list[str]:
    """The lessons in the sidebar's order, grouped as ``ui.frame`` groups them (a group's pages
    under its first appearance)."""
    groups: dict[str, list[str]] = {}
    for lesson in lessons.course():
        groups.setdefault(lesson.group, []).append(lesson.id)
    return [lesson for group in groups.values() for lesson in group]


def test_the_navigation_order_is_the_course_order():
    """A group whose lessons were apart would be listed together, out of the course's order."""
    assert navigation() == [lesson.id for lesson in lessons.course()]


def test_every_lesson_is_in_the_plans_and_only_lessons_are():
    planned = {step.lesson for step in STEPS}
    assert planned <= {lesson.id for lesson in lessons.course()}, planned
    assert {lesson.id for lesson in lessons.course()} - NOT_TAUGHT <= planned, "a lesson no period teaches"


def test_the_plans_follow_the_navigation_order():
    order = navigation()
    taught = [order.index(step.lesson) for step in STEPS]
    assert taught == sorted(taught), [step.lesson for step in STEPS]


def test_each_period_fits_fifty_minutes():
    assert len(plans.periods()) in (3, 4)
    for n, period in enumerate(plans.periods(), start=1):
        assert period.minutes <= 50 and period.planned <= period.minutes, (n, period.planned)
        assert all(step.minutes > 0 for step in period.steps), n


def test_a_lesson_split_over_steps_shows_each_section_once_in_order():
    for lesson in {step.lesson for step in STEPS if step.sections}:
        shown = [anchor for step in STEPS if step.lesson == lesson for anchor in step.sections]
        assert shown == list(lessons.sections(lesson, "en")), lesson


def _view(lesson: str) -> Path:
    return ROOT / "ui" / "lessons" / f"{lesson}.py"


def _demo_time_limit(lesson: str, tag: str) -> float:
    """The time limit the lesson's view gives the demo ``tag``: its ``time_limit_s`` argument, the
    comparison's default when it gives none, the longest a run may take when it is the student's
    choice (the training lab's slider); and never more than the runner allows (60 s by default)."""
    from ui import task_views

    tree = ast.parse(_view(lesson).read_text())
    names = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}
    cap = settings.read({}).max_run_seconds
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("comparison", "optimizer_race") and call.args):
            continue
        key = call.args[0]
        key = key.value if isinstance(key, ast.Constant) else names.get(getattr(key, "id", None))
        if key != tag:
            continue
        given = [k.value for k in call.keywords if k.arg == "time_limit_s"] + call.args[2:3]
        if not given:
            return min(cap, inspect.signature(task_views.comparison).parameters["time_limit_s"].default)
        return min(cap, given[0].value) if isinstance(given[0], ast.Constant) else cap
    raise AssertionError(f"{lesson}: no demo {tag!r} in {_view(lesson).name}")


@pytest.mark.parametrize("step", [s for s in STEPS if s.class_run], ids=lambda s: s.class_run)
def test_a_class_run_is_a_real_demo_of_its_page_and_its_step_outlasts_it(step):
    limit = _demo_time_limit(step.lesson, step.class_run)
    # the run's time limit, and a minute to start it, for the evaluation after it and to read it
    assert step.minutes * 60 >= limit + 60, (step.class_run, limit)
    assert set(plans.class_runs()[step.class_run]) == set(lessons.LANGUAGES)


def test_every_named_class_run_is_planned():
    assert set(plans.class_runs()) == {step.class_run for step in STEPS if step.class_run}


def test_a_class_poll_is_a_guess_its_page_asks_for():
    polls = [(step.lesson, key) for step in STEPS for key in step.polls]
    assert {key for _, key in polls} >= {"predict.arith", "predict.degradation", "res.predict_gradients",
                                          "predict.classify"}  # the four
    for lesson, key in polls:
        source = _view(lesson).read_text()
        assert "guess_first(" in source and f't("{key}"' in source, (lesson, key)
        assert all(key in lessons.strings(lang) for lang in lessons.LANGUAGES), key


def test_a_pushed_question_is_a_choice_question_of_its_lesson():
    for step in STEPS:
        for qid in step.push:
            assert qid in quiz.question_ids(step.lesson), (step.lesson, qid)
            assert quiz.question(step.lesson, qid, "en").choices, (step.lesson, qid)  # one answer to tally


@pytest.mark.parametrize("lang, doc", [("en", "teaching.md"), ("ko", "teaching.ko.md")])
def test_the_teaching_docs_show_the_plans_tables(lang, doc):
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    for n, period in enumerate(plans.periods(), start=1):
        table = plans.table(period, n, lang)
        assert table in text, f"docs/{doc}: period {n} differs from lessons/plans.toml; " \
                              f"paste `python -m models.content.plans {lang}`"


def test_the_korean_plans_keep_the_seed_notes_terms():
    text = (ROOT / "docs" / "teaching.ko.md").read_text(encoding="utf-8")
    for term in ("잔차 연결", "기울기 소실", "수용 영역", "과적합", "특징 맵"):
        assert term in text, term

