"""support_group_v0: one supporter and a small group of help-seekers who all want attention (PettingZoo).

## Description

A support group: 2-4 simulated people (different profiles), each in their own conversation of
:class:`~empathy_gym.envs.support.EmpathyEnv`, and one supporter who can answer only one of them
per turn. The addressed person appraises the reply and answers exactly as in the single-agent
environment. Everyone else waits, and waiting costs patience: their emotion falls by
``round(2 * drift)`` points, where ``drift`` is their main characteristic's drift multiplier
(negative 3, avoidant 2, passive 1; :meth:`~empathy_gym.model.parametric.ParametricUser.wait`, no
randomness). A person leaves when their emotion reaches 100 (helped) or falls below 10 (quit), or
after ``max_turns`` replies addressed to them. The supporter has to divide attention.

The seekers are the parametric users (``seeker_policy="parametric"``, default) or learnable agents
(``seeker_policy=None``) that choose how to express themselves, as in ``supporter_seeker_v0``.

The native API is parallel (one cycle = one supporter turn); ``env()`` / ``raw_env()`` give the AEC
form through PettingZoo's ``parallel_to_aec``. ``n_seekers=1`` is allowed for comparison: it is
the single-agent environment.

## Action Space

| agent | ``action_mode="strategy"`` (default) | ``action_mode="text"`` |
| --- | --- | --- |
| ``supporter`` | ``MultiDiscrete([n_seekers, len(STRATEGIES)])``: (addressee, strategy) | ``Dict(addressee=Discrete(n_seekers), text=Text(max_reply_chars))`` |
| ``seeker_<k>`` | ``Discrete(len(EXPRESSIONS))`` expressions, as in ``supporter_seeker_v0`` (used on turns they are addressed) | same |

Addressing someone who has left wastes the turn: nobody is answered and everyone present waits.

## Observation Space

| agent | key | space | meaning |
| --- | --- | --- | --- |
| ``supporter`` | ``text`` | ``Text`` | one line per seeker, ``"[k] "`` and their latest message |
| | ``emotion`` | ``Box(0, 100, (n_seekers,), float32)`` | each seeker's emotion (exact or noisy; absent when hidden) |
| | ``turn`` | ``Box(0, 1, (1,), float32)`` | cycles used / max_cycles |
| | ``present`` | ``MultiBinary(n_seekers)`` | who is still in the group |
| ``seeker_<k>`` | as the seeker of ``supporter_seeker_v0`` | | ``text`` is the supporter's latest reply to them |

## Rewards

Supporter: the group's mean emotion change / 100 each turn (people who left count with no change),
so its return is the mean of (final - initial) / 100. Seeker ``k``: its own emotion change / 100.

## Starting State

Seeker 0's conversation is seeded with the reset seed and draws its profile as ``EmpathyEnv``
does; the other seekers get profiles not yet in the group and seeds, drawn from the env's
``np_random``. Every emotion starts at the difficulty's ``initial_emotion``.

## Episode End

A seeker's agent ends when they leave (terminated: resolved or quit; truncated: their
``max_turns``). The supporter is terminated when everyone has left, and every agent is truncated
after ``max_cycles`` supporter turns (default ``max_turns * n_seekers``).

## Arguments

* ``difficulty``, ``split``, ``profiles``, ``emotion_obs``, ``emotion_noise``, ``max_reply_chars``:
  as in ``EmpathyEnv`` (one difficulty for the whole group).
* ``n_seekers``: 1-4 (default 3); ``split``/``profiles`` must hold at least that many profiles.
* ``action_mode``: ``"strategy"`` (default) or ``"text"``.
* ``seeker_policy``: ``"parametric"`` (default) or ``None`` (learnable seekers).
* ``max_cycles``: the most supporter turns (default ``max_turns * n_seekers``).
* ``render_mode``: ``"ansi"`` (the group conversation with one emotion bar per person each turn)
  or ``"human"``.

Reset options: ``difficulty``; others are ignored with a warning.

## Example

>>> from empathy_gym.envs.multiagent import support_group_v0
>>> env = support_group_v0.parallel_env(n_seekers=3)
>>> observations, infos = env.reset(seed=0)
>>> observations, rewards, terminations, truncations, infos = env.step({"supporter": [1, 2]})
>>> infos["supporter"]["addressee"]
1

## Version History

* v0: initial release.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from empathy_gym._text import CHARSET
from empathy_gym.envs.multiagent._seats import (
    PARAMETRIC, CachedSpaces, check_actions, check_max_cycles, conversation_seed, decode_expression, expression_info,
    known_options, seeker_action_space, seeker_observation, seeker_observation_space,
)
from empathy_gym._validation import check_choice
from empathy_gym.envs.support import MAX_USER_CHARS, EmpathyEnv, EpisodeEndedError, emotion_bar
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv
from empathy_gym.model.difficulty import DifficultyLike
from empathy_gym.model.emotion import QUITS_BELOW
from empathy_gym.model.expression import Expression
from empathy_gym.profiles import Profile
from empathy_gym.vocabulary import STRATEGIES

ACTION_MODES = ("strategy", "text")
MAX_SEEKERS = 4
SUPPORTER = "supporter"
RESET_OPTIONS = ("difficulty",)


class SupportGroupEnv(CachedSpaces, ParallelEnv):
    """One supporter, several help-seekers. See the module docstring."""

    metadata = {"name": "support_group_v0", "render_modes": ["ansi", "human"], "render_fps": 1,
                "is_parallelizable": True}

    def __init__(
        self,
        difficulty: DifficultyLike = "normal",
        split: str = "train",
        profiles: str | os.PathLike | Sequence[Profile] | None = None,
        n_seekers: int = 3,
        action_mode: str = "strategy",
        emotion_obs: str = "exact",
        emotion_noise: float = 10.0,
        max_reply_chars: int = 2000,
        seeker_policy: str | None = PARAMETRIC,
        max_cycles: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        check_choice("action_mode", action_mode, ACTION_MODES)
        check_choice("seeker_policy", seeker_policy, (PARAMETRIC, None))
        check_choice("render_mode", render_mode, (None, *self.metadata["render_modes"]))
        if isinstance(n_seekers, bool) or not isinstance(n_seekers, Integral) or not 1 <= n_seekers <= MAX_SEEKERS:
            raise ValueError(f"n_seekers must be an integer in 1..{MAX_SEEKERS}, got {n_seekers!r}")
        self.n_seekers = int(n_seekers)
        common = dict(difficulty=difficulty, split=split, profiles=profiles, emotion_obs=emotion_obs,
                      emotion_noise=emotion_noise)
        self._conversations: list[EmpathyEnv] = [
            EmpathyStrategyEnv(**common) if action_mode == "strategy" else EmpathyEnv(**common, max_reply_chars=max_reply_chars)
            for _ in range(self.n_seekers)]
        if len(self._conversations[0].profiles) < self.n_seekers:
            raise ValueError(f"n_seekers={self.n_seekers} needs at least that many profiles; "
                             f"got {len(self._conversations[0].profiles)}")
        self._max_cycles_arg = check_max_cycles(max_cycles)
        self.max_cycles = self._max_cycles_arg or self._conversations[0].difficulty.max_turns * self.n_seekers
        self.action_mode = action_mode
        self.emotion_obs = emotion_obs
        self.emotion_noise = self._conversations[0].emotion_noise
        self.max_reply_chars = int(max_reply_chars)
        self.seeker_policy = seeker_policy
        self.render_mode = render_mode
        self.seekers = [f"seeker_{k}" for k in range(self.n_seekers)]

        n = self.n_seekers
        supporter_obs: dict[str, spaces.Space] = {
            "text": spaces.Text(max_length=n * (MAX_USER_CHARS + 8), min_length=0, charset=CHARSET)}
        if emotion_obs != "hidden":
            supporter_obs["emotion"] = spaces.Box(0.0, 100.0, shape=(n,), dtype=np.float32)
        supporter_obs["turn"] = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        supporter_obs["present"] = spaces.MultiBinary(n)
        if action_mode == "strategy":
            supporter_action: spaces.Space = spaces.MultiDiscrete([n, len(STRATEGIES)])
        else:
            supporter_action = spaces.Dict({
                "addressee": spaces.Discrete(n),
                "text": spaces.Text(max_length=self.max_reply_chars, min_length=0, charset=CHARSET)})
        text_length = MAX_USER_CHARS if action_mode == "strategy" else self.max_reply_chars
        seeker_obs = seeker_observation_space(text_length)
        self._observation_spaces = {SUPPORTER: spaces.Dict(supporter_obs), **{s: seeker_obs for s in self.seekers}}
        self._action_spaces = {SUPPORTER: supporter_action, **{s: seeker_action_space() for s in self.seekers}}
        self.possible_agents = [SUPPORTER] + (list(self.seekers) if seeker_policy is None else [])
        self.agents: list[str] = []

        self._np_random: np.random.Generator | None = None
        self._obs_rng: np.random.Generator | None = None
        self._cycles = 0
        self._present: list[bool] = []
        self._left_reason: list[str | None] = []
        self._last_words: list[str] = []
        self._last_reply_to: list[str] = []
        self._transcript: list[dict[str, Any]] = []
        self._printed_lines = 0

    # -- PettingZoo parallel API ---------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        options = known_options(options, RESET_OPTIONS)
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
        first_seed = seed if seed is not None else conversation_seed(self._np_random)
        openings = [self._conversations[0].reset(seed=first_seed, options=options)[0]["text"]]
        taken = {self._conversations[0].user.profile.id}
        for conversation in self._conversations[1:]:
            remaining = [profile for profile in conversation.profiles if profile.id not in taken]
            profile = remaining[int(self._np_random.integers(len(remaining)))]
            taken.add(profile.id)
            observation, _ = conversation.reset(seed=conversation_seed(self._np_random),
                                                options={**options, "profile_id": profile.id})
            openings.append(observation["text"])
        self._obs_rng = np.random.default_rng(conversation_seed(self._np_random))
        self._cycles = 0
        self._present = [True] * self.n_seekers
        self._left_reason = [None] * self.n_seekers
        self._last_words = openings
        self._last_reply_to = [""] * self.n_seekers
        self._transcript = [{"speaker": seeker, "text": text, "emotion": conversation.user.emotion}
                            for seeker, text, conversation in zip(self.seekers, openings, self._conversations)]
        self._printed_lines = 0
        self.agents = list(self.possible_agents)
        infos = {SUPPORTER: {"profile_ids": [c.user.profile.id for c in self._conversations],
                             "emotions": self._emotions()}}
        for k, seeker in enumerate(self.seekers):
            infos[seeker] = {"profile_id": self._conversations[k].user.profile.id, "emotion": self._emotions()[k]}
        if self.render_mode == "human":
            self.render()
        return self._observations(), {agent: infos[agent] for agent in self.agents}

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise EpisodeEndedError("the episode has ended (or reset() was not called); call reset() to start one")
        check_actions(actions, self.agents)
        # Validate and decode everything before anybody's state changes.
        addressee, reply_action = self._decode_supporter(actions[SUPPORTER])
        expressions: dict[int, Expression] = {
            k: decode_expression(seeker, actions[seeker]) for k, seeker in enumerate(self.seekers) if seeker in actions}

        before = self._emotions()
        info: dict[str, Any] = {"addressee": addressee}
        addressed_present = self._present[addressee]
        if addressed_present:
            conversation = self._conversations[addressee]
            observation, _, terminated, truncated, turn_info = conversation.step(
                reply_action, expression=expressions.get(addressee))
            self._last_words[addressee] = observation["text"]
            self._last_reply_to[addressee] = turn_info["reply"]
            self._transcript.append({"speaker": SUPPORTER, "to": addressee, "text": turn_info["reply"]})
            self._transcript.append({"speaker": self.seekers[addressee], "text": self._last_words[addressee],
                                     "emotion": turn_info["emotion"]})
            info.update({key: turn_info[key] for key in ("reply", "inner_thought", "cue", "delta") if key in turn_info})
            if "strategy" in turn_info:
                info["strategy"] = turn_info["strategy"]
            if terminated or truncated:
                self._leave(addressee, turn_info["reason"])
        else:
            info["wasted"] = True  # the addressee has left: nobody hears the reply
        waiting = []
        for k, conversation in enumerate(self._conversations):
            if k != addressee and self._present[k]:
                conversation.user.wait()
                waiting.append((self.seekers[k], conversation.user.emotion))
                if conversation.user.emotion < QUITS_BELOW:
                    self._leave(k, "quit")
        if waiting:
            self._transcript.append({"waiting": waiting})
        self._cycles += 1

        after = self._emotions()
        deltas = [a - b for a, b in zip(after, before)]
        everyone_left = not any(self._present)
        out_of_cycles = self._cycles >= self.max_cycles
        info.update(emotions=after, deltas=deltas, present=list(self._present), left=list(self._left_reason))
        if everyone_left or out_of_cycles:
            info["reason"] = "everyone_left" if everyone_left else "max_cycles"
            info["final_emotions"] = after

        rewards = {SUPPORTER: float(np.mean(deltas)) / 100.0}
        terminations = {SUPPORTER: everyone_left}
        truncations = {SUPPORTER: out_of_cycles and not everyone_left}
        infos: dict[str, Any] = {SUPPORTER: info}
        for k, seeker in enumerate(self.seekers):
            if seeker not in self.agents:
                continue
            rewards[seeker] = deltas[k] / 100.0
            reason = self._left_reason[k]
            terminations[seeker] = reason in ("resolved", "quit")
            truncations[seeker] = reason == "max_turns" or (reason is None and out_of_cycles)
            infos[seeker] = {"emotion": after[k], "delta": deltas[k], "addressed": k == addressee and addressed_present,
                             "expression": expression_info(expressions.get(k)), "left": reason}
        observations = self._observations()
        if self.render_mode == "human":
            self.render()
        self.agents = [agent for agent in self.agents if not (terminations[agent] or truncations[agent])]
        if SUPPORTER not in self.agents:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'human' to the env")
            return None
        lines = self._transcript_lines() if self._transcript else ["(no conversation yet: call reset())"]
        if self.render_mode == "ansi":
            return "\n".join(lines)
        print("\n".join(lines[self._printed_lines:]), flush=True)
        self._printed_lines = len(lines)
        return None

    def close(self) -> None:
        for conversation in self._conversations:
            conversation.close()

    # -- accessors -----------------------------------------------------------------------------
    def transcript_of(self, seeker: int) -> list[dict[str, Any]]:
        """Seeker ``seeker``'s own conversation (as ``EmpathyEnv.transcript``; waiting turns are not in it)."""
        return self._conversations[seeker].transcript

    @property
    def users(self) -> list:
        """The simulated users, in seat order (privileged)."""
        return [conversation.user for conversation in self._conversations]

    # -- helpers -------------------------------------------------------------------------------
    def _decode_supporter(self, action: Any) -> tuple[int, Any]:
        """(addressee, the reply action of the single-agent env), validated."""
        if self.action_mode == "strategy":
            values = np.asarray(action)
            if values.shape != (2,) or not np.issubdtype(values.dtype, np.integer):
                raise ValueError(f"the supporter's action must be two integers (addressee, strategy), got {action!r:.80}")
            addressee, strategy = int(values[0]), int(values[1])
            if not 0 <= strategy < len(STRATEGIES):
                raise ValueError(f"strategy {strategy} is out of range: allowed 0..{len(STRATEGIES) - 1}")
            reply: Any = strategy
        else:
            if not isinstance(action, Mapping) or set(action) != {"addressee", "text"}:
                raise ValueError(f"the supporter's action must be a dict with 'addressee' and 'text', got {action!r:.80}")
            addressee, reply = action["addressee"], action["text"]
            if isinstance(addressee, np.ndarray) and addressee.shape == ():
                addressee = addressee.item()
            if isinstance(addressee, bool) or not isinstance(addressee, Integral):
                raise ValueError(f"addressee must be an integer seat index, got {addressee!r}")
            if not isinstance(reply, str) or len(reply) > self.max_reply_chars:
                raise ValueError(f"text must be a str of at most max_reply_chars={self.max_reply_chars} characters")
            addressee = int(addressee)
        if not 0 <= addressee < self.n_seekers:
            raise ValueError(f"addressee {addressee} is out of range: allowed 0..{self.n_seekers - 1}")
        return addressee, reply

    def _leave(self, seeker: int, reason: str) -> None:
        self._present[seeker] = False
        self._left_reason[seeker] = reason

    def _emotions(self) -> list[int]:
        return [conversation.user.emotion for conversation in self._conversations]

    def _observations(self) -> dict[str, Any]:
        observations: dict[str, Any] = {}
        if SUPPORTER in self.agents:
            supporter: dict[str, Any] = {"text": "\n".join(f"[{k}] {text}" for k, text in enumerate(self._last_words))}
            if self.emotion_obs != "hidden":
                emotions = np.array(self._emotions(), dtype=np.float64)
                if self.emotion_obs == "noisy":
                    emotions = np.clip(emotions + self.emotion_noise * self._obs_rng.standard_normal(self.n_seekers), 0, 100)
                supporter["emotion"] = emotions.astype(np.float32)
            supporter["turn"] = np.array([min(1.0, self._cycles / self.max_cycles)], dtype=np.float32)
            supporter["present"] = np.array(self._present, dtype=np.int8)
            observations[SUPPORTER] = supporter
        for k, seeker in enumerate(self.seekers):
            if seeker in self.agents:
                user = self._conversations[k].user
                observations[seeker] = seeker_observation(user, self._last_reply_to[k], user.difficulty.max_turns)
        return observations

    def _transcript_lines(self) -> list[str]:
        names = {seeker: f"[{k}] {c.user.profile.persona.name}" for k, (seeker, c) in
                 enumerate(zip(self.seekers, self._conversations))}
        lines = [f"== support group of {self.n_seekers} =="]
        for k, conversation in enumerate(self._conversations):
            lines.append(f"   {names[self.seekers[k]]}, goal: {conversation.user.profile.goal}")
        for entry in self._transcript:
            if "waiting" in entry:
                lines.append("      waiting: " + "  ".join(
                    f"{names[seeker]} {emotion_bar(emotion)}" for seeker, emotion in entry["waiting"]))
            elif entry["speaker"] == SUPPORTER:
                lines.append(f"SUPPORTER to {names[self.seekers[entry['to']]]}: {entry['text']}")
            else:
                lines.append(f"{names[entry['speaker']]} {emotion_bar(entry['emotion'])}: {entry['text']}")
        if not self.agents and self._cycles:
            lines.append("== ended: " + ", ".join(f"{names[s]} {r or 'stayed'}" for s, r in
                                                   zip(self.seekers, self._left_reason)) + " ==")
        return lines


def parallel_env(**kwargs: Any) -> SupportGroupEnv:
    """The parallel form (the native one). Arguments as in the module docstring."""
    return SupportGroupEnv(**kwargs)


def raw_env(**kwargs: Any):
    """The AEC form without wrappers: ``parallel_to_aec(parallel_env(...))``."""
    return parallel_to_aec(parallel_env(**kwargs))


def env(**kwargs: Any):
    """The AEC form with PettingZoo's order-enforcing wrapper (the usual entry point)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
