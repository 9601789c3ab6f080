"""Content parity: every section and string exists in both languages, and nothing is missing."""

import re
from pathlib import Path

import pytest

import lessons

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("lesson", lessons.lesson_ids())
def test_every_lesson_has_the_same_sections_in_both_languages(lesson):
    en, ko = lessons.sections(lesson, "en"), lessons.sections(lesson, "ko")
    assert list(en) == list(ko), f"{lesson}: sections differ between en.md and ko.md"
    assert en, f"{lesson} has no sections"
    for anchor in en:
        assert en[anchor].body and ko[anchor].body
        assert HANGUL.search(ko[anchor].title + ko[anchor].body), f"{lesson}#{anchor} is not Korean"


def test_ui_strings_have_the_same_keys_in_both_languages():
    en, ko = lessons.strings("en"), lessons.strings("ko")
    assert set(en) == set(ko), set(en) ^ set(ko)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", ko[key])), key


def test_the_course_lists_exactly_the_page_scripts_and_the_lesson_folders():
    ids = [lesson.id for lesson in lessons.course()]
    assert len(ids) == len(set(ids)), "a lesson is listed twice"
    assert set(ids) == {p.stem for p in (ROOT / "app_pages").glob("*.py")}
    assert set(ids) == set(lessons.lesson_ids())


def test_every_lesson_of_the_course_has_a_title_an_icon_and_a_named_group():
    for lesson in lessons.course():
        assert f"page.{lesson.id}" in lessons.strings("en"), lesson.id
        assert f"nav.{lesson.group}" in lessons.strings("en"), lesson.group
        assert lesson.icon, lesson.id


def test_every_string_the_code_asks_for_exists():
    used = set()
    for path in list(ROOT.glob("ui/**/*.py")) + list(ROOT.glob("app_pages/*.py")) + [ROOT / "app.py"]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    assert used, "no t() calls found: the pattern is stale"
    missing = used - set(lessons.strings("en"))
    assert not missing, missing


def test_korean_keeps_the_seed_notes_terms():
    text = " ".join(s.body for lesson in lessons.lesson_ids() for s in lessons.sections(lesson, "ko").values())
    for term in ("잔차 연결", "기울기 소실", "수용 영역", "특징 맵", "과적합"):
        assert term in text, term


def test_every_number_placeholder_in_the_lessons_is_a_computed_fact():
    from models.content.facts import facts

    known = facts()
    for lesson in lessons.lesson_ids():
        for lang in lessons.LANGUAGES:
            for s in lessons.sections(lesson, lang).values():
                for name in re.findall(r"\{\{(\w+)\}\}", s.title + s.body):
                    assert name in known, f"{lesson}/{lang}: {{{{{name}}}}} is not in models.content.facts"


def test_the_facts_are_the_lecture_notes_numbers():
    from models.content.facts import facts

    f = facts()
    assert (f["seed_first"], f["seed_second"]) == ("15", "16")
    assert (f["seed_out"], f["seed_weights"], f["seed_params"]) == ("28×28×4", "300", "304")
    assert f["rf_stack"] == "3 → 5 → 7"
    assert f["fc_photo_1000"] == "150,529,000"  # 224·224·3·1000 weights + 1000 biases
