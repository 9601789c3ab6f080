"""One Korean vocabulary: every Korean text uses lessons/glossary.toml's terms, and its particles
fit the words they follow (after a value, after bold text)."""

import re
import tomllib

import pytest

from lessons import ROOT, lesson_ids, strings
from models.content.templates import PARTICLE

HANGUL = "\uac00-\ud7a3"


def _glossary() -> list[dict]:
    with open(ROOT / "glossary.toml", "rb") as f:
        return tomllib.load(f)["terms"]


def korean_texts() -> list[tuple[str, str]]:
    """(where, text) for every Korean text: the lessons' ko.md line by line, every string of
    strings/ko.toml, and every Korean field of the quizzes."""
    out = []
    for lesson in lesson_ids():
        for number, line in enumerate((ROOT / lesson / "ko.md").read_text(encoding="utf-8").splitlines(), start=1):
            out.append((f"lessons/{lesson}/ko.md:{number}", line))
    out += [(f"lessons/strings/ko.toml [{key}]", text) for key, text in strings("ko").items()]
    for lesson in lesson_ids():
        path = ROOT / lesson / "quiz.toml"
        if not path.exists():
            continue
        with open(path, "rb") as f:
            for q in tomllib.load(f)["questions"]:
                ko, where = q["ko"], f"lessons/{lesson}/quiz.toml [{q['id']}]"
                out += [(f"{where} {name}", ko[name]) for name in ("text", "explanation")]
                out += [(f"{where} choices[{i}]", c) for i, c in enumerate(ko.get("choices", []))]
                out += [(f"{where} fields.{name}", label) for name, label in ko.get("fields", {}).items()]
    return out


def prose(text: str) -> str:
    """The text without what may hold English: $math$, `code`, "quoted titles", <!-- comments -->,
    {placeholders} and (parenthesised glosses), each blanked out so positions stay."""
    blank = lambda m: " " * len(m.group(0))  # noqa: E731
    for pattern in (r"\$\$.*?\$\$", r"\$[^$]*\$", r"`[^`]*`", r'"[^"]*"', r"“[^”]*”", r"<!--.*?-->", r"\{[^{}]*\}"):
        text = re.sub(pattern, blank, text)
    while True:  # innermost parentheses first, so "(a (b) c)" goes whole
        text, n = re.subn(r"\([^()]*\)", blank, text)
        if not n:
            return text


def forbidden_uses(texts, glossary) -> list[str]:
    found = []
    for term in glossary:
        allowed = set(term.get("allowed_variants", []))
        for variant in term["forbidden"]:
            english = variant.isascii()
            # a whole English word, or its plural: no Latin letter or digit on either side (a particle may
            # follow: "stride는"); after a dot it is code (nn.Dropout)
            pattern = re.compile(rf"(?<![A-Za-z0-9_.]){re.escape(variant)}(?:e?s)?(?![A-Za-z0-9_])", re.I)
            for where, text in texts:
                if english:
                    hits = [m.group(0) for m in pattern.finditer(prose(text)) if m.group(0) not in allowed]
                else:
                    hits = [variant] * text.count(variant)
                if hits:
                    at = text.lower().find(hits[0].lower())
                    context = text[max(0, at - 20):at + 30]
                    found.append(f"{where}: {hits[0]!r} → {term['ko']} ({term['en']}): …{context}…")
    return found


def test_the_glossary_is_complete_and_machine_checkable():
    terms = _glossary()
    assert len(terms) >= 57
    for term in terms:
        assert {"concept", "en", "ko", "notes", "forbidden", "allowed_variants"} <= set(term), term["en"]
        assert term["ko"] not in term["forbidden"], term["en"]
    assert sum(bool(t["forbidden"]) for t in terms) >= 45


def test_the_check_finds_a_forbidden_variant_and_spares_glosses_and_code():
    glossary = [{"en": "epoch", "ko": "에포크", "forbidden": ["에폭", "epoch"], "allowed_variants": []},
                {"en": "dropout", "ko": "드롭아웃", "forbidden": ["dropout"], "allowed_variants": ["Dropout"]}]
    wrong = [("a", "3 에폭 동안"), ("b", "Epoch 3에서"), ("c", "epoch는"), ("d", "3 epochs")]
    assert len(forbidden_uses(wrong, glossary)) == 4
    spared = [("d", "에포크(epoch)"), ("e", "`epoch` 변수"), ("f", "$epoch$"), ("g", '"Epoch Title"'),
              ("h", "nn.Dropout 층"), ("i", "Dropout 층"), ("j", "드롭아웃(dropout, (p) 0.5)")]
    assert forbidden_uses(spared, glossary) == []


def test_every_korean_text_uses_the_glossarys_terms():
    found = forbidden_uses(korean_texts(), _glossary())
    assert not found, "\n".join(found)


# --- particles ---------------------------------------------------------------------------------

FIXED = {"을", "를", "이", "가", "은", "는", "과", "와", "로", "으로", "로서", "으로서", "로써", "으로써",
         "로는", "으로는", "로도", "으로도", "라는", "이라는", "라고", "이라고", "라", "이라", "나", "이나"}
_VALUE = re.compile(rf"(\{{\{{\w+\}}\}}|\{{[^{{}}]*\}})[*_`]*(?!{PARTICLE})([{HANGUL}]+)")


def particles_after_values(texts) -> list[str]:
    """A particle written in one form right after a {value}: it must be written in both forms
    (``{n}(으)로``), for ``fill`` to choose by the value."""
    return [f"{where}: {m.group(0)!r}" for where, text in texts for m in _VALUE.finditer(text) if m.group(2) in FIXED]


_SPACED = re.compile(rf"\*\*[^*\n]+?\*\* +(은|는|을|를|가|의|에|에서|에게|와|과|도|로|으로|만|이며|이고|이다|입니다"
                     rf"|하기|하는|개|개의)(?![{HANGUL}])")
_UNCLOSED = re.compile(rf"\)\*\*[{HANGUL}]")  # CommonMark leaves "**x(y)**을" unclosed: ")" then a letter


def particles_after_bold(texts) -> list[str]:
    """``**커널(필터)** 을`` where ``**커널**(필터)을`` is meant: the gloss and the particle go after the
    bold, without a space (a closing ``**`` after a letter and before a particle is valid Markdown)."""
    return [f"{where}: {m.group(0)!r}" for where, text in texts for pattern in (_SPACED, _UNCLOSED)
            for m in pattern.finditer(text)]


def test_the_particle_checks_find_what_they_look_for():
    assert particles_after_values([("a", "{n}으로 바꿉니다"), ("b", "{name!r}라는"), ("c", "**{{x}}** 을")]) != []
    assert len(particles_after_values([("a", "{n}으로"), ("b", "{name!r}라는"), ("c", "{{x}}을")])) == 3
    assert particles_after_values([("a", "{n}(으)로"), ("b", "{x}을(를) {y}개 {z}이고 {w}번째"),
                                   ("c", "{{x}}(이)라는")]) == []
    assert len(particles_after_bold([("a", "**커널(필터)** 을"), ("b", "**특징 맵** 입니다"),
                                     ("c", "**커널(필터)**을")])) == 3
    assert particles_after_bold([("a", "**커널**(필터)을"), ("b", "**ReLU** 활성화 함수"),
                                 ("c", "**학습** 데이터")]) == []


def test_a_particle_after_a_value_is_written_in_both_forms():
    found = particles_after_values(korean_texts())
    assert not found, "\n".join(found)


def test_a_particle_after_bold_text_follows_it_directly():
    found = particles_after_bold(korean_texts())
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text, value, expected", [
    ("{n}(으)로", 56, "56으로"), ("{n}(으)로", 32, "32로"), ("{n}(으)로", 10, "10으로"), ("{n}(으)로", 1, "1로"),
    ("{n}(으)로", 7, "7로"), ("{n}(으)로", 100, "100으로"), ("{n}(으)로", "1,000", "1,000으로"),
    ("{n}(으)로", 0, "0으로"),
    ("{n}(으)로", 20000, "20000으로"), ("{n}(으)로", "0.25", "0.25로"), ("{n}(으)로", "필터", "필터로"),
    ("{n}(으)로", "커널", "커널로"), ("{n}(으)로", "층", "층으로"), ("{n}을(를)", 3, "3을"), ("{n}을(를)", 2, "2를"),
    ("{n}이(가)", "셔츠", "셔츠가"), ("{n}이(가)", "가방", "가방이"), ("{n}은(는)", 16, "16은"),
    ("{n}은(는)", 4, "4는"),
    ("{n}와(과)", 64, "64와"), ("{n}와(과)", 128, "128과"), ("{n}(이)라는", "코트", "코트라는"),
    ("{n}(이)라는", "샌들", "샌들이라는"), ("**{n}**을(를)", "커널", "**커널**을"),
    ("{n}(으)로", "ResNet", "ResNet(으)로"),  # a Latin word: the letters do not say, both forms stay
    ("{n} {n:epoch|epochs}", 1, "1 epoch"), ("{n} {n:epoch|epochs}", 3, "3 epochs"),
    ("{n} {n:image|images}", "1,000", "1,000 images"),
])
def test_fill_chooses_the_particle_and_the_plural_by_the_value(text, value, expected):
    from models.content.templates import fill

    assert fill(text, n=value) == expected
