"""Registration of the EmpathyGym/ environment ids with Gymnasium (runs when empathy_gym is imported)."""

from __future__ import annotations

import gymnasium as gym

from empathy_gym.model.user_kinds import user_kinds

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
    ("SupportLLM-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "normal", "user": "llm"}, "text", "llm"),
    ("SupportLLMSimple-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "simple", "user": "llm"}, "text", "llm"),
    ("SupportLLMChallenging-v0", "empathy_gym.envs.support:EmpathyEnv", {"difficulty": "challenging", "user": "llm"}, "text", "llm"),
)

#: The native vector envs (``gym.make_vec`` uses them by default): for the LLM ids the users' model
#: calls go to the backend in batches; for every id the step skips per-sub-env wrappers and builds the
#: vector ``info`` in one pass. The transcripts equal those of ``SyncVectorEnv``.
VECTOR_ENTRY_POINTS = {
    "text": "empathy_gym.envs.support_vector:EmpathyVectorEnv",
    "strategy": "empathy_gym.envs.support_vector:EmpathyStrategyVectorEnv",
}


def env_ids(backend: str | None = None) -> tuple[str, ...]:
    """The full ids of every registered environment, or of those whose user kind is ``backend``.

    ``backend`` is a kind of :func:`empathy_gym.model.user_kinds.user_kinds` ("parametric", "llm");
    the ``llm`` ids need a ``backend=`` argument at ``gym.make``.
    """
    if backend is not None and backend not in user_kinds():
        raise ValueError(f"backend must be one of {', '.join(map(repr, user_kinds()))} (the registered user kinds) "
                         f"or None, got {backend!r}")
    return tuple(f"{NAMESPACE}/{name}" for name, *_, kind in ENVIRONMENTS if backend in (None, kind))


def register_environments() -> None:
    """Register every id once; importing the package twice does not re-register."""
    for name, entry_point, kwargs, action, _ in ENVIRONMENTS:
        env_id = f"{NAMESPACE}/{name}"
        if env_id not in gym.registry:
            # The env truncates at its own max_turns (which a reset option may change), so no TimeLimit.
            gym.register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs), disable_env_checker=False,
                         vector_entry_point=VECTOR_ENTRY_POINTS[action])
