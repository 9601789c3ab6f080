"""Lesson content as data: the course, one Markdown file per lesson and language, UI strings per language.

    lessons/course.toml               the lessons in order, each with its sidebar group and icon
    lessons/<lesson>/en.md, ko.md     sections "## Title {#anchor}", same anchors in both
    lessons/strings/en.toml, ko.toml  UI strings, same keys in both

The anchors are the stable ids pages and quizzes link to; the test suite fails when a section or
a string exists in one language and not the other.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parent
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
_HEADING = re.compile(r"^## (?P<title>.+?)\s*\{#(?P<anchor>[a-z0-9-]+)\}\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    body: str  # Markdown with $LaTeX$


@dataclass(frozen=True)
class Lesson:
    id: str  # its page script app_pages/<id>.py, its folder lessons/<id>/, its title the string page.<id>
    group: str  # the sidebar group it sits in; the group's name is the string nav.<group>
    icon: str


@functools.cache
def course() -> tuple[Lesson, ...]:
    """Every lesson in the order of the course (``lessons/course.toml``); the first opens the app."""
    with open(ROOT / "course.toml", "rb") as f:
        return tuple(Lesson(**lesson) for lesson in tomllib.load(f)["lesson"])


def lesson_ids() -> list[str]:
    """The lesson folders: those with content (``en.md``), sorted by name."""
    return sorted(p.name for p in ROOT.iterdir() if (p / "en.md").is_file())


@functools.cache
def sections(lesson: str, lang: str) -> dict[str, Section]:
    """The lesson's sections in file order, keyed by anchor."""
    text = (ROOT / lesson / f"{lang}.md").read_text(encoding="utf-8")
    matches = list(_HEADING.finditer(text))
    out = {}
    for m, nxt in zip(matches, matches[1:] + [None]):
        body = text[m.end() : nxt.start() if nxt else len(text)].strip()
        out[m["anchor"]] = Section(m["anchor"], m["title"], body)
    return out


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@functools.cache
def strings(lang: str) -> dict[str, str]:
    """UI strings as a flat dict: ``[sidebar] device = "…"`` → ``"sidebar.device"``."""
    with open(ROOT / "strings" / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))
