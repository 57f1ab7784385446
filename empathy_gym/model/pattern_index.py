r"""A multi-pattern index: many weighted, labelled regular expressions found in one pass over a text's words.

The appraiser matches a few hundred cue patterns against every reply. Trying each pattern at every
word would cost patterns x words regex calls, so :class:`PatternIndex` files each pattern under the
one or two words a match of it can start with, and at each word of a text tries only the patterns
filed under that word (or that word and the next). The word keys are worked out from the pattern's
syntax tree (:func:`first_words`): literals, character sets of literals, groups, alternations and
optional parts are followed; anything else (``\w+``, ``.``, counted repeats) ends the analysis.
When the second word cannot be worked out the pattern is filed under its first word alone; when
the first cannot, it is scanned in full (only when its first character, :func:`first_chars`,
occurs in the text at all).

The syntax tree comes from the regular-expression parser of the standard library, which is
private (``re._parser`` on Python 3.11 and later, ``sre_parse`` before). Its use is pinned behind
a fallback: where that parser cannot be imported or fails on a pattern, the pattern is scanned in
full with ``re.finditer``, which finds the same patterns in a text, only more slowly; the one
difference is that a full scan does not report a pattern overlapping its own earlier match, which a
reader that counts a pattern once per sentence never notices (``tests/test_pattern_index.py``
checks that the appraiser reads every reply the same both ways, and that the module gives the same
keys and matches on every installed Python from 3.10 to 3.13).

Patterns are written against lower-case text and get word boundaries at both ends (boundaries act
only where the match begins or ends with a letter or digit, so a tag such as ``<|im_start|>``
still matches right before a word).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

try:  # private parser of the standard library; see the module docstring for the fallback
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser
except ImportError:  # pragma: no cover - Python < 3.11
    try:
        import sre_constants as _sre_constants  # type: ignore[no-redef]
        import sre_parse as _sre_parser  # type: ignore[no-redef]
    except ImportError:
        _sre_constants = _sre_parser = None  # type: ignore[assignment]

_MAX_PREFIX_STATES = 512
_KEY_WORDS = 2
# (completed words, the word being read, whether the key is complete)
_State = tuple[tuple[str, ...], str, bool]


def _close(state: _State) -> _State:
    words, prefix, _ = state
    return (words + (prefix,) if prefix else words), "", True


def _push(states: set[_State], ch: str) -> set[_State]:
    pushed: set[_State] = set()
    for state in states:
        words, prefix, done = state
        if done:
            pushed.add(state)
        elif ch.isascii() and ch.isalnum():
            pushed.add((words, prefix + ch.lower(), False))
        elif ch == " " and prefix and len(words) + 1 < _KEY_WORDS:
            pushed.add((words + (prefix,), "", False))
        else:
            pushed.add(_close(state))
    return pushed


def _expand_sequence(items: Iterable[tuple[Any, Any]], states: set[_State]) -> set[_State] | None:
    for op, av in items:
        if all(done for _, _, done in states):
            return states
        expanded = _expand_item(op, av, states)
        if expanded is None:
            # Past the first word, an element we cannot follow just ends the key early.
            if any(not done and not words for words, _, done in states):
                return None
            return {_close((words, "", done)) if not done else (words, prefix, done)
                    for words, prefix, done in states}
        if len(expanded) > _MAX_PREFIX_STATES:
            return None
        states = expanded
    return states


def _expand_item(op: Any, av: Any, states: set[_State]) -> set[_State] | None:
    c = _sre_constants
    open_states = {state for state in states if not state[2]}
    done_states = states - open_states
    if op is c.LITERAL:
        return done_states | _push(open_states, chr(av))
    if op is c.IN:
        result = set(done_states)
        for item_op, item_av in av:
            if item_op is not c.LITERAL:
                return None
            result |= _push(open_states, chr(item_av))
        return result
    if op is c.SUBPATTERN:
        inner = _expand_sequence(av[-1], open_states)
        return None if inner is None else inner | done_states
    if op is c.BRANCH:
        result = set(done_states)
        for alternative in av[1]:
            inner = _expand_sequence(alternative, set(open_states))
            if inner is None:
                return None
            result |= inner
        return result
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) or getattr(c, "POSSESSIVE_REPEAT", None) is op:
        low, high, item = av
        if high == 0:
            return states
        if high != 1:
            return None
        inner = _expand_sequence(item, set(open_states))
        if inner is None:
            return None
        return inner | done_states | (open_states if low == 0 else set())
    if op is c.AT:
        if av in (c.AT_BOUNDARY, c.AT_END, c.AT_END_LINE, c.AT_END_STRING):
            # A boundary after a word ends it, but what follows need not be a space.
            return done_states | {_close(state) if state[1] else state for state in open_states}
        return states
    if op in (c.ASSERT, c.ASSERT_NOT):
        return states  # look-arounds consume nothing; ignoring them can only widen the key set
    return None


def parser_available() -> bool:
    """Whether the standard library's regular-expression parser could be imported (see the module docstring)."""
    return _sre_parser is not None


def _parse(pattern: str) -> list[tuple[Any, Any]] | None:
    """The top-level items of ``pattern``'s syntax tree, or None where the parser is missing or fails."""
    if _sre_parser is None:
        return None
    try:
        return list(_sre_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - any parser trouble just means "scan in full"
        return None


def first_words(pattern: str) -> frozenset[tuple[str, ...]] | None:
    """The one- or two-word keys a match of ``pattern`` can start with, or None if unknown.

    A two-word key means the match starts with those words separated by one space; a one-word
    key means only the first word is known.
    """
    parsed = _parse(pattern)
    if parsed is None:
        return None
    states = _expand_sequence(parsed, {((), "", False)})
    if not states:
        return None
    keys = {_close(state)[0] for state in states}
    if () in keys:
        return None
    return frozenset(keys)


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with, when a plain reading tells."""
    items = _parse(pattern)
    if items is None:
        return None
    c = _sre_constants
    while items:
        op, av = items[0]
        if op is c.LITERAL:
            return frozenset(chr(av))
        if op is c.IN:
            chars: set[str] = set()
            for item_op, item_av in av:
                if item_op is c.LITERAL:
                    chars.add(chr(item_av))
                elif item_op is c.RANGE and item_av[1] - item_av[0] < 64:
                    chars.update(chr(code) for code in range(item_av[0], item_av[1] + 1))
                else:
                    return None
            return frozenset(chars)
        if op is c.SUBPATTERN:
            items = list(av[-1]) + items[1:]
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            items = list(av[2]) + items[1:]
            continue
        return None
    return None


@dataclass(frozen=True)
class Match:
    """One pattern found in a text."""

    entry: int  # index of the pattern in the order given to PatternIndex
    start: int  # character offset in the scanned text
    end: int


class PatternIndex:
    """Weighted, labelled regular expressions matched at word starts of a lower-case text.

    Args:
        patterns: ``(regular expression, weight, label)`` triples; ``weights`` and ``labels`` keep
            their order, and every :class:`Match` names its pattern by that position.
        where: where the patterns came from, for the error that names a bad one.
        keyed: file patterns under their first words (default). ``False`` scans every pattern in
            full, as happens on its own where the standard library's parser is unavailable (see
            the module docstring).
    """

    def __init__(self, patterns: Sequence[tuple[str, float, int]], where: str, *, keyed: bool = True) -> None:
        self.weights: list[float] = []
        self.labels: list[int] = []
        self._regexes: list[re.Pattern[str]] = []
        self._index: dict[tuple[str, ...], list[int]] = {}
        self._scan: list[tuple[int, frozenset[str] | None]] = []
        for number, (pattern, weight, label) in enumerate(patterns):
            # Boundaries act only where the match begins or ends with a word character, so tags
            # like "<|im_start|>" still match right before a word.
            body = f"(?:{pattern})(?:(?<=[a-z0-9])(?![a-z0-9])|(?<![a-z0-9]))"
            try:
                regex = re.compile(body, re.MULTILINE)
                # A pattern that starts with a symbol ("<|", "[system]", "##") needs no leading
                # boundary, and without one the engine can jump to candidate positions.
                leading = first_chars(pattern)
                symbol_led = leading is not None and not any(ch.isalpha() for ch in leading)
                lead = "" if symbol_led else "(?:(?<![a-z0-9])|(?![a-z0-9]))"
                scan_regex = re.compile(lead + body, re.MULTILINE)
            except re.error as error:
                raise ValueError(f"{where}[{number}]: bad regular expression {pattern!r}: {error}") from None
            keys = first_words(pattern) if keyed else None
            entry = len(self._regexes)
            self.weights.append(float(weight))
            self.labels.append(label)
            if keys is None:
                self._regexes.append(scan_regex)
                self._scan.append((entry, leading))
            else:
                self._regexes.append(regex)
                for key in sorted(keys):
                    self._index.setdefault(key, []).append(entry)

    def find(self, text: str, tokens: Sequence[tuple[str, int]]) -> list[Match]:
        """Every (pattern, start) found in ``text``; ``tokens`` are its (word, offset) pairs."""
        found: list[Match] = []
        index, regexes = self._index, self._regexes
        empty: list[int] = []
        last = len(tokens) - 1
        for i, (word, start) in enumerate(tokens):
            candidates = index.get((word,), empty)
            if i < last:
                following, next_start = tokens[i + 1]
                if next_start == start + len(word) + 1 and text[next_start - 1] == " ":
                    pair = index.get((word, following))
                    if pair:
                        candidates = candidates + pair
            for entry in candidates:
                m = regexes[entry].match(text, start)
                if m is not None:
                    found.append(Match(entry, start, m.end()))
        present = set(text) if self._scan else None
        for entry, leading in self._scan:
            if leading is None or not present.isdisjoint(leading):
                found.extend(Match(entry, m.start(), m.end()) for m in regexes[entry].finditer(text))
        return found
