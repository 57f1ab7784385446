"""Reading what the model wrote, leniently: the analysis JSON and the user's reply.

An analysis is accepted when a ``change`` can be read from it. In order:

1. ``<think>...</think>`` is removed and code fences are ignored;
2. the first JSON object in the text that has a ``change`` key is used (prose around it is
   ignored); trailing commas and Python's ``True``/``False``/``None`` are tolerated;
3. failing that, a ``change: -5`` / ``"change" = +5`` pair anywhere in the text is used alone.

``change`` may be an integer, a float (rounded) or a string holding a signed number
(``"+5"``, ``"-3.5 points"``); a value outside ``[-max_change, max_change]`` is clamped to it and
flagged (an integer of any size included). Booleans, NaN and infinities are not numbers. ``reasons`` keeps the known
:data:`~empathy_gym.vocabulary.REASONS` codes only (a list or a comma-separated string, two at
most). Anything else unreadable makes :func:`parse_analysis` return ``None``; the user then retries
once and falls back to the parametric model for the turn.

:func:`analysis_info` is the analysis as ``info["llm"]["model"]`` reports it: the same keys and
types on every turn, read or not.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from empathy_gym._text import sanitize, strip_thinking
from empathy_gym.vocabulary import REASONS

MAX_THOUGHT_CHARS = 400
MAX_REPLY_CHARS = 1000
_FENCE = re.compile(r"```[a-zA-Z]*")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_PY_LITERALS = ((re.compile(r"\bTrue\b"), "true"), (re.compile(r"\bFalse\b"), "false"), (re.compile(r"\bNone\b"), "null"))
_CHANGE_PAIR = re.compile(r"""["']?change["']?\s*[:=]\s*["']?([+-]?\d+(?:\.\d+)?)""", flags=re.IGNORECASE)
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)")
_INT_LIMIT = 10**9  # integers beyond this are clamped before becoming floats (no float holds 10**400)


@dataclass(frozen=True)
class Analysis:
    """The model's reading of one reply, after lenient parsing."""

    change: int  # signed emotion change asked for, within [-max_change, max_change]
    inner_reaction: str  # first-person reaction ("" when the model gave none)
    reasons: tuple[str, ...]  # known REASONS codes, at most two
    meaning: str  # what the model thought the supporter meant
    serves_need: bool | None  # None when the model gave no true/false
    clamped: bool  # the model's number was outside [-max_change, max_change]


def analysis_info(analysis: Analysis | None) -> dict[str, Any]:
    """``info["llm"]["model"]``: the analysis used this turn, with the same keys and types whether or not there was one.

    ``read`` says whether the model's analysis was read and used; on a turn that fell back it is
    False and the other fields hold neutral values (``change`` 0, empty texts and reasons,
    ``serves_need`` ``"unknown"``, ``clamped`` False). ``serves_need`` is ``"yes"``, ``"no"`` or
    ``"unknown"`` (the model gave no true/false), never a bool in one turn and None in another.
    """
    if analysis is None:
        return {"read": False, "change": 0, "inner_reaction": "", "reasons": [], "meaning": "",
                "serves_need": "unknown", "clamped": False}
    serves = {True: "yes", False: "no", None: "unknown"}[analysis.serves_need]
    return {"read": True, "change": analysis.change, "inner_reaction": analysis.inner_reaction,
            "reasons": list(analysis.reasons), "meaning": analysis.meaning, "serves_need": serves,
            "clamped": analysis.clamped}


def parse_analysis(text: str, max_change: int) -> Analysis | None:
    """The analysis in ``text``, or ``None`` when no emotion change can be read from it."""
    said, _ = strip_thinking(text)
    said = _FENCE.sub("", said)
    record = _first_object_with_change(said)
    if record is None:
        match = _CHANGE_PAIR.search(said)
        if match is None:
            return None
        record = {"change": match.group(1)}
    number = _number(record.get("change"))
    if number is None:
        return None
    change = int(round(number))
    clamped = not -max_change <= change <= max_change
    change = max(-max_change, min(max_change, change))
    reaction = next((record[key] for key in ("inner_reaction", "inner_thought", "reaction", "thought")
                     if isinstance(record.get(key), str)), "")
    serves = record.get("serves_need")
    return Analysis(
        change=change,
        inner_reaction=sanitize(reaction, MAX_THOUGHT_CHARS),
        reasons=_reasons(record.get("reasons")),
        meaning=sanitize(record["meaning"], MAX_THOUGHT_CHARS) if isinstance(record.get("meaning"), str) else "",
        serves_need=serves if isinstance(serves, bool) else None,
        clamped=clamped,
    )


def clean_reply(text: str, name: str) -> str:
    """What the simulated person says, from the reply call's text: thinking, quotes and a name label removed.

    Returns ``""`` when nothing is left (the caller then falls back).
    """
    said, _ = strip_thinking(text)
    said = sanitize(said)
    for label in (name, name.split()[0]):
        if said.lower().startswith(label.lower() + ":"):
            said = said[len(label) + 1:].lstrip()
            break
    if len(said) >= 2 and said[0] == said[-1] and said[0] in "\"'":
        said = said[1:-1].strip()
    return sanitize(said, MAX_REPLY_CHARS)


def _first_object_with_change(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for start in (index for index, char in enumerate(text) if char == "{"):
        for candidate in _repairs(text[start:]):
            try:
                value, _ = decoder.raw_decode(candidate)
            except ValueError:
                continue
            if isinstance(value, dict) and "change" in value:
                return value
            break
    return None


def _repairs(text: str):
    yield text
    repaired = _TRAILING_COMMA.sub(r"\1", text)
    for pattern, replacement in _PY_LITERALS:
        repaired = pattern.sub(replacement, repaired)
    if repaired != text:
        yield repaired


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = float(max(-_INT_LIMIT, min(_INT_LIMIT, value)))
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if match is None:
            return None
        number = float(match.group(1))
    else:
        return None
    return number if math.isfinite(number) else None


def _reasons(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    codes: list[str] = []
    for item in value:
        if isinstance(item, str):
            code = item.strip().lower().replace(" ", "_").replace("-", "_")
            if code in REASONS and code not in codes:
                codes.append(code)
    return tuple(codes[:2])
