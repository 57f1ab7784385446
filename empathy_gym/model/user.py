"""The simulated-user contract: what every kind of user does, the conversation it keeps, the turn it returns.

A simulated user is one person in one conversation at a time:

* :meth:`SimulatedUser.start` begins a conversation with a profile at a difficulty and returns the
  opening message;
* :meth:`SimulatedUser.respond` reads one agent reply and returns a :class:`UserTurn`: what the
  person says next, the new emotion and why it moved;
* the conversation so far is readable at any time (``emotion``, ``turn``, ``profile``,
  ``difficulty``, ``user_turns``, ``agent_turns``), from the :class:`Conversation` the user keeps.

The environment decides when an episode ends (from ``emotion`` and the turn budget) and owns the
rest of the contract of :mod:`empathy_gym.envs.support`. Whatever decides a user's intended change
of emotion, the change is settled the same way, by
:func:`~empathy_gym.model.emotion.settle_emotion` (noise, clamp, bounds). All randomness comes from
the generator passed to ``start`` and ``respond`` (the env's ``np_random``).

Kinds of user are registered by name in :mod:`empathy_gym.model.user_kinds`; ``gym.make(id,
user=...)`` takes a registered name or any callable that returns a :class:`SimulatedUser` (a
subclass itself, or a factory).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from empathy_gym.model.difficulty import Difficulty
from empathy_gym.model.reading import Appraisal
from empathy_gym.profiles import Profile


@dataclass(frozen=True)
class UserTurn:
    """The user's reaction to one reply.

    ``text``, ``emotion``, ``delta`` and ``state`` are required of every user (``settle_emotion``
    returns the last three); the rest explain the turn and have neutral defaults for a user that
    cannot say.
    """

    text: str  # what the user says next
    emotion: int  # new emotion 0..100
    delta: int  # change this turn
    state: str  # S/A/B/C/F
    inner_thought: str = ""  # why the emotion moved
    appraisal: Appraisal | None = None  # the user's reading of the reply (None: this user gives none)
    reasons: tuple[str, ...] = ()  # REASONS codes, most important first
    perceived_intention: str | None = None  # the need the reply was judged against this turn
    cue: str = "unknown"  # "none" | "implicit" | "explicit", or "unknown" where the user cannot tell
    reaction: str = "neutral"  # one of REACTIONS
    extra: dict = field(default_factory=dict)  # further info entries of this kind of user


@dataclass(frozen=True)
class Conversation:
    """What every user keeps of its conversation (replaced whole after each turn, never half-updated).

    Kinds of user extend it with their own fields (trust, fatigue, counters).
    """

    profile: Profile
    difficulty: Difficulty
    emotion: int
    turn: int  # replies answered so far
    user_turns: tuple[str, ...]  # everything the user said, opening message first
    agent_turns: tuple[str, ...]  # the agent's replies, as the user read them


class SimulatedUser(ABC):
    """A simulated person: implement :meth:`start` and :meth:`respond`, keep a :class:`Conversation` in ``_state``.

    ``supports_expression`` says whether :meth:`respond` takes an ``expression`` (a learning
    help-seeker's choice of how the person speaks, :mod:`empathy_gym.model.expression`, used by the
    multi-agent environments).
    """

    supports_expression: bool = False
    _state: Conversation | None = None

    @abstractmethod
    def start(self, profile: Profile, difficulty: Difficulty, rng: np.random.Generator) -> str:
        """Begin a conversation with ``profile`` at ``difficulty``; return the opening message."""

    @abstractmethod
    def respond(self, reply: str, rng: np.random.Generator) -> UserTurn:
        """React to the agent's ``reply`` (already sanitised): settle the emotion, say something back."""

    @classmethod
    def respond_together(cls, users: Sequence[SimulatedUser], replies: Sequence[str],
                         rngs: Sequence[np.random.Generator]) -> list[UserTurn]:
        """The turns of several users of this kind at once (the native vector env calls this).

        By default one after another; a kind that can share work across users (the LLM user
        batches its model calls) overrides it. The result must equal calling :meth:`respond` on
        each user in order.
        """
        return [user.respond(reply, rng) for user, reply, rng in zip(users, replies, rngs)]

    # -- the conversation so far -------------------------------------------------------------
    def _require_state(self) -> Conversation:
        if self._state is None:
            raise RuntimeError("the simulated user has no conversation yet; call start() first")
        return self._state

    emotion = property(lambda self: self._require_state().emotion, doc="The emotion now, 0..100.")
    turn = property(lambda self: self._require_state().turn, doc="Replies answered so far.")
    profile = property(lambda self: self._require_state().profile, doc="The person this user plays.")
    difficulty = property(lambda self: self._require_state().difficulty, doc="The conversation's difficulty.")
    user_turns = property(lambda self: self._require_state().user_turns,
                          doc="Everything the user has said so far, opening message first.")
    agent_turns = property(lambda self: self._require_state().agent_turns,
                           doc="The agent's replies so far, as the user read them.")
