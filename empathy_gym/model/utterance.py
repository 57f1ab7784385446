"""Writes what the parametric user says each turn, and the one-sentence inner thought behind it.

The emotion dynamics (:mod:`empathy_gym.model.parametric`) decide *what happened* in a turn and
hand it over as a :class:`TurnOutcome`; :class:`UtteranceGenerator` turns that into text from the
phrase banks in ``data/utterances.json``:

* ``reply`` = a reaction to the agent's reply, then (unless the person is leaving) the next story
  beat with an optional lead-in, a cue about the hidden need if the dynamics asked for one, and a
  line about the current mood; in states S and F a closing replaces story and cue. A seeker that
  chooses to push back (``TurnOutcome.push_back``) adds a line questioning the reply after the
  reaction (not when leaving). The persona's
  speaking style is applied last, and the text is sanitised into the observation charset.
* ``inner_thought`` = one first-person sentence saying why the emotion moved, built from the
  first reason code (and a short clause from the second).

Explicit cue lines (the need stated plainly) are only ever used when ``cue == "explicit"``; that
is the guarantee behind the reticence axis. All randomness comes from the generator passed in.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from empathy_gym._text import sanitize
from empathy_gym.data import read_json
from empathy_gym.profiles import Profile
from empathy_gym.vocabulary import EMOTION_STATES, INTENTIONS, REACTIONS, REASONS, SPEAKING_STYLES

__all__ = ["CUE_LEVELS", "TurnOutcome", "UtteranceGenerator"]

#: How much of the hidden need a turn reveals.
CUE_LEVELS: tuple[str, ...] = ("none", "implicit", "explicit")

_BANK_FILE = "utterances.json"
_REGISTERS: tuple[str, ...] = ("open", "reserved")
_MOOD_STATES: tuple[str, ...] = ("A", "B", "C")  # S and F get closings instead of mood lines
_CLOSING_STATES: tuple[str, ...] = ("S", "F")

# Minimum bank sizes: enough variety that a ten-turn dialogue rarely repeats itself.
_MIN_REACTION_LINES = 8
_MIN_EXPLICIT_CUES = 8
_MIN_IMPLICIT_CUES = 10
_MIN_MOOD_LINES = 6
_MIN_STORY_LEADS = 10
_MIN_CLOSINGS = 8
_MIN_PUSH_BACKS = 6
_MIN_NEEDS = 3
_MIN_THOUGHTS = 5
_MIN_CLAUSES = 2

# Slots each bank may use; anything else is a typo that would leak braces into the dialogue.
_SPEECH_SLOTS = frozenset({"topic", "other", "feeling"})
_NEED_SLOTS = frozenset({"topic", "other"})
_THOUGHT_SLOTS = frozenset({"strategy", "need", "topic", "other"})

# Composition probabilities. Mood lines are how an expressive person shows feeling, so they
# appear more often the more expressive the person is; a reserved person often says only the
# reaction when there is nothing else (no story beat, no cue) to say.
_LEAD_PROBABILITY = 0.6
_MOOD_BASE = 0.15
_MOOD_PER_EXPRESSIVENESS = 0.55
_SHORT_ONLY_PER_RESERVE = 0.6
_RESERVED_CLOSING_REACTION = 0.5  # a reserved person leaving often skips the reaction line

# Reasons under which the person feels better: a second reason of the other sign joins with "but".
_POSITIVE_REASONS = frozenset({"served_need", "kind_but_generic"})

_STYLE_KEYS = frozenset({
    "description", "openers", "opener_probability", "trail_probability", "asides", "aside_probability",
    "second_aside_probability", "drop_parts", "max_sentences_per_part", "replacements", "tails",
    "tail_probability", "lowercase_start", "drop_final_period",
})
_DROPPABLE_PARTS = frozenset({"lead", "mood"})

# Words that are lower-case mid-sentence. A sentence glued after a lead-in or filler ("The thing
# is, ...") is lower-cased only if it starts with one of these, so names and "I" keep their capital.
_COMMON_STARTERS = frozenset("""
a about after all alright also an and another any anyway appreciate are as at bad because before
being bit both but by bye calmer can come could did do does doesn doing don each earlier either
enough even every everybody everyone everything fair fine first for forget from getting good great
half he helped her here his hm hmm how huh if in is it its just last later leaving less lost many
maybe meaning mm-hm more most mostly much my never next nice no nobody none not nothing now of oh
ok okay on once one only or our people please pretty really right rough same seriously she since so
some somebody someone something sometimes sorry steadier still such sure thank thanks that the
their then there these they things this those time to today tomorrow tonight twice ugh until wait
we well what whatever when whenever where which while who why with wow yeah yes yesterday you your
""".split())

_LEADING_WORD = re.compile(r"[A-Za-z-]+")  # "That's" -> "That", so contractions are recognised too
# A sentence ends at . ! or ? before a capital, but not after a title ("Dr. Hartley said...").
_SENTENCE_SPLIT = re.compile(
    r"(?<=[.!?])(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bProf\.)(?<!\bJr\.)(?<!\bSr\.)"
    r"\s+(?=[\"'(A-Z0-9])")
_SENTENCE_END = frozenset(".!?")


# --------------------------------------------------------------------------------------------
# The contract with the emotion dynamics
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TurnOutcome:
    """What happened in one turn, as decided by the emotion dynamics; validated on construction."""

    delta: int  # change of emotion this turn (after clamp)
    emotion: int  # new emotion 0..100
    state: str  # new state letter S/A/B/C/F
    reaction: str  # one of REACTIONS
    cue: str  # "none" | "implicit" | "explicit"
    cue_intention: str  # intention whose cue to voice (normally the true hidden one)
    story_beat: int | None  # index into profile.story to tell this turn, or None
    # 0..1: 1 shows feelings plainly, 0 reveals almost none (1 - reticence, lowered by characteristic)
    expressiveness: float
    turn: int  # 1-based turn number
    push_back: bool = False  # add a line questioning the supporter's reply (a seeker's choice)

    def __post_init__(self) -> None:
        _require_choice("state", self.state, EMOTION_STATES)
        _require_choice("reaction", self.reaction, REACTIONS)
        _require_choice("cue", self.cue, CUE_LEVELS)
        _require_choice("cue_intention", self.cue_intention, INTENTIONS)
        if not 0 <= self.emotion <= 100:
            raise ValueError(f"TurnOutcome.emotion must be in 0..100, got {self.emotion!r}")
        if not (isinstance(self.expressiveness, numbers.Real) and not isinstance(self.expressiveness, bool)
                and math.isfinite(self.expressiveness)
                and 0.0 <= self.expressiveness <= 1.0):
            raise ValueError(f"TurnOutcome.expressiveness must be a number in [0, 1], got {self.expressiveness!r}")
        if self.story_beat is not None and (isinstance(self.story_beat, bool) or self.story_beat < 0):
            raise ValueError(f"TurnOutcome.story_beat must be None or an index >= 0, got {self.story_beat!r}")
        if self.turn < 1:
            raise ValueError(f"TurnOutcome.turn is 1-based, got {self.turn!r}")
        if not isinstance(self.push_back, bool):
            raise ValueError(f"TurnOutcome.push_back must be True or False, got {self.push_back!r}")


def _require_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")


# --------------------------------------------------------------------------------------------
# Speaking styles: a declarative spec from the bank, executed by a fixed set of operations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Style:
    openers: tuple[str, ...] = ()
    opener_probability: float = 0.0
    trail_probability: float = 0.0
    asides: tuple[str, ...] = ()
    aside_probability: float = 0.0
    second_aside_probability: float = 0.0
    drop_parts: frozenset[str] = frozenset()
    max_sentences_per_part: int | None = None
    replacements: Mapping[str, str] | None = None
    replacement_pattern: re.Pattern[str] | None = None  # compiled once at load, never per call
    tails: tuple[str, ...] = ()
    tail_probability: float = 0.0
    lowercase_start: bool = False
    drop_final_period: bool = False

    def replace_words(self, text: str) -> str:
        if self.replacement_pattern is None or self.replacements is None:
            return text
        table = self.replacements

        def swap(match: re.Match[str]) -> str:
            found = match.group(0)
            target = table[found.lower()]
            # Keep a capital at the start of a sentence ("Don't" -> "Do not").
            return target[:1].upper() + target[1:] if found[:1].isupper() else target

        return self.replacement_pattern.sub(swap, text)


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------
class UtteranceGenerator:
    """Turns a :class:`TurnOutcome` into the simulated person's next utterance and inner thought.

    The phrase banks are loaded and validated once, here; a malformed bank fails with a
    ``ValueError`` naming the missing or bad key (for example ``cues.venting.implicit``).
    """

    def __init__(self) -> None:
        bank = read_json(_BANK_FILE)
        if not isinstance(bank, dict):
            raise ValueError(f"{_BANK_FILE}: top level must be an object")
        self._reactions = {
            reaction: {register: _lines(bank, ("reactions", reaction, register), _MIN_REACTION_LINES, _SPEECH_SLOTS)
                       for register in _REGISTERS}
            for reaction in REACTIONS
        }
        self._cues = {
            intention: {
                "explicit": _lines(bank, ("cues", intention, "explicit"), _MIN_EXPLICIT_CUES, _SPEECH_SLOTS),
                "implicit": _lines(bank, ("cues", intention, "implicit"), _MIN_IMPLICIT_CUES, _SPEECH_SLOTS),
            }
            for intention in INTENTIONS
        }
        self._moods = {
            state: {register: _lines(bank, ("feelings_by_state", state, register), _MIN_MOOD_LINES, _SPEECH_SLOTS)
                    for register in _REGISTERS}
            for state in _MOOD_STATES
        }
        self._leads = _lines(bank, ("story_leads",), _MIN_STORY_LEADS, frozenset())
        self._closings = {
            state: {register: _lines(bank, ("closings", state, register), _MIN_CLOSINGS, _SPEECH_SLOTS)
                    for register in _REGISTERS}
            for state in _CLOSING_STATES
        }
        self._push_backs = {register: _lines(bank, ("push_backs", register), _MIN_PUSH_BACKS, _SPEECH_SLOTS)
                            for register in _REGISTERS}
        self._styles = {style: _parse_style(bank, style) for style in SPEAKING_STYLES}
        self._needs = {
            intention: _lines(bank, ("needs", intention), _MIN_NEEDS, _NEED_SLOTS) for intention in INTENTIONS
        }
        self._thoughts = {
            reason: _lines(bank, ("inner_thoughts", reason), _MIN_THOUGHTS, _THOUGHT_SLOTS) for reason in REASONS
        }
        # Thoughts usable when the caller has no strategy phrase (an empty reply, say).
        self._thoughts_without_strategy: dict[str, tuple[str, ...]] = {}
        for reason, lines in self._thoughts.items():
            plain = tuple(line for line in lines if "{strategy}" not in line)
            if not plain:
                raise ValueError(
                    f"{_BANK_FILE}: inner_thoughts.{reason} needs at least one line without {{strategy}}")
            self._thoughts_without_strategy[reason] = plain
        self._clauses = {
            reason: _lines(bank, ("reason_clauses", reason), _MIN_CLAUSES, frozenset()) for reason in REASONS
        }

    # -- public API ------------------------------------------------------------------------
    def opening(self, profile: Profile) -> str:
        """The person's first message: the profile's opening message, exactly as written."""
        return profile.opening_message

    def reply(self, profile: Profile, outcome: TurnOutcome, rng: np.random.Generator) -> str:
        """What the person says after the agent's reply, given how this turn went."""
        _require_rng(rng)
        if not isinstance(outcome, TurnOutcome):
            raise TypeError(f"outcome must be a TurnOutcome, got {type(outcome).__name__}")
        style_name = profile.persona.speaking_style
        _require_choice("speaking_style", style_name, SPEAKING_STYLES)
        if outcome.story_beat is not None and outcome.story_beat >= len(profile.story):
            raise ValueError(
                f"story_beat {outcome.story_beat} is out of range: profile {profile.id!r} has "
                f"{len(profile.story)} story beats (allowed 0..{len(profile.story) - 1})")
        style = self._styles[style_name]
        slots = _speech_slots(profile, rng)
        register = "open" if outcome.expressiveness >= 0.5 else "reserved"
        reserve = 1.0 - outcome.expressiveness

        # One sentence group per part, so a style can cut, pad or prefix them one by one.
        parts: list[str] = []
        reaction = _fill(_pick(self._reactions[outcome.reaction][register], rng), slots)
        if outcome.state in _CLOSING_STATES:
            if register == "open" or rng.random() >= _RESERVED_CLOSING_REACTION:
                parts.append(reaction)
            parts.append(_fill(_pick(self._closings[outcome.state][register], rng), slots))
        else:
            parts.append(reaction)
            has_payload = outcome.story_beat is not None or outcome.cue != "none"
            if has_payload or rng.random() >= _SHORT_ONLY_PER_RESERVE * reserve:
                if outcome.story_beat is not None:
                    parts.append(self._story_part(profile.story[outcome.story_beat], style, rng))
                if outcome.cue != "none":
                    cue_line = _pick(self._cues[outcome.cue_intention][outcome.cue], rng)
                    parts.append(_fill(cue_line, slots))
                mood_chance = _MOOD_BASE + _MOOD_PER_EXPRESSIVENESS * outcome.expressiveness
                if "mood" not in style.drop_parts and rng.random() < mood_chance:
                    parts.append(_fill(_pick(self._moods[outcome.state][register], rng), slots))
            if outcome.push_back:
                # Drawn last, so a turn without push-back uses the speech stream exactly as before.
                parts.insert(1, _fill(_pick(self._push_backs[register], rng), slots))

        return sanitize(_apply_style(parts, style, rng))

    def inner_thought(
        self,
        reasons: Sequence[str],
        *,
        profile: Profile,
        perceived_intention: str,
        strategy_phrase: str,
        rng: np.random.Generator,
    ) -> str:
        """One first-person sentence saying why the emotion moved, from the ranked ``reasons``.

        ``strategy_phrase`` is a gerund phrase for the reply's main move ("asking me an open
        question"); ``perceived_intention`` is the need the person judged the reply against (it
        differs from the hidden one when they misread it) and fills the ``{need}`` slot.
        """
        _require_rng(rng)
        if isinstance(reasons, str) or not isinstance(reasons, Sequence):
            raise TypeError(f"reasons must be a sequence of reason codes, got {reasons!r}")
        if not reasons:
            raise ValueError(f"reasons must name at least one reason; allowed: {', '.join(REASONS)}")
        for reason in reasons:
            _require_choice("reason", reason, REASONS)
        _require_choice("perceived_intention", perceived_intention, INTENTIONS)
        if not isinstance(strategy_phrase, str):
            raise TypeError(f"strategy_phrase must be a str, got {type(strategy_phrase).__name__}")

        first = reasons[0]
        strategy = strategy_phrase.strip().rstrip(".!?,;:").strip()
        templates = self._thoughts[first] if strategy else self._thoughts_without_strategy[first]
        place = {"topic": _clean(profile.topic), "other": _clean(profile.other)}
        need = _pick(self._needs[perceived_intention], rng).format_map(place)
        sentence = _pick(templates, rng).format_map({**place, "strategy": strategy, "need": need})

        # A second, different reason adds a clause; "but" when it pulls the other way.
        if len(reasons) > 1 and reasons[1] != first and sentence.endswith(".") and not sentence.endswith(".."):
            second = reasons[1]
            joiner = ", and " if (first in _POSITIVE_REASONS) == (second in _POSITIVE_REASONS) else ", but "
            sentence = sentence[:-1] + joiner + _pick(self._clauses[second], rng) + "."
        return sanitize(_capitalize(sentence))

    # -- helpers ---------------------------------------------------------------------------
    def _story_part(self, beat: str, style: _Style, rng: np.random.Generator) -> str:
        beat = _end_sentence(_clean(beat))
        if "lead" in style.drop_parts or rng.random() >= _LEAD_PROBABILITY:
            return _capitalize(beat)
        return f"{_pick(self._leads, rng)} {_decapitalize(beat)}"


# --------------------------------------------------------------------------------------------
# Bank loading and validation
# --------------------------------------------------------------------------------------------
def _lookup(bank: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = bank
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping) or key not in node:
            raise ValueError(f"{_BANK_FILE}: missing key {'.'.join(path[: depth + 1])!r}")
        node = node[key]
    return node


def _lines(bank: Mapping[str, Any], path: tuple[str, ...], minimum: int, slots: frozenset[str]) -> tuple[str, ...]:
    """The list at ``path``, checked for size, printable text and allowed slots."""
    where = ".".join(path)
    node = _lookup(bank, path)
    if not isinstance(node, list) or not all(isinstance(line, str) and line.strip() for line in node):
        raise ValueError(f"{_BANK_FILE}: {where} must be a list of non-empty strings")
    if len(node) < minimum:
        raise ValueError(f"{_BANK_FILE}: {where} has {len(node)} lines, needs at least {minimum}")
    for line in node:
        _check_text(line, where)
        used = {field for _, field, _, _ in string.Formatter().parse(line) if field is not None}
        if not used <= slots:
            allowed = ", ".join(sorted(slots)) or "none"
            raise ValueError(f"{_BANK_FILE}: {where} line {line!r} uses unknown slot(s) "
                             f"{sorted(used - slots)}; allowed: {allowed}")
    return tuple(node)


def _check_text(text: str, where: str) -> None:
    if sanitize(text) != text:
        raise ValueError(f"{_BANK_FILE}: {where} line {text!r} is not clean printable ASCII")


def _probability(spec: Mapping[str, Any], key: str, where: str) -> float:
    value = spec.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{_BANK_FILE}: {where}.{key} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _phrases(spec: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f"{_BANK_FILE}: {where}.{key} must be a list of non-empty strings")
    for item in value:
        _check_text(item, f"{where}.{key}")
    return tuple(value)


def _flag(spec: Mapping[str, Any], key: str, where: str) -> bool:
    value = spec.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{_BANK_FILE}: {where}.{key} must be true or false, got {value!r}")
    return value


def _parse_style(bank: Mapping[str, Any], name: str) -> _Style:
    where = f"styles.{name}"
    spec = _lookup(bank, ("styles", name))
    if not isinstance(spec, Mapping):
        raise ValueError(f"{_BANK_FILE}: {where} must be an object")
    if not isinstance(spec.get("description", ""), str):
        raise ValueError(f"{_BANK_FILE}: {where}.description must be a string")
    unknown = set(spec) - _STYLE_KEYS
    if unknown:
        raise ValueError(f"{_BANK_FILE}: {where} has unknown key(s) {sorted(unknown)}; "
                         f"allowed: {', '.join(sorted(_STYLE_KEYS))}")
    openers, asides, tails = (_phrases(spec, key, where) for key in ("openers", "asides", "tails"))
    probabilities = {key: _probability(spec, key, where) for key in
                     ("opener_probability", "trail_probability", "aside_probability",
                      "second_aside_probability", "tail_probability")}
    for phrases, key in ((openers, "opener_probability"), (asides, "aside_probability"), (tails, "tail_probability")):
        if probabilities[key] > 0 and not phrases:
            raise ValueError(f"{_BANK_FILE}: {where}.{key} is set but its phrase list is empty")

    drop = spec.get("drop_parts", [])
    if not isinstance(drop, list) or not set(drop) <= _DROPPABLE_PARTS:
        raise ValueError(f"{_BANK_FILE}: {where}.drop_parts must list parts from "
                         f"{sorted(_DROPPABLE_PARTS)}, got {drop!r}")
    max_sentences = spec.get("max_sentences_per_part")
    if max_sentences is not None and (isinstance(max_sentences, bool) or not isinstance(max_sentences, int)
                                      or max_sentences < 1):
        raise ValueError(f"{_BANK_FILE}: {where}.max_sentences_per_part must be an integer >= 1")

    replacements = spec.get("replacements")
    pattern = None
    if replacements is not None:
        if not isinstance(replacements, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and k and k == k.lower() for k, v in replacements.items()):
            raise ValueError(f"{_BANK_FILE}: {where}.replacements must map lower-case phrases to strings")
        for value in replacements.values():
            _check_text(value, f"{where}.replacements")
        # Longest first, so "it's been" wins over "it's".
        alternatives = "|".join(re.escape(key) for key in sorted(replacements, key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.IGNORECASE)

    return _Style(
        openers=openers,
        opener_probability=probabilities["opener_probability"],
        trail_probability=probabilities["trail_probability"],
        asides=asides,
        aside_probability=probabilities["aside_probability"],
        second_aside_probability=probabilities["second_aside_probability"],
        drop_parts=frozenset(drop),
        max_sentences_per_part=max_sentences,
        replacements=dict(replacements) if replacements is not None else None,
        replacement_pattern=pattern,
        tails=tails,
        tail_probability=probabilities["tail_probability"],
        lowercase_start=_flag(spec, "lowercase_start", where),
        drop_final_period=_flag(spec, "drop_final_period", where),
    )


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------
def _require_rng(rng: object) -> None:
    # Only the caller's generator may be used, so a seed fixes the transcript in any process.
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def _pick(lines: Sequence[str], rng: np.random.Generator) -> str:
    return lines[int(rng.integers(len(lines)))]


def _clean(text: str) -> str:
    text = str(text)
    return _clean_text(text) if len(text) <= _CLEAN_CACHED_CHARS else sanitize(text)


_CLEAN_CACHED_CHARS = 400  # profile fields and story beats: the same few texts every turn


@lru_cache(maxsize=16_384)
def _clean_text(text: str) -> str:
    return sanitize(text)


def _speech_slots(profile: Profile, rng: np.random.Generator) -> dict[str, str]:
    if not profile.feelings:
        raise ValueError(f"profile {profile.id!r} has no feelings to voice; it needs at least one")
    feeling = profile.feelings[int(rng.integers(len(profile.feelings)))]
    return {"topic": _clean(profile.topic), "other": _clean(profile.other), "feeling": _clean(feeling)}


def _fill(line: str, slots: Mapping[str, str]) -> str:
    # Lines may open with a slot ("{other} has never..."), so re-capitalise after filling.
    return _capitalize(line.format_map(slots)) if "{" in line else line


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _decapitalize(text: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless it starts a name or "I"."""
    match = _LEADING_WORD.match(text)
    first_word = match.group(0).lower() if match else ""
    return text[:1].lower() + text[1:] if first_word in _COMMON_STARTERS else text


def _end_sentence(text: str) -> str:
    return text if text[-1:] in _SENTENCE_END else text + "."


def _first_sentences(text: str, count: int) -> str:
    return " ".join(_SENTENCE_SPLIT.split(text)[:count])


def _glue(prefix: str, text: str) -> str:
    return f"{prefix} {_decapitalize(text)}"


def _add_tail(text: str, tail: str) -> str:
    """Put a tag like "tbh" before the closing punctuation: "That doesn't help tbh."."""
    stripped = text.rstrip(".!?")
    return f"{stripped} {tail}{text[len(stripped):]}"


def _apply_style(parts: list[str], style: _Style, rng: np.random.Generator) -> str:
    """Run the style's operations in a fixed order (so the rng stream is reproducible)."""
    texts = list(parts)
    if style.max_sentences_per_part is not None:
        texts = [_first_sentences(text, style.max_sentences_per_part) for text in texts]
    if style.asides and rng.random() < style.aside_probability:
        first_aside = int(rng.integers(len(style.asides)))
        texts.insert(1, style.asides[first_aside])
        if len(texts) > 2 and len(style.asides) > 1 and rng.random() < style.second_aside_probability:
            # A different aside, further on: the same digression twice reads like a glitch.
            second_aside = (first_aside + 1 + int(rng.integers(len(style.asides) - 1))) % len(style.asides)
            texts.insert(int(rng.integers(3, len(texts) + 1)), style.asides[second_aside])
    if style.openers and rng.random() < style.opener_probability:
        texts[0] = _glue(_pick(style.openers, rng), texts[0])
    if style.tails and rng.random() < style.tail_probability:
        index = int(rng.integers(len(texts)))
        texts[index] = _add_tail(texts[index], _pick(style.tails, rng))
    if style.trail_probability and rng.random() < style.trail_probability:
        candidates = [i for i, text in enumerate(texts) if text.endswith(".") and not text.endswith("..")]
        if candidates:
            index = candidates[int(rng.integers(len(candidates)))]
            texts[index] = texts[index] + ".."
    text = style.replace_words(" ".join(texts))
    if style.lowercase_start and text[:1].isupper():
        text = text[:1].lower() + text[1:]
    if style.drop_final_period and text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return text
