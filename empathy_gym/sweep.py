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
* single axes, each moved alone from ``normal`` to its ``simple`` and its ``challenging`` value
  with every other axis at ``normal``: ``strictness``, ``reticence``, ``fidelity`` (for fidelity,
  lower is harder). Plotted on a common scale: 0 = the axis at ``simple``'s value, 1 = at
  ``challenging``'s, so ``normal`` sits in between.
* ``curriculum``: ``ramp`` (level 0 to 1 over the first 80% of the run), ``adaptive`` (keeps the
  recent success rate near 50%), ``bandit`` (learning-progress bandit over five levels); see
  :mod:`empathy_gym.wrappers.curriculum`.

Every run is written to ``<out>/runs/<condition>-seed<seed>.json`` as soon as it ends, and a rerun
skips the runs already there, so an interrupted sweep resumes. :func:`aggregate` combines the runs
(mean over seeds with a t-based 95% confidence interval per condition and evaluation cell), and
:func:`write_report` writes ``sweep.json``, ``sweep.md`` (with the paired differences from
``normal``, :func:`paired_differences`), ``score_vs_difficulty.png`` (those differences with their
CIs), ``scores.png`` and ``entropy.png`` (matplotlib, the ``sweep`` extra). The t quantiles come
from scipy (:func:`empathy_gym.evaluation.t95`).

The agent is :class:`~empathy_gym.agents.ppo.PPOConfig` with :data:`AGENT_SETTINGS` on top of its
defaults: the settings the committed sweep was measured with.

Run it as ``empathy-gym sweep`` (``--quick``: 2 seeds, 20k steps, about 8 minutes on 2 idle cores) or
``python benchmarks/difficulty_sweep.py``; ``--ray [ADDRESS]`` runs the runs as Ray tasks on a local
Ray or a cluster (:mod:`empathy_gym.integrations.ray_sweep`). Nothing here tunes the simulator: the rules are fixed
before a sweep runs (DESIGN.md section 7).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from empathy_gym._machine import machine
from empathy_gym._progress import progress_bar
from empathy_gym.evaluation import EVAL_SETTINGS, EVAL_SPLITS, evaluate_suite, t95, table
from empathy_gym.model.difficulty import PRESETS

ENV_ID = "EmpathyGym/SupportStrategy-v0"
#: The single axes swept alone (each from ``simple``'s value to ``challenging``'s).
SINGLE_AXES: tuple[str, ...] = ("strictness", "reticence", "fidelity")
LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
CURRICULA: tuple[str, ...] = ("ramp", "adaptive", "bandit")
#: PPO settings the sweep fixes on top of :class:`~empathy_gym.agents.ppo.PPOConfig`'s defaults. The
#: committed sweep (``benchmarks/results/difficulty_sweep``) was trained with (64, 64) hidden layers
#: and the episode's text memory, the defaults then; the reference agent's defaults changed since
#: ((256, 256), no text memory: it scores higher on the test users). The sweep keeps the agent it was
#: measured with, so a rerun reproduces its numbers.
AGENT_SETTINGS: dict[str, Any] = {"hidden_sizes": (64, 64), "text_memory": True}

FULL = {"seeds": (1, 2, 3, 4, 5), "total_steps": 100_000, "eval_seeds": (0,)}
QUICK = {"seeds": (1, 2), "total_steps": 20_000, "eval_seeds": (0,)}

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
    out += [Condition(f"curriculum={name}", "curriculum", "normal", curriculum=name) for name in CURRICULA]
    return out


def axis_position(axis: str, value: float) -> float:
    """Where ``value`` of ``axis`` sits between ``simple``'s value (0) and ``challenging``'s (1)."""
    low, high = getattr(PRESETS["simple"], axis), getattr(PRESETS["challenging"], axis)
    return (value - low) / (high - low)


def run_one(condition: Condition, seed: int, total_steps: int, eval_seeds: Sequence[int],
            out_dir: str | os.PathLike) -> dict[str, Any]:
    """Train one agent under ``condition``, evaluate it on every cell, write and return its record."""
    return write_record(out_dir, train_and_evaluate(condition, seed, total_steps, eval_seeds))


def train_and_evaluate(condition: Condition, seed: int, total_steps: int, eval_seeds: Sequence[int]) -> dict[str, Any]:
    """Train one agent under ``condition`` and evaluate it on every cell; return its record (written by the caller)."""
    from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train

    config = PPOConfig(env_id=ENV_ID, difficulty=condition.difficulty, curriculum=condition.curriculum,
                       seed=seed, total_steps=total_steps, **AGENT_SETTINGS)
    start = time.perf_counter()
    result = train(config)
    train_seconds = time.perf_counter() - start
    report = evaluate_suite(PPOPolicy(result["agent"], config), env_id=ENV_ID, seeds=eval_seeds)
    history = result["history"]
    record = {
        "condition": condition.name,
        "group": condition.group,
        "seed": seed,
        "total_steps": total_steps,
        "hidden_sizes": list(config.hidden_sizes),
        "text_memory": config.text_memory,
        "train_seconds": train_seconds,
        "eval_seconds": time.perf_counter() - start - train_seconds,
        "cells": {name: {key: cell[key] for key in ("mean_final_emotion", "ci95", "success_rate", "failure_rate",
                                                    "mean_entropy", "per_intention", "strategy_distribution")}
                  for name, cell in report["cells"].items()},
        "curve": {key: [row[key] for row in history]
                  for key in ("global_step", "entropy", "mean_final_emotion", "curriculum_level")},
    }
    return record


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
              progress: Callable[[str], None] = print, ray_address: str | None = None) -> list[dict[str, Any]]:
    """Run every (condition, seed) not yet in ``out_dir``; return all records of this configuration.

    ``ray_address`` runs them as Ray tasks instead of local processes (:mod:`empathy_gym.integrations.ray_sweep`:
    ``"local"`` starts a local Ray, ``"auto"`` or an address joins a cluster); ``workers`` is then unused.
    """
    every = conditions()
    if only is not None:
        names = {c.name for c in every} | {c.group for c in every}
        unknown = sorted(set(only) - names)
        if unknown:
            raise ValueError(f"unknown condition(s) {unknown}; allowed: {', '.join(sorted(names))}")
    chosen = [c for c in every if only is None or c.name in only or c.group in only]
    records: dict[tuple[str, int], dict[str, Any]] = {}
    todo = []
    # Seed-major order: an interrupted sweep has whole seeds of every condition, not some conditions only.
    for seed in seeds:
        for condition in chosen:
            path = _run_path(out_dir, condition, seed)
            saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
            if saved is not None and saved["total_steps"] == total_steps:
                records[(condition.name, seed)] = saved
            else:
                todo.append((condition, seed))
    progress(f"{len(records)} run(s) already done, {len(todo)} to go ({len(chosen)} conditions x {len(seeds)} seeds, "
             f"{total_steps} steps each, {workers} worker(s))")
    with progress_bar(len(todo), desc="sweep", unit="run", disable=not todo) as bar:
        if ray_address is not None:
            from empathy_gym.integrations.ray_sweep import run_on_ray

            for record in run_on_ray(todo, total_steps, tuple(eval_seeds), address=ray_address):
                records[(record["condition"], record["seed"])] = write_record(out_dir, record)
                bar.set_postfix_str(f"{record['condition']} seed {record['seed']} done", refresh=False)
                bar.update()
        elif workers <= 1:
            for condition, seed in todo:
                records[(condition.name, seed)] = run_one(condition, seed, total_steps, eval_seeds, out_dir)
                bar.set_postfix_str(f"{condition.name} seed {seed} done", refresh=False)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(run_one, condition, seed, total_steps, tuple(eval_seeds), str(out_dir)):
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
        with warnings.catch_warnings():  # the curriculum level is NaN throughout for fixed conditions
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_curve = {key: np.nanmean([curve[key][:length] for curve in curves], axis=0).tolist()
                          for key in ("entropy", "mean_final_emotion", "curriculum_level")}
        out[name] = {
            "group": condition.group, "x": condition.x, "difficulty": condition.difficulty,
            "curriculum": condition.curriculum, "seeds": [run["seed"] for run in runs], "cells": cells,
            "train_seconds": float(np.mean([run["train_seconds"] for run in runs])),
            "curve": {"global_step": curves[0]["global_step"][:length], **mean_curve},
        }
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
    return "\n".join(lines)


#: One colour per group of conditions, in the plots.
GROUP_COLOURS = {"level": "C0", "strictness": "C1", "reticence": "C2", "fidelity": "C3", "curriculum": "C4"}


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
    return [difference_path, score_path, entropy_path]


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
    return {"json": json_path, "markdown": md_path, "difference_plot": paths[0], "score_plot": paths[1],
            "entropy_plot": paths[2]}


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    from empathy_gym._arguments import non_negative_int, positive_int

    parser = parser or argparse.ArgumentParser(prog="difficulty_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{len(QUICK['seeds'])} seeds x {QUICK['total_steps']} steps (about 8 min on 2 idle cores) "
                             f"instead of {len(FULL['seeds'])} x {FULL['total_steps']}")
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", default=None,
                        help=f"training seeds (default: {' '.join(map(str, FULL['seeds']))}; with --quick "
                             f"{' '.join(map(str, QUICK['seeds']))})")
    parser.add_argument("--total-steps", type=positive_int, default=None,
                        help=f"steps per run (default: {FULL['total_steps']}; with --quick {QUICK['total_steps']})")
    parser.add_argument("--conditions", nargs="+", default=None, type=_condition,
                        help="only these conditions or groups, e.g. level curriculum strictness=0.95 (default: all: "
                             + ", ".join(c.name for c in conditions()) + ")")
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
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    records = run_sweep(args.out, seeds=settings["seeds"], total_steps=settings["total_steps"],
                        eval_seeds=settings["eval_seeds"], only=args.conditions, workers=args.workers,
                        ray_address=args.ray)
    meta = {"env_id": ENV_ID, "seeds": list(settings["seeds"]), "total_steps": settings["total_steps"],
            "eval_seeds": list(settings["eval_seeds"]), "eval_settings": {k: v.to_dict() for k, v in EVAL_SETTINGS.items()},
            "eval_splits": list(EVAL_SPLITS), "command": _command_line(), "machine": machine(), "workers": args.workers,
            "ray": args.ray,
            "run_minutes": sum(r["train_seconds"] + r["eval_seconds"] for r in records) / 60,
            "agent_settings": {key: list(value) if isinstance(value, tuple) else value
                               for key, value in AGENT_SETTINGS.items()}}
    paths = write_report(args.out, records, meta)
    print(Path(paths["markdown"]).read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(path) for path in paths.values()))
    return 0


def _command_line() -> str:
    """How this sweep was started, as a reader would retype it."""
    if sys.argv[1:2] == ["sweep"]:
        return " ".join(["empathy-gym sweep", *sys.argv[2:]])
    if sys.argv[0].endswith(".py"):
        return " ".join(["python", *sys.argv])
    return " ".join(sys.argv)
