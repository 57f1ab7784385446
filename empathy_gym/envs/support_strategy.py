"""EmpathyStrategyEnv: the supportive conversation of :class:`EmpathyEnv` with discrete strategy actions.

## Description

The same simulated user, dynamics, observation, rewards and episode end as
:class:`~empathy_gym.envs.support.EmpathyEnv` (read its docstring), for classic RL agents: the agent
picks one of the supportive strategies of :data:`empathy_gym.vocabulary.STRATEGIES`, which is rendered to a natural reply from the strategy's
templates, filled with what the user has said (their topic, the other person, a feeling they
named). The rendered reply then goes through the very same appraisal as free text, so strategy
agents and text agents face one model of the user. Template choice uses a random stream seeded
from the env's ``np_random`` at reset, separate from the user's, so replaying the rendered replies
in the text environment with the same seed gives the same transcript.

## Action Space

``Discrete(len(STRATEGIES))``: action ``i`` is the strategy ``STRATEGIES[i]`` of
:data:`empathy_gym.vocabulary.STRATEGIES` (the order never changes; the harmful moves are those of
:data:`~empathy_gym.vocabulary.HARMFUL_STRATEGIES`). ``strategies.json`` describes each one and
holds its templates.

## Observation Space

As in ``EmpathyEnv``: ``Dict(text, emotion, turn)`` (``emotion`` absent when hidden).

## Rewards

As in ``EmpathyEnv``: ``delta`` (change / 100 each turn) or ``terminal`` (final / 100 at the end).

## Starting State

As in ``EmpathyEnv``.

## Episode End

As in ``EmpathyEnv``: terminated at 100 (``resolved``) or below 10 (``quit``), truncated at
``max_turns`` (``max_turns``), named in ``info["reason"]``.

## Info

As in ``EmpathyEnv``, plus ``strategy`` (the chosen strategy's name); ``reply`` holds the rendered
text.

## Arguments

Every keyword argument of ``EmpathyEnv`` but ``max_reply_chars``, ``think`` and ``max_think_chars``
(rendered replies are short and hold no thinking). With another kind of user (``user="llm"``) the rendered replies
are read by that user.

## Example

>>> import gymnasium as gym
>>> import empathy_gym
>>> env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=0.3)
>>> obs, info = env.reset(seed=3)
>>> obs, reward, terminated, truncated, info = env.step(2)  # reflect_feelings
>>> info["strategy"]
'reflect_feelings'

## Version History

* v0: initial release.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from gymnasium import spaces

from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.model.difficulty import DifficultyLike
from empathy_gym.model.rendering import StrategyRenderer
from empathy_gym.vocabulary import STRATEGIES


class EmpathyStrategyEnv(EmpathyEnv):
    """A conversation with a simulated user; the agent picks a strategy. See the module docstring."""

    def __init__(self, difficulty: DifficultyLike = "normal", **kwargs: Any) -> None:
        for name in ("max_reply_chars", "think", "max_think_chars"):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__} takes no {name!r}: its replies are rendered from templates")
        super().__init__(difficulty=difficulty, **kwargs)
        self._renderer = StrategyRenderer()

    def _make_action_space(self) -> spaces.Space:
        return spaces.Discrete(len(STRATEGIES))

    def _check_action(self, action: Any) -> None:
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, Integral):
            raise TypeError(
                f"action must be an integer strategy index in 0..{len(STRATEGIES) - 1}, got {type(action).__name__}"
                f" {action!r:.60}; for free-text replies use EmpathyGym/Support-v0")
        if not 0 <= int(action) < len(STRATEGIES):
            raise ValueError(
                f"action {int(action)} is out of range: allowed 0..{len(STRATEGIES) - 1} ({', '.join(STRATEGIES)})")

    def _reply_from_action(self, action: Any) -> tuple[str, dict[str, Any]]:
        strategy = STRATEGIES[int(action)]  # checked by _check_action (int() also reads a 0-d array)
        user = self.user
        # The renderer writes within the charset already; the user model holds the dialogue so far.
        reply = self._renderer.render(strategy, profile=user.profile, user_turns=user.user_turns,
                                      rng=self._render_rng, avoid=user.agent_turns)
        return reply, {"strategy": strategy}
