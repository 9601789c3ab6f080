"""The lesson plans (``lessons/plans.toml``): the course in 50-minute periods, and their tables.

The TOML is the one source: ``docs/teaching.md`` (English) and ``docs/teaching.ko.md`` (Korean)
hold the tables this module prints, and ``tests/test_plans.py`` checks that they still do. Each
table names a step's page by its title, its sections by theirs, a class poll by the prompt the
page really asks (``lessons/strings``), a pushed question by its text (the lesson's
``quiz.toml``): renaming any of them changes the table, and the test says where.

    python -m models.content.plans en    # the English tables, to paste into docs/teaching.md
    python -m models.content.plans ko    # the Korean ones, for docs/teaching.ko.md

Not here: when a demo may run or how long it takes (``models.training``); the plans only name
the demo's tag, and the test checks that its step lasts as long as its time limit.
"""

from __future__ import annotations

import functools
import sys
import tomllib
from dataclasses import dataclass, field

from lessons import ROOT, sections, strings
from models.content.quiz import question
from models.content.templates import fill
from models.probes.residual import GRADIENT_DEPTH

PATH = ROOT / "plans.toml"
# the values a poll's prompt is asked with on its page (res.predict_gradients: the depth asked)
PROMPT_VALUES = {"depth": GRADIENT_DEPTH}

HEADINGS = {
    "en": ("min", "page", "what to do, what to ask the room", "class run", "class poll", "pushed to the class"),
    "ko": ("분", "페이지", "할 일, 반에 물어볼 것", "반 전체 실행", "반 전체 투표", "반에 보내는 문제"),
}
PERIOD = {"en": "Period {n} · {title} ({minutes} minutes)", "ko": "{n}차시 · {title} ({minutes}분)"}


@dataclass(frozen=True)
class Step:
    lesson: str
    minutes: int
    do: dict[str, str]  # language → what the teacher does and asks
    sections: tuple[str, ...] = ()  # the lesson's anchors shown; () is all of them
    class_run: str | None = None  # the demo's tag (``task_views.comparison``'s key)
    polls: tuple[str, ...] = ()  # UI strings of predict-before-reveal prompts
    push: tuple[str, ...] = ()  # quiz question ids of this lesson


@dataclass(frozen=True)
class Period:
    title: dict[str, str]
    minutes: int  # the period's length
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def planned(self) -> int:
        return sum(s.minutes for s in self.steps)


@functools.cache
def _data() -> dict:
    with open(PATH, "rb") as f:
        return tomllib.load(f)


def class_runs() -> dict[str, dict[str, str]]:
    """Each class run's tag → its name per language."""
    return _data()["class_runs"]


def periods() -> tuple[Period, ...]:
    return tuple(
        Period(title={lang: p[lang]["title"] for lang in HEADINGS}, minutes=p["minutes"],
               steps=tuple(Step(lesson=s["lesson"], minutes=s["minutes"], do={lang: s[lang]["do"] for lang in HEADINGS},
                                sections=tuple(s.get("sections", ())), class_run=s.get("class_run"),
                                polls=tuple(s.get("polls", ())), push=tuple(s.get("push", ())))
                           for s in p["step"]))
        for p in _data()["period"])


def _page(step: Step, lang: str) -> str:
    title = strings(lang)[f"page.{step.lesson}"]
    cell = f"[{title}](../lessons/{step.lesson}/{lang}.md)"
    if step.sections:
        shown = sections(step.lesson, lang)
        cell += ": " + "; ".join(shown[anchor].title for anchor in step.sections)
    return cell


def _row(step: Step, lang: str) -> str:
    cells = [
        str(step.minutes),
        _page(step, lang),
        step.do[lang],
        class_runs()[step.class_run][lang] if step.class_run else "",
        "<br>".join(fill(strings(lang)[key], **PROMPT_VALUES) for key in step.polls),
        "<br>".join(f"“{question(step.lesson, qid, lang).text}”" for qid in step.push),
    ]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def table(period: Period, number: int, lang: str) -> str:
    """One period as Markdown: its heading and a row per step."""
    heading = PERIOD[lang].format(n=number, title=period.title[lang], minutes=period.planned)
    head = HEADINGS[lang]
    lines = [f"### {heading}", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += [_row(step, lang) for step in period.steps]
    return "\n".join(lines)


def markdown(lang: str) -> str:
    """Every period's table, as the teaching docs hold them."""
    return "\n\n".join(table(p, n, lang) for n, p in enumerate(periods(), start=1))


if __name__ == "__main__":
    print(markdown(sys.argv[1] if len(sys.argv) > 1 else "en"))
