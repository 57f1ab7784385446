"""Steps per second of the EmpathyGym environments, beside Gymnasium's CartPole-v1 (issue 7's table).

For every registered EmpathyGym id with the parametric user (text ids with a fixed pool of realistic
replies, strategy ids with random strategies) and for CartPole-v1: one env through ``gym.make``,
``SyncVectorEnv`` with 8 envs, the native vector env (``gym.make_vec``'s default) with 8 envs and
``AsyncVectorEnv(shared_memory=False)`` with 2 workers; for the two default ids also
``SyncVectorEnv`` and the native vector env with 64 envs. Also the hashed-text featuriser on its
own, the training steps per second of the bundled PPO and of stable-baselines3's PPO with the same
settings, and the resident memory of one process running ``--memory-episodes`` episodes. Each speed
is the median of ``--repeats`` timed runs (min and max shown); the cost of one step is given as a
multiple of CartPole-v1's (single env), and the issue's four targets are checked at the end.

Run from the repository root on an otherwise idle machine:

    python benchmarks/throughput.py --repeats 5

Writes benchmarks/results/throughput.json and .md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import gymnasium as gym
import numpy as np
from _common import RESULTS, machine

import empathy_gym  # noqa: F401  (registers the ids)
from empathy_gym.envs.registration import env_ids
from empathy_gym.wrappers import HashedTextFeatures

# Replies a text agent might send: varied, on topic, some questions, some advice.
REPLIES = (
    "That sounds exhausting. What happened after that?",
    "It makes sense that you feel hurt by this.",
    "You are not to blame for how they reacted.",
    "What part of it weighs on you the most right now?",
    "It sounds like you have been carrying this alone for a while.",
    "Maybe you could write down what you want to say before you talk to them.",
    "I can hear how much you care about getting this right.",
    "How did you feel when they said that?",
    "You handled a hard moment with more patience than most people would.",
    "Is there someone you trust who could help you with the practical side?",
    "I wonder what might have been going on for them at the time.",
    "That must have been a shock. Take your time.",
)


def _actions(env: gym.Env, count: int, rng: np.random.Generator) -> list:
    if isinstance(env.action_space, gym.spaces.Discrete):
        return [int(a) for a in rng.integers(env.action_space.n, size=count)]
    return [REPLIES[i] for i in rng.integers(len(REPLIES), size=count)]


def single_env_rate(env_id: str, steps: int, rng: np.random.Generator) -> float:
    env = gym.make(env_id)
    actions = _actions(env, steps, rng)
    env.reset(seed=0)
    for action in actions[: steps // 4]:  # warm-up: the appraiser's caches fill as in any longer run
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def vector_env_rate(env_id: str, kind: str, steps: int, rng: np.random.Generator) -> float:
    """``kind``: "sync<N>" (SyncVectorEnv), "native<N>" (the id's vector entry point) or "async2"."""
    if kind.startswith("sync"):
        envs = gym.make_vec(env_id, num_envs=int(kind[4:]), vectorization_mode="sync")
    elif kind.startswith("native"):
        envs = gym.make_vec(env_id, num_envs=int(kind[6:]), vectorization_mode="vector_entry_point")
    else:
        envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="async", vector_kwargs={"shared_memory": False})
    single = envs.single_action_space
    batches = max(1, steps // envs.num_envs)
    if isinstance(single, gym.spaces.Discrete):
        actions = [rng.integers(single.n, size=envs.num_envs) for _ in range(batches)]
    else:
        actions = [tuple(REPLIES[i] for i in rng.integers(len(REPLIES), size=envs.num_envs)) for _ in range(batches)]
    envs.reset(seed=0)
    for action in actions[: batches // 4]:  # warm-up, as for the single env
        envs.step(action)
    start = time.perf_counter()
    for action in actions:
        envs.step(action)  # autoreset (NEXT_STEP): a reset step counts as a step, as in RL use
    elapsed = time.perf_counter() - start
    envs.close()
    return batches * envs.num_envs / elapsed


def featuriser_rate(texts: list[str], repeats: int) -> float:
    featuriser = HashedTextFeatures(gym.make("EmpathyGym/SupportStrategy-v0"))
    start = time.perf_counter()
    for _ in range(repeats):
        for text in texts:
            featuriser.featurise(text)
    return repeats * len(texts) / (time.perf_counter() - start)


def _user_texts(count: int) -> list[str]:
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    texts = [env.reset(seed=0)[0]["text"]]
    rng = np.random.default_rng(0)
    while len(texts) < count:
        observation, _, terminated, truncated, _ = env.step(int(rng.integers(15)))
        texts.append(observation["text"])
        if terminated or truncated:
            texts.append(env.reset()[0]["text"])
    return texts[:count]


def training_rates(total_steps: int) -> dict[str, float]:
    from ppo_vs_sb3 import _Tracker, run_sb3

    from empathy_gym.agents.ppo import PPOConfig, train

    config = PPOConfig(total_steps=total_steps, seed=1)
    bundled = train(config)["sps"]
    tracker = _Tracker(every=10**12, threshold=float("inf"), difficulty="normal")  # never scores
    start = time.perf_counter()
    _, steps = run_sb3(config, tracker)
    return {"bundled_ppo": bundled, "sb3_ppo": steps / (time.perf_counter() - start)}


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:  # Linux: resident pages are the second field
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_run(episodes: int) -> dict[str, float]:
    """Resident memory while one strategy env plays ``episodes`` episodes of random strategies."""
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    samples: list[tuple[int, float]] = []
    done = steps = 0
    start = time.perf_counter()
    checkpoints = sorted({min(episodes, 1000), *range(0, episodes + 1, max(1, episodes // 10))} - {0})
    while done < episodes:
        _, _, terminated, truncated, _ = env.step(int(rng.integers(15)))
        steps += 1
        if terminated or truncated:
            env.reset()
            done += 1
            if done == checkpoints[len(samples)]:
                samples.append((done, _resident_mib()))
    seconds = time.perf_counter() - start
    after_warmup = samples[0][1]
    return {"episodes": episodes, "steps": steps, "seconds": seconds, "samples": samples,
            "warmup_episodes": checkpoints[0], "rss_after_warmup_mib": after_warmup, "rss_end_mib": samples[-1][1],
            "rss_growth_mib": max(rss for _, rss in samples) - after_warmup}


def _summary(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


KINDS = ("single", "sync8", "native8", "async2")
WIDE = ("sync64", "native64")
WIDE_IDS = ("EmpathyGym/Support-v0", "EmpathyGym/SupportStrategy-v0")


def _cell(row: dict[str, dict[str, float]], kind: str) -> str:
    if kind not in row:
        return "-"
    return f"{row[kind]['median']:,.0f} ({row[kind]['min']:,.0f}-{row[kind]['max']:,.0f})"


def _targets(rows: dict, training: dict[str, float]) -> list[tuple[str, str, bool]]:
    cartpole = rows["CartPole-v1"]["single"]["median"]
    strategy = cartpole / rows["EmpathyGym/SupportStrategy-v0"]["single"]["median"]
    text = cartpole / rows["EmpathyGym/Support-v0"]["single"]["median"]
    out = [("strategy mode, single env: at most 5x CartPole's step cost", f"{strategy:.1f}x", strategy <= 5),
           ("text mode with realistic replies, single env: at most 15x CartPole's step cost", f"{text:.1f}x", text <= 15)]
    for env_id in WIDE_IDS:
        gain = rows[env_id]["native64"]["median"] / rows[env_id]["sync64"]["median"]
        out.append((f"native vector env, 64 users, `{env_id}`: at least 4x SyncVectorEnv's throughput",
                    f"{gain:.2f}x", gain >= 4))
    if training:
        ratio = training["bundled_ppo"] / training["sb3_ppo"]
        out.append(("bundled PPO training SPS at least SB3's on `EmpathyGym/SupportStrategy-v0`", f"{ratio:.2f}x",
                    ratio >= 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000, help="EmpathyGym steps per timed run")
    parser.add_argument("--cartpole-steps", type=int, default=100_000)
    parser.add_argument("--train-steps", type=int, default=20_480, help="steps per training-speed run (0: skip)")
    parser.add_argument("--memory-episodes", type=int, default=100_000, help="episodes of the memory run (0: skip)")
    parser.add_argument("--out", default="throughput", help="results file stem under benchmarks/results/")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for env_id in ("CartPole-v1", *env_ids(backend="parametric")):
        steps = args.cartpole_steps if env_id == "CartPole-v1" else args.steps
        kinds = KINDS + (WIDE if env_id in WIDE_IDS or env_id == "CartPole-v1" else ())
        rows[env_id] = {}
        for kind in kinds:
            count = max(steps, 2 * 64) if kind in WIDE else steps
            rows[env_id][kind] = _summary([single_env_rate(env_id, count, rng) if kind == "single"
                                           else vector_env_rate(env_id, kind, count, rng) for _ in range(args.repeats)])
        print(env_id, {k: round(v["median"]) for k, v in rows[env_id].items()}, flush=True)
    texts = _user_texts(500)
    featuriser = _summary([featuriser_rate(texts, 4) for _ in range(args.repeats)])
    training = training_rates(args.train_steps) if args.train_steps else {}
    memory = memory_run(args.memory_episodes) if args.memory_episodes else None
    elapsed = time.perf_counter() - start

    cartpole_cost = 1.0 / rows["CartPole-v1"]["single"]["median"]
    command = (f"python benchmarks/throughput.py --repeats {args.repeats} --steps {args.steps} "
               f"--cartpole-steps {args.cartpole_steps} --train-steps {args.train_steps} "
               f"--memory-episodes {args.memory_episodes}")
    lines = [f"Command: `{command}` ({elapsed / 60:.1f} min on {machine()})", "",
             "Steps per second (sub-env steps for vector envs), median of the repeats (min-max). \"x CartPole\" is "
             "the cost of one step as a multiple of CartPole-v1's single-env step: single env, and per sub-env "
             "step in the native vector env with 8 envs. \"native\" is the id's vector entry point "
             "(`gym.make_vec`'s default; CartPole's is numpy over all envs).", "",
             "| env | single env | x CartPole | SyncVectorEnv, 8 | native, 8 | x CartPole | AsyncVectorEnv, 2 workers "
             "| SyncVectorEnv, 64 | native, 64 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for env_id, row in rows.items():
        ratio = (1.0 / row["single"]["median"]) / cartpole_cost
        native_ratio = (1.0 / row["native8"]["median"]) / cartpole_cost
        lines.append(f"| `{env_id}` | {_cell(row, 'single')} | {ratio:.0f} | {_cell(row, 'sync8')} | "
                     f"{_cell(row, 'native8')} | {native_ratio:.0f} | {_cell(row, 'async2')} | "
                     f"{_cell(row, 'sync64')} | {_cell(row, 'native64')} |")
    lines += ["", f"Hashed-text featuriser alone: {featuriser['median']:,.0f} texts/s "
                  f"({featuriser['min']:,.0f}-{featuriser['max']:,.0f}; 512 features, user turns of the strategy env)."]
    if training:
        from empathy_gym.agents.ppo import PPOConfig

        defaults = PPOConfig()
        lines.append(f"Training on `EmpathyGym/SupportStrategy-v0` ({args.train_steps} steps, PPOConfig defaults: hidden "
                     f"layers {defaults.hidden_sizes}, text memory {defaults.text_memory}; one "
                     f"torch thread): bundled PPO {training['bundled_ppo']:,.0f} steps/s, stable-baselines3 PPO "
                     f"{training['sb3_ppo']:,.0f} steps/s (ratio {training['bundled_ppo'] / training['sb3_ppo']:.2f}).")
    if memory:
        lines.append(f"Memory: one `EmpathyGym/SupportStrategy-v0` env played {memory['episodes']:,} episodes "
                     f"({memory['steps']:,} steps, {memory['seconds']:.0f} s); resident memory "
                     f"{memory['rss_after_warmup_mib']:.0f} MiB after {memory['warmup_episodes']:,} episodes, "
                     f"{memory['rss_end_mib']:.0f} MiB at the end, largest growth after that "
                     f"{memory['rss_growth_mib']:.1f} MiB "
                     f"(samples every {memory['episodes'] // 10:,} episodes: "
                     + ", ".join(f"{rss:.0f}" for _, rss in memory["samples"]) + " MiB).")
    targets = _targets(rows, training)
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {name} | {value} | {'yes' if met else 'no'} |" for name, value, met in targets]
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(
        {"command": command, "machine": machine(), "minutes": round(elapsed / 60, 1), "envs": rows,
         "featuriser_texts_per_second": featuriser, "training_steps_per_second": training, "memory": memory,
         "targets": [{"target": name, "measured": value, "met": met} for name, value, met in targets]},
        indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
