"""Streamlit-only helpers: language, lesson rendering, the frame, every figure.

Imports flow one way: pages → ui → models.
"""

import models  # noqa: F401, E402 — first, so that its thread settings precede torch's import
