"""Steps per second of the EmpathyGym environments, beside Gymnasium's CartPole-v1 (issue 7's table).

For every registered EmpathyGym id with the parametric user (text ids with a fixed pool of realistic replies, strategy ids
with random strategies) and for CartPole-v1: one env through ``gym.make``, ``SyncVectorEnv`` with 8
envs and ``AsyncVectorEnv(shared_memory=False)`` with 2 workers. Also the hashed-text featuriser on
its own, and the training steps per second of the bundled PPO and of stable-baselines3's PPO with
the same settings. Each figure is the median of ``--repeats`` timed runs (min and max shown), and
the cost of one step is given as a multiple of CartPole-v1's (single env).

Run from the repository root on an otherwise idle machine:

    python benchmarks/throughput.py --repeats 5

Writes benchmarks/results/throughput.json and .md and prints the table.
"""

from __future__ import annotations

import argparse
import json
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
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def vector_env_rate(env_id: str, kind: str, steps: int, rng: np.random.Generator) -> float:
    if kind == "sync8":
        envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(8)])
    else:
        envs = gym.vector.AsyncVectorEnv([lambda: gym.make(env_id) for _ in range(2)], shared_memory=False)
    single = envs.single_action_space
    batches = max(1, steps // envs.num_envs)
    if isinstance(single, gym.spaces.Discrete):
        actions = [rng.integers(single.n, size=envs.num_envs) for _ in range(batches)]
    else:
        actions = [tuple(REPLIES[i] for i in rng.integers(len(REPLIES), size=envs.num_envs)) for _ in range(batches)]
    envs.reset(seed=0)
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


def _summary(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000, help="EmpathyGym steps per timed run")
    parser.add_argument("--cartpole-steps", type=int, default=100_000)
    parser.add_argument("--train-steps", type=int, default=20_480, help="steps per training-speed run (0: skip)")
    parser.add_argument("--out", default="throughput", help="results file stem under benchmarks/results/")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for env_id in ("CartPole-v1", *env_ids(backend="parametric")):
        steps = args.cartpole_steps if env_id == "CartPole-v1" else args.steps
        rows[env_id] = {
            "single": _summary([single_env_rate(env_id, steps, rng) for _ in range(args.repeats)]),
            "sync8": _summary([vector_env_rate(env_id, "sync8", steps, rng) for _ in range(args.repeats)]),
            "async2": _summary([vector_env_rate(env_id, "async2", steps, rng) for _ in range(args.repeats)]),
        }
        print(env_id, {k: round(v["median"]) for k, v in rows[env_id].items()}, flush=True)
    texts = _user_texts(500)
    featuriser = _summary([featuriser_rate(texts, 4) for _ in range(args.repeats)])
    training = training_rates(args.train_steps) if args.train_steps else {}
    elapsed = time.perf_counter() - start

    cartpole_cost = 1.0 / rows["CartPole-v1"]["single"]["median"]
    command = (f"python benchmarks/throughput.py --repeats {args.repeats} --steps {args.steps} "
               f"--cartpole-steps {args.cartpole_steps} --train-steps {args.train_steps}")
    lines = [f"Command: `{command}` ({elapsed / 60:.1f} min on {machine()})", "",
             "Steps per second, median of the repeats (min-max); \"x CartPole\" is the cost of one step of the "
             "single env as a multiple of CartPole-v1's. The native vector env does not exist yet (issue 7).", "",
             "| env | single env | x CartPole | SyncVectorEnv, 8 envs | AsyncVectorEnv, 2 workers |",
             "| --- | --- | --- | --- | --- |"]
    for env_id, row in rows.items():
        cells = [f"{row[k]['median']:,.0f} ({row[k]['min']:,.0f}-{row[k]['max']:,.0f})" for k in ("single", "sync8", "async2")]
        ratio = (1.0 / row["single"]["median"]) / cartpole_cost
        lines.append(f"| `{env_id}` | {cells[0]} | {ratio:.0f} | {cells[1]} | {cells[2]} |")
    lines += ["", f"Hashed-text featuriser alone: {featuriser['median']:,.0f} texts/s "
                  f"({featuriser['min']:,.0f}-{featuriser['max']:,.0f}; 512 features, user turns of the strategy env)."]
    if training:
        lines.append(f"Training on `EmpathyGym/SupportStrategy-v0` ({args.train_steps} steps, PPOConfig defaults, one "
                     f"torch thread): bundled PPO {training['bundled_ppo']:,.0f} steps/s, stable-baselines3 PPO "
                     f"{training['sb3_ppo']:,.0f} steps/s (ratio {training['bundled_ppo'] / training['sb3_ppo']:.2f}).")
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(
        {"command": command, "machine": machine(), "minutes": round(elapsed / 60, 1), "envs": rows,
         "featuriser_texts_per_second": featuriser, "training_steps_per_second": training}, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
