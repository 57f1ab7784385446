"""Steps per second of the text and strategy envs with each reading of moves, on one core.

    python benchmarks/reader_speed.py --steps 3000

Text env replies come from two pools: the 12 typical replies of ``throughput.py`` (read before:
the appraiser's per-text cache answers) and the 480 replies of the written set, each with a
number appended so that no reply is read twice (every step reads a new text). Writes
``benchmarks/results/reader_speed.md``.
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np
from _common import RESULTS, machine
from throughput import REPLIES

import empathy_gym  # noqa: F401
from empathy_gym.model.appraisal import MOVE_READINGS
from empathy_gym.vocabulary import STRATEGIES

WRITTEN = RESULTS.parent / "data" / "written_replies.jsonl"


def rate(env_id: str, reader: str, actions: list, warmup: int) -> float:
    env = gym.make(env_id, user_options={"reader": reader})
    env.reset(seed=0)
    for i, action in enumerate(actions):
        if i == warmup:
            start = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return (len(actions) - warmup) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    written = [json.loads(line)["reply"] for line in WRITTEN.read_text(encoding="utf-8").splitlines()]
    warmup = args.steps // 4
    pools = {
        "text env, 12 typical replies (cached)": ("EmpathyGym/Support-v0",
                                                  [REPLIES[i] for i in rng.integers(len(REPLIES), size=args.steps)]),
        "text env, a new reply every step": ("EmpathyGym/Support-v0",
                                             [f"{written[i % len(written)]} ({i})" for i in range(args.steps)]),
        "strategy env": ("EmpathyGym/SupportStrategy-v0", [int(a) for a in rng.integers(len(STRATEGIES), size=args.steps)]),
    }
    lines = ["| env | " + " | ".join(f"`{r}` steps/s" for r in MOVE_READINGS) + " |",
             "| --- |" + " ---: |" * len(MOVE_READINGS)]
    for name, (env_id, actions) in pools.items():
        rates = [rate(env_id, reader, actions, warmup) for reader in MOVE_READINGS]
        lines.append(f"| {name} | " + " | ".join(f"{r:,.0f}" for r in rates) + " |")
    table = "\n".join(lines)
    (RESULTS / "reader_speed.md").write_text(
        f"Command: `python benchmarks/reader_speed.py --steps {args.steps}`\nMachine: {machine()}\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
