"""The evaluation suite: play a policy on held-out simulated users and summarise the outcomes.

The protocol (DESIGN.md section 6): every profile of a split (``test``: 100 people; ``ood``: 80 people
with unseen life themes) is played once per seed at a fixed evaluation setting
(:data:`EVAL_SETTINGS`: ``normal``, i.e. initial emotion 40 and 10 turns, and ``challenging``).

* :func:`play_episode` plays one conversation and returns an :class:`EpisodeRecord`;
* :func:`evaluate` plays one split at one difficulty and returns the records and a summary
  (:func:`summarise`): mean final emotion with a 95% confidence interval, success rate (reached
  100), failure rate (fell below 10), mean turns, the per-intention breakdown, the strategy
  distribution, and the policy's mean action entropy when it has one (``last_entropy``);
* :func:`evaluate_suite` runs every (split, setting) cell and returns a JSON-ready report;
  :func:`suite_markdown` renders it. ``empathy-gym evaluate`` is the command-line front end;
* :func:`load_policy` turns a name or a file into a policy: a reference policy's name, a bundled
  PPO checkpoint (``.pt``) or a stable-baselines3 model (``.zip``).

A policy is any object with ``reset(observation, info, env)`` and ``act(observation, info)`` (see
:mod:`empathy_gym.policies.reference`); a plain callable ``f(observation) -> action`` works too
(:class:`CallablePolicy`). Results are deterministic for given seeds: every episode's seed is a
function of the run's seed and the profile's position, and randomised policies take explicit seeds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from empathy_gym.model.difficulty import PRESETS, Difficulty, DifficultyLike, make_difficulty
from empathy_gym.profiles import load_profiles
from empathy_gym.vocabulary import INTENTIONS



def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom (scipy; NaN below 1)."""
    if df < 1:
        return math.nan
    from scipy.stats import t  # imported here: scipy.stats takes half a second to import

    return float(t.ppf(0.975, df))

#: The fixed evaluation settings of DESIGN.md section 6.
EVAL_SETTINGS: dict[str, Difficulty] = {
    "normal": PRESETS["normal"].replace(initial_emotion=40, max_turns=10),
    "challenging": PRESETS["challenging"],
}

#: The splits the suite evaluates on by default: held-out people, and people with unseen life themes.
EVAL_SPLITS: tuple[str, ...] = ("test", "ood")


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
    strategies: tuple[str, ...] = ()  # the strategy of each turn (as the user read it, for text replies)
    mean_entropy: float | None = None  # the policy's mean action entropy over the turns, if it reports one


class CallablePolicy:
    """A plain function ``f(observation) -> action`` as a policy (it keeps no memory of its own)."""

    def __init__(self, function: Callable[[Any], Any], name: str = "callable") -> None:
        if not callable(function):
            raise TypeError(f"expected a callable observation -> action, got {function!r}")
        self.function = function
        self.name = name

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        pass

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> Any:
        return self.function(observation)


def as_policy(policy: Any) -> Any:
    """``policy`` itself when it has ``reset`` and ``act``; a :class:`CallablePolicy` for a callable."""
    if hasattr(policy, "act") and hasattr(policy, "reset"):
        return policy
    if callable(policy):
        return CallablePolicy(policy, name=getattr(policy, "__name__", "callable"))
    raise TypeError(f"a policy needs reset(observation, info, env) and act(observation, info), or to be a "
                    f"callable observation -> action; got {policy!r}")


def _turn_strategy(info: Mapping[str, Any]) -> str:
    """The strategy of the turn just played: the chosen one, or the one the user read in a text reply."""
    if "strategy" in info:
        return str(info["strategy"])
    return str((info.get("appraisal") or {}).get("dominant_strategy") or "none")


def play_episode(env: gym.Env, policy: Any, *, seed: int, profile_id: str | None = None) -> EpisodeRecord:
    """Play ``policy`` (see :mod:`empathy_gym.policies.reference`) for one episode of ``env``."""
    policy = as_policy(policy)
    options = {"profile_id": profile_id} if profile_id is not None else None
    observation, info = env.reset(seed=seed, options=options)
    policy.reset(observation, info, env)
    actions: list[Any] = []
    strategies: list[str] = []
    entropies: list[float] = []
    total = 0.0
    while True:
        action = policy.act(observation, info)
        entropy = getattr(policy, "last_entropy", None)
        if entropy is not None:
            entropies.append(float(entropy))
        actions.append(action)
        observation, reward, terminated, truncated, info = env.step(action)
        strategies.append(_turn_strategy(info))
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
        strategies=tuple(strategies),
        mean_entropy=float(np.mean(entropies)) if entropies else None,
    )


def evaluate(
    policy: Any,
    *,
    env_id: str = "EmpathyGym/SupportStrategy-v0",
    split: str = "test",
    difficulty: DifficultyLike = "normal",
    seeds: Sequence[int] = (0,),
    env_kwargs: dict[str, Any] | None = None,
    on_episode: Callable[[EpisodeRecord], None] | None = None,
) -> tuple[list[EpisodeRecord], dict[str, Any]]:
    """Play ``policy`` once per profile of ``split`` for each seed; return the records and :func:`summarise`.

    ``difficulty`` may also name an evaluation setting (:data:`EVAL_SETTINGS`). ``on_episode`` is
    called with each finished record (a progress bar).
    """
    if isinstance(difficulty, str) and difficulty in EVAL_SETTINGS:
        difficulty = EVAL_SETTINGS[difficulty]
    policy = as_policy(policy)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    env = gym.make(env_id, difficulty=make_difficulty(difficulty), split=split, **(env_kwargs or {}))
    try:
        records = []
        for seed in seeds:
            for index, profile in enumerate(env.unwrapped.profiles):
                records.append(play_episode(env, policy, seed=seed * 100_003 + index, profile_id=profile.id))
                if on_episode is not None:
                    on_episode(records[-1])
    finally:
        env.close()
    return records, summarise(records)


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its t-based 95% confidence interval (n - 1 degrees of freedom; NaN for one value).

    Student's t, not the normal quantile: the per-intention cells hold 10 to 13 episodes, where
    t (2.18 to 2.26) is 11 to 15% wider than 1.96.
    """
    array = np.asarray(values, dtype=float)
    half_width = t95(len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array)) if len(array) > 1 else math.nan
    return float(array.mean()), float(half_width)


def summarise(records: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """Mean final emotion with its 95% CI, success and failure rates, mean turns, and the breakdowns.

    ``per_intention`` maps each hidden intention present to its episodes, mean final emotion and
    CI; ``strategy_distribution`` is the share of turns per strategy (most used first);
    ``mean_entropy`` is the policy's mean action entropy in nats, or None when it reports none.
    """
    n = len(records)
    if n == 0:
        raise ValueError("cannot summarise zero episodes")
    mean, half_width = mean_ci([record.final_emotion for record in records])
    per_intention = {}
    for intention in INTENTIONS:
        finals = [record.final_emotion for record in records if record.hidden_intention == intention]
        if finals:
            intention_mean, intention_ci = mean_ci(finals)
            per_intention[intention] = {"episodes": len(finals), "mean_final_emotion": intention_mean,
                                        "ci95": intention_ci}
    turns = Counter(strategy for record in records for strategy in record.strategies)
    total_turns = sum(turns.values())
    entropies = [record.mean_entropy for record in records if record.mean_entropy is not None]
    return {
        "episodes": n,
        "mean_final_emotion": mean,
        "ci95": half_width,
        "success_rate": float(np.mean([record.reason == "resolved" for record in records])),
        "failure_rate": float(np.mean([record.reason == "quit" for record in records])),
        "mean_turns": float(np.mean([record.turns for record in records])),
        "per_intention": per_intention,
        "strategy_distribution": {name: count / total_turns for name, count in turns.most_common()},
        "mean_entropy": float(np.mean(entropies)) if entropies else None,
    }


def evaluate_suite(
    policy: Any,
    *,
    env_id: str = "EmpathyGym/SupportStrategy-v0",
    settings: Sequence[str] = tuple(EVAL_SETTINGS),
    splits: Sequence[str] = EVAL_SPLITS,
    seeds: Sequence[int] = (0,),
    env_kwargs: dict[str, Any] | None = None,
    on_episode: Callable[[EpisodeRecord], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``policy`` on every split at every evaluation setting; a JSON-ready report.

    ``report["cells"]["<split>/<setting>"]`` is that cell's :func:`summarise`.
    """
    unknown = [name for name in settings if name not in EVAL_SETTINGS]
    if unknown:
        raise ValueError(f"unknown evaluation setting(s) {unknown}; allowed: {', '.join(EVAL_SETTINGS)}")
    policy = as_policy(policy)
    cells = {}
    for split in splits:
        for setting in settings:
            cells[f"{split}/{setting}"] = evaluate(policy, env_id=env_id, split=split, difficulty=setting,
                                                   seeds=seeds, env_kwargs=env_kwargs, on_episode=on_episode)[1]
    return {
        "policy": getattr(policy, "name", type(policy).__name__),
        "env_id": env_id,
        "seeds": list(seeds),
        "settings": {name: EVAL_SETTINGS[name].to_dict() for name in settings},
        "cells": cells,
    }


def suite_episodes(*, splits: Sequence[str] = EVAL_SPLITS, settings: Sequence[str] = tuple(EVAL_SETTINGS),
                   seeds: Sequence[int] = (0,)) -> int:
    """How many episodes :func:`evaluate_suite` plays with these arguments (for a progress bar)."""
    return sum(len(load_profiles(split)) for split in splits) * len(settings) * len(list(seeds))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: bool = True) -> str:
    """A Markdown (GitHub) table with padded columns, so it reads in a terminal too (tabulate).

    Cells are written as given; with ``numeric`` every column but the first is right-aligned.
    """
    from tabulate import tabulate

    align = ("left", *("right" if numeric else "left" for _ in header[1:]))
    return tabulate([list(map(str, row)) for row in rows], headers=list(header), tablefmt="github",
                    colalign=align, disable_numparse=True)


#: What every "+/-" of an episode table is.
CI_NOTE = "+/- is the t-based 95% confidence interval of the mean over the episodes"


def suite_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: the summary per cell, the per-intention table, the strategy shares."""
    cells = report["cells"]
    summary = []
    for name, cell in cells.items():
        entropy = "-" if cell["mean_entropy"] is None else f"{cell['mean_entropy']:.2f}"
        summary.append([name, cell["episodes"], f"{cell['mean_final_emotion']:.1f} +/- {cell['ci95']:.1f}",
                        f"{100 * cell['success_rate']:.0f}", f"{100 * cell['failure_rate']:.0f}",
                        f"{cell['mean_turns']:.1f}", entropy])
    intentions = [[intention, *(_with_ci(cell["per_intention"].get(intention)) for cell in cells.values())]
                  for intention in INTENTIONS]
    names = list(dict.fromkeys(name for cell in cells.values() for name in cell["strategy_distribution"]))
    strategies = [[name, *(f"{100 * cell['strategy_distribution'].get(name, 0.0):.1f}" for cell in cells.values())]
                  for name in names]
    return "\n".join([
        f"Policy `{report['policy']}` on `{report['env_id']}`, seeds {report['seeds']}; {CI_NOTE}.", "",
        table(["split / setting", "episodes", "final emotion", "success %", "fail %", "turns", "entropy"], summary),
        "", "Mean final emotion by hidden intention (10 to 13 episodes per cell and seed, so the intervals are wide):",
        "", table(["intention", *cells], intentions),
        "", "Share of turns per strategy (%):", "", table(["strategy", *cells], strategies)])


def _with_ci(summary: Mapping[str, Any] | None) -> str:
    if summary is None:
        return "-"
    if math.isnan(summary["ci95"]):
        return f"{summary['mean_final_emotion']:.1f}"
    return f"{summary['mean_final_emotion']:.1f} +/- {summary['ci95']:.1f}"


def load_policy(spec: str, *, seed: int = 0, greedy: bool = True) -> tuple[Any, str]:
    """A policy from a name or a file, and the env id it plays.

    ``spec`` is a reference policy's name (``random``, ``heuristic``, ``oracle``,
    ``always_<strategy>``), a bundled PPO checkpoint (``*.pt``, written by ``train``), a
    stable-baselines3 model (``*.zip``, trained on ``make_sb3_env`` observations), an RLlib checkpoint
    folder (written by :func:`empathy_gym.integrations.rllib.save_checkpoint`), or an LLM agent
    (``transformers:PATH`` or ``openai:BASE_URL#MODEL``, see :mod:`empathy_gym.policies.llm_agent`).
    Reference and SB3 policies play ``EmpathyGym/SupportStrategy-v0``; a checkpoint plays its
    training env; an LLM agent writes free text in ``EmpathyGym/Support-v0``.
    """
    from empathy_gym.policies.reference import reference_policies

    if spec.startswith(("transformers:", "openai:")):
        from empathy_gym.policies.llm_agent import agent_from_spec

        return agent_from_spec(spec), "EmpathyGym/Support-v0"  # decoding as the backend's defaults say

    references = reference_policies(rng=np.random.default_rng(seed))
    if spec in references:
        return references[spec], "EmpathyGym/SupportStrategy-v0"
    path = Path(spec)
    if path.suffix == ".pt":
        if not path.is_file():
            raise ValueError(f"no PPO checkpoint at {spec!r}")
        from empathy_gym.agents.ppo import PPOPolicy, load_agent

        agent, config = load_agent(path)
        return PPOPolicy(agent, config, greedy=greedy, seed=seed, name=path.parent.name or "ppo"), config.env_id
    if path.suffix == ".zip":
        if not path.is_file():
            raise ValueError(f"no stable-baselines3 model at {spec!r}")
        from empathy_gym.integrations.sb3 import SB3Policy, load_sb3_model

        return SB3Policy(load_sb3_model(path), deterministic=greedy, name=path.stem), "EmpathyGym/SupportStrategy-v0"
    if path.is_dir() and (path / "empathy_gym_features.json").is_file():
        from empathy_gym.integrations.rllib import load_rllib_policy

        policy = load_rllib_policy(path, greedy=greedy, seed=seed)
        return policy, policy.env_id
    raise ValueError(f"unknown policy {spec!r}: give a reference policy ({', '.join(references)}), "
                     "a PPO checkpoint (.pt), a stable-baselines3 model (.zip), an RLlib checkpoint folder or an LLM agent "
                     "(transformers:PATH, openai:BASE_URL#MODEL)")


def score_reference_policies(
    *,
    split: str = "test",
    presets: Sequence[str] = ("simple", "normal", "challenging"),
    seeds: Sequence[int] = (0,),
    names: Sequence[str] | None = None,
    policy_seed: int = 0,
    on_episode: Callable[[EpisodeRecord], None] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Summaries of every reference policy (or those in ``names``) at each preset: ``scores[preset][policy]``.

    ``on_episode`` is called with each finished record (a progress bar).
    """
    from empathy_gym.policies.reference import reference_policies

    scores: dict[str, dict[str, dict[str, float]]] = {}
    for preset in presets:
        policies = reference_policies(rng=np.random.default_rng(policy_seed))
        unknown = sorted(set(names or ()) - set(policies))
        if unknown:
            raise ValueError(f"unknown reference policy {unknown}; allowed: {', '.join(policies)}")
        chosen = {name: policy for name, policy in policies.items() if names is None or name in names}
        scores[preset] = {
            name: evaluate(policy, split=split, difficulty=preset, seeds=seeds, on_episode=on_episode)[1]
            for name, policy in chosen.items()
        }
    return scores


def markdown_table(scores: dict[str, dict[str, dict[str, float]]]) -> str:
    """One row per policy, two columns per preset: mean final emotion +/- its t-based 95% CI, success/failure %."""
    presets = list(scores)
    policies = list(next(iter(scores.values())))
    header = ["policy", *(f"{p}: {column}" for p in presets for column in ("final emotion", "success / fail %"))]
    rows = []
    for name in policies:
        row = [name]
        for preset in presets:
            s = scores[preset][name]
            row += [f"{s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f}",
                    f"{100 * s['success_rate']:.0f} / {100 * s['failure_rate']:.0f}"]
        rows.append(row)
    return table(header, rows)
