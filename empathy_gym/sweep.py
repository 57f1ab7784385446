"""The difficulty sweep: does training on harder simulated users give better agents?

RLVER found that agents trained on moderately demanding simulated users beat agents trained on
the hardest ones, even when tested on hard users. This module turns that into a measurement: it
trains the bundled PPO agent (:mod:`empathy_gym.agents.ppo`) on ``EmpathyGym/SupportStrategy-v0``
under each training *condition*, several seeds each, and evaluates every trained agent with the
evaluation suite (:func:`empathy_gym.evaluation.evaluate_suite`) on the ``test`` and ``ood``
profiles at both evaluation settings (``normal`` and ``challenging``).

Conditions (:func:`conditions`):

* ``level``: the scalar level at 0, 0.25, 0.5, 0.75 and 1. Levels 0, 0.5 and 1 *are* the presets
  ``simple``, ``normal`` and ``challenging`` (``Difficulty.from_level`` interpolates between them).
* single axes, each behavioural axis (:data:`SINGLE_AXES`: strictness, reticence, fragility, noise,
  fidelity) moved alone from ``normal`` to its ``simple`` and its ``challenging`` value with every
  other axis at ``normal``. Plotted on a common scale: 0 = the axis at ``simple``'s value, 1 = at
  ``challenging``'s (for fidelity, lower is harder), so ``normal`` sits in between.
* ``strictness x fidelity``: the four corners of the 3 x 3 grid of both axes at ``simple``'s,
  ``normal``'s and ``challenging``'s values; the other five cells are ``normal`` and the single-axis
  ends (:func:`grid_cells` maps the grid to its conditions).
* ``curriculum``: ``ramp`` (level 0 to 1 over the first 80% of the run), ``adaptive`` (keeps the
  recent success rate near 50%), ``bandit`` (learning-progress bandit over five levels); see
  :mod:`empathy_gym.wrappers.curriculum`.
* ``seeker=regret``: the supporter trains against a help-seeker trained beside it to be hard but
  solvable (PAIRED-style, :func:`empathy_gym.agents.selfplay.train_with_regret_seeker`), with the
  same supporter budget as the fixed-user conditions.

Learning curves: each run is also scored on the test users (:data:`CURVE_CELLS`) at the budgets of
``curve_steps`` it passes (25k and 50k steps in a 100k run by default, the final evaluation being
the last point); a longer run (``--total-steps 300000 --curve-steps 25000 50000 100000 200000``
on a subset of ``--conditions``, into another ``--out``: one folder holds runs of one budget) shows
whether hard-trained agents catch up. For the mechanisms,
every run records the policy's entropy over training, the share of training episodes in which the
user's emotion rose at least once (``signal_share``: the feedback there was to learn from) and the
scores per hidden intention.

Every run is written to ``<out>/runs/<condition>-seed<seed>.json`` as soon as it ends, and a rerun
skips the runs already there, so an interrupted sweep resumes. A run is valid only for the simulated
user it was trained and scored on: every record carries that user's fingerprint
(:func:`user_fingerprint`, a digest of fixed-seed transcripts), and a sweep refuses to resume over
runs made with another user (or with none recorded) rather than mix them. :func:`aggregate` combines the runs
(mean over seeds with a t-based 95% confidence interval per condition and evaluation cell), and
:func:`write_report` writes ``sweep.json``, ``sweep.md`` (paired differences from ``normal``,
:func:`paired_differences`, the strictness x fidelity map, the learning curves and the mechanism
table), ``score_vs_difficulty.png`` (the paired differences with their CIs), ``scores.png``,
``entropy.png``, ``strictness_fidelity.png`` (the map) and ``learning_curves.png`` (matplotlib, the
``sweep`` extra). The t quantiles come from scipy (:func:`empathy_gym.evaluation.t95`).

The agent is :class:`~empathy_gym.agents.ppo.PPOConfig` with the settings of one of :data:`AGENTS`
on top of its defaults: ``reference`` (none: today's reference agent) unless ``--agent first-sweep``
asks for the first sweep's agent, for a cross run; every run records it.

Run it as ``empathy-gym sweep`` (``--quick``: one seed, 6,144 steps per condition, a smoke run of
the whole grid) or ``python benchmarks/difficulty_sweep.py``; ``--ray [ADDRESS]`` runs the runs as
Ray tasks on a local Ray or a cluster (:mod:`empathy_gym.integrations.ray_sweep`). Nothing here tunes the simulator: the rules are fixed
before a sweep runs (DESIGN.md section 7).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from empathy_gym._machine import machine
from empathy_gym._progress import progress_bar
from empathy_gym.evaluation import EVAL_SETTINGS, EVAL_SPLITS, evaluate_suite, t95, table
from empathy_gym.model.difficulty import PRESETS

ENV_ID = "EmpathyGym/SupportStrategy-v0"
#: The behavioural axes swept alone (each from ``simple``'s value to ``challenging``'s).
SINGLE_AXES: tuple[str, ...] = ("strictness", "reticence", "fragility", "noise", "fidelity")
#: The two axes swept together ("moderately demanding but well aligned"): every pair of their
#: ``simple``, ``normal`` and ``challenging`` values. Five of the nine cells are other conditions
#: (``normal`` and the single-axis ends); the four corners are conditions of group ``GRID_GROUP``.
GRID_AXES: tuple[str, str] = ("strictness", "fidelity")
GRID_GROUP = "strictness x fidelity"
LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
CURRICULA: tuple[str, ...] = ("ramp", "adaptive", "bandit")
#: Learned adversaries: the supporter trains against a seeker trained beside it
#: (:func:`empathy_gym.agents.selfplay.train_with_regret_seeker`), at ``normal``.
SEEKERS: tuple[str, ...] = ("regret",)
#: The seats' alternations of a ``seeker=...`` run (the supporter's budget is the run's).
SEEKER_ROUNDS = 4
#: Evaluation cells scored at each point of a learning curve (the final point is scored on every cell).
CURVE_CELLS: tuple[str, ...] = ("test/normal", "test/challenging")
#: The agents a sweep can train (``--agent``): PPO settings on top of
#: :class:`~empathy_gym.agents.ppo.PPOConfig`'s defaults. ``reference`` is today's reference agent,
#: the second sweep's; ``first-sweep`` is the agent of the first sweep (kept in
#: ``benchmarks/results/difficulty_sweep_0.1`` as history): (64, 64) hidden layers and the episode's
#: text memory, the defaults then, for a cross run that separates the agent's change from the user's.
#: Every run records the agent it trained, and a sweep refuses to resume over runs of another.
AGENTS: dict[str, dict[str, Any]] = {
    "reference": {},
    "first-sweep": {"hidden_sizes": (64, 64), "text_memory": True},
}
#: The agent a sweep trains unless told otherwise.
DEFAULT_AGENT = "reference"

FULL = {"seeds": (1, 2, 3, 4, 5), "total_steps": 100_000, "eval_seeds": (0,), "curve_steps": (25_000, 50_000)}
QUICK = {"seeds": (1,), "total_steps": 6_144, "eval_seeds": (0,), "curve_steps": (2_048,)}

__all__ = ["t95"]  # re-exported: the t quantile of the intervals over seeds (scipy)


@dataclass(frozen=True)
class Condition:
    """One way of training: a difficulty (or a curriculum), and where it sits on its plot."""

    name: str
    group: str  # "level", one of SINGLE_AXES, or "curriculum"
    difficulty: Any  # a level, or a mapping of axes on top of normal
    curriculum: str | None = None
    x: float | None = None  # training difficulty on the 0 (simple) .. 1 (challenging) scale


def conditions() -> list[Condition]:
    """Every training condition of the sweep, in report order."""
    out = [Condition(f"level={level:.2f}", "level", level, x=level) for level in LEVELS]
    simple, challenging = PRESETS["simple"], PRESETS["challenging"]
    for axis in SINGLE_AXES:
        for end, x in ((simple, 0.0), (challenging, 1.0)):
            value = getattr(end, axis)
            out.append(Condition(f"{axis}={value:g}", axis, {axis: value}, x=x))
    first, second = GRID_AXES
    for a in (simple, challenging):
        for b in (simple, challenging):
            values = {first: getattr(a, first), second: getattr(b, second)}
            out.append(Condition(",".join(f"{k}={v:g}" for k, v in values.items()), GRID_GROUP, values))
    out += [Condition(f"curriculum={name}", "curriculum", "normal", curriculum=name) for name in CURRICULA]
    out += [Condition(f"seeker={name}", "seeker", "normal") for name in SEEKERS]
    return out


def grid_cells() -> dict[tuple[str, str], str]:
    """The strictness x fidelity map: (strictness preset, fidelity preset) -> the condition trained there."""
    first, second = GRID_AXES
    names = {}
    for a in PRESETS:
        for b in PRESETS:
            if a == b == "normal":
                names[(a, b)] = "level=0.50"
            elif b == "normal":
                names[(a, b)] = f"{first}={getattr(PRESETS[a], first):g}"
            elif a == "normal":
                names[(a, b)] = f"{second}={getattr(PRESETS[b], second):g}"
            else:
                names[(a, b)] = f"{first}={getattr(PRESETS[a], first):g},{second}={getattr(PRESETS[b], second):g}"
    return names


def axis_position(axis: str, value: float) -> float:
    """Where ``value`` of ``axis`` sits between ``simple``'s value (0) and ``challenging``'s (1)."""
    low, high = getattr(PRESETS["simple"], axis), getattr(PRESETS["challenging"], axis)
    return (value - low) / (high - low)


#: What :func:`user_fingerprint` plays: every strategy in turn for 25 steps, per seed and difficulty.
_FINGERPRINT_PLAYS = tuple((seed, difficulty) for seed in (0, 7) for difficulty in ("simple", "normal", "challenging"))
_FINGERPRINT_STEPS = 25
_FINGERPRINT_DIGITS = 6  # floats are rounded, so that CPUs whose maths libraries differ in the last bits agree


@lru_cache(maxsize=8)
def _fingerprint(user_options: str) -> str:
    import gymnasium as gym

    import empathy_gym  # noqa: F401  (registers the ids)

    def plain(value: Any) -> Any:
        if isinstance(value, (float, np.floating)):
            return round(float(value), _FINGERPRINT_DIGITS)
        if isinstance(value, np.ndarray):
            return plain(value.tolist())
        if isinstance(value, dict):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value.item() if isinstance(value, np.generic) else value

    plays = []
    for seed, difficulty in _FINGERPRINT_PLAYS:
        env = gym.make(ENV_ID, difficulty=difficulty, user_options=json.loads(user_options))
        env.reset(seed=seed)
        rewards = []
        for step in range(_FINGERPRINT_STEPS):
            _, reward, terminated, truncated, _ = env.step(step % env.action_space.n)
            rewards.append(reward)
            if terminated or truncated:
                break
        plays.append({"transcript": env.unwrapped.transcript, "rewards": rewards})
        env.close()
    return hashlib.sha256(json.dumps(plain(plays), sort_keys=True).encode("utf-8")).hexdigest()[:16]


def user_fingerprint(user_options: dict[str, Any] | None = None) -> str:
    """A digest of how the simulated user of :data:`ENV_ID` behaves (16 hex digits).

    It hashes the transcripts and rewards of fixed seeds and actions at the three presets (floats
    rounded to 6 digits), so it changes with anything the user says, reads or feels, and with
    nothing else. ``user_options`` are passed to ``gym.make`` (e.g. another reader).
    """
    return _fingerprint(json.dumps(user_options or {}, sort_keys=True))


def run_one(condition: Condition, seed: int, total_steps: int, eval_seeds: Sequence[int],
            out_dir: str | os.PathLike, curve_steps: Sequence[int] = (), agent: str = DEFAULT_AGENT) -> dict[str, Any]:
    """Train one agent under ``condition``, evaluate it on every cell, write and return its record."""
    return write_record(out_dir, train_and_evaluate(condition, seed, total_steps, eval_seeds, curve_steps, agent))


def agent_settings(agent: str) -> dict[str, Any]:
    """The PPO settings of the sweep agent named ``agent`` (a key of :data:`AGENTS`)."""
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r}; allowed: {', '.join(AGENTS)}")
    return AGENTS[agent]


_CELL_KEYS = ("mean_final_emotion", "ci95", "success_rate", "failure_rate", "mean_entropy", "per_intention",
              "strategy_distribution")


def train_and_evaluate(condition: Condition, seed: int, total_steps: int, eval_seeds: Sequence[int],
                       curve_steps: Sequence[int] = (), agent: str = DEFAULT_AGENT) -> dict[str, Any]:
    """Train one ``agent`` (a key of :data:`AGENTS`) under ``condition`` and evaluate it on every cell;
    return its record (written by the caller).

    At each budget of ``curve_steps`` below ``total_steps`` (at the end of the first update that
    reaches it) the agent as it is then is scored on :data:`CURVE_CELLS`; the record's
    ``checkpoints`` list those scores with the step they were taken at, the last one being the
    final evaluation. Scoring reads no random stream of the training, so it changes nothing in it.
    """
    from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train

    config = PPOConfig(env_id=ENV_ID, difficulty=condition.difficulty, curriculum=condition.curriculum,
                       seed=seed, total_steps=total_steps, **agent_settings(agent))
    budgets = curve_budgets(total_steps, curve_steps, agent)
    checkpoints: list[dict[str, Any]] = []
    evaluation_seconds = 0.0

    def on_update(row: dict[str, float], agent: Any) -> None:
        nonlocal evaluation_seconds
        if len(checkpoints) < len(budgets) and row["global_step"] >= budgets[len(checkpoints)]:
            began = time.perf_counter()
            agent.eval()
            checkpoints.append(_checkpoint_scores(PPOPolicy(agent, config), budgets[len(checkpoints)],
                                                  row["global_step"], eval_seeds))
            agent.train()
            evaluation_seconds += time.perf_counter() - began

    start = time.perf_counter()
    if condition.group == "seeker":
        from empathy_gym.agents.selfplay import train_with_regret_seeker

        result = train_with_regret_seeker(config, rounds=min(SEEKER_ROUNDS, config.num_updates), on_update=on_update)
    else:
        result = train(config, on_update=on_update)
    train_seconds = time.perf_counter() - start - evaluation_seconds
    report = evaluate_suite(PPOPolicy(result["agent"], config), env_id=ENV_ID, seeds=eval_seeds)
    history = result["history"]
    cells = {name: {key: cell[key] for key in _CELL_KEYS} for name, cell in report["cells"].items()}
    final_step = history[-1]["global_step"]
    checkpoints.append({"budget": total_steps, "step": final_step,
                        "cells": {name: cells[name]["mean_final_emotion"] for name in CURVE_CELLS}})
    record = {
        "condition": condition.name,
        "group": condition.group,
        "seed": seed,
        "total_steps": total_steps,
        "curve_steps": list(budgets),
        "agent": agent,
        "hidden_sizes": list(config.hidden_sizes),
        "text_memory": config.text_memory,
        "user": user_fingerprint(),
        "train_seconds": train_seconds,
        "eval_seconds": time.perf_counter() - start - train_seconds,
        "cells": cells,
        "checkpoints": checkpoints,
        "curve": {key: [row[key] for row in history]
                  for key in ("global_step", "entropy", "mean_final_emotion", "signal_share", "curriculum_level")},
    }
    return record


def curve_budgets(total_steps: int, curve_steps: Sequence[int], agent: str = DEFAULT_AGENT) -> list[int]:
    """The learning-curve budgets a run of ``total_steps`` scores before its end: those of ``curve_steps``
    that some update of the run reaches before the last one (sorted, distinct)."""
    from empathy_gym.agents.config import PPOConfig

    config = PPOConfig(env_id=ENV_ID, total_steps=total_steps, **agent_settings(agent))
    return sorted(step for step in set(curve_steps) if 0 < step <= (config.num_updates - 1) * config.batch_size)


def _checkpoint_scores(policy: Any, budget: int, step: int, eval_seeds: Sequence[int]) -> dict[str, Any]:
    splits = sorted({cell.split("/")[0] for cell in CURVE_CELLS})
    settings = sorted({cell.split("/")[1] for cell in CURVE_CELLS})
    report = evaluate_suite(policy, env_id=ENV_ID, seeds=eval_seeds, splits=splits, settings=settings)
    return {"budget": budget, "step": step,
            "cells": {name: report["cells"][name]["mean_final_emotion"] for name in CURVE_CELLS}}


def write_record(out_dir: str | os.PathLike, record: dict[str, Any]) -> dict[str, Any]:
    """Write one run's record to ``<out_dir>/runs/`` atomically (so a rerun resumes); return it."""
    path = _run_path(out_dir, record["condition"], record["seed"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, allow_nan=True), encoding="utf-8")
    os.replace(temporary, path)
    return record


def _run_path(out_dir: str | os.PathLike, condition: Condition | str, seed: int) -> Path:
    name = condition.name if isinstance(condition, Condition) else condition
    return Path(out_dir) / "runs" / f"{name}-seed{seed}.json"


def run_sweep(out_dir: str | os.PathLike, *, seeds: Sequence[int], total_steps: int, eval_seeds: Sequence[int],
              only: Sequence[str] | None = None, workers: int = 1,
              progress: Callable[[str], None] = print, ray_address: str | None = None,
              curve_steps: Sequence[int] = (), agent: str = DEFAULT_AGENT) -> list[dict[str, Any]]:
    """Run every (condition, seed) not yet in ``out_dir``; return all records of this configuration.

    A saved run of the chosen conditions and seeds counts as done. One made with another simulated
    user (its ``user`` is not :func:`user_fingerprint`'s, or missing), with another agent (hidden
    layers or text memory not ``agent``'s, a key of :data:`AGENTS`), or with another
    ``total_steps`` or other learning-curve budgets (``curve_steps`` below ``total_steps``), makes
    it refuse with a ``ValueError`` before anything runs, leaving every run untouched: such runs are
    not comparable with new ones, and a sweep of another budget or agent belongs in another ``out_dir``.

    ``ray_address`` runs them as Ray tasks instead of local processes (:mod:`empathy_gym.integrations.ray_sweep`:
    ``"local"`` starts a local Ray, ``"auto"`` or an address joins a cluster); ``workers`` is then unused.
    """
    settings = agent_settings(agent)
    every = conditions()
    if only is not None:
        names = {c.name for c in every} | {c.group for c in every}
        unknown = sorted(set(only) - names)
        if unknown:
            raise ValueError(f"unknown condition(s) {unknown}; allowed: {', '.join(sorted(names))}")
    chosen = [c for c in every if only is None or c.name in only or c.group in only]
    records: dict[tuple[str, int], dict[str, Any]] = {}
    todo = []
    user, budgets = user_fingerprint(), curve_budgets(total_steps, curve_steps, agent)
    from empathy_gym.agents.config import PPOConfig

    wanted = PPOConfig(env_id=ENV_ID, **settings)
    shape = (list(wanted.hidden_sizes), wanted.text_memory)
    other_user: list[str] = []
    other_agent: list[str] = []
    other_budget: list[str] = []
    # Seed-major order: an interrupted sweep has whole seeds of every condition, not some conditions only.
    for seed in seeds:
        for condition in chosen:
            path = _run_path(out_dir, condition, seed)
            if not path.is_file():
                todo.append((condition, seed))
                continue
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("user") != user:
                other_user.append(path.name)
            elif (saved.get("hidden_sizes"), saved.get("text_memory")) != shape:
                other_agent.append(f"{path.name}: hidden layers {saved.get('hidden_sizes')}, "
                                   f"text memory {saved.get('text_memory')}")
            elif saved.get("total_steps") != total_steps or saved.get("curve_steps", []) != budgets:
                other_budget.append(f"{path.name}: {saved.get('total_steps')} steps, curve {saved.get('curve_steps')}")
            records[(condition.name, seed)] = saved
    where = Path(out_dir) / "runs"
    if other_user:
        raise ValueError(f"{len(other_user)} run(s) in {where} (e.g. {other_user[0]}) were made with another "
                         f"simulated user than this one ({user}); move them aside or give another --out")
    if other_agent:
        raise ValueError(f"{len(other_agent)} run(s) in {where} were made with another agent (e.g. {other_agent[0]}) "
                         f"than this sweep's {agent!r} (hidden layers {shape[0]}, text memory {shape[1]}); "
                         "give another --out")
    if other_budget:
        raise ValueError(f"{len(other_budget)} run(s) in {where} were made with another budget (e.g. "
                         f"{other_budget[0]}) than this sweep's ({total_steps} steps, curve {budgets}); "
                         "give another --out")
    progress(f"{len(records)} run(s) already done, {len(todo)} to go ({len(chosen)} conditions x {len(seeds)} seeds, "
             f"{total_steps} steps each, agent {agent!r}, {workers} worker(s))")
    with progress_bar(len(todo), desc="sweep", unit="run", disable=not todo) as bar:
        if ray_address is not None:
            from empathy_gym.integrations.ray_sweep import run_on_ray

            for record in run_on_ray(todo, total_steps, tuple(eval_seeds), address=ray_address,
                                     curve_steps=tuple(curve_steps), agent=agent):
                records[(record["condition"], record["seed"])] = write_record(out_dir, record)
                bar.set_postfix_str(f"{record['condition']} seed {record['seed']} done", refresh=False)
                bar.update()
        elif workers <= 1:
            for condition, seed in todo:
                records[(condition.name, seed)] = run_one(condition, seed, total_steps, eval_seeds, out_dir,
                                                          curve_steps, agent)
                bar.set_postfix_str(f"{condition.name} seed {seed} done", refresh=False)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(run_one, condition, seed, total_steps, tuple(eval_seeds), str(out_dir),
                                       tuple(curve_steps), agent):
                           (condition, seed) for condition, seed in todo}
                for future in as_completed(futures):
                    condition, seed = futures[future]
                    records[(condition.name, seed)] = future.result()
                    bar.set_postfix_str(f"{condition.name} seed {seed} done", refresh=False)
                    bar.update()
    return [records[(c.name, seed)] for c in chosen for seed in seeds]


def reference_scores(eval_seeds: Sequence[int]) -> dict[str, dict[str, float]]:
    """Random, heuristic and oracle on every evaluation cell (mean final emotion), for context."""
    from empathy_gym.policies.reference import reference_policies

    out = {}
    for name in ("random", "heuristic", "oracle"):
        policy = reference_policies(rng=np.random.default_rng(0))[name]
        report = evaluate_suite(policy, env_id=ENV_ID, seeds=eval_seeds)
        out[name] = {cell: summary["mean_final_emotion"] for cell, summary in report["cells"].items()}
    return out


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per condition and cell: the mean over seeds of the mean final emotion, its t-based 95% CI, and more."""
    by_condition: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_condition.setdefault(record["condition"], []).append(record)
    known = {c.name: c for c in conditions()}
    out = {}
    for name, runs in by_condition.items():
        condition = known[name]
        cells = {}
        for cell in runs[0]["cells"]:
            scores = np.array([run["cells"][cell]["mean_final_emotion"] for run in runs])
            half = t95(len(scores) - 1) * scores.std(ddof=1) / math.sqrt(len(scores)) if len(scores) > 1 else math.nan
            cells[cell] = {
                "mean": float(scores.mean()), "ci95": float(half), "per_seed": scores.tolist(),
                "success_rate": float(np.mean([run["cells"][cell]["success_rate"] for run in runs])),
                "failure_rate": float(np.mean([run["cells"][cell]["failure_rate"] for run in runs])),
                "entropy": float(np.mean([run["cells"][cell]["mean_entropy"] for run in runs])),
            }
        curves = [run["curve"] for run in runs]
        length = min(len(curve["global_step"]) for curve in curves)
        keys = [key for key in ("entropy", "mean_final_emotion", "signal_share", "curriculum_level")
                if all(key in curve for curve in curves)]
        with warnings.catch_warnings():  # the curriculum level is NaN throughout for fixed conditions
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_curve = {key: np.nanmean([curve[key][:length] for curve in curves], axis=0).tolist()
                          for key in keys}
            signal = [np.nanmean(curve["signal_share"]) for curve in curves if "signal_share" in curve]
        out[name] = {
            "group": condition.group, "x": condition.x, "difficulty": condition.difficulty,
            "curriculum": condition.curriculum, "seeds": [run["seed"] for run in runs], "cells": cells,
            "train_seconds": float(np.mean([run["train_seconds"] for run in runs])),
            "curve": {"global_step": curves[0]["global_step"][:length], **mean_curve},
            "signal_share": float(np.mean(signal)) if signal else math.nan,
            "per_intention": _per_intention(runs, "test/normal"),
            "checkpoints": _checkpoint_means(runs),
        }
    return out


def _per_intention(runs: Sequence[dict[str, Any]], cell: str) -> dict[str, float]:
    """The mean over seeds of each hidden intention's mean final emotion on ``cell``."""
    tables = [run["cells"][cell]["per_intention"] for run in runs if cell in run["cells"]]
    if not tables:
        return {}
    return {intention: float(np.mean([_score(table[intention]) for table in tables if intention in table]))
            for intention in tables[0]}


def _score(entry: Any) -> float:
    return float(entry["mean_final_emotion"] if isinstance(entry, dict) else entry)


def _checkpoint_means(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per learning-curve budget shared by every run: the step, and per cell the mean and t 95% CI over seeds."""
    lists = [run.get("checkpoints", []) for run in runs]
    budgets = [point["budget"] for point in lists[0]] if lists else []
    out = []
    for index, budget in enumerate(budgets):
        points = [points[index] for points in lists if len(points) > index and points[index]["budget"] == budget]
        if len(points) != len(runs):
            continue
        cells = {}
        for cell in points[0]["cells"]:
            scores = np.array([point["cells"][cell] for point in points])
            half = t95(len(scores) - 1) * scores.std(ddof=1) / math.sqrt(len(scores)) if len(scores) > 1 else math.nan
            cells[cell] = {"mean": float(scores.mean()), "ci95": float(half), "per_seed": scores.tolist()}
        out.append({"budget": budget, "step": int(np.mean([point["step"] for point in points])), "cells": cells})
    return out


def _fmt(mean: float, half: float) -> str:
    return f"{mean:.1f} +/- {half:.1f}" if not math.isnan(half) else f"{mean:.1f}"


def paired_differences(summary: dict[str, Any], baseline: str = "level=0.50") -> dict[str, dict[str, dict[str, float]]]:
    """Per condition and cell: the mean over shared training seeds of (condition - ``baseline``) and its t 95% CI.

    Pairing by seed removes what two agents trained with the same seed share, so these intervals
    are the ones that say whether a condition differs from ``normal`` (the README's comparisons).
    """
    if baseline not in summary:
        return {}
    base = summary[baseline]
    out = {}
    for name, row in summary.items():
        if name == baseline:
            continue
        shared = [seed for seed in row["seeds"] if seed in base["seeds"]]
        cells = {}
        for cell in row["cells"]:
            ours = dict(zip(row["seeds"], row["cells"][cell]["per_seed"]))
            theirs = dict(zip(base["seeds"], base["cells"][cell]["per_seed"]))
            differences = np.array([ours[seed] - theirs[seed] for seed in shared])
            half = (t95(len(differences) - 1) * differences.std(ddof=1) / math.sqrt(len(differences))
                    if len(differences) > 1 else math.nan)
            cells[cell] = {"mean": float(differences.mean()) if len(differences) else math.nan, "ci95": float(half),
                           "seeds": len(differences)}
        out[name] = cells
    return out


def markdown(summary: dict[str, Any], references: dict[str, dict[str, float]], meta: dict[str, Any]) -> str:
    """The results tables: scores per condition (t 95% CI over seeds), paired differences from normal, rates."""
    cells = list(next(iter(summary.values()))["cells"])
    scores = [[name, *(_fmt(row["cells"][c]["mean"], row["cells"][c]["ci95"]) for c in cells),
               f"{row['cells'][cells[0]]['entropy']:.2f}", f"{row['train_seconds']:.0f}"]
              for name, row in summary.items()]
    scores += [[f"*{name} (reference)*", *(f"{values[c]:.1f}" for c in cells), "", ""]
               for name, values in references.items()]
    differences = paired_differences(summary)
    paired = [[name, *(f"{row[c]['mean']:+.1f} +/- {row[c]['ci95']:.1f}" if not math.isnan(row[c]["ci95"])
                       else f"{row[c]['mean']:+.1f}" for c in cells)] for name, row in differences.items()]
    rates = [[name, *(f"{100 * row['cells'][c]['success_rate']:.0f} / {100 * row['cells'][c]['failure_rate']:.0f}"
                      for c in cells)] for name, row in summary.items()]
    lines = [f"Difficulty sweep: bundled PPO on `{ENV_ID}`, {meta['total_steps']} steps per run, seeds "
             f"{meta['seeds']}, evaluated greedily on every profile of each split (evaluation seeds "
             f"{meta['eval_seeds']}). Cells: mean final emotion 0..100, mean over training seeds +/- the t-based "
             "95% CI over seeds; entropy = the policy's mean action entropy (nats) on test/normal.", "",
             table(["condition", *cells, "entropy", "train s/run"], scores)]
    if paired:
        lines += ["", "Paired differences from `level=0.50` (`normal`): the mean over the shared training seeds of "
                  "(condition - normal) +/- its t-based 95% CI; an interval that excludes 0 is a difference the "
                  "seeds agree on:", "", table(["condition", *cells], paired)]
    lines += ["", "Success / failure rates (%, mean over seeds):", "", table(["condition", *cells], rates)]
    lines += _grid_section(summary, differences)
    lines += _curve_section(summary)
    lines += _mechanism_section(summary)
    return "\n".join(lines)


def _diff_text(value: dict[str, float] | None) -> str:
    if value is None:
        return "-"
    return f"{value['mean']:+.1f} +/- {value['ci95']:.1f}" if not math.isnan(value["ci95"]) else f"{value['mean']:+.1f}"


def _grid_section(summary: dict[str, Any], differences: dict[str, Any]) -> list[str]:
    """The strictness x fidelity map as tables of paired differences from normal (one per curve cell)."""
    names = grid_cells()
    if not any(name in summary and name != "level=0.50" for name in names.values()):
        return []
    first, second = GRID_AXES
    lines = ["", f"{first.capitalize()} x {second}: paired difference from `normal` (rows: {first} at simple's, "
             f"normal's, challenging's value; columns: {second} likewise; `normal` itself is 0):"]
    for cell in CURVE_CELLS:
        rows = []
        for a in PRESETS:
            row = [f"{first}={getattr(PRESETS[a], first):g} ({a})"]
            for b in PRESETS:
                name = names[(a, b)]
                row.append("0" if name == "level=0.50" and name in summary
                           else _diff_text(differences.get(name, {}).get(cell)))
            rows.append(row)
        lines += ["", f"Evaluated on {cell}:", "",
                  table([f"{first} \\ {second}", *(f"{second}={getattr(PRESETS[b], second):g} ({b})" for b in PRESETS)],
                        rows)]
    return lines


def curve_differences(summary: dict[str, Any], baseline: str = "level=0.50") -> dict[str, list[dict[str, Any]]]:
    """Per condition and learning-curve budget: the paired difference from ``baseline`` per curve cell."""
    base = summary.get(baseline)
    if base is None:
        return {}
    base_points = {point["budget"]: point for point in base["checkpoints"]}
    out = {}
    for name, row in summary.items():
        if name == baseline:
            continue
        shared = [seed for seed in row["seeds"] if seed in base["seeds"]]
        points = []
        for point in row["checkpoints"]:
            theirs = base_points.get(point["budget"])
            if theirs is None:
                continue
            cells = {}
            for cell, value in point["cells"].items():
                ours_by_seed = dict(zip(row["seeds"], value["per_seed"]))
                base_by_seed = dict(zip(base["seeds"], theirs["cells"][cell]["per_seed"]))
                diff = np.array([ours_by_seed[seed] - base_by_seed[seed] for seed in shared])
                half = t95(len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff)) if len(diff) > 1 else math.nan
                cells[cell] = {"mean": float(diff.mean()) if len(diff) else math.nan, "ci95": float(half)}
            points.append({"budget": point["budget"], "cells": cells})
        out[name] = points
    return out


def _curve_section(summary: dict[str, Any]) -> list[str]:
    """Learning curves: scores at each budget, and the paired differences from normal there."""
    budgets = sorted({point["budget"] for row in summary.values() for point in row["checkpoints"]})
    if len(budgets) < 2:
        return []
    lines = []
    for cell in CURVE_CELLS:
        rows = []
        for name, row in summary.items():
            by_budget = {point["budget"]: point["cells"].get(cell) for point in row["checkpoints"]}
            rows.append([name, *(_fmt(by_budget[b]["mean"], by_budget[b]["ci95"]) if by_budget.get(b) else "-"
                                 for b in budgets)])
        lines += ["", f"Learning curves, {cell}: mean final emotion of the agent as it was after each budget of "
                  "training (steps; the last column is the run's final evaluation), t 95% CI over seeds:", "",
                  table(["condition", *(f"{b:,}" for b in budgets)], rows)]
        paired = curve_differences(summary)
        if paired:
            rows = []
            for name, points in paired.items():
                by_budget = {point["budget"]: point["cells"].get(cell) for point in points}
                rows.append([name, *(_diff_text(by_budget.get(b)) for b in budgets)])
            lines += ["", f"The same, as paired differences from `normal` at each budget ({cell}):", "",
                      table(["condition", *(f"{b:,}" for b in budgets)], rows)]
    return lines


def _mechanism_section(summary: dict[str, Any]) -> list[str]:
    """What could explain a difference: entropy, feedback sparsity and the per-intention scores."""
    intentions = list(next(iter(summary.values()))["per_intention"])
    rows = [[name, f"{row['cells'][CURVE_CELLS[0]]['entropy']:.2f}",
             f"{row['curve']['entropy'][-1]:.2f}" if row["curve"].get("entropy") else "-",
             f"{100 * row['signal_share']:.0f}" if not math.isnan(row["signal_share"]) else "-",
             *(f"{row['per_intention'].get(i, math.nan):.1f}" for i in intentions)]
            for name, row in summary.items()]
    return ["", "Why: the policy's entropy (nats: on test/normal at evaluation, and in the last training update), "
            "the share of training episodes in which the user's emotion rose on at least one turn (%, the "
            f"feedback the agent had to learn from), and the mean final emotion per hidden intention ({CURVE_CELLS[0]}, "
            "mean over seeds):", "",
            table(["condition", "entropy (eval)", "entropy (last update)", "episodes with a rise %", *intentions], rows)]


#: One colour per group of conditions, in the plots.
GROUP_COLOURS = {"level": "C0", "strictness": "C1", "reticence": "C2", "fidelity": "C3", "curriculum": "C4",
                 "fragility": "C5", "noise": "C6", GRID_GROUP: "C7", "seeker": "C8"}


def plot(summary: dict[str, Any], references: dict[str, dict[str, float]], out_dir: Path) -> list[Path]:
    """``score_vs_difficulty.png`` (paired differences from normal), ``scores.png`` and ``entropy.png``.

    * ``score_vs_difficulty.png``, the figure the README's text is about: per evaluation cell, each
      condition's paired difference from ``normal`` with its t 95% CI, on a scale of a few points,
      and the zero line: an interval clear of zero is an effect.
    * ``scores.png``: the mean score against training difficulty per group, each panel on its own
      scale (the reference policies, 10 to 90 points apart, are in ``sweep.md``, not here).
    * ``entropy.png``: the entropy curves, one colour per group and one line style per condition.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError as error:
        raise ImportError('the sweep plots need matplotlib: pip install "empathy_gym[sweep]"') from error
    del references  # in sweep.md: on these axes they would squash the effects into flat lines
    cells = list(next(iter(summary.values()))["cells"])
    columns = min(2, len(cells))
    rows_of_panels = math.ceil(len(cells) / columns)
    group_handles = [Line2D([], [], color=colour, marker="o", linestyle="", label=group)
                     for group, colour in GROUP_COLOURS.items() if any(r["group"] == group for r in summary.values())]

    differences = paired_differences(summary)
    names = list(differences)
    figure, axes = plt.subplots(rows_of_panels, columns, figsize=(5.2 * columns, 0.32 * len(names) * rows_of_panels + 1.8),
                                sharey=True, squeeze=False)
    for axis, cell in zip(axes.flat, cells):
        for position, name in enumerate(names):
            value = differences[name][cell]
            axis.errorbar(value["mean"], position, xerr=np.nan_to_num(value["ci95"]), marker="o", capsize=3,
                          color=GROUP_COLOURS.get(summary[name]["group"], "black"))
        axis.axvline(0.0, color="black", linewidth=0.8)
        axis.set_title(f"evaluated on {cell}", fontsize=10)
        axis.set_xlabel("difference from normal-trained agents (points, t 95% CI)", fontsize=8)
        axis.grid(axis="x", alpha=0.3)
        axis.set_yticks(range(len(names)), names, fontsize=8)
        axis.invert_yaxis()
    for axis in list(axes.flat)[len(cells):]:
        axis.set_visible(False)
    figure.suptitle("Mean final emotion: each training condition minus training at normal, paired by seed")
    figure.legend(handles=group_handles, loc="lower center", ncol=len(group_handles), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.05, 1, 0.95))
    difference_path = out_dir / "score_vs_difficulty.png"
    figure.savefig(difference_path, dpi=110)
    plt.close(figure)

    normal = summary.get("level=0.50")
    figure, axes = plt.subplots(rows_of_panels, columns, figsize=(5.2 * columns, 3.6 * rows_of_panels), squeeze=False)
    for axis, cell in zip(axes.flat, cells):
        for group in ("level", *SINGLE_AXES):
            points = [(row["x"], row["cells"][cell]) for row in summary.values() if row["group"] == group]
            if group != "level" and normal is not None and points:
                points.append((axis_position(group, getattr(PRESETS["normal"], group)), normal["cells"][cell]))
            if not points:
                continue
            points.sort(key=lambda point: point[0])
            axis.errorbar([x for x, _ in points], [c["mean"] for _, c in points],
                          yerr=[np.nan_to_num(c["ci95"]) for _, c in points], marker="o", capsize=3,
                          color=GROUP_COLOURS[group])
        axis.set_title(f"evaluated on {cell}", fontsize=10)
        axis.set_xlabel("training difficulty (0 = simple's value, 1 = challenging's)", fontsize=8)
        axis.set_ylabel("mean final emotion (t 95% CI over seeds)", fontsize=8)
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(cells):]:
        axis.set_visible(False)
    figure.legend(handles=[h for h in group_handles if h.get_label() != "curriculum"], loc="lower center",
                  ncol=4, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    score_path = out_dir / "scores.png"
    figure.savefig(score_path, dpi=110)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(8, 5))
    styles = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)))
    members: dict[str, int] = {}
    for name, row in summary.items():
        index = members[row["group"]] = members.get(row["group"], -1) + 1
        axis.plot(row["curve"]["global_step"], row["curve"]["entropy"], linestyle=styles[index % len(styles)],
                  color=GROUP_COLOURS.get(row["group"], "black"), label=name, linewidth=1.2)
    axis.set_xlabel("environment steps")
    axis.set_ylabel("policy entropy (nats, mean over seeds)")
    axis.set_title("Policy entropy during training, per condition")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, ncol=1, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.tight_layout()
    entropy_path = out_dir / "entropy.png"
    figure.savefig(entropy_path, dpi=110)
    plt.close(figure)
    return [difference_path, score_path, entropy_path, *_plot_grid(plt, summary, differences, out_dir),
            *_plot_curves(plt, summary, out_dir)]


def _plot_grid(plt: Any, summary: dict[str, Any], differences: dict[str, Any], out_dir: Path) -> list[Path]:
    """``strictness_fidelity.png``: the paired differences from normal over the 3 x 3 grid, one panel per curve cell."""
    names = grid_cells()
    if not any(name in summary and name != "level=0.50" for name in names.values()):
        return []
    first, second = GRID_AXES
    presets = list(PRESETS)
    figure, axes = plt.subplots(1, len(CURVE_CELLS), figsize=(4.6 * len(CURVE_CELLS), 4.2), squeeze=False)
    for axis, cell in zip(axes.flat, CURVE_CELLS):
        values = np.full((3, 3), np.nan)
        labels = [["" for _ in presets] for _ in presets]
        for i, a in enumerate(presets):
            for j, b in enumerate(presets):
                name = names[(a, b)]
                if name == "level=0.50" and name in summary:
                    values[i, j], labels[i][j] = 0.0, "normal"
                elif name in differences:
                    value = differences[name][cell]
                    values[i, j] = value["mean"]
                    labels[i][j] = _diff_text(value).replace(" +/- ", "\n+/- ")
        limit = max(1.0, float(np.nanmax(np.abs(values)))) if np.isfinite(values).any() else 1.0
        image = axis.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit)
        for i in range(3):
            for j in range(3):
                axis.text(j, i, labels[i][j], ha="center", va="center", fontsize=8)
        axis.set_xticks(range(3), [f"{getattr(PRESETS[b], second):g}\n({b})" for b in presets], fontsize=8)
        axis.set_yticks(range(3), [f"{getattr(PRESETS[a], first):g} ({a})" for a in presets], fontsize=8)
        axis.set_xlabel(f"training {second}", fontsize=9)
        axis.set_ylabel(f"training {first}", fontsize=9)
        axis.set_title(f"evaluated on {cell}", fontsize=10)
        figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="points vs normal (paired)")
    figure.suptitle(f"{first} x {second}: mean final emotion minus training at normal, paired by seed")
    figure.tight_layout()
    path = out_dir / "strictness_fidelity.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


def _plot_curves(plt: Any, summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """``learning_curves.png``: each condition's score at each training budget, per curve cell, with t 95% CIs."""
    if len({point["budget"] for row in summary.values() for point in row["checkpoints"]}) < 2:
        return []
    figure, axes = plt.subplots(1, len(CURVE_CELLS), figsize=(6.2 * len(CURVE_CELLS), 4.6), squeeze=False)
    styles = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)))
    for axis, cell in zip(axes.flat, CURVE_CELLS):
        members: dict[str, int] = {}
        for name, row in summary.items():
            points = [point for point in row["checkpoints"] if cell in point["cells"]]
            if not points:
                continue
            index = members[row["group"]] = members.get(row["group"], -1) + 1
            axis.errorbar([point["step"] for point in points], [point["cells"][cell]["mean"] for point in points],
                          yerr=[np.nan_to_num(point["cells"][cell]["ci95"]) for point in points], capsize=2,
                          marker="o", markersize=3, linestyle=styles[index % len(styles)], linewidth=1.0,
                          color=GROUP_COLOURS.get(row["group"], "black"), label=name)
        axis.set_xlabel("training steps")
        axis.set_ylabel("mean final emotion (t 95% CI over seeds)")
        axis.set_title(f"evaluated on {cell}", fontsize=10)
        axis.grid(alpha=0.3)
    axes.flat[-1].legend(fontsize=6, ncol=1, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.suptitle("Learning curves: the agent scored on the test users after each budget of training")
    figure.tight_layout()
    path = out_dir / "learning_curves.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


def write_report(out_dir: str | os.PathLike, records: Sequence[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Path]:
    """Aggregate ``records`` and write ``sweep.json``, ``sweep.md`` and the PNGs into ``out_dir``."""
    out_dir = Path(out_dir)
    summary = aggregate(records)
    references = reference_scores(meta["eval_seeds"])
    table = markdown(summary, references, meta)
    json_path, md_path = out_dir / "sweep.json", out_dir / "sweep.md"
    json_path.write_text(json.dumps({"meta": meta, "references": references, "conditions": summary}, indent=1),
                         encoding="utf-8")
    md_path.write_text(f"{table}\n\nCommand: `{meta['command']}`; machine: {meta['machine']}; "
                       f"{meta['run_minutes']:.0f} min of training and evaluation in all "
                       f"({meta['run_minutes'] / meta['workers']:.0f} min with {meta['workers']} parallel workers).\n",
                       encoding="utf-8")
    paths = plot(summary, references, out_dir)
    written = {"json": json_path, "markdown": md_path, "difference_plot": paths[0], "score_plot": paths[1],
               "entropy_plot": paths[2]}
    written.update({path.stem + "_plot": path for path in paths[3:]})
    return written


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    from empathy_gym._arguments import non_negative_int, positive_int

    parser = parser or argparse.ArgumentParser(prog="difficulty_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{len(QUICK['seeds'])} seed(s) x {QUICK['total_steps']} steps, a smoke run of every "
                             f"condition, instead of {len(FULL['seeds'])} x {FULL['total_steps']}")
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", default=None,
                        help=f"training seeds (default: {' '.join(map(str, FULL['seeds']))}; with --quick "
                             f"{' '.join(map(str, QUICK['seeds']))})")
    parser.add_argument("--total-steps", type=positive_int, default=None,
                        help=f"steps per run (default: {FULL['total_steps']}; with --quick {QUICK['total_steps']})")
    parser.add_argument("--conditions", nargs="+", default=None, type=_condition,
                        help="only these conditions or groups, e.g. level curriculum strictness=0.95 (default: all: "
                             + ", ".join(c.name for c in conditions()) + ")")
    parser.add_argument("--curve-steps", type=positive_int, nargs="*", default=None,
                        help="learning-curve budgets: each run is scored on the test users after this many steps "
                             f"(default: {' '.join(map(str, FULL['curve_steps']))}; with --quick "
                             f"{' '.join(map(str, QUICK['curve_steps']))}; give none for no curve)")
    parser.add_argument("--agent", choices=list(AGENTS), default=DEFAULT_AGENT,
                        help="the agent every run trains: reference (today's PPOConfig defaults) or first-sweep "
                             "((64, 64) hidden layers with the episode's text memory, the first sweep's agent, "
                             f"for a cross run; default: {DEFAULT_AGENT})")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                        help="parallel training processes")
    parser.add_argument("--out", default="sweep", help="output folder (runs/ inside it make a rerun resume)")
    parser.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="run the runs as Ray tasks, one CPU each: alone, on a new local Ray; 'auto' or an "
                             "address (host:port, ray://host:10001) joins a running cluster (needs ray: the ray extra)")
    return parser


def _condition(text: str) -> str:
    """A condition's name or a group's, for ``--conditions``."""
    every = conditions()
    names = [c.name for c in every] + list(dict.fromkeys(c.group for c in every))
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown condition {text!r}; allowed: {', '.join(names)}")
    return text


def main(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """``empathy-gym sweep``: run (or resume) the sweep, then write the table and the plots."""
    args = build_parser(parser).parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {args.out!r} is a file; give a folder (it is created if missing)")
    settings = dict(QUICK if args.quick else FULL)
    if args.seeds:
        settings["seeds"] = tuple(args.seeds)
    if args.total_steps:
        settings["total_steps"] = args.total_steps
    if getattr(args, "curve_steps", None) is not None:
        settings["curve_steps"] = tuple(args.curve_steps)
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    agent = getattr(args, "agent", DEFAULT_AGENT)
    agent_settings(agent)  # refuse an unknown agent before anything runs
    records = run_sweep(args.out, seeds=settings["seeds"], total_steps=settings["total_steps"],
                        eval_seeds=settings["eval_seeds"], only=args.conditions, workers=args.workers,
                        ray_address=args.ray, curve_steps=settings["curve_steps"], agent=agent)
    meta = {"env_id": ENV_ID, "seeds": list(settings["seeds"]), "total_steps": settings["total_steps"],
            "eval_seeds": list(settings["eval_seeds"]), "curve_steps": curve_budgets(settings["total_steps"],
                                                                                  settings["curve_steps"], agent),
            "eval_settings": {k: v.to_dict() for k, v in EVAL_SETTINGS.items()},
            "eval_splits": list(EVAL_SPLITS), "command": _command_line(), "machine": machine(), "workers": args.workers,
            "ray": args.ray,
            "run_minutes": sum(r["train_seconds"] + r["eval_seconds"] for r in records) / 60,
            "agent": agent, "agent_settings": _agent_settings(agent), "user": user_fingerprint()}
    paths = write_report(args.out, records, meta)
    print(Path(paths["markdown"]).read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(path) for path in paths.values()))
    return 0


def _agent_settings(agent: str = DEFAULT_AGENT) -> dict[str, Any]:
    """The agent every run trains: the PPOConfig fields with ``agent``'s settings applied (JSON-ready)."""
    from dataclasses import asdict

    from empathy_gym.agents.config import PPOConfig

    config = asdict(PPOConfig(env_id=ENV_ID, **agent_settings(agent)))
    return {key: list(value) if isinstance(value, tuple) else value for key, value in config.items()
            if key not in ("difficulty", "curriculum", "seed", "total_steps", "split", "env_id")}


def _command_line() -> str:
    """How this sweep was started, as a reader would retype it."""
    if sys.argv[1:2] == ["sweep"]:
        return " ".join(["empathy-gym sweep", *sys.argv[2:]])
    if sys.argv[0].endswith(".py"):
        return " ".join(["python", *sys.argv])
    return " ".join(sys.argv)
