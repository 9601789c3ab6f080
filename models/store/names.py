"""A student's name as the class sees it: what a typed name becomes, and which names are refused.

A name is typed by a student and read by everyone else (the teacher's dashboard, the CSV files),
so it is cleaned before it is stored, and again whenever it is read (a row written before this
module existed is cleaned too):

* Unicode NFKC: full-width ``Ｓｔｕｄｅｎｔ １`` and ligatures become the letters they look like;
* every character that shows nothing dropped: format characters (Unicode category Cf: zero-width
  spaces and joiners, right-to-left and other direction marks, the byte-order mark), controls (Cc),
  unassigned, private-use and surrogate code points, and the letters that render as blank
  (the Hangul fillers, the Braille blank, the combining grapheme joiner);
* whitespace of any kind becomes one space, none at either end; at most ``NAME_LENGTH`` characters.

So ``"Student\\u200b 1"`` and ``"\\u202eStudent 1"`` both become ``"Student 1"`` — which is then
refused, because it is another student's name: nobody may take a default name (``Student 7``,
``학생 7``) other than their own, nor, ignoring case, a name another student of the class has.
Emoji joined by a zero-width joiner (👩‍💻) come apart into their pieces; letters from other scripts
that merely look like Latin ones (Cyrillic ``С``) are not caught.

Nothing here makes a name safe to put into Markdown, HTML or a spreadsheet: the pages show names
as plain text (``ui.literal``), and CSV cells are neutralised (``models.store.csv_file``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from models.errors import LabError

NAME_LENGTH = 40
HIDDEN_CATEGORIES = {"Cf", "Cc", "Cn", "Co", "Cs"}  # format, control, unassigned, private use, surrogate
BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"}  # show as nothing, not Cf
DEFAULT = re.compile(r"(?:student|학생)\s*#?\s*(\d+)", re.IGNORECASE)  # "Student 7", the name nobody chose


class NameRefused(LabError, ValueError):
    area = "name"
    CODES = {"nothing_left": (), "like_default": (), "taken": ()}  # no parameter: the name is the student's text


def clean(typed: str, length: int = NAME_LENGTH) -> str:
    """``typed`` in NFKC, without invisible characters, its whitespace collapsed, at most ``length``
    long (a name's ``NAME_LENGTH``; a guess typed in a class poll is cleaned the same way)."""
    kept = []
    for ch in unicodedata.normalize("NFKC", typed):
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in HIDDEN_CATEGORIES and ch not in BLANK_LETTERS:
            kept.append(ch)
    return " ".join("".join(kept).split())[:length].strip()


def default_name(number: int) -> str:
    """"Student 7": the name of the class's seventh student; "New student" for one not stored yet
    (a student is stored when they first do something)."""
    return f"Student {number}" if number else "New student"


def _default_number(name: str) -> int | None:
    match = DEFAULT.fullmatch(name)
    return int(match[1]) if match else None


def chosen(typed: str, number: int, others: Iterable[str | None]) -> str | None:
    """What to store when student ``number`` types ``typed`` as their name: None (nothing typed,
    or their own default name: they are ``Student {number}`` again) or the cleaned name.
    ``others``: the stored names of the rest of the class. Raises ``NameRefused`` for a name with
    nothing visible in it, another student's default name, or a name another student has."""
    if not typed.split():
        return None
    name = clean(typed)
    if not name:
        raise NameRefused("nothing_left")
    if (default := _default_number(name)) is not None:
        if default == number:
            return None
        raise NameRefused("like_default")
    if any(name.casefold() == clean(other or "").casefold() for other in others):
        raise NameRefused("taken")
    return name


def shown(stored: str | None, number: int) -> str:
    """The name student ``number`` goes by: their stored name cleaned, or their default name where
    nothing is left or the stored name imitates another student's default name."""
    name = clean(stored or "")
    if not name or _default_number(name) not in (None, number):
        return default_name(number)
    return name
