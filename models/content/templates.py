"""Filling a text's ``{placeholders}``, with the words around a value that depend on it.

English plurals: ``{n:epoch|epochs}`` writes the first word when ``n`` is written "1", the
second otherwise, so ``"{n} {n:epoch|epochs}"`` gives "1 epoch" and "3 epochs".

Korean particles: a particle after a value is written in both forms, as Korean does when the
word is not known (``{n}(으)로``, ``{x}을(를)``, ``{x}이(가)``, ``{x}은(는)``, ``{x}과(와)``,
``{x}(이)라는``), and ``fill`` keeps the one the value's last sound takes: 을/이/은/과/으로 after
a final consonant, 를/가/는/와/로 after a vowel, and 로 after ㄹ. A number is read as Korean reads
it (56 오십육 → 56으로, 32 삼십이 → 32로, 10 십 → 10으로, 1 일 → 1로, 1,000 천 → 1,000으로);
a decimal by its last digit (0.25 → 오). Where the last sound cannot be told from the letters (a
Latin word: "ResNet", "Adam"), both forms stay, as written.

Pure: used by ``ui.i18n.t`` (UI strings), ``models.errors`` (error sentences), ``ui.lesson``
(``{{facts}}`` in lesson Markdown) and ``models.content.quiz`` (generated questions).
"""

from __future__ import annotations

import re
import string

# A particle written in both forms: the fixed pairs, and an optional 이/으 before the rest.
PARTICLE = r"(?:(?:을|를)\((?:를|을)\)|(?:이|가)\((?:가|이)\)|(?:은|는)\((?:는|은)\)|(?:과|와)\((?:와|과)\)" \
           r"|\((?:이|으)\)[\uac00-\ud7a3]+)"
_PAIRS = {"을": ("을", "를"), "를": ("을", "를"), "이": ("이", "가"), "가": ("이", "가"),
          "은": ("은", "는"), "는": ("은", "는"), "과": ("과", "와"), "와": ("과", "와")}
# a value's placeholder, closing markup (``**{x}**``), then a particle in both forms
_AFTER_FIELD = re.compile(r"(?<!\{)(\{[^{}]*\})(?!\})([*_`]*)(" + PARTICLE + ")")  # not {{literal}}

# how Korean reads digits and powers of ten: only the last syllable matters here
_DIGITS = "영일이삼사오육칠팔구"
_POWERS = {1: "십", 2: "백", 3: "천"}
_MYRIADS = "만억조경"  # 10⁴, 10⁸, 10¹², 10¹⁶
_TRAILING = " \t*_`'\"’”」』)]"  # markup and closing marks after the word itself
_NUMBER = re.compile(r"(\d[\d,]*)(?:\.(\d+))?$")


def _last_syllable(word: str) -> str | None:
    """The Hangul syllable the word is read ending with, or None when the letters do not say."""
    word = word.rstrip(_TRAILING)
    if not word:
        return None
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3":
        return last
    if last == "%":
        return "트"  # 퍼센트
    number = _NUMBER.search(word)
    if number is None:
        return None
    whole, decimals = number.groups()
    if decimals:  # after the point each digit is read alone: 0.25 영 점 이오
        return _DIGITS[int(decimals[-1])]
    digits = whole.replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == len(digits):
        return "영"
    if zeros == 0:
        return _DIGITS[int(digits[-1])]
    if zeros < 4:
        return _POWERS[zeros]
    return _MYRIADS[min(zeros // 4, len(_MYRIADS)) - 1]


def final_consonant(word: str) -> str | None:
    """The final consonant of the word's last sound: "" for none, "ㄹ", "ㄱ"…; None when unknown."""
    syllable = _last_syllable(word)
    if syllable is None:
        return None
    final = (ord(syllable) - 0xAC00) % 28
    return "" if final == 0 else " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"[final]


def particle(word: str, both: str) -> str:
    """The form of the particle ``both`` (e.g. "(으)로", "을(를)") that follows ``word``."""
    final = final_consonant(word)
    if final is None:
        return both
    if both.startswith("("):  # (이)라는, (으)로, (으)로서
        extra, rest = both[1], both[3:]
        if extra == "으" and rest.startswith("로") and final == "ㄹ":
            return rest
        return extra + rest if final else rest
    consonant, vowel = _PAIRS[both[0]]
    return consonant if final else vowel


class _Formatter(string.Formatter):
    def format_field(self, value, format_spec: str) -> str:
        if "|" in format_spec:  # {n:epoch|epochs}
            one, other = format_spec.split("|", 1)
            return one if str(value).replace(",", "") == "1" else other
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def fill(template: str, **values) -> str:
    """``template.format(**values)``, with plurals and Korean particles chosen by the values."""

    def choose(m: re.Match) -> str:
        field, markup, both = m.groups()
        return field + markup + particle(_FORMATTER.format(field, **values), both)

    return _FORMATTER.format(_AFTER_FIELD.sub(choose, template), **values)
