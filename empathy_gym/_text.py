"""The printable character set of every text space, and sanitising text into it."""

from __future__ import annotations

import re
import string
import unicodedata

#: Characters allowed in observation and action text: printable ASCII, spaces and newlines.
CHARSET: str = string.ascii_letters + string.digits + string.punctuation + " \n"

#: Typographic characters mapped to their plain ASCII forms before anything is dropped.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": " - ", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ",
}
_SPACES = re.compile(r"[ ]{2,}")
# For ASCII text: tabs become spaces, other control characters (newline aside) are dropped.
_ASCII_TABLE = {code: None for code in (*range(32), 127) if chr(code) not in "\n\t"}
_ASCII_TABLE[ord("\t")] = " "


def sanitize(text: str, max_length: int | None = None) -> str:
    """Map ``text`` into :data:`CHARSET`: fold typography and accents, drop the rest, cut to length."""
    if not text.isascii():
        for source, target in _REPLACEMENTS.items():
            if source in text:
                text = text.replace(source, target)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.translate(_ASCII_TABLE)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text


_THINK_BLOCK = re.compile(r"<think>.*?</think>", flags=re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think>", flags=re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", flags=re.IGNORECASE)


def strip_thinking(text: str) -> tuple[str, int]:
    """Split ``text`` into what is said and how many characters of ``<think>...</think>`` were removed.

    Closed blocks are removed wherever they are. An unclosed ``<think>`` hides everything after it
    (the thinking was cut off), and a ``</think>`` without an opening tag hides everything before it
    (chat templates that open the block in the prompt). Tags match in any letter case.
    """
    said, hidden = _split_thinking(text)
    return said.strip(), sum(map(len, hidden))


def _split_thinking(text: str) -> tuple[str, list[str]]:
    """What is said (unstripped) and the hidden pieces, tags included, by :func:`strip_thinking`'s rules."""
    hidden: list[str] = []
    said = _THINK_BLOCK.sub(lambda block: hidden.append(block.group(0)) or "", text)
    close = None
    for close in _THINK_CLOSE.finditer(said):
        pass
    if close is not None:
        hidden.append(said[:close.end()])
        said = said[close.end():]
    opening = _THINK_OPEN.search(said)
    if opening is not None:
        hidden.append(said[opening.start():])
        said = said[:opening.start()]
    return said, hidden


_THINK_TAGS = "<think></think>"


def fit_reply(text: str, max_reply_chars: int, max_think_chars: int | None = None) -> str:
    """``text`` cut so that an env with these limits accepts it as a reply.

    Without ``max_think_chars`` (``think="off"``): the first ``max_reply_chars`` characters. With it
    (``think="strip"``): ``text`` itself when the visible reply (:func:`strip_thinking`) has at most
    ``max_reply_chars`` characters and the thinking at most ``max_think_chars``; otherwise one
    ``<think>...</think>`` block holding the start of the thinking, then the start of the visible
    reply, each within its limit.
    """
    if max_think_chars is None:
        return text[:max_reply_chars]
    said, hidden = _split_thinking(text)
    thinking = sum(map(len, hidden))
    if (len(said.strip()) <= max_reply_chars and thinking <= max_think_chars
            and len(text) <= max_reply_chars + max_think_chars):
        return text
    thought = "".join(hidden)
    while _THINK_OPEN.search(thought) or _THINK_CLOSE.search(thought):  # removing a tag can join a new one
        thought = _THINK_CLOSE.sub("", _THINK_OPEN.sub("", thought))
    kept = ""
    if hidden and max_think_chars >= len(_THINK_TAGS):
        kept = f"<think>{thought[:max_think_chars - len(_THINK_TAGS)]}</think>"
    return kept + said.strip()[:max_reply_chars]
