"""Checked argument types for the command lines (``argparse`` ``type=`` functions).

Each one raises ``argparse.ArgumentTypeError`` with the bad value and what is allowed, which
argparse turns into a usage error naming the option.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any


def _number(text: str, kind: type) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _checked(kind: type, allowed: Callable[[Any], bool], wanted: str, doc: str) -> Callable[[str], Any]:
    """A ``type=`` function: ``text`` as ``kind``, refused unless ``allowed(value)``."""

    def check(text: str):
        value = _number(text, kind)
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value

    check.__doc__ = doc
    return check


positive_int = _checked(int, lambda v: v >= 1, "a positive integer", "An integer of at least 1.")
non_negative_int = _checked(int, lambda v: v >= 0, "a non-negative integer", "An integer of at least 0 (seeds).")
unit_interval = _checked(float, lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]", "A number in [0, 1].")
positive_float = _checked(float, lambda v: v > 0.0, "a positive number", "A number above 0.")
non_negative_float = _checked(float, lambda v: v >= 0.0, "a non-negative number", "A number of at least 0.")


def positive_float_or_none(text: str) -> float | None:
    """A number above 0, or ``none``."""
    return None if text.lower() == "none" else positive_float(text)
