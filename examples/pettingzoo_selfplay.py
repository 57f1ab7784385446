"""Self-play on supporter_seeker_v0: a supporter and a regret-seeking help-seeker trained together.

Two independent learners of the bundled PPO, one per seat, on ``supporter_seeker_v0`` in
``regret`` mode on the train profiles at ``normal``, taking turns in ``--rounds`` rounds
(:func:`empathy_gym.agents.selfplay.train_with_regret_seeker`, which the difficulty sweep's
``seeker=regret`` condition also uses): the seeker is paid for being hard for the supporter but
solvable by the oracle (an adversarial curriculum in the spirit of PAIRED).

Then the supporter is scored on the single-agent ``test`` profiles at ``normal`` and
``challenging`` (``evaluation.evaluate``, greedy), beside a supporter trained by the same PPO with
the same budget on the fixed parametric user (``EmpathyGym/SupportStrategy-v0`` at ``normal``).

Needs torch and pettingzoo: ``pip install "empathy_gym[train,pettingzoo]"``. Run::

    python examples/pettingzoo_selfplay.py --total-steps 100000 --seed 1
"""

from __future__ import annotations

import argparse
import time

from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
from empathy_gym.agents.selfplay import train_with_regret_seeker
from empathy_gym.evaluation import evaluate
from empathy_gym.profiles import load_profiles


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--total-steps", type=int, default=100_000, help="supporter steps (and seeker steps) in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5, help="alternations of supporter and seeker learning")
    parser.add_argument("--num-steps", type=int, default=256, help="steps per env per PPO rollout (8 envs)")
    parser.add_argument("--eval-seeds", type=int, default=1, help="episodes per test profile")
    parser.add_argument("--eval-profiles", type=int, default=None, help="score on the first N test profiles (default all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    base = PPOConfig(seed=args.seed, num_steps=args.num_steps, total_steps=args.total_steps)
    result = train_with_regret_seeker(base, rounds=min(args.rounds, base.num_updates))
    supporter = result["agent"]
    for name, rows in (("supporter return", result["history"]), ("seeker regret per episode", result["seeker_history"])):
        print(f"{name}: {rows[0]['mean_episode_return']:+.3f} in the first update, "
              f"{rows[-1]['mean_episode_return']:+.3f} in the last", flush=True)
    baseline = train(base)["agent"]
    print(f"trained {result['supporter_steps']} supporter steps and {result['seeker_steps']} seeker steps of "
          f"self-play; {base.num_updates * base.batch_size} steps on the fixed parametric user")

    seeds = tuple(range(args.eval_seeds))
    profiles = load_profiles("test")[:args.eval_profiles]
    print("\n| supporter trained on | normal: final emotion | normal: success / fail % "
          "| challenging: final emotion | challenging: success / fail % |")
    print("| --- | --- | --- | --- | --- |")
    for name, agent in (("self-play, regret seeker", supporter), ("fixed parametric user", baseline)):
        cells = []
        for difficulty in ("normal", "challenging"):
            _, summary = evaluate(PPOPolicy(agent, base), split="test", difficulty=difficulty, seeds=seeds,
                                  env_kwargs={"profiles": profiles})
            cells += [f"{summary['mean_final_emotion']:.1f} +/- {summary['ci95']:.1f}",
                      f"{100 * summary['success_rate']:.0f} / {100 * summary['failure_rate']:.0f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n({time.perf_counter() - started:.0f} s; {len(profiles)} test profiles x {len(seeds)} seed(s), greedy)")


if __name__ == "__main__":
    main()
