"""Rendering: turns a strategy choice into a natural reply from the strategy's templates.

Discrete-action agents pick a strategy; :class:`StrategyRenderer` writes it as a reply a person
could have said, and that reply then goes through the same appraisal as free text.

Templates live in ``strategies.json`` and use four slots:

* ``{topic}``: the profile's neutral noun phrase for what happened ("the layoff");
* ``{other}``: the other person involved ("the manager", "Sam");
* ``{feeling}``: a feeling adjective: one the user just used (a lexicon feeling word found in the
  last user turn) or one of the profile's feelings;
* ``{detail}``: a short phrase (2-4 words) quoted from the end of a clause of the user's last
  turn. At most a third of the templates use it; when no suitable phrase exists (or quoting it
  would read as a cue for some strategy, or would paste five words of the user's text), a template
  without ``{detail}`` is used instead.

All choices are drawn from the ``rng`` passed to :meth:`StrategyRenderer.render`, in a fixed
order, so the same generator state, profile and turns give the same reply.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import numpy as np

from empathy_gym._text import CHARSET, sanitize
from empathy_gym.data import read_json
from empathy_gym.model.appraisal import DialogueContext, load_lexicon, shared_appraiser
from empathy_gym.vocabulary import STRATEGIES

MIN_TEMPLATES = 12
SLOTS = frozenset({"topic", "other", "feeling", "detail"})
DETAIL_LENGTHS = (3, 4, 2)  # preferred phrase lengths, best first
_STRATEGIES_FILE = "strategies.json"
_TEXT_FIELDS = ("label", "gerund", "description")
_ALLOWED = frozenset(CHARSET)
_SLOT = re.compile(r"\{([^{}]*)\}")
# Punctuation ends a quotable stretch; so does a single quote used as a quotation mark
# (not one inside a word such as "don't").
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\"\[\]]+|\s-\s|\n|(?<![A-Za-z])'|'(?![A-Za-z])")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([\"']?)([a-z])")
# A quoted phrase should not start in the middle of a construction.
_BAD_DETAIL_START = frozenset({
    "and", "but", "or", "so", "because", "then", "to", "of", "that", "which", "who", "when", "if", "than",
    "as", "with", "for", "at", "in", "on", "by", "from", "about", "into", "like", "just", "even", "also",
    "is", "was", "are", "were", "be", "been", "it", "its", "it's", "not", "very", "too", "really",
    "since", "have", "has", "had", "being", "do", "did", "does", "will", "would", "could", "should", "can",
    "me", "him", "them", "us", "her", "there", "where", "while", "until", "after", "before", "through",
})


def _fail(message: str) -> None:
    raise ValueError(message)


def load_templates() -> dict[str, tuple[str, ...]]:
    """The validated templates of every strategy in ``strategies.json``, keyed by name."""
    data = read_json(_STRATEGIES_FILE)
    if not isinstance(data, dict) or sorted(data) != sorted(STRATEGIES):
        _fail(f"{_STRATEGIES_FILE}: expected an object with exactly the strategies {', '.join(STRATEGIES)}")
    templates: dict[str, tuple[str, ...]] = {}
    for name in STRATEGIES:
        spec = data[name]
        where = f"{_STRATEGIES_FILE}: {name}"
        if not isinstance(spec, dict):
            _fail(f"{where}: expected an object")
        for field in _TEXT_FIELDS:
            value = spec.get(field)
            if not isinstance(value, str) or not value.strip() or not set(value) <= _ALLOWED:
                _fail(f"{where}.{field}: expected non-empty printable ASCII text, got {value!r:.80}")
        items = spec.get("templates")
        if not isinstance(items, list) or len(items) < MIN_TEMPLATES:
            _fail(f"{where}.templates: expected a list of at least {MIN_TEMPLATES} templates")
        for i, template in enumerate(items):
            if not isinstance(template, str) or not template.strip() or not set(template) <= _ALLOWED:
                _fail(f"{where}.templates[{i}]: expected non-empty printable ASCII text, got {template!r:.80}")
            unknown = set(_SLOT.findall(template)) - SLOTS
            if unknown:
                _fail(f"{where}.templates[{i}]: unknown slot(s) {sorted(unknown)}; allowed: {sorted(SLOTS)}")
        if sum("{detail}" in t for t in items) * 3 > len(items):
            _fail(f"{where}.templates: at most a third may use {{detail}}")
        if all("{detail}" in t for t in items):
            _fail(f"{where}.templates: needs templates without {{detail}}")
        templates[name] = tuple(items)
    return templates



class StrategyRenderer:
    """Writes a reply for a strategy from its templates, filled from the profile and the user's words."""

    def __init__(self) -> None:
        self._templates = load_templates()
        self._without_detail = {
            name: tuple(t for t in items if "{detail}" not in t) for name, items in self._templates.items()
        }
        lexicon = load_lexicon()
        self._feelings = frozenset(lexicon["feelings"])
        self._stopwords = frozenset(lexicon["stopwords"])
        self._appraiser = shared_appraiser()
        self._details_cached = lru_cache(maxsize=1024)(self._find_details)

    def __reduce__(self):
        # Its per-instance cache cannot be pickled; it holds nothing a fresh renderer lacks.
        return (StrategyRenderer, ())

    # -- public ---------------------------------------------------------------------------
    def templates(self, strategy: int | str) -> tuple[str, ...]:
        """All templates of ``strategy`` (an index into STRATEGIES or its name)."""
        return self._templates[self._name(strategy)]

    def render(
        self,
        strategy: int | str,
        *,
        profile: Any,
        user_turns: tuple[str, ...],
        rng: np.random.Generator,
        avoid: Collection[str] = (),
    ) -> str:
        """A natural reply doing ``strategy`` for ``profile``, after the user said ``user_turns``.

        ``profile`` needs ``topic``, ``other`` and ``feelings`` (a :class:`~empathy_gym.profiles.Profile`).
        Replies in ``avoid`` (the agent's earlier replies) are not said again while another template
        is left, as a person varies their words. Draws from ``rng`` only.
        """
        name = self._name(strategy)
        turns = tuple(user_turns)
        details = self._details(turns[-1] if turns else "")
        pool = self._templates[name] if details else self._without_detail[name]
        first_choice = None
        for index in rng.permutation(len(pool)):
            reply = self._fill(pool[int(index)], profile, turns, details, rng)
            if reply is None:
                continue  # every quotable phrase would paste the user's words back
            if reply not in avoid:
                return reply
            first_choice = first_choice or reply
        if first_choice is not None:
            return first_choice  # every template has been said already: repeat one
        fallback = self._without_detail[name]
        reply = self._fill(fallback[int(rng.integers(len(fallback)))], profile, turns, (), rng)
        assert reply is not None
        return reply

    def fill(
        self,
        template: str,
        *,
        profile: Any,
        user_turns: tuple[str, ...],
        rng: np.random.Generator,
    ) -> str | None:
        """``template`` with its slots filled as :meth:`render` fills them.

        None when the template quotes a ``{detail}`` and no phrase of the last user turn can be
        quoted (none found, or each would paste five or more of the user's words).
        """
        turns = tuple(user_turns)
        return self._fill(template, profile, turns, self._details(turns[-1] if turns else ""), rng)

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _name(strategy: Any) -> str:
        if type(strategy) is int and 0 <= strategy < len(STRATEGIES):
            return STRATEGIES[strategy]  # the common case, checked first
        allowed = ", ".join(f"{i}={name}" for i, name in enumerate(STRATEGIES))
        if isinstance(strategy, (bool, np.bool_)):
            _fail(f"strategy must be an index 0..{len(STRATEGIES) - 1} or a name, got the bool {strategy!r}; "
                  f"allowed: {allowed}")
        if isinstance(strategy, (int, np.integer)):
            if 0 <= int(strategy) < len(STRATEGIES):
                return STRATEGIES[int(strategy)]
            _fail(f"strategy index {int(strategy)} is out of range 0..{len(STRATEGIES) - 1}; allowed: {allowed}")
        if isinstance(strategy, str):
            if strategy in STRATEGIES:
                return strategy
            _fail(f"unknown strategy {strategy!r}; allowed: {allowed}")
        _fail(f"strategy must be an index 0..{len(STRATEGIES) - 1} or a name, got {type(strategy).__name__} "
              f"{strategy!r:.60}; allowed: {allowed}")
        raise AssertionError("unreachable")

    def _pick_feeling(self, profile: Any, last_turn: str, rng: np.random.Generator) -> str:
        said = [w.lower() for w in _WORD.findall(last_turn) if w.lower() in self._feelings]
        candidates = list(dict.fromkeys([*said, *(f.strip().lower() for f in profile.feelings if f.strip())]))
        if not candidates:
            return "upset"
        return candidates[int(rng.integers(len(candidates)))]

    def _details(self, last_turn: str) -> tuple[str, ...]:
        return self._details_cached(last_turn)

    def _find_details(self, last_turn: str) -> tuple[str, ...]:
        """Quotable 2-4 word phrases from ``last_turn`` that carry no strategy cue, best length first."""
        by_length: dict[int, list[str]] = {n: [] for n in DETAIL_LENGTHS}
        for clause in _CLAUSE_BREAK.split(sanitize(last_turn)):
            words = _WORD.findall(clause)
            # Only the end of a clause: "the type 2 diabetes diagnosis" quotes well, a stretch
            # cut from its middle ("since the type") does not.
            for n in DETAIL_LENGTHS:
                window = words[-n:]
                if len(window) == n and self._quotable(window):
                    by_length[n].append(self._phrase(window))
        for n in DETAIL_LENGTHS:
            found = [p for p in dict.fromkeys(by_length[n]) if not self._carries_cue(p)]
            if found:
                return tuple(found)
        return ()

    def _quotable(self, window: list[str]) -> bool:
        first, last = window[0].lower(), window[-1].lower()
        if first in _BAD_DETAIL_START:
            return False
        if last in self._stopwords or len(last) < 3 or "'" in last:
            return False
        if any(len(w.split("'")[0]) < 2 and w not in ("I", "a", "A") for w in window):
            return False  # "C's", "a B minus": single letters read as noise once quoted
        return any(len(w) >= 3 and w.lower() not in self._stopwords for w in window)

    def _phrase(self, window: list[str]) -> str:
        # Lower-case a sentence-initial common word ("The" -> "the") but keep names and "I".
        first = window[0]
        if first != "I" and first[:1].isupper() and first.lower() in self._stopwords:
            first = first.lower()
        return " ".join([first, *window[1:]])

    def _carries_cue(self, phrase: str) -> bool:
        return self._appraiser.makes_a_move(phrase)

    def _fill(
        self,
        template: str,
        profile: Any,
        turns: tuple[str, ...],
        details: tuple[str, ...],
        rng: np.random.Generator,
    ) -> str | None:
        feeling = self._pick_feeling(profile, turns[-1] if turns else "", rng) if "{feeling}" in template else ""
        if "{detail}" not in template:
            return self._format(template, profile, feeling, "")
        if not details:
            return None
        start = int(rng.integers(len(details)))
        context = DialogueContext(turns, (), frozenset())
        for offset in range(len(details)):
            reply = self._format(template, profile, feeling, details[(start + offset) % len(details)])
            if self._appraiser.echo(reply, context) == 0.0:
                return reply
        return None

    @staticmethod
    def _format(template: str, profile: Any, feeling: str, detail: str) -> str:
        text = template.format(topic=profile.topic, other=profile.other, feeling=feeling, detail=detail)
        text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2) + m.group(3).upper(), text)
        return sanitize(text)


__all__ = ["StrategyRenderer", "load_templates"]
