"""Emotion scores and states on the SAGE scale (integer 0..100)."""

from __future__ import annotations

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
