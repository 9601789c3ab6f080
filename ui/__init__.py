"""Streamlit-only helpers: language, lesson rendering, the frame, every figure, and in
``ui/lessons/`` one view per lesson.

Imports flow one way: pages → ui → models; inside ui, a lesson's view → the shared modules.
"""

import models  # noqa: F401 — first, so that its thread settings precede torch's import

# isort: split

# Every student's script runs in its own thread of one process. Plotly (and narwhals inside it)
# asks ``sys.modules`` whether pandas and pyarrow are there instead of importing them, so while
# one student's first table is importing pandas, another student's figure can find it half
# built and fail ("partially initialized module 'pandas' has no attribute 'Series'": seen with
# 30 students arriving at once, 5 of them opening the training lab; `python -m bench.load_test`).
# Imported here, they are whole before any page code can run: a thread importing `ui` waits
# for the one already doing it.
import pandas  # noqa: F401
import pyarrow  # noqa: F401
