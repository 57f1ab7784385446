"""Playing policies on simulated users and summarising the outcomes (the core of the evaluation suite).

:func:`play_episode` plays one conversation; :func:`evaluate` plays a policy once per profile of a
split (and per seed) at a fixed difficulty and returns per-episode records and a summary: mean
final emotion with a 95% confidence interval, success rate (reached 100), failure rate (< 10) and
mean turns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from empathy_gym.model.difficulty import DifficultyLike

# Two-sided 95% normal quantile; with 100+ episodes per cell the t correction is negligible.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class EpisodeRecord:
    """The outcome of one conversation."""

    profile_id: str
    hidden_intention: str
    seed: int
    final_emotion: int
    reason: str
    turns: int
    episode_return: float
    actions: tuple[Any, ...]  # strategy indices, or reply texts for text policies


def play_episode(env: gym.Env, policy: Any, *, seed: int, profile_id: str | None = None) -> EpisodeRecord:
    """Play ``policy`` (see :mod:`empathy_gym.policies.reference`) for one episode of ``env``."""
    options = {"profile_id": profile_id} if profile_id is not None else None
    observation, info = env.reset(seed=seed, options=options)
    policy.reset(observation, info, env)
    actions: list[Any] = []
    total = 0.0
    while True:
        action = policy.act(observation, info)
        actions.append(action)
        observation, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        if terminated or truncated:
            break
    return EpisodeRecord(
        profile_id=info["profile_id"],
        hidden_intention=info["hidden_intention"],
        seed=seed,
        final_emotion=int(info["final_emotion"]),
        reason=info["reason"],
        turns=int(info["turn"]),
        episode_return=total,
        actions=tuple(actions),
    )


def evaluate(
    policy: Any,
    *,
    env_id: str = "EmpathyGym/SupportStrategy-v0",
    split: str = "test",
    difficulty: DifficultyLike = "normal",
    seeds: Sequence[int] = (0,),
    env_kwargs: dict[str, Any] | None = None,
) -> tuple[list[EpisodeRecord], dict[str, float]]:
    """Play ``policy`` once per profile of ``split`` for each seed; return the records and a summary."""
    env = gym.make(env_id, difficulty=difficulty, split=split, **(env_kwargs or {}))
    try:
        profiles = env.unwrapped.profiles
        records = [
            play_episode(env, policy, seed=seed * 100_003 + index, profile_id=profile.id)
            for seed in seeds
            for index, profile in enumerate(profiles)
        ]
    finally:
        env.close()
    return records, summarise(records)


def summarise(records: Sequence[EpisodeRecord]) -> dict[str, float]:
    """Mean final emotion with its 95% confidence interval, success and failure rates, mean turns."""
    finals = np.array([record.final_emotion for record in records], dtype=float)
    n = len(finals)
    if n == 0:
        raise ValueError("cannot summarise zero episodes")
    half_width = Z_95 * finals.std(ddof=1) / math.sqrt(n) if n > 1 else float("nan")
    return {
        "episodes": n,
        "mean_final_emotion": float(finals.mean()),
        "ci95": float(half_width),
        "success_rate": float(np.mean([record.reason == "resolved" for record in records])),
        "failure_rate": float(np.mean([record.reason == "quit" for record in records])),
        "mean_turns": float(np.mean([record.turns for record in records])),
    }


def score_reference_policies(
    *,
    split: str = "test",
    presets: Sequence[str] = ("simple", "normal", "challenging"),
    seeds: Sequence[int] = (0,),
    names: Sequence[str] | None = None,
    policy_seed: int = 0,
) -> dict[str, dict[str, dict[str, float]]]:
    """Summaries of every reference policy (or those in ``names``) at each preset: ``scores[preset][policy]``."""
    from empathy_gym.policies.reference import reference_policies

    scores: dict[str, dict[str, dict[str, float]]] = {}
    for preset in presets:
        policies = reference_policies(rng=np.random.default_rng(policy_seed))
        unknown = sorted(set(names or ()) - set(policies))
        if unknown:
            raise ValueError(f"unknown reference policy {unknown}; allowed: {', '.join(policies)}")
        chosen = {name: policy for name, policy in policies.items() if names is None or name in names}
        scores[preset] = {
            name: evaluate(policy, split=split, difficulty=preset, seeds=seeds)[1] for name, policy in chosen.items()
        }
    return scores


def markdown_table(scores: dict[str, dict[str, dict[str, float]]]) -> str:
    """One row per policy, one column block per preset: mean final emotion +/- CI, success/failure %."""
    presets = list(scores)
    policies = list(next(iter(scores.values())))
    header = "| policy | " + " | ".join(f"{p}: final emotion | {p}: success / fail %" for p in presets) + " |"
    rule = "| --- |" + " --- | --- |" * len(presets)
    rows = [header, rule]
    for name in policies:
        cells = []
        for preset in presets:
            s = scores[preset][name]
            cells.append(f"{s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f}")
            cells.append(f"{100 * s['success_rate']:.0f} / {100 * s['failure_rate']:.0f}")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
