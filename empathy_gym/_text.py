"""The printable character set of every text space, and sanitising text into it."""

from __future__ import annotations

import re
import string
import unicodedata

#: Characters allowed in observation and action text: printable ASCII, spaces and newlines.
CHARSET: str = string.ascii_letters + string.digits + string.punctuation + " \n"
_ALLOWED = frozenset(CHARSET)

#: Typographic characters mapped to their plain ASCII forms before anything is dropped.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\t": " ", "\r": "",
}
_SPACES = re.compile(r"[ ]{2,}")


def sanitize(text: str, max_length: int | None = None) -> str:
    """Map ``text`` into :data:`CHARSET`: fold typography and accents, drop the rest, cut to length."""
    for source, target in _REPLACEMENTS.items():
        if source in text:
            text = text.replace(source, target)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if ch in _ALLOWED)
    text = _SPACES.sub(" ", text).strip()
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text
