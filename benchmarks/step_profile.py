"""Where a step's time goes: a cProfile of single-env steps, split into the parts of a step.

For each id (default the two default ids), one env through ``gym.make`` plays ``--steps`` steps
(random strategies; for text ids, random replies from ``throughput.py``'s pool) in this process,
starting cold (no reading cached), under :mod:`cProfile`. The report gives the cumulative time of
each part as a share of the whole loop, as a tree (a part's share includes the parts under it):

* rendering the strategy's reply (``prepare_reply``), and inside it finding quotable details;
* the user's turn (``respond``): reading the reply (``appraise``: new texts read from scratch by the
  cue patterns and the move and coherence models, and the conversation-dependent signals), the
  dynamics (everything in ``respond`` that is neither reading nor speech) and speech (the user's
  words and inner thought);
* the env's own bookkeeping (``finish_step``: info, observation, transcript), resets, and the rest
  (wrappers, the loop).

cProfile slows Python-level code more than C-level code, so shares are indicative, not exact;
steps per second are measured separately, without the profiler, on the same actions. Run from the
repository root:

    python benchmarks/step_profile.py --steps 10000

Writes benchmarks/results/step_profile.json and .md (``--out`` changes the stem).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

import gymnasium as gym
import numpy as np
from _common import RESULTS, machine
from throughput import REPLIES

import empathy_gym  # noqa: F401  (registers the ids)

IDS = ("EmpathyGym/SupportStrategy-v0", "EmpathyGym/Support-v0")


def _actions(env: gym.Env, count: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    if isinstance(env.action_space, gym.spaces.Discrete):
        return [int(a) for a in rng.integers(env.action_space.n, size=count)]
    return [REPLIES[i] for i in rng.integers(len(REPLIES), size=count)]


def _play(env: gym.Env, actions: list) -> None:
    env.reset(seed=0)
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()


def _cumulative(stats: pstats.Stats, file_part: str, name: str, *, outermost: bool = False) -> float:
    """Cumulative seconds of the functions called ``name`` in files whose path ends with ``file_part``
    (summed, or with ``outermost`` the largest: for wrappers that call one another)."""
    found = [ct for (path, _, function), (_, _, _, ct, _) in stats.stats.items()
             if function == name and path.replace("\\", "/").endswith(file_part)]
    return (max(found, default=0.0)) if outermost else sum(found)


def profile(env_id: str, steps: int) -> dict:
    # Steps per second without the profiler, cold, in a fresh env (the appraiser's caches are the
    # process's: the timed run goes first, so the profiled run below reads warmer).
    env = gym.make(env_id)
    actions = _actions(env, steps, seed=0)
    start = time.perf_counter()
    _play(env, actions)
    rate = steps / (time.perf_counter() - start)

    env = gym.make(env_id)
    actions = _actions(env, steps, seed=1)  # other actions, so that most readings are new again
    profiler = cProfile.Profile()
    profiler.enable()
    start = time.perf_counter()
    _play(env, actions)
    total = time.perf_counter() - start
    profiler.disable()
    stats = pstats.Stats(profiler)

    def cum(file_part: str, name: str) -> float:
        return _cumulative(stats, file_part, name)

    step = cum("envs/support.py", "step")
    reset = cum("envs/support.py", "reset")
    render = cum("envs/support.py", "prepare_reply")
    respond = cum("model/parametric.py", "respond")
    appraise = cum("model/parametric.py", "appraise")
    new_texts = cum("model/appraisal.py", "_read_reply_learned") or cum("model/appraisal.py", "_read_reply")
    speech = cum("model/utterance.py", "reply") + cum("model/utterance.py", "inner_thought")
    parts = [
        ("step (env.step, with the wrappers of gym.make)", _cumulative(stats, "gymnasium/wrappers/common.py", "step", outermost=True) or step, 0),
        ("preparing the reply (prepare_reply: rendering a strategy; sanitising a text)", render, 1),
        ("finding quotable details in the user's last turn", cum("model/rendering.py", "_find_details"), 2),
        ("the user's turn (respond)", respond, 1),
        ("reading the reply (appraise)", appraise, 2),
        ("new texts read from scratch (cues, move and coherence models)", new_texts, 3),
        ("the conversation: context, echo, relevance, repetition, garbling", appraise - new_texts, 3),
        ("dynamics (respond less reading and speech)", respond - appraise - speech, 2),
        ("speech (the user's words and inner thought)", speech, 2),
        ("bookkeeping (finish_step: info, observation, transcript)", cum("envs/support.py", "finish_step"), 1),
        ("resets", reset, 0),
    ]
    return {"env_id": env_id, "steps": steps, "steps_per_second": rate, "profiled_seconds": total,
            "parts": [{"part": name, "seconds": seconds, "share": seconds / total, "depth": depth}
                      for name, seconds, depth in parts]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--ids", nargs="+", default=list(IDS))
    parser.add_argument("--out", default="step_profile", help="results file stem under benchmarks/results/")
    args = parser.parse_args()
    results = [profile(env_id, args.steps) for env_id in args.ids]
    command = f"python benchmarks/step_profile.py --steps {args.steps}"
    lines = [f"Command: `{command}` ({machine()})", "",
             "Cumulative share of each part of a step under cProfile (a part includes the parts indented under "
             "it); steps/s measured without the profiler, cold (nothing read before).", ""]
    for result in results:
        lines += [f"`{result['env_id']}`: {result['steps_per_second']:,.0f} steps/s without the profiler; "
                  f"{result['steps']:,} profiled steps took {result['profiled_seconds']:.1f} s.", "",
                  "| part | share |", "| --- | --- |"]
        lines += [f"| {'&nbsp;' * 4 * part['depth']}{part['part']} | {100 * part['share']:.0f}% |"
                  for part in result["parts"]]
        lines.append("")
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps({"command": command, "machine": machine(),
                                                          "results": results}, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
