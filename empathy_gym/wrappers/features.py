"""Featurisers: observation wrappers that turn the dialogue observation into fixed-size float vectors.

Neural-network policies (the bundled PPO, stable-baselines3's ``MultiInputPolicy``) need numbers,
not text. These wrappers replace text with vectors and keep every ``Box`` entry:

* :class:`HashedTextFeatures` replaces ``text`` with hashed word and bigram counts
  (``Box(-1, 1, (n_features,))``, L2-normalised, signed hashing). It needs no extra dependency
  and gives the same vector in every process, because it uses CRC32 rather than Python's salted
  ``hash``.
* :class:`DialogueHistory` adds what a memoryless policy cannot see in one observation: how often
  the agent has used each strategy so far (``strategy_shares``: the share of turns per strategy; strategy environments only) and the
  emotion over the last turns as it was observed (``emotion_history``, when the emotion is
  observed at all).

Compose them, and flatten for libraries that need a single ``Box``::

    env = gym.make("EmpathyGym/SupportStrategy-v0")
    env = HashedTextFeatures(DialogueHistory(env))
    env = gymnasium.wrappers.FlattenObservation(env)   # optional: one Box
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

_TOKEN = re.compile(r"[a-z0-9']+")


class HashedTextFeatures(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Replace the ``text`` entry of a Dict observation with hashed n-gram counts.

    Args:
        env: an env whose observation space is a ``Dict`` with a ``Text`` entry under ``key``.
        n_features: length of the feature vector (a power of two spreads the hash evenly).
        ngrams: which n-gram lengths to count, e.g. ``(1, 2)`` for words and bigrams.
        key: the Dict key holding the text.
    """

    def __init__(self, env: gym.Env, n_features: int = 512, ngrams: tuple[int, ...] = (1, 2), key: str = "text") -> None:
        gym.utils.RecordConstructorArgs.__init__(self, n_features=n_features, ngrams=ngrams, key=key)
        gym.ObservationWrapper.__init__(self, env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or not isinstance(space.spaces.get(key), spaces.Text):
            raise ValueError(f"HashedTextFeatures needs a Dict observation space with a Text entry {key!r}; got {space}")
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 2:
            raise ValueError(f"n_features must be an integer >= 2, got {n_features!r}")
        if not ngrams or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in ngrams):
            raise ValueError(f"ngrams must be a non-empty tuple of positive integers, got {ngrams!r}")
        self.n_features = n_features
        self.ngrams = tuple(ngrams)
        self.key = key
        entries = dict(space.spaces)
        entries[key] = spaces.Box(-1.0, 1.0, shape=(n_features,), dtype=np.float32)
        self.observation_space = spaces.Dict(entries)

    def featurise(self, text: str) -> np.ndarray:
        """The hashed, L2-normalised n-gram vector of ``text``."""
        vector = np.zeros(self.n_features, dtype=np.float32)
        tokens = _TOKEN.findall(text.lower())
        for n in self.ngrams:
            for start in range(len(tokens) - n + 1):
                digest = zlib.crc32(" ".join(tokens[start:start + n]).encode("ascii", "ignore"))
                # The lowest bit picks the sign so that collisions cancel out on average.
                vector[(digest >> 1) % self.n_features] += 1.0 if digest & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def observation(self, observation: dict[str, Any]) -> dict[str, Any]:
        featurised = dict(observation)
        featurised[self.key] = self.featurise(observation[self.key])
        return featurised


class DialogueHistory(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Add the agent's strategy counts and the recent observed emotions to a Dict observation.

    Args:
        env: an EmpathyGym env (or any env with a Dict observation space).
        emotion_window: how many of the latest observed emotions to keep (oldest first, scaled to
            0..1, padded with the first one seen).
    """

    def __init__(self, env: gym.Env, emotion_window: int = 4) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, emotion_window=emotion_window)
        gym.Wrapper.__init__(self, env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict):
            raise ValueError(f"DialogueHistory needs a Dict observation space; got {space}")
        if isinstance(emotion_window, bool) or not isinstance(emotion_window, int) or emotion_window < 1:
            raise ValueError(f"emotion_window must be a positive integer, got {emotion_window!r}")
        self.emotion_window = emotion_window
        self._count_strategies = isinstance(env.action_space, spaces.Discrete)
        self._track_emotion = "emotion" in space.spaces
        entries = dict(space.spaces)
        if self._count_strategies:
            entries["strategy_shares"] = spaces.Box(0.0, 1.0, shape=(int(env.action_space.n),), dtype=np.float32)
        if self._track_emotion:
            entries["emotion_history"] = spaces.Box(0.0, 1.0, shape=(emotion_window,), dtype=np.float32)
        self.observation_space = spaces.Dict(entries)
        self._counts = np.zeros(int(env.action_space.n) if self._count_strategies else 0, dtype=np.float32)
        self._emotions: list[float] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        observation, info = self.env.reset(seed=seed, options=options)
        self._counts = np.zeros_like(self._counts)
        self._emotions = []
        return self._augment(observation), info

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        if self._count_strategies:
            self._counts[int(action)] += 1.0
        return self._augment(observation), reward, terminated, truncated, info

    def _augment(self, observation: dict[str, Any]) -> dict[str, Any]:
        augmented = dict(observation)
        if self._count_strategies:
            # Shares of the turns so far, so the entry stays in [0, 1] whatever the turn budget.
            total = float(self._counts.sum())
            augmented["strategy_shares"] = self._counts / total if total else self._counts.copy()
        if self._track_emotion:
            self._emotions.append(float(observation["emotion"][0]) / 100.0)
            recent = self._emotions[-self.emotion_window:]
            padded = [recent[0]] * (self.emotion_window - len(recent)) + recent
            augmented["emotion_history"] = np.array(padded, dtype=np.float32)
        return augmented


class _ReplayEnv(gym.Env):
    """A stand-in env that returns whatever raw observation it is handed (see ReplayFeaturiser)."""

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.pending: Any = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        return self.pending, {}

    def step(self, action: Any):
        return self.pending, 0.0, False, False, {}


class ReplayFeaturiser:
    """Featurise raw observations one at a time with the same wrapper stack a policy was trained on.

    A trained policy plays the raw env during evaluation; this puts its training wrappers around a
    stand-in env that replays each raw observation, so stateful wrappers (``DialogueHistory``)
    update exactly as in training and the features cannot drift.

    Make one per episode; call it on each raw observation and :meth:`record` each action taken.

    Args:
        observation_space, action_space: the raw env's spaces.
        build: the training wrapper stack, e.g. ``lambda env: HashedTextFeatures(DialogueHistory(env))``.
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 build: Callable[[gym.Env], gym.Env]) -> None:
        self._replay = _ReplayEnv(observation_space, action_space)
        self.env = build(self._replay)
        self.observation_space = self.env.observation_space
        self._last_action: Any = None

    def __call__(self, observation: Any) -> Any:
        """Features of the next raw observation (the first of an episode until :meth:`record` is called)."""
        self._replay.pending = observation
        if self._last_action is None:
            return self.env.reset()[0]
        return self.env.step(self._last_action)[0]

    def record(self, action: Any) -> None:
        """The action taken on the last observation (stateful wrappers count it)."""
        self._last_action = action
