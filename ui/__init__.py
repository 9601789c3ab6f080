"""Streamlit-only helpers: language, lesson rendering, the frame, every figure.

Imports flow one way: pages → ui → models.
"""
