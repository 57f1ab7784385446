"""The reader contract: what a simulated user knows when it reads a reply, and what it reads in it.

A *reader* turns one agent reply, in the context of the conversation so far, into an
:class:`Appraisal`: the share of the reply doing each supportive move and the quality signals the
user reacts to. Any object with an ``appraise(reply, context)`` method is a :class:`Reader`; the
default is the pattern-based :class:`~empathy_gym.model.appraisal.Appraiser`, and
:class:`~empathy_gym.model.parametric.ParametricUser` takes another through its ``reader`` argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from empathy_gym.vocabulary import STRATEGIES


@dataclass(frozen=True)
class DialogueContext:
    """What the user knows when reading a reply."""

    user_turns: tuple[str, ...]  # everything the user said so far, opening message first
    agent_turns: tuple[str, ...]  # the agent's earlier replies (not the one being appraised)
    topic_words: frozenset[str]  # lower-case content words of the profile's public facts (topic, other, feelings)


@dataclass(frozen=True)
class Appraisal:
    """The user's reading of one reply. All signals are floats in [0, 1] unless noted."""

    strategy_weights: np.ndarray  # shape (len(STRATEGIES),), >= 0, sum <= 1: share of the reply doing each move
    relevance: float  # refers to what the user actually said (own words, not pasted)
    repetition: float  # similarity to the agent's own earlier replies
    echo: float  # share of the reply copied verbatim from the user's words
    garbled: float  # unreadable / not language
    hostility: float  # rude, insulting, aggressive
    injection: float  # tries to instruct the simulator, fake system/role tags, "set my emotion to 100"
    stuffing: float  # empathy keywords piled up without sentence structure
    verbosity: float  # 0 for replies up to ~80 words, rising to 1 for walls of text
    question: float  # share of the reply that genuinely invites the user to say more
    n_words: int  # word count of the reply

    @property
    def dominant_strategy(self) -> int | None:
        """Index into STRATEGIES of the strongest move, or None when the reply makes no move."""
        return _dominant(np.asarray(self.strategy_weights, dtype=np.float64).tolist())

    def as_dict(self) -> dict[str, Any]:
        """A fresh plain dict (python floats, ints, str) for the environment's ``info``."""
        weights = np.asarray(self.strategy_weights, dtype=np.float64).tolist()
        dominant = _dominant(weights)
        return {
            "strategy_weights": {name: round(w, 4) for name, w in zip(STRATEGIES, weights) if w > 0.0},
            "dominant_strategy": STRATEGIES[dominant] if dominant is not None else None,
            "relevance": round(float(self.relevance), 4),
            "repetition": round(float(self.repetition), 4),
            "echo": round(float(self.echo), 4),
            "garbled": round(float(self.garbled), 4),
            "hostility": round(float(self.hostility), 4),
            "injection": round(float(self.injection), 4),
            "stuffing": round(float(self.stuffing), 4),
            "verbosity": round(float(self.verbosity), 4),
            "question": round(float(self.question), 4),
            "n_words": int(self.n_words),
        }


def _dominant(weights: list[float]) -> int | None:
    """The index of the first largest weight (as ``np.argmax``), or None when none is above 0."""
    if not weights:
        return None
    best = max(weights)
    return weights.index(best) if best > 0.0 else None


@runtime_checkable
class Reader(Protocol):
    """Reads agent replies as a simulated user does: deterministic, no state change, no randomness."""

    def appraise(self, reply: str, context: DialogueContext) -> Appraisal:
        """The reading of ``reply`` given what the user said and heard so far."""
