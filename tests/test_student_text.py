"""Text a student typed: names cleaned (models.store.names), CSV cells neutralised
(models.store.csv_file), and Markdown/HTML escaped to read as typed (ui.literal). The store and
the pages that use them are tested in test_store.py, test_teacher.py and test_browser.py."""

import csv
import io
import numbers
import re
import string

import numpy as np
import pandas as pd
import pytest

from models.store import csv_file, names
from ui import literal


@pytest.mark.parametrize("typed, clean", [
    ("Student\u200b 1", "Student 1"),  # a zero-width space
    ("\u202eStudent 1", "Student 1"),  # right-to-left override
    ("\u2066Stu\u200ddent\ufeff 1\u2069", "Student 1"),  # isolates, a joiner, a byte-order mark
    ("Ｓｔｕｄｅｎｔ　１", "Student 1"),  # full-width letters and space (NFKC)
    ("  Ada \t\n Lovelace\x00\x1b ", "Ada Lovelace"),  # any whitespace once, controls gone
    ("\u3164\u115f김\u1160민준\u2800", "김민준"),  # Hangul fillers and the Braille blank show nothing
    ("x" * 80, "x" * names.NAME_LENGTH),
])
def test_a_name_is_normalised(typed, clean):
    assert names.clean(typed) == clean


def test_nothing_typed_is_no_name_and_nothing_visible_is_refused():
    assert names.chosen("  \t", 3, []) is None
    with pytest.raises(names.NameRefused) as refused:
        names.chosen("\u200b\u200e\u3164", 3, [])
    assert refused.value.code == "nothing_left" and "보이는" in refused.value.message("ko")


def test_a_default_name_is_refused_unless_it_is_ones_own_and_so_is_a_taken_name():
    assert names.chosen("student 3", 3, []) is None  # their own: back to no name of their own
    for imitation in ("Student\u200b 1", "\u202eStudent 1", "STUDENT #12", "학생 1"):
        with pytest.raises(names.NameRefused, match="Student"):
            names.chosen(imitation, 3, [])
    with pytest.raises(names.NameRefused, match="already has"):
        names.chosen("ada  LOVELACE", 3, [None, "Ada\u200b Lovelace"])
    assert names.chosen("Student council", 3, ["Ada"]) == "Student council"


def test_a_stored_name_reads_cleaned_and_never_as_anothers_default():
    assert names.shown("Ada\u200b", 4) == "Ada"
    assert names.shown("\u202eStudent 1", 4) == "Student 4"
    assert names.shown(None, 4) == names.shown("\u200b", 4) == names.shown("Student 4", 4) == "Student 4"


@pytest.mark.parametrize("value, written", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+1", "'+1"), ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Ada", "Ada"), ("a=b", "a=b"), (-1.5, -1.5), (-3, -3), (np.float64(-0.25), -0.25), (np.int64(-2), -2),
    (True, True), (None, ""), (float("nan"), ""),
])
def test_a_csv_cell_that_starts_like_a_formula_is_neutralised_and_a_number_is_kept(value, written):
    cell = csv_file.cell(value)
    assert cell == written and isinstance(cell, numbers.Number) == isinstance(written, numbers.Number)


def test_a_dataframes_csv_is_neutralised_and_reads_back():
    table = pd.DataFrame({"run": ["=1+1", "ResNet-8"], "val acc": [-0.5, np.nan], "epochs": [3, 4]})
    rows = list(csv.reader(io.StringIO(csv_file.dataframe_csv(table).decode(), newline="")))
    assert rows == [["run", "val acc", "epochs"], ["'=1+1", "-0.5", "3"], ["ResNet-8", "", "4"]]


@pytest.mark.parametrize("text", ["![x](http://127.0.0.1:9/x.png)", ":red-background[HACK]", "<b>b</b>", "$x^2$",
                                  "a\\b *c* _d_ `e` # f", ":smile: :material/home:", "평범한 이름"])
def test_markdown_escapes_every_punctuation_and_reads_back_as_typed(text):
    shown = literal.markdown(text)
    for i, ch in enumerate(shown):
        if ch in string.punctuation and ch != "\\":
            assert shown[i - 1] == "\\", (ch, shown)
    assert re.sub(r"\\(.)", r"\1", shown.replace(literal.WORD_JOINER, "")) == text  # what CommonMark reads
    assert "\n" not in literal.markdown("one\ntwo")
    assert literal.html_text("<b>a</b> & <a href=x>") == "&lt;b&gt;a&lt;/b&gt; &amp; &lt;a href=x&gt;"
