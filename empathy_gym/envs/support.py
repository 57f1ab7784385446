"""EmpathyEnv: one supportive conversation with a simulated user, the agent replying in free text.

## Description

A simulated person (a :class:`~empathy_gym.profiles.Profile`: persona, background story, explicit
goal, one hidden intention) opens a conversation about something that upset them. Each step the
agent writes a reply; the person appraises it, their emotion (an integer 0..100 on the SAGE scale)
moves, and they answer. The agent's job is to find out what the person really needs (the hidden
intention, one of eight kinds after RLVER) and meet it. The emotion is the reward, and each turn's
``info["inner_thought"]`` says why it moved, so the reward is verifiable.

The default user is the parametric one (:mod:`empathy_gym.model.parametric`): seeded, offline, no
model. With ``user="llm"`` a language model plays the person (:mod:`empathy_gym.model.llm.user`:
an analysis call and a reply call per turn, through a local transformers model, an
OpenAI-compatible server or any callable). Any kind of user keeps the contract of
:mod:`empathy_gym.model.user`: every user settles its change of emotion with the same arithmetic
(:func:`~empathy_gym.model.emotion.settle_emotion`: noise, clamp, bounds) and the environment owns
the rest (initial value, states, turn budget, episode end), so the contract below is the same.
Difficulty (:class:`~empathy_gym.model.difficulty.Difficulty`) sets how strict, reticent,
fragile, noisy and well-aligned the user is, and the episode shape.

## Action Space

``Text(max_length=max_reply_chars, min_length=0, charset=CHARSET)``: the agent's reply. Characters
outside the printable charset (curly quotes, accents, emoji) are folded or dropped before the user
reads the reply (and the result is cut to ``max_reply_chars``); a reply longer than
``max_reply_chars`` is an error.

With ``think="strip"`` the limits are set apart: the visible reply (what is left once
``<think>...</think>`` is removed) may have ``max_reply_chars`` characters and the thinking
``max_think_chars`` more (default 16,000, about 4,000 tokens of reasoning), so a model that thinks
at length is not refused for it. The space is then a :class:`ThinkingReply`, a ``Text`` of
``max_length=max_reply_chars + max_think_chars`` that holds (and samples) only replies within both
limits. A visible reply or a thinking part over its own limit is an error that says which.

## Observation Space

``Dict`` with:

| key | space | meaning |
| --- | --- | --- |
| ``text`` | ``Text(max_length=2000, min_length=0, charset=CHARSET)`` | the user's latest utterance (the opening message after ``reset``) |
| ``emotion`` | ``Box(0, 100, (1,), float32)`` | the user's emotion: exact, or with Gaussian noise (``emotion_obs="noisy"``); absent when ``emotion_obs="hidden"`` |
| ``turn`` | ``Box(0, 1, (1,), float32)`` | turns used / ``max_turns`` |

## Rewards

``reward_mode="delta"`` (default): the change of emotion / 100 each turn, so the return is
(final - initial) / 100. ``reward_mode="terminal"``: 0 each turn and final emotion / 100 when the
episode ends (RLVER's reward).

## Starting State

A profile drawn uniformly from the configured profiles (``split`` or ``profiles``) with the env's
``np_random``, or the one named by ``reset(options={"profile_id": ...})``. The emotion starts at the
difficulty's ``initial_emotion`` (40 in every preset).

## Episode End

* Terminated, ``info["reason"] == "resolved"``: the emotion reaches 100 (state S); the user thanks
  the agent and leaves.
* Terminated, ``info["reason"] == "quit"``: the emotion falls below 10 (state F); the user leaves.
* Truncated, ``info["reason"] == "max_turns"``: ``max_turns`` replies without either.

Stepping an ended episode raises :class:`EpisodeEndedError`; call ``reset``.

## Info

Every step: ``emotion``, ``delta``, ``state`` (S/A/B/C/F), ``inner_thought``, ``reasons``,
``appraisal`` (the user's reading of the reply: strategy weights and quality signals; None for a
user kind that gives no reading), ``cue``
(``none``/``implicit``/``explicit``), ``turn``, ``reply`` (the reply as the user read it). With
``think="strip"`` also ``think_chars`` (characters of thinking removed from the reply). With the
LLM user also ``llm``, ``llm_fallbacks`` and ``llm_errors`` (below); there ``appraisal`` is the
parametric reading of the reply, ``cue`` is ``unknown`` and ``reasons`` holds the codes the model
gave (the parametric ones on a fallback turn). At
``reset``: ``profile_id``, ``emotion``, ``state``, ``turn``. At the end also ``reason``,
``profile_id``, ``hidden_intention``, ``difficulty`` (a dict of axes) and ``final_emotion``. Every
call returns fresh objects.

### With the LLM user: failures and ``info["llm"]``

A step never raises because of the model. Each turn's analysis call that cannot be read is asked
for again (``analysis_retries``, default once); an analysis that still cannot be read, or whose
call failed (the backend raised, timed out or answered something that is not text), is replaced
for that turn by the parametric reading of the same reply from the same emotion (a *fallback*);
a failed or empty reply call is replaced by the parametric user's words. Failed calls are not
asked again by the user (the backend has its own retries: ``OpenAIBackend(retries=, backoff=)``).
The next turn uses the model again. Every entry has the same keys and types on every turn:

| key | type | meaning |
| --- | --- | --- |
| ``llm["analysis"]`` | str | ``"ok"``, ``"retried"`` (read after an unreadable answer) or ``"fallback"`` |
| ``llm["reply"]`` | str | ``"ok"`` or ``"fallback"`` |
| ``llm["attempts"]`` | int | analysis calls made this turn |
| ``llm["errors"]`` | list of str | one line per failed call this turn (empty when none) |
| ``llm["model"]`` | dict | the analysis used: ``read`` (bool), ``change`` (int), ``inner_reaction``, ``meaning`` (str), ``reasons`` (list of str), ``serves_need`` (``"yes"``/``"no"``/``"unknown"``), ``clamped`` (bool); on a fallback turn ``read`` is False, ``change`` 0, the texts and reasons empty, ``serves_need`` ``"unknown"`` |
| ``llm_fallbacks`` | int | analyses and replies that fell back so far this episode |
| ``llm_errors`` | int | failed calls so far this episode |

A ``KeyboardInterrupt`` (Ctrl-C) during a model call stops the step and leaves the episode as it
was before it (user, random stream, transcript), so the same step can be taken again.

### Privileged

``info`` explains and verifies the reward; it is privileged. ``info["emotion"]`` is exact whatever
``emotion_obs`` says, and ``inner_thought`` may name the need the user perceived. A policy that
is meant to work from observations alone must not read them.

## Arguments

* ``difficulty``: a preset name (``"simple"``, ``"normal"``, ``"challenging"``), a level in
  [0, 1], a mapping of axes, or a ``Difficulty``. Default ``"normal"``. A mapping changes the
  axes it names on top of ``normal`` (also for the preset ids, whose default it replaces) unless
  it names a base itself with ``"preset"`` or ``"level"``.
  ``reset(options={"difficulty": ...})`` changes it for this and every later episode (for
  curricula on running vector envs); there a mapping changes the named axes of the current
  difficulty, and ``None`` keeps it.
* ``split``: which shipped profiles to draw from: ``"train"`` (default), ``"test"``, ``"ood"``.
* ``profiles``: instead of ``split``, a path to a JSON/YAML profile file or a sequence of
  ``Profile`` objects.
* ``reward_mode``: ``"delta"`` (default) or ``"terminal"``.
* ``emotion_obs``: ``"exact"`` (default), ``"noisy"`` or ``"hidden"``.
* ``emotion_noise``: standard deviation in points of the noisy emotion observation (default 10).
* ``max_reply_chars``: the longest reply accepted (default 2000 characters); with ``think="strip"``
  the longest visible reply.
* ``max_think_chars``: with ``think="strip"``, the most characters of thinking (``<think>`` blocks,
  tags included) a reply may hold on top of its visible part (default 16000); unused otherwise.
* ``render_mode``: ``"ansi"`` (the transcript with an emotion bar per user turn, as a string) or
  ``"human"`` (printed as the conversation goes, each line once).
* ``user``: the kind of simulated user: a name registered in :mod:`empathy_gym.model.user_kinds`
  (``"parametric"``, the default; ``"llm"``, which the ``SupportLLM`` ids set), or any callable
  that returns a :class:`~empathy_gym.model.user.SimulatedUser` (a subclass, or a factory), called
  once per env.
* ``user_options``: keyword arguments of the user kind's factory (the parametric user's
  ``reader``; the LLM user's options below).
* ``backend``: the LLM user's model (required with ``user="llm"``; nothing is downloaded): a
  ``TransformersBackend``, ``OpenAIBackend``, ``CallableBackend`` (see
  :mod:`empathy_gym.model.llm.backends`), or a spec string ``"transformers:PATH"`` /
  ``"openai:BASE_URL#MODEL"`` (each env made from a ``transformers`` string loads its own copy of
  the model: build one backend and pass it to every env to share it).
* ``llm_options``: keyword arguments of :class:`~empathy_gym.model.llm.user.LLMUser`
  (``analysis_retries``, ``analysis_tokens``, ``reply_tokens``, ``max_change``); the same as
  ``user_options`` (both may be given; ``user_options`` wins on a shared key).
* ``think``: ``"off"`` (default) or ``"strip"``: remove ``<think>...</think>`` from each reply before
  the user reads it (think-then-say agents); a reply that is only thinking counts as empty. The
  thinking has its own limit, ``max_think_chars``; ``max_reply_chars`` limits the visible reply.

Reset options: ``difficulty``, ``profile_id``.

## Example

>>> import gymnasium as gym
>>> import empathy_gym
>>> env = gym.make("EmpathyGym/Support-v0", difficulty="challenging", render_mode="ansi")
>>> obs, info = env.reset(seed=7)
>>> obs, reward, terminated, truncated, info = env.step("That sounds exhausting. What happened next?")
>>> sorted(obs)
['emotion', 'text', 'turn']

With a language model as the user (any backend; here a stand-in that always answers +3):

>>> from empathy_gym.model.llm import CallableBackend
>>> backend = CallableBackend(lambda messages: '{"change": 3, "inner_reaction": "A little better."}')
>>> env = gym.make("EmpathyGym/SupportLLM-v0", backend=backend)
>>> obs, info = env.reset(seed=7)
>>> info = env.step("What happened next?")[4]
>>> info["llm"]["analysis"], info["inner_thought"]
('ok', 'A little better.')

## Version History

* v0: initial release.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from empathy_gym.envs.shared_text import SharedText
from empathy_gym._text import CHARSET, fit_reply, sanitize, strip_thinking
from empathy_gym._validation import check_choice, check_int
from empathy_gym.model.difficulty import PRESETS, Difficulty, DifficultyLike, make_difficulty
from empathy_gym.model.emotion import QUITS_BELOW, RESOLVED_AT, emotion_state
from empathy_gym.model.expression import Expression
from empathy_gym.model.user import SimulatedUser, UserTurn
from empathy_gym.model.user_kinds import UserSpec, make_user
from empathy_gym.profiles import SPLITS, Profile, load_profiles

MAX_USER_CHARS = 2000
REWARD_MODES = ("delta", "terminal")
EMOTION_OBS_MODES = ("exact", "noisy", "hidden")
RESET_OPTIONS = ("difficulty", "profile_id")
THINK_MODES = ("off", "strip")
#: Default ``max_think_chars``: room for about 4,000 tokens of reasoning on top of the visible reply.
MAX_THINK_CHARS = 16_000
BAR_WIDTH = 20


class ThinkingReply(spaces.Text):
    """The reply space with ``think="strip"``: a visible reply of at most ``max_reply_chars`` characters
    and at most ``max_think_chars`` characters of ``<think>...</think>`` (tags included).

    A ``Text`` of ``max_length=max_reply_chars + max_think_chars`` whose :meth:`contains` also checks
    each part against its limit and whose :meth:`sample` draws replies within both (half of them
    with a thinking block), so ``check_env`` and random agents send only valid replies.
    """

    def __init__(self, max_reply_chars: int, max_think_chars: int, *, charset: str = CHARSET,
                 seed: int | np.random.Generator | None = None) -> None:
        super().__init__(max_length=max_reply_chars + max_think_chars, min_length=0, charset=charset, seed=seed)
        self.max_reply_chars = max_reply_chars
        self.max_think_chars = max_think_chars

    def contains(self, x: Any) -> bool:
        if not super().contains(x):
            return False
        said, thinking = strip_thinking(x)
        return len(said) <= self.max_reply_chars and thinking <= self.max_think_chars

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        if mask is not None or probability is not None:
            raise ValueError("ThinkingReply.sample takes no mask or probability; sample a Text for that")
        rng = self.np_random
        visible = super().sample(mask=(int(rng.integers(self.max_reply_chars + 1)), None))
        room = self.max_think_chars - len("<think></think>")
        if room < 0 or rng.random() < 0.5:
            return visible
        thought = super().sample(mask=(int(rng.integers(room + 1)), None))
        return f"<think>{thought}</think>{visible}"

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, ThinkingReply) and super().__eq__(other)
                and (self.max_reply_chars, self.max_think_chars) == (other.max_reply_chars, other.max_think_chars))

    def __repr__(self) -> str:
        return f"ThinkingReply(max_reply_chars={self.max_reply_chars}, max_think_chars={self.max_think_chars})"


class EpisodeEndedError(RuntimeError):
    """Raised when ``step`` is called on an episode that has already ended."""


@dataclass(frozen=True)
class PendingReply:
    """The first half of a step: the reply the user will read, and the info entries the action adds."""

    reply: str
    info: dict[str, Any]
    rendering: dict[str, Any]  # the rendering stream's state before the reply was made, for abandon_step


class EmpathyEnv(gym.Env):
    """A conversation with a simulated user; the agent replies in free text. See the module docstring."""

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        difficulty: DifficultyLike = "normal",
        split: str = "train",
        profiles: str | os.PathLike | Sequence[Profile] | None = None,
        reward_mode: str = "delta",
        emotion_obs: str = "exact",
        emotion_noise: float = 10.0,
        max_reply_chars: int = 2000,
        render_mode: str | None = None,
        user: UserSpec = "parametric",
        backend: Any = None,
        llm_options: Mapping[str, Any] | None = None,
        user_options: Mapping[str, Any] | None = None,
        think: str = "off",
        max_think_chars: int = MAX_THINK_CHARS,
    ) -> None:
        self.difficulty: Difficulty = make_difficulty(difficulty)
        check_choice("think", think, THINK_MODES)
        check_choice("reward_mode", reward_mode, REWARD_MODES)
        check_choice("emotion_obs", emotion_obs, EMOTION_OBS_MODES)
        check_choice("render_mode", render_mode, (None, *self.metadata["render_modes"]))
        if isinstance(emotion_noise, bool) or not isinstance(emotion_noise, Real) or not 0 <= emotion_noise < math.inf:
            raise ValueError(f"emotion_noise must be a finite number >= 0 (points), got {emotion_noise!r}")
        check_int("max_reply_chars", max_reply_chars)
        check_int("max_think_chars", max_think_chars)
        self.profiles: tuple[Profile, ...] = _resolve_profiles(split, profiles)
        self._profiles_by_id = {profile.id: profile for profile in self.profiles}
        self.reward_mode = reward_mode
        self.emotion_obs = emotion_obs
        self.emotion_noise = float(emotion_noise)
        self.max_reply_chars = int(max_reply_chars)
        self.max_think_chars = int(max_think_chars)
        self.render_mode = render_mode
        self.think = think
        options = {**dict(llm_options or {}), **dict(user_options or {})}
        if backend is not None:
            options["backend"] = backend
        self._user: SimulatedUser = make_user(user, options)

        # SharedText: a Text that AsyncVectorEnv's shared memory carries intact (shared_text.py).
        observation = {"text": SharedText(max_length=MAX_USER_CHARS, min_length=0, charset=CHARSET)}
        if emotion_obs != "hidden":
            observation["emotion"] = spaces.Box(0.0, 100.0, shape=(1,), dtype=np.float32)
        observation["turn"] = spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self.observation_space = spaces.Dict(observation)
        self.action_space = self._make_action_space()

        self._obs_rng: np.random.Generator | None = None
        self._render_rng: np.random.Generator | None = None
        self._printed_lines = 0
        self._ended_reason: str | None = None
        self._transcript: list[dict[str, Any]] = []

    # -- hooks for the action variants ---------------------------------------------------------
    def _make_action_space(self) -> spaces.Space:
        if self.think == "strip":
            return ThinkingReply(self.max_reply_chars, self.max_think_chars)
        return spaces.Text(max_length=self.max_reply_chars, min_length=0, charset=CHARSET)

    def _check_action(self, action: Any) -> None:
        """Raise a clear error for an invalid ``action``; changes nothing."""
        if not isinstance(action, str):
            raise TypeError(
                f"action must be a str (the agent's reply) in {type(self).__name__}, got {type(action).__name__}"
                f" {action!r:.60}; for strategy indices use EmpathyGym/SupportStrategy-v0")
        if self.think == "off":
            if len(action) > self.max_reply_chars:
                raise ValueError(f"reply is {len(action)} characters long; the most allowed is "
                                 f"max_reply_chars={self.max_reply_chars}")
            return
        said, thinking = strip_thinking(action)
        if thinking > self.max_think_chars:
            raise ValueError(f"the reply's thinking (<think>...</think>, tags included) is {thinking} characters "
                             f"long; the most allowed is max_think_chars={self.max_think_chars}")
        if len(said) > self.max_reply_chars:
            raise ValueError(f"the visible reply (outside <think>...</think>) is {len(said)} characters long; "
                             f"the most allowed is max_reply_chars={self.max_reply_chars}")
        if len(action) > self.action_space.max_length:
            raise ValueError(f"reply is {len(action)} characters long; the most allowed is max_reply_chars + "
                             f"max_think_chars = {self.action_space.max_length}")

    def fit_reply(self, text: str) -> str:
        """``text`` cut to what this env accepts as a reply (see :func:`empathy_gym._text.fit_reply`).

        A policy whose replies are not bounded in characters (a language model writes tokens) sends
        ``env.fit_reply(text)``: the visible reply cut to ``max_reply_chars`` and, with
        ``think="strip"``, the thinking to ``max_think_chars``.
        """
        return fit_reply(text, self.max_reply_chars, self.max_think_chars if self.think == "strip" else None)

    def _reply_from_action(self, action: Any) -> tuple[str, dict[str, Any]]:
        """Turn a valid ``action`` into the reply the user reads, plus info entries."""
        if self.think == "off":
            return sanitize(action, self.max_reply_chars), {}
        said, thinking = strip_thinking(action)
        return sanitize(said, self.max_reply_chars), {"think_chars": thinking}

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"reset options must be a dict such as {{'difficulty': 'challenging'}}, got "
                             f"{type(options).__name__} {options!r:.60}; allowed keys: {', '.join(RESET_OPTIONS)}")
        options = dict(options or {})
        # Validate every option before anything changes: a bad reset leaves the running episode intact.
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; allowed options: {', '.join(RESET_OPTIONS)}")
        difficulty = self._difficulty_option(options.get("difficulty"))
        chosen = self._profile_option(options["profile_id"]) if "profile_id" in options else None

        super().reset(seed=seed)
        # Always draw the profile index and the side streams so that choosing a profile by id
        # leaves the user's random stream where it would otherwise be.
        index = int(self.np_random.integers(len(self.profiles)))
        obs_seed, render_seed = self.np_random.integers(2**63 - 1, size=2)
        profile = chosen if chosen is not None else self.profiles[index]
        self.difficulty = difficulty
        self._obs_rng = np.random.default_rng(int(obs_seed))
        self._render_rng = np.random.default_rng(int(render_seed))
        opening = sanitize(self._user.start(profile, difficulty, self.np_random), MAX_USER_CHARS)
        self._ended_reason = None
        self._transcript = [{"speaker": "user", "text": opening, "emotion": difficulty.initial_emotion}]
        self._printed_lines = 0
        info = {"profile_id": profile.id, "emotion": difficulty.initial_emotion,
                "state": emotion_state(difficulty.initial_emotion), "turn": 0}
        if self.render_mode == "human":
            self.render()
        return self._observation(opening), info

    def _difficulty_option(self, spec: DifficultyLike) -> Difficulty:
        """The difficulty for the next episode: unchanged for None, a mapping changes the current one."""
        if spec is None:
            return self.difficulty
        if isinstance(spec, Mapping):
            return Difficulty.from_mapping(spec, base=self.difficulty)
        return make_difficulty(spec)

    def _profile_option(self, profile_id: Any) -> Profile:
        if not isinstance(profile_id, str) or profile_id not in self._profiles_by_id:
            raise ValueError(
                f"unknown profile_id {profile_id!r}: not among this env's {len(self.profiles)} profiles"
                f" (e.g. {', '.join(list(self._profiles_by_id)[:3])}, ...)")
        return self._profiles_by_id[profile_id]

    def step(self, action: Any, *, expression: Expression | None = None):
        """One turn: the agent's ``action``, then the user's reaction.

        ``expression`` is for the multi-agent environments, where a learning help-seeker chooses
        how the user speaks this turn (:class:`~empathy_gym.model.expression.Expression`); the
        default ``None`` is the profile's own way of speaking. Only a user whose kind
        ``supports_expression`` (the parametric one) takes one.
        """
        if expression is not None and not self._user.supports_expression:
            raise ValueError(f"expression (a help-seeker's way of speaking) needs the parametric user, not "
                             f"{type(self._user).__name__}")
        self.check_step(action)
        pending = self.prepare_reply(action)
        try:
            if expression is None:
                turn = self._user.respond(pending.reply, self.np_random)
            else:
                turn = self._user.respond(pending.reply, self.np_random, expression)
        except BaseException:  # the user's turn did not finish (Ctrl-C during a model call)
            self.abandon_step(pending)
            raise
        return self.finish_step(pending, turn)

    # -- the two halves of a step ----------------------------------------------------------------
    # ``step`` is check_step, prepare_reply, the user's turn, finish_step. Code that runs the users'
    # turns of several envs together (the native vector env batches LLM users' model calls) calls
    # the halves itself: every env's check_step first, so a bad action changes nothing anywhere,
    # and abandon_step instead of finish_step when the users' turns do not finish.
    def check_step(self, action: Any) -> None:
        """Raise a clear error if no step may be taken now or ``action`` is invalid; changes nothing."""
        if self._obs_rng is None:
            raise RuntimeError("call reset() before step()")
        if self._ended_reason is not None:
            raise EpisodeEndedError(
                f"the episode has ended (reason: {self._ended_reason}); call reset() to start a new one")
        self._check_action(action)

    def prepare_reply(self, action: Any) -> PendingReply:
        """The reply the user will read for an ``action`` that passed :meth:`check_step`.

        A strategy env renders its template here, drawing from the env's rendering stream; give the
        reply to ``user.respond(reply, env.np_random)``, then the turn to :meth:`finish_step`.
        """
        rendering = self._render_rng.bit_generator.state
        reply, info = self._reply_from_action(action)
        return PendingReply(reply, info, rendering)

    def abandon_step(self, pending: PendingReply) -> None:
        """Undo :meth:`prepare_reply` when the user's turn did not finish: the rendering stream goes back.

        The env is then as it was before the step (a user's turn that does not finish changes
        nothing itself; see :mod:`empathy_gym.model.llm.user`), so the same step can be taken again.
        """
        self._render_rng.bit_generator.state = pending.rendering

    def finish_step(self, pending: PendingReply, turn: UserTurn):
        """Record the user's ``turn`` in answer to ``pending``; return the Gymnasium step 5-tuple."""
        reply = pending.reply
        text = sanitize(turn.text, MAX_USER_CHARS)
        self._transcript.append({"speaker": "agent", "text": reply})
        self._transcript.append({"speaker": "user", "text": text, "emotion": turn.emotion,
                                 "inner_thought": turn.inner_thought})

        difficulty = self.difficulty
        terminated = turn.emotion >= RESOLVED_AT or turn.emotion < QUITS_BELOW
        truncated = not terminated and self._user.turn >= difficulty.max_turns
        if self.reward_mode == "delta":
            reward = turn.delta / 100.0
        else:
            reward = turn.emotion / 100.0 if terminated or truncated else 0.0

        info: dict[str, Any] = {
            "emotion": turn.emotion,
            "delta": turn.delta,
            "state": turn.state,
            "inner_thought": turn.inner_thought,
            "reasons": list(turn.reasons),
            "appraisal": turn.appraisal.as_dict() if turn.appraisal is not None else None,
            "cue": turn.cue,
            "turn": self._user.turn,
            "reply": reply,
            **pending.info,
            **copy.deepcopy(turn.extra),
        }
        if terminated or truncated:
            self._ended_reason = "resolved" if turn.emotion >= RESOLVED_AT else "quit" if terminated else "max_turns"
            profile = self._user.profile
            info.update(reason=self._ended_reason, profile_id=profile.id, hidden_intention=profile.hidden_intention,
                        difficulty=difficulty.to_dict(), final_emotion=turn.emotion)
        if self.render_mode == "human":
            self.render()
        return self._observation(text), float(reward), terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'human' to the env")
            return None
        lines = self._transcript_lines() if self._obs_rng is not None else ["(no conversation yet: call reset())"]
        if self.render_mode == "ansi":
            return "\n".join(lines)
        # Human mode prints only what is new since the last call, like a chat scrolling by.
        print("\n".join(lines[self._printed_lines:]), flush=True)
        self._printed_lines = len(lines)
        return None

    # -- accessors -----------------------------------------------------------------------------
    @property
    def transcript(self) -> list[dict[str, Any]]:
        """The conversation so far as a fresh list of dicts (speaker, text, emotion, inner_thought)."""
        return [dict(entry) for entry in self._transcript]

    @property
    def user(self) -> SimulatedUser:
        """The simulated user (read its ``profile``, ``emotion``, ``trust``; privileged information)."""
        return self._user

    # -- helpers -------------------------------------------------------------------------------
    def _observation(self, text: str) -> dict[str, Any]:
        observation: dict[str, Any] = {"text": text}
        if self.emotion_obs != "hidden":
            emotion = float(self._user.emotion)
            if self.emotion_obs == "noisy":
                emotion = float(np.clip(emotion + self.emotion_noise * self._obs_rng.standard_normal(), 0.0, 100.0))
            observation["emotion"] = np.array([emotion], dtype=np.float32)
        observation["turn"] = np.array([self._user.turn / self.difficulty.max_turns], dtype=np.float32)
        return observation

    def _transcript_lines(self) -> list[str]:
        profile = self._user.profile
        persona = profile.persona
        preset = next((name for name, value in PRESETS.items() if value == self.difficulty), "custom")
        lines = [f"== {persona.name}, {persona.age}, {persona.occupation} | goal: {profile.goal} | difficulty: {preset} =="]
        for entry in self._transcript:
            if entry["speaker"] == "user":
                emotion = entry["emotion"]
                lines.append(f"USER  {emotion_bar(emotion)}: {entry['text']}")
                if "inner_thought" in entry:
                    lines.append(f"      (thinks: {entry['inner_thought']})")
            else:
                lines.append(f"AGENT: {entry['text']}")
        if self._ended_reason is not None:
            lines.append(f"== ended: {self._ended_reason} ==")
        return lines


def emotion_bar(emotion: int) -> str:
    """``[#########...........]  45 B``: the emotion as a bar of BAR_WIDTH cells, its value and state."""
    filled = round(BAR_WIDTH * emotion / 100)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {emotion:3d} {emotion_state(emotion)}"


def _resolve_profiles(split: str, profiles: str | os.PathLike | Sequence[Profile] | None) -> tuple[Profile, ...]:
    if profiles is None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}; got {split!r}")
        return load_profiles(split)
    if isinstance(profiles, (str, os.PathLike)):
        return load_profiles(profiles)
    loaded = tuple(profiles)
    if not loaded or not all(isinstance(profile, Profile) for profile in loaded):
        raise ValueError("profiles must be a path to a profile file or a non-empty sequence of Profile objects")
    # Profiles built in code get the same validation as profiles read from a file.
    checked = tuple(Profile.from_dict(profile.to_dict(), source="profiles argument", index=index)
                    for index, profile in enumerate(loaded))
    seen: dict[str, int] = {}
    for index, profile in enumerate(checked):
        if profile.id in seen:
            raise ValueError(f"profiles argument: records {seen[profile.id]} and {index} share the id {profile.id!r}")
        seen[profile.id] = index
    return checked
