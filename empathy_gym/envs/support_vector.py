"""EmpathyVectorEnv: N conversations stepped together, with the LLM users' model calls sent as batches.

## Description

A native vector env (Gymnasium's ``vector_entry_point``) of :class:`~empathy_gym.envs.support.EmpathyEnv`
sub-envs, for the LLM user above all. ``SyncVectorEnv`` steps its sub-envs one after another, so N
LLM users make 2N model calls in a row, each a batch of one. This env validates every action first,
then runs the N users' turns together: all analysis calls go to the backend as one batch (a retry
batch follows only for the users whose answer was unreadable), then all reply calls as one batch.
A local model generates a batch of N in little more time than one, so a step costs about as much
as a single env's. Parametric users (``user="parametric"``) step one by one, as in
``SyncVectorEnv``.

Everything else is ``SyncVectorEnv``'s: seeding (``reset(seed=s)`` seeds sub-env ``i`` with
``s + i``), batched observations, ``info`` with ``_key`` masks, autoreset modes. With a
deterministic backend (greedy decoding or a script) the transcripts equal those of
``SyncVectorEnv`` over the same sub-envs.

## Action Space

``Tuple`` of N ``Text`` spaces: one reply per sub-env (a tuple or list of N strings).

## Observation Space

The sub-env's ``Dict`` batched: ``text`` a tuple of N strings, ``emotion`` ``(N, 1)``, ``turn``
``(N, 1)``.

## Rewards

As in ``EmpathyEnv``, one per sub-env.

## Starting State

As in ``EmpathyEnv``, per sub-env.

## Episode End

Per sub-env as in ``EmpathyEnv``. ``autoreset_mode``: ``NEXT_STEP`` (default: the step after an
episode ends resets that sub-env, ignores its action and gives reward 0), ``SAME_STEP`` (the
sub-env is reset within the step that ended it; the final observation and info are in
``info["final_obs"]`` and ``info["final_info"]``) or ``DISABLED`` (reset ended sub-envs yourself
with ``reset(options={"reset_mask": ...})``).

## Arguments

* ``num_envs``: number of sub-envs (default 1).
* ``autoreset_mode``: a ``gymnasium.vector.AutoresetMode`` (default ``NEXT_STEP``).
* ``copy``: return copies of the batched observations (default True).
* every other keyword argument goes to each ``EmpathyEnv``; a ``backend`` spec string is turned
  into one backend shared by all sub-envs (one model in memory).

## Example

>>> import gymnasium as gym
>>> import empathy_gym
>>> from empathy_gym.model.llm import CallableBackend
>>> backend = CallableBackend(lambda messages: '{"change": 3}')
>>> envs = gym.make_vec("EmpathyGym/SupportLLM-v0", num_envs=4, vectorization_mode="vector_entry_point", backend=backend)
>>> observations, infos = envs.reset(seed=0)
>>> observations, rewards, terminated, truncated, infos = envs.step(["What happened then?"] * 4)
>>> rewards.shape
(4,)

## Version History

* v0: initial release.
"""

from __future__ import annotations

from copy import deepcopy
from functools import partial
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import concatenate, iterate

from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.model.llm.backends import backend_from_spec
from empathy_gym.model.llm.user import LLMUser, run_turns
from empathy_gym.model.parametric import UserTurn


class EmpathyVectorEnv(SyncVectorEnv):
    """N ``EmpathyEnv`` conversations whose LLM users share batched model calls. See the module docstring."""

    def __init__(self, num_envs: int = 1, *, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 copy: bool = True, **env_kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        if isinstance(env_kwargs.get("backend"), str):
            env_kwargs["backend"] = backend_from_spec(env_kwargs["backend"])  # one model for every sub-env
        super().__init__([partial(EmpathyEnv, **env_kwargs) for _ in range(num_envs)], copy=copy,
                         autoreset_mode=AutoresetMode(autoreset_mode))

    def step(self, actions: Any):
        actions = list(iterate(self.action_space, actions))
        if len(actions) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions (one per sub-env), got {len(actions)}")
        if self.autoreset_mode == AutoresetMode.DISABLED and np.any(self._autoreset_envs):
            ended = np.flatnonzero(self._autoreset_envs).tolist()
            raise RuntimeError(f"sub-envs {ended} have ended; with autoreset_mode DISABLED reset them with "
                               "reset(options={'reset_mask': ...}) before stepping")
        # Validate every action before any sub-env changes, so a bad action leaves them all as they were.
        resetting = (self._autoreset_envs if self.autoreset_mode == AutoresetMode.NEXT_STEP
                     else np.zeros(self.num_envs, dtype=bool))
        begun = {i: self.envs[i]._begin_step(action) for i, action in enumerate(actions) if not resetting[i]}
        turns = self._user_turns(begun)

        infos: dict[str, Any] = {}
        for i, env in enumerate(self.envs):
            if i not in begun:  # NEXT_STEP: this sub-env ended last step; reset it and ignore its action
                self._env_obs[i], env_info = env.reset()
                self._rewards[i], self._terminations[i], self._truncations[i] = 0.0, False, False
            else:
                (self._env_obs[i], self._rewards[i], self._terminations[i], self._truncations[i],
                 env_info) = env._finish_step(*begun[i], turns[i])
                if self.autoreset_mode == AutoresetMode.SAME_STEP and (self._terminations[i] or self._truncations[i]):
                    infos = self._add_info(infos, {"final_obs": self._env_obs[i], "final_info": env_info}, i)
                    self._env_obs[i], env_info = env.reset()
            infos = self._add_info(infos, env_info, i)

        self._observations = concatenate(self.single_observation_space, self._env_obs, self._observations)
        self._autoreset_envs = np.logical_or(self._terminations, self._truncations)
        observations = deepcopy(self._observations) if self.copy else self._observations
        return (observations, np.copy(self._rewards), np.copy(self._terminations),
                np.copy(self._truncations), infos)

    def _user_turns(self, begun: dict[int, tuple[str, dict[str, Any]]]) -> dict[int, UserTurn]:
        """Every stepping sub-env's user turn: LLM users sharing a backend in one batched run, others in turn."""
        turns: dict[int, UserTurn] = {}
        groups: dict[int, list[int]] = {}
        for i in begun:
            user = self.envs[i].user
            if isinstance(user, LLMUser):
                groups.setdefault(id(user.backend), []).append(i)
            else:
                turns[i] = user.respond(begun[i][0], self.envs[i].np_random)
        for members in groups.values():
            backend = self.envs[members[0]].user.backend
            steps = [self.envs[i].user.respond_steps(begun[i][0], self.envs[i].np_random) for i in members]
            turns.update(zip(members, run_turns(steps, backend)))
        return turns
