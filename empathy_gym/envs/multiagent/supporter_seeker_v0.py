"""supporter_seeker_v0: a supportive conversation in which the help-seeker can learn too (PettingZoo).

## Description

One conversation of :class:`~empathy_gym.envs.support.EmpathyEnv`, with two seats: the
``supporter`` writes replies, the ``seeker`` (the simulated person) chooses each turn how to
express itself. The seeker cannot set its own emotion: the emotion moves by the parametric model
exactly as in the single-agent environment. What it controls is communication within its profile
(:mod:`empathy_gym.model.expression`): how much of its hidden need to hint at, how openly to show
feeling, and whether to push back on the supporter's reply. A seeker rewarded for being hard but
solvable (``regret``) is an adversarial curriculum for the supporter, in the spirit of PAIRED
(Dennis et al., 2020).

Either seat can be played by a built-in policy and is then not an agent: ``seeker_policy=
"parametric"`` (the profile's own way of speaking, the single-agent environment's user) or a
supporter policy object such as ``empathy_gym.policies.reference.OraclePolicy()``.

The native API is parallel: each cycle both seats act at once and one turn is played (the
supporter's reply, then the seeker's answer in the chosen way). The seeker therefore picks its
expression for its next message having seen the supporter's previous reply, not the one it
answers. ``env()`` / ``raw_env()`` give the AEC form through PettingZoo's ``parallel_to_aec``
(supporter first, then seeker).

## Action Space

| agent | ``action_mode="strategy"`` (default) | ``action_mode="text"`` |
| --- | --- | --- |
| ``supporter`` | ``Discrete(len(STRATEGIES))``: a strategy, rendered to a reply as in ``EmpathyGym/SupportStrategy-v0`` | ``Text(max_reply_chars)``: the reply, as in ``EmpathyGym/Support-v0`` |
| ``seeker`` | ``Discrete(len(EXPRESSIONS))`` | ``Discrete(len(EXPRESSIONS))`` |

Seeker action ``a`` = ``6 * hint + 2 * feeling + push_back`` with ``hint`` and ``feeling`` in
(0 less, 1 as the profile would, 2 more) and ``push_back`` in (0 no, 1 yes); action 8
(:data:`~empathy_gym.model.expression.AS_PROFILE`) is the profile's own way of speaking.

## Observation Space

| agent | key | space | meaning |
| --- | --- | --- | --- |
| ``supporter`` | ``text``, ``emotion``, ``turn`` | as in ``EmpathyEnv`` | the seeker's latest message, its emotion (exact, noisy or absent per ``emotion_obs``), turns used / max_turns |
| ``seeker`` | ``text`` | ``Text(max_length, min_length=0)`` | the supporter's latest reply as read ("" before the first) |
| | ``emotion`` | ``Box(0, 100, (1,), float32)`` | its own emotion (always exact) |
| | ``turn`` | ``Box(0, 1, (1,), float32)`` | turns used / max_turns |
| | ``hidden_intention`` | ``Discrete(len(INTENTIONS))`` | its hidden need, in the order of ``empathy_gym.INTENTIONS`` |
| | ``difficulty`` | ``Box(0, 1, (len(UNIT_AXES),), float32)`` | the axes in [0, 1], in the order of ``empathy_gym.model.difficulty.UNIT_AXES`` |

## Rewards

The supporter's reward is the single-agent environment's (``reward_mode``: ``"delta"`` = change
of emotion / 100 each turn, ``"terminal"`` = final emotion / 100 at the end). The seeker's
(``seeker_reward``):

* ``"cooperative"``: the change of its emotion / 100 each turn (a help-seeker who wants to feel better).
* ``"adversarial"``: exactly minus the supporter's reward (zero-sum).
* ``"regret"``: how much better the oracle supporter would have done. A shadow conversation is
  played alongside by :class:`~empathy_gym.model.oracle.OracleSupporter` (strategy actions) with
  the same profile, the same seed and the seeker's same expressions. Each turn the seeker gets
  ``(oracle's change - supporter's change) / 100``; when the episode ends, the shadow
  conversation is played on (with the profile's own expression) to its own end within the same
  turn budget and its remaining change is added. So the seeker's return is
  ``(oracle's final emotion - supporter's final emotion) / 100``: it is paid for being hard for
  this supporter but solvable by the oracle. When the oracle plays the supporter seat the two
  conversations are identical and every regret reward is exactly 0.

## Starting State

As in ``EmpathyEnv``: a profile drawn from ``split`` (or ``profiles``) with a seeded random
stream, the emotion at the difficulty's ``initial_emotion``.

## Episode End

As in ``EmpathyEnv`` (terminated at 100 or below 10, truncated at ``max_turns``), and truncated
after ``max_cycles`` turns when that is smaller. Every agent ends at once; ``info["reason"]`` of
the supporter says why (``max_cycles`` for the cycle limit).

## Info

``supporter``: the single-agent env's info. ``seeker``: ``emotion``, ``delta``, ``expression``
(the choice as a dict), ``cue``, and in ``regret`` mode ``oracle_emotion``.

## Arguments

* every keyword argument of ``EmpathyEnv`` (``difficulty``, ``split``, ``profiles``,
  ``reward_mode``, ``emotion_obs``, ``emotion_noise``, ``max_reply_chars`` in text mode, ...)
  configures the conversation, as in ``EmpathyEnv``.
* ``action_mode``: ``"strategy"`` (default) or ``"text"``: the supporter's action.
* ``seeker_reward``: ``"cooperative"`` (default), ``"adversarial"`` or ``"regret"``.
* ``supporter_policy``: ``None`` (a learnable seat, default) or a policy object with
  ``reset(observation, info, env)`` and ``act(observation, info) -> strategy index`` (the
  reference policies, a trained ``PPOPolicy``); its strategies are rendered to replies.
* ``seeker_policy``: ``None`` (learnable, default), ``"parametric"``, or a policy object over
  expression indices.
* ``max_cycles``: the most turns in an episode (default: the difficulty's ``max_turns``).
* ``render_mode``: ``"ansi"`` (the transcript with the seeker's emotion bar on each of its turns)
  or ``"human"``.

Reset options: ``difficulty``, ``profile_id`` (as in ``EmpathyEnv``); others are ignored with a warning.

## Example

>>> from empathy_gym.envs.multiagent import supporter_seeker_v0
>>> env = supporter_seeker_v0.parallel_env(seeker_reward="regret")
>>> observations, infos = env.reset(seed=0)
>>> observations, rewards, terminations, truncations, infos = env.step({"supporter": 2, "seeker": 8})
>>> sorted(rewards)
['seeker', 'supporter']

## Version History

* v0: initial release.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from empathy_gym.envs.multiagent._seats import (
    PARAMETRIC, CachedSpaces, SeatView, check_actions, check_max_cycles, check_policy, conversation_seed, decode_expression,
    expression_info, known_options, seeker_action_space, seeker_observation, seeker_observation_space,
)
from empathy_gym._validation import check_choice
from empathy_gym.envs.support import MAX_USER_CHARS, RESET_OPTIONS, EmpathyEnv, EpisodeEndedError
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv
from empathy_gym.model.expression import Expression
from empathy_gym.model.oracle import OracleSupporter

ACTION_MODES = ("strategy", "text")
SEEKER_REWARDS = ("cooperative", "adversarial", "regret")
SUPPORTER, SEEKER = "supporter", "seeker"


class SupporterSeekerEnv(CachedSpaces, ParallelEnv):
    """A conversation with a learnable supporter and a learnable seeker. See the module docstring."""

    metadata = {"name": "supporter_seeker_v0", "render_modes": ["ansi", "human"], "render_fps": 1,
                "is_parallelizable": True}

    def __init__(
        self,
        action_mode: str = "strategy",
        seeker_reward: str = "cooperative",
        supporter_policy: Any = None,
        seeker_policy: Any = None,
        max_cycles: int | None = None,
        render_mode: str | None = None,
        **conversation: Any,
    ) -> None:
        check_choice("action_mode", action_mode, ACTION_MODES)
        check_choice("seeker_reward", seeker_reward, SEEKER_REWARDS)
        check_policy("supporter_policy", supporter_policy)
        check_policy("seeker_policy", seeker_policy, (PARAMETRIC,))
        if supporter_policy is not None and seeker_policy is not None:
            raise ValueError("supporter_policy and seeker_policy are both set: at least one seat must be an agent")
        self.max_cycles = check_max_cycles(max_cycles)
        max_reply_chars = conversation.pop("max_reply_chars", 2000)
        common = {**conversation, "render_mode": render_mode}
        # The conversation itself is the single-agent env: same user, dynamics, rewards and info.
        self._conversation: EmpathyEnv = (
            EmpathyStrategyEnv(**common) if action_mode == "strategy" or supporter_policy is not None
            else EmpathyEnv(**common, max_reply_chars=max_reply_chars))
        self._shadow = EmpathyStrategyEnv(**{**common, "render_mode": None}) if seeker_reward == "regret" else None
        self._oracle = OracleSupporter()
        self._shadow_ended = False
        self.action_mode, self.seeker_reward, self.render_mode = action_mode, seeker_reward, render_mode
        self.supporter_policy, self.seeker_policy = supporter_policy, seeker_policy

        text_length = MAX_USER_CHARS if isinstance(self._conversation, EmpathyStrategyEnv) else max_reply_chars
        self._observation_spaces = {SUPPORTER: self._conversation.observation_space,
                                    SEEKER: seeker_observation_space(text_length)}
        self._action_spaces = {SUPPORTER: self._conversation.action_space, SEEKER: seeker_action_space()}
        self.possible_agents = [agent for agent, policy in ((SUPPORTER, supporter_policy), (SEEKER, seeker_policy))
                                if policy is None]
        self.agents: list[str] = []
        self._np_random: np.random.Generator | None = None
        self._cycles = 0
        self._observations: dict[str, Any] = {}
        self._infos: dict[str, Any] = {}

    # -- PettingZoo parallel API ---------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        options = known_options(options, RESET_OPTIONS)
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
        episode_seed = seed if seed is not None else conversation_seed(self._np_random)
        supporter_obs, supporter_info = self._conversation.reset(seed=episode_seed, options=options)
        if self._shadow is not None:
            # Seeded identically, the shadow meets the same person with the same random stream.
            self._shadow.reset(seed=episode_seed, options=options)
            self._oracle.start(self._shadow.user)
            self._shadow_ended = False
        user = self._conversation.user
        self._cycles = 0
        self.agents = list(self.possible_agents)
        self._observations = {SUPPORTER: supporter_obs, SEEKER: seeker_observation(user, "", user.difficulty.max_turns)}
        self._infos = {SUPPORTER: supporter_info,
                       SEEKER: {"profile_id": user.profile.id, "emotion": user.emotion, "turn": 0}}
        for agent, policy in ((SUPPORTER, self.supporter_policy), (SEEKER, self.seeker_policy)):
            if policy is not None and policy != PARAMETRIC:
                policy.reset(self._observations[agent], dict(self._infos[agent]), self._seat_view(agent))
        return self._pick(self._observations), self._pick(self._infos)

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise EpisodeEndedError("the episode has ended (or reset() was not called); call reset() to start one")
        check_actions(actions, self.agents)
        # Decode everything before the conversation moves, so a bad action changes nothing.
        expression = self._seeker_expression(actions)
        supporter_action = actions[SUPPORTER] if SUPPORTER in actions else self.supporter_policy.act(
            self._observations[SUPPORTER], dict(self._infos[SUPPORTER]))
        before = self._conversation.user.emotion
        supporter_obs, reward, terminated, truncated, info = self._conversation.step(
            supporter_action, expression=expression)
        self._cycles += 1
        if not (terminated or truncated) and self.max_cycles is not None and self._cycles >= self.max_cycles:
            truncated = True
            profile = self._conversation.user.profile
            info.update(reason="max_cycles", profile_id=profile.id, hidden_intention=profile.hidden_intention,
                        difficulty=self._conversation.difficulty.to_dict(), final_emotion=info["emotion"])
            if self._conversation.reward_mode == "terminal":
                reward = info["emotion"] / 100.0
        ended = terminated or truncated
        user = self._conversation.user
        delta = user.emotion - before

        seeker_info: dict[str, Any] = {"emotion": user.emotion, "delta": delta,
                                       "expression": expression_info(expression), "cue": info["cue"]}
        if self.seeker_reward == "cooperative":
            seeker_reward = delta / 100.0
        elif self.seeker_reward == "adversarial":
            seeker_reward = -float(reward)
        else:
            oracle_delta = self._shadow_turn(expression, ended)
            seeker_reward = (oracle_delta - delta) / 100.0
            seeker_info["oracle_emotion"] = self._shadow.user.emotion

        self._observations = {SUPPORTER: supporter_obs,
                              SEEKER: seeker_observation(user, info["reply"], user.difficulty.max_turns)}
        self._infos = {SUPPORTER: info, SEEKER: seeker_info}
        rewards = {SUPPORTER: float(reward), SEEKER: float(seeker_reward)}
        observations, infos = self._pick(self._observations), self._pick(self._infos)
        terminations = {agent: bool(terminated) for agent in self.agents}
        truncations = {agent: bool(truncated and not terminated) for agent in self.agents}
        rewards = {agent: rewards[agent] for agent in self.agents}
        if ended:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        return self._conversation.render()

    def close(self) -> None:
        self._conversation.close()

    # -- accessors -----------------------------------------------------------------------------
    @property
    def transcript(self) -> list[dict[str, Any]]:
        """The conversation so far (as ``EmpathyEnv.transcript``)."""
        return self._conversation.transcript

    @property
    def oracle_transcript(self) -> list[dict[str, Any]]:
        """The shadow conversation of the oracle supporter (``regret`` mode only)."""
        if self._shadow is None:
            raise AttributeError("oracle_transcript exists only with seeker_reward='regret'")
        return self._shadow.transcript

    @property
    def user(self):
        """The simulated user (privileged)."""
        return self._conversation.user

    # -- helpers -------------------------------------------------------------------------------
    def _pick(self, per_seat: dict[str, Any]) -> dict[str, Any]:
        """Fresh per-agent copies for the live agents (dicts are copied so callers cannot alias them)."""
        return {agent: dict(per_seat[agent]) for agent in self.agents}

    def _seat_view(self, agent: str) -> SeatView:
        return SeatView(self._observation_spaces[agent], self._action_spaces[agent], self._conversation.user)

    def _seeker_expression(self, actions: dict[str, Any]) -> Expression | None:
        if SEEKER in actions:
            return decode_expression(SEEKER, actions[SEEKER])
        if self.seeker_policy == PARAMETRIC:
            return None  # the single-agent user, draw for draw
        return decode_expression(SEEKER, self.seeker_policy.act(self._observations[SEEKER], dict(self._infos[SEEKER])))

    def _shadow_turn(self, expression: Expression | None, ended: bool) -> int:
        """Play the oracle's turn of the shadow conversation; at the episode's end, play it out. Returns its change."""
        shadow = self._shadow
        start = shadow.user.emotion
        if not self._shadow_ended:
            self._shadow_step(expression)
        if ended:
            difficulty = self._conversation.difficulty
            budget = min(difficulty.max_turns, self.max_cycles or difficulty.max_turns)
            while not self._shadow_ended and shadow.user.turn < budget:
                self._shadow_step(None)
        return shadow.user.emotion - start

    def _shadow_step(self, expression: Expression | None) -> None:
        *_, terminated, truncated, _ = self._shadow.step(self._oracle.act(), expression=expression)
        self._shadow_ended = terminated or truncated


def parallel_env(**kwargs: Any) -> SupporterSeekerEnv:
    """The parallel form (the native one). Arguments as in the module docstring."""
    return SupporterSeekerEnv(**kwargs)


def raw_env(**kwargs: Any):
    """The AEC form without wrappers: ``parallel_to_aec(parallel_env(...))``."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any):
    """The AEC form with PettingZoo's order-enforcing wrapper (the usual entry point)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
