"""Self-play on supporter_seeker_v0: a supporter and a regret-seeking help-seeker trained together.

Two independent learners of the bundled PPO (:mod:`empathy_gym.agents.ppo`), one per seat, on
``supporter_seeker_v0`` in ``regret`` mode on the train profiles at ``normal``: the seeker is paid
for being hard for the supporter but solvable by the oracle (an adversarial curriculum in the
spirit of PAIRED). They take turns in ``--rounds`` rounds: the supporter learns for its share of
``--total-steps`` against the seeker's current policy (sampled, frozen for the round), then the
seeker learns for as many steps against the supporter's current policy. Each seat is a Gymnasium
env through :class:`~empathy_gym.envs.multiagent.SingleSeatEnv`, with the other seat played by a
``PPOPolicy`` of the other learner, and is featurised by ``agents.ppo.featurise`` like the
single-agent env. The learning rate falls linearly from round to round.

Then the supporter is scored on the single-agent ``test`` profiles at ``normal`` and
``challenging`` (``evaluation.evaluate``, greedy), beside a supporter trained by the same PPO with
the same budget on the fixed parametric user (``EmpathyGym/SupportStrategy-v0`` at ``normal``).

Needs torch and pettingzoo: ``pip install "empathy_gym[train,pettingzoo]"``. Run::

    python examples/pettingzoo_selfplay.py --total-steps 100000 --seed 1
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace

from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
from empathy_gym.envs.multiagent import SingleSeatEnv, supporter_seeker_v0
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
    round_steps = max(base.batch_size, args.total_steps // args.rounds)
    sampling_seeds = itertools.count(args.seed * 1_000_003)

    def seat_env(seat: str, opponent, opponent_config: PPOConfig | None):
        """One training env for ``seat``; the other seat is the opponent's policy (sampled), or the parametric user."""
        if seat == "supporter":
            seeker = "parametric" if opponent is None else PPOPolicy(opponent, opponent_config, greedy=False,
                                                                     seed=next(sampling_seeds), name="seeker")
            env = supporter_seeker_v0.parallel_env(seeker_reward="regret", seeker_policy=seeker, difficulty="normal")
        else:
            supporter = PPOPolicy(opponent, opponent_config, greedy=False, seed=next(sampling_seeds), name="supporter")
            env = supporter_seeker_v0.parallel_env(seeker_reward="regret", supporter_policy=supporter,
                                                   difficulty="normal")
        return SingleSeatEnv(env)

    supporter = seeker = None
    supporter_steps = seeker_steps = 0
    for round_index in range(args.rounds):
        config = replace(base, seed=args.seed + round_index, total_steps=round_steps, anneal_lr=False,
                         learning_rate=base.learning_rate * (args.rounds - round_index) / args.rounds)
        # In round 1 the seeker has not learned yet: the supporter meets the parametric user.
        result = train(config, env_fn=lambda: seat_env("supporter", seeker, config), initial_agent=supporter)
        supporter, supporter_steps = result["agent"], supporter_steps + result["global_step"]
        supporter_return = result["mean_episode_return"]
        result = train(config, env_fn=lambda: seat_env("seeker", supporter, config), initial_agent=seeker)
        seeker, seeker_steps = result["agent"], seeker_steps + result["global_step"]
        print(f"round {round_index + 1}/{args.rounds}: supporter return {supporter_return:+.3f}, "
              f"seeker regret per episode {result['mean_episode_return']:+.3f}", flush=True)

    baseline_config = replace(base, total_steps=supporter_steps)
    baseline = train(baseline_config)["agent"]
    print(f"trained {supporter_steps} supporter steps and {seeker_steps} seeker steps of self-play; "
          f"{baseline_config.num_updates * baseline_config.batch_size} steps on the fixed parametric user")

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
