"""Old code against new, interleaved: steps/s of one env and of 64 envs, alternating two checkouts.

On a machine whose speed drifts (a shared VM), single runs of different code are not comparable;
this runs each measurement in a fresh process, alternating the checkout at ``--before`` (a git
worktree of the older commit) and this one, ``--rounds`` times, and prints the medians. Each
measurement starts cold: 10,000 steps of one env through ``gym.make`` (random strategies; text ids:
``throughput.py``'s realistic replies), then 12,800 sub-env steps of 64 envs (native, and for this
checkout also ``SyncVectorEnv``). Run from the repository root:

    git worktree add /tmp/before b123b75
    python benchmarks/speed_ab.py --before /tmp/before --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

IDS = ("EmpathyGym/SupportStrategy-v0", "EmpathyGym/Support-v0")
HERE = Path(__file__).resolve().parent


def measure(env_id: str, mode: str) -> float:
    """Steps/s of ``env_id``: ``single`` (one env, 10,000 steps) or a vectorization mode with 64 envs."""
    import gymnasium as gym
    import numpy as np

    import empathy_gym  # noqa: F401
    sys.path.insert(0, str(HERE))
    from throughput import REPLIES

    rng = np.random.default_rng(0)
    if mode == "single":
        env = gym.make(env_id)
        env.reset(seed=0)
        discrete = isinstance(env.action_space, gym.spaces.Discrete)
        actions = ([int(a) for a in rng.integers(env.action_space.n, size=10_000)] if discrete
                   else [REPLIES[i] for i in rng.integers(len(REPLIES), size=10_000)])
        start = time.perf_counter()
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        return len(actions) / (time.perf_counter() - start)
    envs = gym.make_vec(env_id, num_envs=64, vectorization_mode=mode)
    envs.reset(seed=0)
    discrete = isinstance(envs.single_action_space, gym.spaces.Discrete)
    batches = [rng.integers(envs.single_action_space.n, size=64) if discrete
               else tuple(REPLIES[i] for i in rng.integers(len(REPLIES), size=64)) for _ in range(200)]
    start = time.perf_counter()
    for batch in batches:
        envs.step(batch)
    return 200 * 64 / (time.perf_counter() - start)


def _run(checkout: Path, env_id: str, mode: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, __file__, "--measure", env_id, mode], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="a checkout of the older code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--measure", nargs=2, metavar=("ENV_ID", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(measure(*args.measure))
        return
    if args.before is None:
        parser.error("--before PATH (a checkout of the older code) is required")
    now = HERE.parent
    cells = [(label, checkout, env_id, mode) for env_id in IDS for mode in ("single", "vector_entry_point", "sync")
             for label, checkout in (("before", args.before), ("after", now)) if not (mode == "sync" and label == "before")]
    rates: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for label, checkout, env_id, mode in cells:
            rates.setdefault(f"{label} {env_id} {mode}", []).append(_run(checkout, env_id, mode))
    medians = {key: statistics.median(values) for key, values in rates.items()}
    print(json.dumps({"rounds": args.rounds, "medians": medians, "runs": rates}, indent=1))


if __name__ == "__main__":
    main()
