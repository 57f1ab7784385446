"""Registration of the EmpathyGym/ environment ids with Gymnasium (runs when empathy_gym is imported)."""

from __future__ import annotations

import gymnasium as gym

NAMESPACE = "EmpathyGym"

#: Every registered id: (name, entry point, default kwargs, action type, backend). The README's
#: environment table lists exactly these.
ENVIRONMENTS: tuple[tuple[str, str, dict, str, str], ...] = (
    ("Support-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "normal"}, "text", "parametric"),
    ("SupportSimple-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "simple"}, "text", "parametric"),
    ("SupportChallenging-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "challenging"}, "text", "parametric"),
    ("SupportStrategy-v0", "empathy_gym.envs.support_strategy:EmpathyStrategyEnv", {"difficulty": "normal"}, "strategy", "parametric"),
    ("SupportStrategySimple-v0", "empathy_gym.envs.support_strategy:EmpathyStrategyEnv", {"difficulty": "simple"}, "strategy", "parametric"),
    ("SupportStrategyChallenging-v0", "empathy_gym.envs.support_strategy:EmpathyStrategyEnv", {"difficulty": "challenging"}, "strategy", "parametric"),
)


def env_ids() -> tuple[str, ...]:
    """The full ids of every registered environment."""
    return tuple(f"{NAMESPACE}/{name}" for name, *_ in ENVIRONMENTS)


def register_environments() -> None:
    """Register every id once; importing the package twice does not re-register."""
    for name, entry_point, kwargs, _, _ in ENVIRONMENTS:
        env_id = f"{NAMESPACE}/{name}"
        if env_id not in gym.registry:
            # The env truncates at its own max_turns (which a reset option may change), so no TimeLimit.
            gym.register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs), disable_env_checker=False)
