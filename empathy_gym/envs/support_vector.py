"""EmpathyVectorEnv and EmpathyStrategyVectorEnv: N conversations stepped together (native vector envs).

## Description

The native vector envs (Gymnasium's ``vector_entry_point``) of every EmpathyGym id:
``gym.make_vec(id, num_envs=N)`` gives :class:`EmpathyVectorEnv` (text ids, sub-envs
:class:`~empathy_gym.envs.support.EmpathyEnv`) or :class:`EmpathyStrategyVectorEnv` (strategy ids,
sub-envs :class:`~empathy_gym.envs.support_strategy.EmpathyStrategyEnv`); pass
``vectorization_mode="sync"`` for Gymnasium's ``SyncVectorEnv`` instead.

Each kind of user answers the turns of its sub-envs together, through
:meth:`~empathy_gym.model.user.SimulatedUser.respond_together` (a user kind written outside the
package works here as it is).

For the LLM user: ``SyncVectorEnv`` steps its sub-envs one after another, so N LLM users make 2N
model calls in a row, each a batch of one. This env validates every action first, then runs the N
users' turns together: all analysis calls go to the backend as one batch (a retry batch follows
only for the users whose answer was unreadable), then all reply calls as one batch. A local model
generates a batch of N in little more time than one, so a step costs about as much as a single
env's. A call that fails or cannot be read falls back for its own sub-env only, as in
``EmpathyEnv`` (module docstring of :mod:`empathy_gym.envs.support`, "With the LLM user"); a batch
the backend fails as a whole (it raised) falls back for every sub-env in it. Each sub-env's
``info["llm"]`` has the same keys and types whatever happened, so the vector info holds one array
per field, as ``SyncVectorEnv``'s does (``infos["llm"]["model"]["read"]`` is False where a sub-env
fell back). A Ctrl-C during a batch stops the step with every sub-env as it was before it.

For the parametric user: each user reads its reply and draws its numbers, then the arithmetic over
the moves (fatigue, the trust gate, the shares that serve, hurt or are kind) runs for all users in
one numpy pass (:meth:`~empathy_gym.model.parametric.ParametricUser.respond_together`), and each
user settles its emotion and speaks; reading and speaking are text processing, user by user. The
rest of the step saves too: sub-envs without per-env wrappers, and the vector ``info`` built in one
pass (:func:`merge_infos`) instead of key by key per sub-env. The appraiser's caches are shared by
every user in the process. ``benchmarks/results/throughput.md`` has the measured difference.

Everything else is ``SyncVectorEnv``'s: seeding (``reset(seed=s)`` seeds sub-env ``i`` with
``s + i``), batched observations, ``info`` with ``_key`` masks, autoreset modes. Every action is
validated before any sub-env changes, so a bad action leaves them all as they were. The
transcripts, observations, rewards and infos equal those of ``SyncVectorEnv`` over the same
sub-envs (with the LLM user, for a deterministic backend: greedy decoding or a script).

## Action Space

Text ids: ``Tuple`` of N ``Text`` spaces, one reply per sub-env (a tuple or list of N strings).
Strategy ids: ``MultiDiscrete([len(STRATEGIES)] * N)``, one strategy index per sub-env.

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
with ``reset(options={"reset_mask": ...})``). With ``DISABLED``, an ended sub-env whose action is
``None`` is left as it is: it is not stepped, its reward is 0, its ``terminated``/``truncated``
stay as they were and ``info`` has no entries for it. A rollout that plays N conversations to
their ends steps only the live ones this way (and an LLM user makes no calls for the others);
stepping an ended sub-env with any other action is an error.

## Arguments

* ``num_envs``: number of sub-envs (default 1).
* ``autoreset_mode``: a ``gymnasium.vector.AutoresetMode`` (default ``NEXT_STEP``).
* ``copy``: return copies of the batched observations (default True).
* every other keyword argument goes to each sub-env; a ``backend`` spec string is turned into one
  backend shared by all sub-envs (one model in memory).

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
>>> strategy_envs = gym.make_vec("EmpathyGym/SupportStrategy-v0", num_envs=8)
>>> type(strategy_envs).__name__
'EmpathyStrategyVectorEnv'

## Version History

* v0: initial release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from functools import partial
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import concatenate, iterate

from empathy_gym._validation import check_int
from empathy_gym.envs.support import EmpathyEnv, PendingReply
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv
from empathy_gym.model.user import UserTurn


class EmpathyVectorEnv(SyncVectorEnv):
    """N ``EmpathyEnv`` conversations whose LLM users share batched model calls. See the module docstring."""

    env_class: type[EmpathyEnv] = EmpathyEnv

    def __init__(self, num_envs: int = 1, *, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
                 copy: bool = True, **env_kwargs: Any) -> None:
        check_int("num_envs", num_envs)
        if isinstance(env_kwargs.get("backend"), str):
            from empathy_gym.model.llm.backends import backend_from_spec  # only for model-backed users

            env_kwargs["backend"] = backend_from_spec(env_kwargs["backend"])  # one model for every sub-env
        super().__init__([partial(self.env_class, **env_kwargs) for _ in range(num_envs)], copy=copy,
                         autoreset_mode=AutoresetMode(autoreset_mode))

    def step(self, actions: Any):
        actions = list(iterate(self.action_space, actions))
        if len(actions) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions (one per sub-env), got {len(actions)}")
        # DISABLED: an ended sub-env given None is left alone; given anything else, it is an error.
        left_alone = np.zeros(self.num_envs, dtype=bool)
        if self.autoreset_mode == AutoresetMode.DISABLED and np.any(self._autoreset_envs):
            left_alone = self._autoreset_envs & np.array([action is None for action in actions])
            ended = np.flatnonzero(self._autoreset_envs & ~left_alone).tolist()
            if ended:
                raise RuntimeError(f"sub-envs {ended} have ended; with autoreset_mode DISABLED reset them with "
                                   "reset(options={'reset_mask': ...}) before stepping, or pass None as their "
                                   "action to leave them as they are")
        # Validate every action before any sub-env changes (rendering a strategy draws random
        # numbers), so a bad action leaves them all as they were.
        resetting = (self._autoreset_envs if self.autoreset_mode == AutoresetMode.NEXT_STEP
                     else np.zeros(self.num_envs, dtype=bool))
        stepping = [i for i in range(self.num_envs) if not resetting[i] and not left_alone[i]]
        for i in stepping:
            self.envs[i].check_step(actions[i])
        begun = {i: self.envs[i].prepare_reply(actions[i]) for i in stepping}
        try:
            turns = self._user_turns(begun)
        except BaseException:  # Ctrl-C during a model call: LLM users put themselves back, the envs their rendering
            for i, pending in begun.items():
                self.envs[i].abandon_step(pending)
            raise

        infos: list[tuple[int, dict[str, Any]]] = []
        for i, env in enumerate(self.envs):
            if left_alone[i]:  # DISABLED: ended, given None; its flags stay and it adds no info
                self._rewards[i] = 0.0
                continue
            if i not in begun:  # NEXT_STEP: this sub-env ended last step; reset it and ignore its action
                self._env_obs[i], env_info = env.reset()
                self._rewards[i], self._terminations[i], self._truncations[i] = 0.0, False, False
            else:
                (self._env_obs[i], self._rewards[i], self._terminations[i], self._truncations[i],
                 env_info) = env.finish_step(begun[i], turns[i])
                if self.autoreset_mode == AutoresetMode.SAME_STEP and (self._terminations[i] or self._truncations[i]):
                    infos.append((i, {"final_obs": self._env_obs[i], "final_info": env_info}))
                    self._env_obs[i], env_info = env.reset()
            infos.append((i, env_info))

        self._observations = concatenate(self.single_observation_space, self._env_obs, self._observations)
        self._autoreset_envs = np.logical_or(self._terminations, self._truncations)
        observations = deepcopy(self._observations) if self.copy else self._observations
        return (observations, np.copy(self._rewards), np.copy(self._terminations),
                np.copy(self._truncations), merge_infos(infos, self.num_envs))

    def _user_turns(self, begun: dict[int, PendingReply]) -> dict[int, UserTurn]:
        """Every stepping sub-env's user turn, each kind of user answering its users together."""
        kinds: dict[type, list[int]] = {}
        for i in begun:
            kinds.setdefault(type(self.envs[i].user), []).append(i)
        turns: dict[int, UserTurn] = {}
        for kind, members in kinds.items():
            answered = kind.respond_together([self.envs[i].user for i in members], [begun[i].reply for i in members],
                                             [self.envs[i].np_random for i in members])
            turns.update(zip(members, answered))
        return turns


class EmpathyStrategyVectorEnv(EmpathyVectorEnv):
    """N ``EmpathyStrategyEnv`` conversations (strategy actions); otherwise as :class:`EmpathyVectorEnv`."""

    env_class = EmpathyStrategyEnv


def merge_infos(infos: Sequence[tuple[int, Mapping[str, Any]]], num_envs: int) -> dict[str, Any]:
    """The vector ``info`` that ``VectorEnv._add_info`` builds from ``infos`` added one by one, in one pass.

    ``infos`` holds ``(sub-env index, info)`` pairs in the order they would be added. The result is
    the same: keys in order of first appearance, each followed by its ``_key`` mask; an array typed
    by the first value seen (int, float, bool and numpy numbers by their type, arrays by their dtype
    and shape, anything else in an object array); ``final_obs`` as an object array; nested dicts
    merged the same way. Building each column once saves ``_add_info``'s per-value array lookups.
    """
    columns: dict[str, list[tuple[int, Any]]] = {}
    for i, info in infos:
        for key, value in info.items():
            columns.setdefault(key, []).append((i, value))
    merged: dict[str, Any] = {}
    for key, items in columns.items():
        nested = [isinstance(value, dict) for _, value in items]
        if key != "final_obs" and any(nested):
            if not all(nested):
                raise ValueError(f"info key {key!r} holds a dict in some sub-envs' infos and not in others; "
                                 "a vector info needs one kind of value per key")
            array: Any = merge_infos(items, num_envs)
        else:
            first = items[0][1]
            if key == "final_obs":
                array = np.full(num_envs, fill_value=None, dtype=object)
            elif type(first) in (int, float, bool) or issubclass(type(first), np.number):
                array = np.zeros(num_envs, dtype=type(first))
            elif isinstance(first, np.ndarray):
                array = np.zeros((num_envs, *first.shape), dtype=first.dtype)
            else:
                array = np.full(num_envs, fill_value=None, dtype=object)
            for i, value in items:
                array[i] = value
        mask = np.zeros(num_envs, dtype=np.bool_)
        mask[[i for i, _ in items]] = True
        merged[key], merged[f"_{key}"] = array, mask
    return merged
