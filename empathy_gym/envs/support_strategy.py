"""EmpathyStrategyEnv: the supportive conversation of :class:`EmpathyEnv` with discrete strategy actions.

## Description

The same simulated user, dynamics, observation, rewards and episode end as
:class:`~empathy_gym.envs.support.EmpathyEnv` (read its docstring), for classic RL agents: the agent
picks one of 15 supportive strategies, which is rendered to a natural reply from the strategy's
templates, filled with what the user has said (their topic, the other person, a feeling they
named). The rendered reply then goes through the very same appraisal as free text, so strategy
agents and text agents face one model of the user. Template choice uses a random stream seeded
from the env's ``np_random`` at reset, separate from the user's, so replaying the rendered replies
in the text environment with the same seed gives the same transcript.

## Action Space

``Discrete(15)``, in the order of :data:`empathy_gym.vocabulary.STRATEGIES`:

| action | strategy | action | strategy |
| --- | --- | --- | --- |
| 0 | open_question | 8 | others_perspective |
| 1 | paraphrase | 9 | self_disclosure |
| 2 | reflect_feelings | 10 | invite_reflection |
| 3 | validate_blamelessness | 11 | minimal_listening |
| 4 | specific_praise | 12 | minimise (harmful) |
| 5 | generic_reassurance | 13 | change_subject (harmful) |
| 6 | suggestion | 14 | blame (harmful) |
| 7 | analysis | | |

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

As in ``EmpathyEnv`` (``difficulty``, ``split``, ``profiles``, ``reward_mode``, ``emotion_obs``,
``emotion_noise``, ``render_mode``, ``user``, ``backend``, ``llm_options``), without
``max_reply_chars`` and ``think`` (rendered replies hold no thinking). With ``user="llm"`` the
rendered replies are read by the LLM user.

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

import os
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from gymnasium import spaces

from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.model.difficulty import DifficultyLike
from empathy_gym.model.llm.backends import Backend
from empathy_gym.model.rendering import StrategyRenderer
from empathy_gym.profiles import Profile
from empathy_gym.vocabulary import STRATEGIES


class EmpathyStrategyEnv(EmpathyEnv):
    """A conversation with a simulated user; the agent picks a strategy. See the module docstring."""

    def __init__(
        self,
        difficulty: DifficultyLike = "normal",
        split: str = "train",
        profiles: str | os.PathLike | Sequence[Profile] | None = None,
        reward_mode: str = "delta",
        emotion_obs: str = "exact",
        emotion_noise: float = 10.0,
        render_mode: str | None = None,
        user: str = "parametric",
        backend: Backend | str | None = None,
        llm_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(difficulty=difficulty, split=split, profiles=profiles, reward_mode=reward_mode,
                         emotion_obs=emotion_obs, emotion_noise=emotion_noise, render_mode=render_mode, user=user,
                         backend=backend, llm_options=llm_options)
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
