"""Benchmarks: each prints one JSON document. ``models`` is imported first for its thread settings."""

import models  # noqa: F401  (sets OMP_WAIT_POLICY before torch is imported)
