"""Every CSV file the app writes, written here: cells a spreadsheet would run as formulas are neutralised.

A teacher opens the class's CSV files in Excel, LibreOffice or Google Sheets, which read a cell
that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK("http://…", "click")``
sends whoever clicks it away; older Excel even ran commands through DDE), and a leading tab or
carriage return hides such a start. A student's name is typed by the student, so it could be one.
OWASP's guidance on CSV injection (https://owasp.org/www-community/attacks/CSV_Injection): a text
cell that starts with one of ``= + - @``, tab or carriage return gets a single quote in front,
which spreadsheets read as "this is text" and do not show; quotes and separators inside a cell
are quoted by the ``csv`` module as usual. Numbers stay numbers: ``-0.5`` as a float is written
as it is, so a column of accuracies still sorts and sums; only text is ever prefixed.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> object:
    """``value`` as a CSV cell: a number as it is, nothing (None, NaN) as an empty cell, anything
    else as text, with a single quote in front when it starts as a formula would."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, numbers.Number):  # int, float, numpy's numbers; bool writes True/False
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A CSV file (UTF-8) of ``header`` and ``rows``, every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def dataframe_csv(table) -> bytes:
    """A pandas DataFrame's columns and rows (without its index), as ``csv_bytes`` writes them."""
    return csv_bytes(list(table.columns), table.itertuples(index=False, name=None))
