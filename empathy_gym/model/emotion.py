"""Emotion scores and states on the SAGE scale (integer 0..100), and how one turn's change is settled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from empathy_gym.model.difficulty import Difficulty

RESOLVED_AT = 100  #: score at which the user is resolved (state S) and the episode terminates
QUITS_BELOW = 10  #: score below which the user quits (state F) and the episode terminates
EMOTION_MIN, EMOTION_MAX = 0, 100


def emotion_state(emotion: int) -> str:
    """The state letter of a score: S >= 100, A 70-99, B 40-69, C 10-39, F < 10."""
    if emotion >= RESOLVED_AT:
        return "S"
    if emotion >= 70:
        return "A"
    if emotion >= 40:
        return "B"
    if emotion >= QUITS_BELOW:
        return "C"
    return "F"


def clip_emotion(value: float) -> int:
    """Round to an integer score and keep it within 0..100."""
    return int(min(EMOTION_MAX, max(EMOTION_MIN, round(value))))


#: Standard deviation, in points, of one turn's emotion noise at difficulty noise = 1.
NOISE_SD = 6.0
#: The visible reaction to a reply by what the person felt (points, before the clamp), best first.
REACTION_THRESHOLDS = ((7, "very_positive"), (3, "positive"), (-2, "neutral"), (-6, "negative"))


@dataclass(frozen=True)
class Settled:
    """One turn's emotion change after the difficulty's noise, clamp and the 0..100 bounds."""

    emotion: int  # the new score
    delta: int  # new score minus the old one
    felt: float  # the change with noise, before the clamp and the bounds (what the reaction shows)
    state: str  # the new score's state letter


def settle_emotion(emotion: int, change: float, difficulty: Difficulty, noise_draw: float) -> Settled:
    """Settle a user's intended ``change`` (points) of ``emotion`` under ``difficulty``.

    Every kind of user ends its turn here, so the arithmetic the environment promises is the same
    whoever decides the change: ``felt = change + noise * NOISE_SD * noise_draw`` (``noise_draw``
    a standard normal drawn by the user from the env's generator), then the ``max_delta`` clamp,
    then rounding into 0..100.
    """
    felt = change + difficulty.noise * NOISE_SD * noise_draw
    limit = difficulty.max_delta
    clamped = felt if limit is None else float(min(max(felt, -limit), limit))
    new = clip_emotion(emotion + clamped)
    return Settled(emotion=new, delta=new - emotion, felt=felt, state=emotion_state(new))


def reaction_for(felt: float) -> str:
    """The name (one of ``REACTIONS``) of the visible reaction to a change of ``felt`` points."""
    for threshold, name in REACTION_THRESHOLDS:
        if felt >= threshold:
            return name
    return "very_negative"
