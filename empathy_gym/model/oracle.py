"""The oracle supporter: the best-informed strategy choice, read from the simulated user's own state.

The oracle knows what no real supporter knows: the user's hidden intention and current trust. It
builds trust first when its serving move needs it, and alternates serving moves with the kindest
harmless listening move to avoid diminishing returns. It is the upper reference of the evaluation
suite (:class:`empathy_gym.policies.reference.OraclePolicy` plays it through the policy interface)
and the yardstick of the multi-agent ``regret`` reward, which runs it in a shadow conversation. It
lives in the model layer because it is defined by the model's tables and reads the model's state.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from empathy_gym.model.parametric import user_model_tables
from empathy_gym.model.user import SimulatedUser
from empathy_gym.vocabulary import INTENTIONS, STRATEGY_INDEX

# Moves that show listening and hurt no need badly; used to build trust and to vary replies.
LISTENING: tuple[int, ...] = (STRATEGY_INDEX["reflect_feelings"], STRATEGY_INDEX["paraphrase"],
                              STRATEGY_INDEX["open_question"])


@lru_cache(maxsize=1)
def serving_table() -> dict[str, tuple[int, ...]]:
    """The strategy indices that serve each hidden intention, in index order."""
    serves = user_model_tables().serves
    return {intention: tuple(int(a) for a in np.flatnonzero(serves[row])) for row, intention in enumerate(INTENTIONS)}


@lru_cache(maxsize=1)
def hurting_table() -> dict[str, frozenset[int]]:
    """The strategy indices that work against each hidden intention."""
    hurts = user_model_tables().hurts
    return {intention: frozenset(int(a) for a in np.flatnonzero(hurts[row])) for row, intention in enumerate(INTENTIONS)}


def last_use(history: list[int], action: int) -> int:
    """Minus the number of turns since ``action`` was last played (lower is longer ago)."""
    for age, past in enumerate(reversed(history)):
        if past == action:
            return -age
    return -len(history) - 1


class OracleSupporter:
    """Strategy choices of the oracle for one conversation: :meth:`start` with the user, then :meth:`act` each turn."""

    TRUST_NEEDED = 0.4  # build trust before an advice-like serving move when trust is below this

    def __init__(self) -> None:
        self._serving = serving_table()
        self._hurting = hurting_table()
        self._needs_trust = frozenset(int(a) for a in np.flatnonzero(user_model_tables().needs_trust))
        self._user: SimulatedUser | None = None
        self._intention = INTENTIONS[0]
        self._history: list[int] = []

    def start(self, user: SimulatedUser) -> None:
        """Begin a conversation with ``user`` (started, and with a ``trust`` as the parametric and LLM users have)."""
        self._user = user
        self._intention = user.profile.hidden_intention
        self._history = []

    def act(self) -> int:
        """The next strategy index."""
        if self._user is None:
            raise RuntimeError("call start(user) before act()")
        serving = self._serving[self._intention]
        hurting = self._hurting[self._intention]
        previous = self._history[-1] if self._history else None
        fresh = [a for a in serving if a != previous]
        listening = [a for a in LISTENING if a not in hurting and a != previous]
        if not fresh or (fresh[0] in self._needs_trust and self._user.trust < self.TRUST_NEEDED):
            # Build trust, or let a single serving move recover from fatigue, with the harmless
            # listening move used least recently.
            action = min(listening, key=lambda a: (last_use(self._history, a), a))
        else:
            action = fresh[0]
        self._history.append(action)
        return action
