"""How a simulated person chooses to express themselves in one turn: the seeker's communication choices.

The parametric user normally speaks exactly as its profile and difficulty say. In the multi-agent
environments the help-seeker's seat can be played by a learner, which chooses each turn *how* to
say things, never what it feels: the emotion change of the turn is computed by the parametric
model before and without the expression (later turns can differ, since the supporter answers
different words). An
:class:`Expression` has three independent choices:

* ``hint``: how much of the hidden need to hint at. ``"less"`` multiplies the chance of a cue by
  :data:`HINT_FACTORS` ``["less"]`` and allows only implicit cues; ``"more"`` multiplies it by
  ``HINT_FACTORS["more"]`` (capped at 1) and makes an explicit cue likelier by
  :data:`EXPLICIT_BOOST`; ``"as_profile"`` changes nothing. The factors scale the profile's own
  chance, so a fully reticent person (reticence 1, the ``challenging`` preset) still never hints:
  the choice stays within the profile.
* ``feeling``: how openly to show feeling. ``"less"`` / ``"more"`` move the person's
  expressiveness (0..1: which register they speak in, how often they voice their mood) down or up
  by :data:`FEELING_SHIFT`.
* ``push_back``: add a line that questions the supporter's last reply ("I'm not sure that's it").

``Expression()`` (everything ``"as_profile"``, no push-back) is exactly the default behaviour: the
user draws the same random numbers and says the same words as without any expression.

:data:`EXPRESSIONS` numbers every combination for a ``Discrete`` action space:
``index = 6 * hint + 2 * feeling + push_back`` with the levels in the order of :data:`LEVELS`;
:data:`AS_PROFILE` is the index of ``Expression()``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The levels of ``hint`` and ``feeling``, in index order.
LEVELS: tuple[str, ...] = ("less", "as_profile", "more")
#: Multipliers of the chance that a turn carries a cue about the hidden need.
HINT_FACTORS: dict[str, float] = {"less": 0.3, "as_profile": 1.0, "more": 2.0}
#: Added to the chance that a cue, when given, is explicit (only with ``hint="more"``).
EXPLICIT_BOOST = 0.3
#: How far ``feeling="less"`` / ``"more"`` moves the expressiveness (0..1).
FEELING_SHIFT = 0.35


@dataclass(frozen=True)
class Expression:
    """One turn's communication choices of the help-seeker; validated on construction."""

    hint: str = "as_profile"
    feeling: str = "as_profile"
    push_back: bool = False

    def __post_init__(self) -> None:
        for name in ("hint", "feeling"):
            value = getattr(self, name)
            if value not in LEVELS:
                raise ValueError(f"Expression.{name} must be one of {', '.join(map(repr, LEVELS))}; got {value!r}")
        if not isinstance(self.push_back, bool):
            raise ValueError(f"Expression.push_back must be True or False, got {self.push_back!r}")

    @property
    def is_default(self) -> bool:
        """True when this is the profile's own way of speaking (no change at all)."""
        return self == Expression()

    def cue_probability(self, probability: float) -> float:
        """The chance of a cue this turn, from the profile's own chance."""
        return min(1.0, probability * HINT_FACTORS[self.hint])

    def explicit_threshold(self, openness: float) -> float:
        """The chance that a cue is explicit, from the profile's openness (1 - reticence)."""
        if self.hint == "less":
            return 0.0
        if self.hint == "more":
            return min(1.0, openness + EXPLICIT_BOOST)
        return openness

    def expressiveness(self, expressiveness: float) -> float:
        """How openly feeling is shown this turn (0..1), from the profile's own expressiveness."""
        if self.feeling == "less":
            return max(0.0, expressiveness - FEELING_SHIFT)
        if self.feeling == "more":
            return min(1.0, expressiveness + FEELING_SHIFT)
        return expressiveness


#: Every expression, numbered for a ``Discrete(len(EXPRESSIONS))`` action space.
EXPRESSIONS: tuple[Expression, ...] = tuple(
    Expression(hint=hint, feeling=feeling, push_back=push_back)
    for hint in LEVELS for feeling in LEVELS for push_back in (False, True)
)
#: The index of ``Expression()`` in :data:`EXPRESSIONS`.
AS_PROFILE: int = EXPRESSIONS.index(Expression())
