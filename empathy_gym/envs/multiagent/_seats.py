"""What the two multi-agent environments share: the seeker's view and actions, seats played by built-in policies, options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from empathy_gym._text import CHARSET
from empathy_gym.model.difficulty import UNIT_AXES, Difficulty
from empathy_gym.model.expression import EXPRESSIONS, Expression
from empathy_gym.model.parametric import ParametricUser
from empathy_gym.vocabulary import INTENTIONS

#: The built-in seeker: the parametric user speaking as its profile says.
PARAMETRIC = "parametric"
#: Largest seed drawn for a conversation when ``reset`` is called without one.
_SEED_BOUND = 2**31 - 1


class SeatView:
    """What a built-in policy is handed at ``reset`` in place of an env: its seat's spaces and the user.

    It has the attributes the policies of :mod:`empathy_gym.policies.reference` and
    :class:`~empathy_gym.agents.ppo.PPOPolicy` read: ``observation_space``, ``action_space``,
    ``unwrapped`` (itself) and ``user`` (the simulated user of the conversation, privileged: only
    the oracle reads it).
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, user: ParametricUser) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.user = user

    @property
    def unwrapped(self) -> "SeatView":
        return self


class CachedSpaces:
    """``observation_space(agent)`` and ``action_space(agent)`` from dicts built once in ``__init__``:
    PettingZoo expects the same object on every call."""

    _observation_spaces: dict[str, spaces.Space]
    _action_spaces: dict[str, spaces.Space]

    def observation_space(self, agent: str) -> spaces.Space:
        return self._observation_spaces[self._check_agent(agent)]

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[self._check_agent(agent)]

    def _check_agent(self, agent: str) -> str:
        if agent not in self._observation_spaces:
            raise ValueError(f"unknown agent {agent!r}; this env's seats are {list(self._observation_spaces)}")
        return agent


def check_policy(name: str, policy: Any, allowed_names: Iterable[str] = ()) -> None:
    """A seat's policy is None (learnable), an allowed name, or an object with ``reset`` and ``act``."""
    if policy is None or (isinstance(policy, str) and policy in allowed_names):
        return
    if isinstance(policy, str) or not (callable(getattr(policy, "reset", None)) and callable(getattr(policy, "act", None))):
        names = "".join(f", {allowed!r}" for allowed in allowed_names)
        raise ValueError(
            f"{name} must be None (a learnable seat){names} or a policy object with reset(observation, info, env)"
            f" and act(observation, info) (e.g. empathy_gym.policies.reference.HeuristicPolicy()); got {policy!r}")


def check_max_cycles(max_cycles: Any) -> int | None:
    if max_cycles is None:
        return None
    if isinstance(max_cycles, bool) or not isinstance(max_cycles, Integral) or max_cycles < 1:
        raise ValueError(f"max_cycles must be None or a positive integer, got {max_cycles!r}")
    return int(max_cycles)


def seeker_observation_space(text_length: int) -> spaces.Dict:
    """The seeker's view: the supporter's latest reply, its own emotion and turn, its hidden intention, its difficulty."""
    return spaces.Dict({
        "text": spaces.Text(max_length=text_length, min_length=0, charset=CHARSET),
        "emotion": spaces.Box(0.0, 100.0, shape=(1,), dtype=np.float32),
        "turn": spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32),
        "hidden_intention": spaces.Discrete(len(INTENTIONS)),
        "difficulty": spaces.Box(0.0, 1.0, shape=(len(UNIT_AXES),), dtype=np.float32),
    })


def seeker_observation(user: ParametricUser, reply: str, max_turns: int) -> dict[str, Any]:
    """The seeker's observation, as fresh objects: ``reply`` is what the supporter last said to it ("" before)."""
    difficulty: Difficulty = user.difficulty
    return {
        "text": reply,
        "emotion": np.array([float(user.emotion)], dtype=np.float32),
        "turn": np.array([min(1.0, user.turn / max_turns)], dtype=np.float32),
        "hidden_intention": np.int64(INTENTIONS.index(user.profile.hidden_intention)),
        "difficulty": np.array([getattr(difficulty, axis) for axis in UNIT_AXES], dtype=np.float32),
    }


def seeker_action_space() -> spaces.Discrete:
    return spaces.Discrete(len(EXPRESSIONS))


def decode_expression(agent: str, action: Any) -> Expression:
    """The :class:`Expression` numbered ``action`` (see :data:`empathy_gym.model.expression.EXPRESSIONS`)."""
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, Integral) or not 0 <= int(action) < len(EXPRESSIONS):
        raise ValueError(
            f"{agent}'s action must be an integer expression index in 0..{len(EXPRESSIONS) - 1}"
            f" (6 * hint + 2 * feeling + push_back), got {action!r:.60}")
    return EXPRESSIONS[int(action)]


def expression_info(expression: Expression | None) -> dict[str, Any]:
    expression = expression or Expression()
    return {"hint": expression.hint, "feeling": expression.feeling, "push_back": expression.push_back}


def known_options(options: Mapping[str, Any] | None, known: tuple[str, ...]) -> dict[str, Any]:
    """The reset options this env understands; others are ignored with a warning.

    PettingZoo's ``api_test`` resets with ``options={"options": 1}`` and requires that to work, so
    unknown keys cannot be an error here as they are in the single-agent envs; that probe key is
    ignored without a warning (the api tests would otherwise warn on every run).
    """
    options = dict(options or {})
    # The probe key of PettingZoo's api tests is ignored quietly; any other unknown key is a likely typo.
    unknown = sorted(set(options) - set(known) - {"options"})
    if unknown:
        gym.logger.warn(f"ignoring unknown reset option(s) {unknown}; this env understands: {', '.join(known)}")
    return {key: value for key, value in options.items() if key in known}


def conversation_seed(np_random: np.random.Generator) -> int:
    """A seed for the next conversation when ``reset`` was called without one."""
    return int(np_random.integers(_SEED_BOUND))


def check_actions(actions: Any, agents: list[str]) -> None:
    """Every live agent acts, and nobody else."""
    if not isinstance(actions, Mapping):
        raise TypeError(f"actions must be a dict from agent name to action, got {type(actions).__name__}")
    missing = [agent for agent in agents if agent not in actions]
    unknown = [agent for agent in actions if agent not in agents]
    if missing or unknown:
        raise ValueError(f"actions must name exactly the live agents {agents}; missing {missing}, unexpected {unknown}")
