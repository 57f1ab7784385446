"""Difficulty: the frozen value object that sets how demanding a simulated user is.

Every axis is independent and validated at construction. Higher is harder for every axis except
``fidelity`` and ``initial_emotion`` (lower is harder there) and the episode-shape axes
``max_delta`` and ``max_turns``. Presets mirror RLVER's users: ``simple`` is a forgiving, open
person; ``normal`` a moderately demanding, well-aligned one; ``challenging`` mirrors RLVER's
challenging simulator (never reveals the hidden intention, shows less feeling, credits only replies
that address the hidden need). The presets vary only the behavioural axes; the episode shape
(initial emotion 40, no clamp, 10 turns) is SAGE's evaluation setting for all three, so comparing
presets compares users, not budgets. ``Difficulty.from_level(x)`` interpolates piecewise-linearly
simple (0) -> normal (0.5) -> challenging (1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral, Real
from typing import Any, Mapping, Union

#: Behavioural axes in [0, 1].
UNIT_AXES: tuple[str, ...] = ("strictness", "reticence", "fragility", "noise", "fidelity")
AXES: tuple[str, ...] = UNIT_AXES + ("initial_emotion", "max_delta", "max_turns")
MAX_TURNS_LIMIT = 100


@dataclass(frozen=True)
class Difficulty:
    """How demanding a simulated user is, along independent axes.

    Attributes:
        strictness: share of credit withheld from kind replies that do not address the hidden
            intention (0: any kind reply helps; 1: only targeted replies help).
        reticence: how little the user voices feelings and hints at the hidden need
            (0: says it plainly; 1: never reveals it, feelings only implied).
        fragility: how much a misstep costs (scales every penalty).
        noise: randomness of each emotion change (0: fully determined by the reply).
        fidelity: probability that a reaction reflects the true hidden intention rather than a
            misread one (lower is harder: the "well-aligned" axis).
        initial_emotion: starting emotion, 10..99.
        max_delta: clamp on one turn's change in points (None: unclamped), 1..100.
        max_turns: turn budget, 1..100.
    """

    strictness: float = 0.5
    reticence: float = 0.5
    fragility: float = 0.5
    noise: float = 0.3
    fidelity: float = 0.85
    initial_emotion: int = 40
    max_delta: int | None = None
    max_turns: int = 10

    def __post_init__(self) -> None:
        for axis in UNIT_AXES:
            value = getattr(self, axis)
            if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0 or math.isnan(value):
                raise ValueError(f"Difficulty.{axis} must be a number in [0, 1], got {value!r}")
            object.__setattr__(self, axis, float(value))
        _check_int(self.initial_emotion, "initial_emotion", 10, 99)
        if self.max_delta is not None:
            _check_int(self.max_delta, "max_delta", 1, 100, none_allowed=True)
        _check_int(self.max_turns, "max_turns", 1, MAX_TURNS_LIMIT)
        object.__setattr__(self, "initial_emotion", int(self.initial_emotion))
        object.__setattr__(self, "max_turns", int(self.max_turns))
        if self.max_delta is not None:
            object.__setattr__(self, "max_delta", int(self.max_delta))

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def preset(cls, name: str) -> "Difficulty":
        """The named preset: one of ``simple``, ``normal``, ``challenging``."""
        try:
            return PRESETS[name]
        except (KeyError, TypeError):
            raise ValueError(f"unknown difficulty preset {name!r}; allowed presets: {', '.join(PRESETS)}") from None

    @classmethod
    def from_level(cls, level: float) -> "Difficulty":
        """Interpolate the presets: 0 is ``simple``, 0.5 ``normal``, 1 ``challenging``."""
        if isinstance(level, bool) or not isinstance(level, Real) or not 0.0 <= float(level) <= 1.0:
            raise ValueError(f"difficulty level must be a number in [0, 1], got {level!r}")
        level = float(level)
        low, high, t = (PRESETS["simple"], PRESETS["normal"], level / 0.5) if level <= 0.5 else (
            PRESETS["normal"], PRESETS["challenging"], (level - 0.5) / 0.5)
        # Rounded so that equal levels print and compare as the same numbers everywhere.
        values: dict[str, Any] = {
            axis: round(getattr(low, axis) + t * (getattr(high, axis) - getattr(low, axis)), 6) for axis in UNIT_AXES}
        values["initial_emotion"] = round(low.initial_emotion + t * (high.initial_emotion - low.initial_emotion))
        values["max_turns"] = round(low.max_turns + t * (high.max_turns - low.max_turns))
        values["max_delta"] = _interpolate_clamp(low.max_delta, high.max_delta, t)
        return cls(**values)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], base: "Difficulty | None" = None) -> "Difficulty":
        """``base`` (default ``normal``) with the axes in ``mapping`` replaced.

        The mapping may also hold ``"preset"`` (a preset name) or ``"level"`` (a float) to choose
        the base, e.g. ``{"preset": "challenging", "noise": 0.0}``.
        """
        mapping = dict(mapping)
        if "preset" in mapping and "level" in mapping:
            raise ValueError("a difficulty mapping may name a 'preset' or a 'level', not both")
        if "preset" in mapping:
            base = cls.preset(mapping.pop("preset"))
        elif "level" in mapping:
            base = cls.from_level(mapping.pop("level"))
        unknown = sorted(set(mapping) - set(AXES))
        if unknown:
            raise ValueError(
                f"unknown difficulty axis {', '.join(map(repr, unknown))}; allowed axes: {', '.join(AXES)}"
                " (and 'preset' or 'level' to choose the base)")
        return replace(base if base is not None else PRESETS["normal"], **mapping)

    def replace(self, **changes: Any) -> "Difficulty":
        """A copy with some axes changed (validated like the constructor)."""
        return self.from_mapping(changes, base=self)

    def to_dict(self) -> dict[str, Any]:
        """A fresh plain dict of every axis."""
        return asdict(self)


DifficultyLike = Union[Difficulty, str, float, int, Mapping[str, Any], None]


def make_difficulty(spec: DifficultyLike, default: Difficulty | str = "normal") -> Difficulty:
    """Turn any accepted difficulty spec into a :class:`Difficulty`.

    Accepted: a ``Difficulty``; a preset name; a level in [0, 1]; a mapping of axes (optionally with
    ``preset`` or ``level``); ``None`` for ``default``.
    """
    if spec is None:
        return default if isinstance(default, Difficulty) else Difficulty.preset(default)
    if isinstance(spec, Difficulty):
        return spec
    if isinstance(spec, str):
        return Difficulty.preset(spec)
    if isinstance(spec, Real) and not isinstance(spec, bool):
        return Difficulty.from_level(spec)
    if isinstance(spec, Mapping):
        return Difficulty.from_mapping(spec)
    raise ValueError(
        f"difficulty must be a preset name ({', '.join(PRESETS)}), a level in [0, 1], a mapping of axes"
        f" ({', '.join(AXES)}) or a Difficulty; got {spec!r} of type {type(spec).__name__}")


def _check_int(value: Any, axis: str, low: int, high: int, none_allowed: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= int(value) <= high:
        allowed = f"an integer in {low}..{high}" + (" or None" if none_allowed else "")
        raise ValueError(f"Difficulty.{axis} must be {allowed}, got {value!r}")


def _interpolate_clamp(low: int | None, high: int | None, t: float) -> int | None:
    if low is None and high is None:
        return None
    # An unclamped end is treated as the widest clamp so the interpolation stays monotone.
    low_value = 100 if low is None else low
    high_value = 100 if high is None else high
    return round(low_value + t * (high_value - low_value))


PRESETS: dict[str, Difficulty] = {
    "simple": Difficulty(strictness=0.1, reticence=0.1, fragility=0.25, noise=0.15, fidelity=0.95),
    "normal": Difficulty(strictness=0.5, reticence=0.5, fragility=0.5, noise=0.3, fidelity=0.85),
    "challenging": Difficulty(strictness=0.95, reticence=1.0, fragility=0.75, noise=0.4, fidelity=0.75),
}
