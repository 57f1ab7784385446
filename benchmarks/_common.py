"""Shared by the benchmark scripts: where results go and a description of the machine."""

from __future__ import annotations

from pathlib import Path

from empathy_gym._machine import machine  # noqa: F401  (re-exported for the scripts)

RESULTS = Path(__file__).parent / "results"
