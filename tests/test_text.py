"""Sanitising text into the printable charset of the text spaces."""

import numpy as np

from empathy_gym._text import CHARSET, sanitize


def test_sanitize_always_returns_text_inside_the_charset():
    rng = np.random.default_rng(0)
    allowed = set(CHARSET)
    for _ in range(300):
        codes = rng.integers(0, 0x2FFF, size=rng.integers(0, 60))
        text = sanitize("".join(map(chr, codes)))
        assert set(text) <= allowed


def test_sanitize_folds_typography_and_accents():
    assert sanitize("\u201cIt\u2019s fine\u201d \u2014 caf\u00e9\u2026") == "\"It's fine\" - cafe..."


def test_sanitize_keeps_newlines_turns_tabs_into_spaces_and_collapses_spaces():
    assert sanitize("  one\ttwo   three\nfour\r ") == "one two three\nfour"


def test_sanitize_cuts_to_max_length():
    assert sanitize("abcdef gh", max_length=7) == "abcdef"
