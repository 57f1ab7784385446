"""stable-baselines3 integration: a featurised env for ``MultiInputPolicy`` and an evaluation adapter.

stable-baselines3 has no ``Text`` space support (its ``check_env`` rejects the raw observation and
``PPO`` fails at construction), so the dialogue text is replaced by hashed n-gram counts and the
agent's strategy history is added and every entry is scaled to [-1, 1]
(:mod:`empathy_gym.wrappers.features`). The result is a ``Dict`` of float ``Box`` entries
(``text``, ``text_memory``, ``emotion``, ``turn``, ``strategy_shares``, ``last_strategy``,
``strategy_effects``, ``emotion_history``), which ``MultiInputPolicy`` takes as it is::

    from stable_baselines3 import PPO
    from empathy_gym.evaluation import evaluate
    from empathy_gym.integrations.sb3 import SB3Policy, make_sb3_env

    model = PPO("MultiInputPolicy", make_sb3_env(difficulty="simple"), seed=0)
    model.learn(total_timesteps=20_000)
    records, summary = evaluate(SB3Policy(model), difficulty="simple", split="test")

Vectorised training: ``make_vec_env(make_sb3_env, n_envs=4, env_kwargs={"difficulty": "simple"})``
(a callable is called with ``env_kwargs``). With a string id, ``make_vec_env`` asks for
``render_mode="rgb_array"``, which these envs do not have: pass ``env_kwargs={"render_mode": None,
...}`` and ``wrapper_class=sb3_features``.

:class:`SB3Policy` feeds the model observations featurised by the very same wrapper stack, around a
stand-in env that replays the raw observations (:class:`~empathy_gym.wrappers.ReplayFeaturiser`, as
:class:`empathy_gym.agents.ppo.PPOPolicy` does), so features cannot drift between training and
evaluation.

stable-baselines3 is imported only inside the functions that need it; this module imports
without it.
"""

from __future__ import annotations

import os

from typing import Any

import gymnasium as gym
from gymnasium import spaces

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)
from empathy_gym._optional import require
from empathy_gym.wrappers.features import DialogueHistory, HashedTextFeatures, ReplayFeaturiser, ScaleToUnit

__all__ = ["SB3Policy", "load_sb3_model", "make_sb3_env", "sb3_features"]

_INSTALL_HINT = "this needs stable-baselines3: pip install stable-baselines3 (or the sb3 extra: pip install \"empathy_gym[sb3]\")"


def _require_sb3() -> Any:
    """Import stable_baselines3, or raise an ImportError that says how to install it."""
    return require("stable_baselines3", hint=_INSTALL_HINT)


def load_sb3_model(path: str | os.PathLike) -> Any:
    """A stable-baselines3 PPO model saved with ``model.save(path)`` (on the CPU)."""
    return _require_sb3().PPO.load(str(path), device="cpu")


def sb3_features(env: gym.Env, n_features: int = 256, emotion_window: int = 4, text_memory: bool = True) -> gym.Env:
    """Wrap ``env`` in the featuriser stack used for SB3: :class:`DialogueHistory`, :class:`HashedTextFeatures`, :class:`ScaleToUnit`.

    Usable as ``make_vec_env``'s ``wrapper_class`` (with ``wrapper_kwargs``).
    """
    history = DialogueHistory(env, emotion_window=emotion_window)
    return ScaleToUnit(HashedTextFeatures(history, n_features=n_features, memory=text_memory))


def make_sb3_env(
    env_id: str = "EmpathyGym/SupportStrategy-v0",
    *,
    n_features: int = 256,
    emotion_window: int = 4,
    text_memory: bool = True,
    **env_kwargs: Any,
) -> gym.Env:
    """A featurised EmpathyGym env that stable-baselines3 accepts (``Dict`` of float ``Box``: ``MultiInputPolicy``).

    Args:
        env_id: a strategy environment id (``Discrete`` actions, e.g. ``EmpathyGym/SupportStrategy-v0``).
        n_features: length of the hashed text vector.
        emotion_window: observed emotions kept by :class:`DialogueHistory`.
        text_memory: add the episode's summed text features (``HashedTextFeatures(memory=True)``).
        **env_kwargs: passed to ``gym.make`` (``difficulty``, ``split``, ...). No ``render_mode``
            is set: these envs render text only, not the ``rgb_array`` SB3 asks for by default.
    """
    env = gym.make(env_id, **env_kwargs)
    if not isinstance(env.action_space, spaces.Discrete):
        env.close()
        raise ValueError(f"make_sb3_env needs a strategy env with Discrete actions; {env_id} has {env.action_space}")
    return sb3_features(env, n_features=n_features, emotion_window=emotion_window, text_memory=text_memory)


def _box_length(space: spaces.Space, key: str) -> int | None:
    if isinstance(space, spaces.Dict) and isinstance(space.spaces.get(key), spaces.Box):
        return int(space.spaces[key].shape[0])
    return None


class SB3Policy:
    """Play a trained stable-baselines3 model through the policy interface of :func:`empathy_gym.evaluation.evaluate`.

    The raw observations are featurised exactly as in training (:func:`sb3_features` around a
    stand-in env that replays them, keeping the strategy shares and emotion history per episode).

    Args:
        model: a trained SB3 model (``PPO("MultiInputPolicy", make_sb3_env(...))``, after ``learn``).
        n_features: the hashed text length used in training; ``None`` reads it from the model's
            observation space.
        deterministic: take the most likely action (default) or sample one.
        emotion_window: the ``DialogueHistory`` window used in training; ``None`` reads it from the
            model's observation space (4 when the emotion is hidden).
        name: the policy's name in evaluation records.
    """

    def __init__(
        self,
        model: Any,
        n_features: int | None = None,
        deterministic: bool = True,
        *,
        emotion_window: int | None = None,
        name: str = "sb3",
    ) -> None:
        _require_sb3()
        space = model.observation_space
        model_features = _box_length(space, "text")
        if model_features is None:
            raise ValueError(f"the model was not trained on make_sb3_env observations (no text Box): {space}")
        if n_features is None:
            n_features = model_features
        elif n_features != model_features:
            raise ValueError(f"n_features={n_features} but the model was trained with {model_features}")
        if emotion_window is None:
            emotion_window = _box_length(space, "emotion_history") or 4
        self.model = model
        self.n_features = n_features
        self.emotion_window = emotion_window
        self.text_memory = "text_memory" in space.spaces
        self.deterministic = deterministic
        self.name = name
        self._features: ReplayFeaturiser | None = None
        self.last_entropy: float | None = None  # entropy (nats) of the last action's distribution

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        if env is None:
            raise ValueError("SB3Policy.reset needs the env, for its observation and action spaces")
        self._features = ReplayFeaturiser(
            env.observation_space, env.action_space,
            lambda replay: sb3_features(replay, n_features=self.n_features, emotion_window=self.emotion_window,
                                        text_memory=self.text_memory))
        if self._features.observation_space != self.model.observation_space:
            raise ValueError(
                "this env's featurised observations do not match the model's: "
                f"{self._features.observation_space} vs {self.model.observation_space}"
            )

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        if self._features is None:
            raise RuntimeError("call reset before act")
        features = self._features(observation)
        action, _ = self.model.predict(features, deterministic=self.deterministic)
        self.last_entropy = self._entropy(features)
        self._features.record(int(action))
        return int(action)

    def _entropy(self, features: Any) -> float:
        """The entropy (nats) of the model's action distribution for these features."""
        import torch

        tensor, _ = self.model.policy.obs_to_tensor(features)
        with torch.no_grad():
            return float(self.model.policy.get_distribution(tensor).entropy()[0])
