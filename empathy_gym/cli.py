"""The ``empathy-gym`` command line: score the reference policies, or watch one conversation."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import gymnasium as gym
import numpy as np

import empathy_gym  # noqa: F401  (registers the environments)
from empathy_gym.evaluation import markdown_table, play_episode, score_reference_policies
from empathy_gym.model.difficulty import PRESETS
from empathy_gym.policies.reference import reference_policies


def _references(args: argparse.Namespace) -> int:
    scores = score_reference_policies(split=args.split, presets=args.presets, seeds=range(args.seeds),
                                      names=args.policies)
    print(f"Reference policies on the {args.split!r} profiles, {args.seeds} seed(s) per profile "
          "(mean final emotion 0..100 with 95% CI; success = reached 100, fail = fell below 10):\n")
    print(markdown_table(scores))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"split": args.split, "seeds": args.seeds, "scores": scores}, handle, indent=1)
        print(f"\nwrote {args.json}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    policies = reference_policies(rng=np.random.default_rng(args.seed))
    if args.policy not in policies:
        raise ValueError(f"unknown policy {args.policy!r}; allowed: {', '.join(policies)}")
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=args.difficulty, split=args.split, render_mode="ansi")
    play_episode(env, policies[args.policy], seed=args.seed, profile_id=args.profile_id)
    print(env.render())
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="empathy-gym", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    references = commands.add_parser("references", help="score the reference policies on a profile split",
                                     description="Play every reference policy once per profile (and seed) at each preset.")
    references.add_argument("--split", default="test", choices=("train", "test", "ood"))
    references.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    references.add_argument("--seeds", type=_positive_int, default=1, help="episodes per profile (seeds 0..N-1)")
    references.add_argument("--policies", nargs="+", default=None, help="only these policies (default: all)")
    references.add_argument("--json", default=None, help="also write the scores to this JSON file")
    references.set_defaults(run=_references)

    demo = commands.add_parser("demo", help="watch a reference policy talk to a simulated user",
                               description="Play one conversation and print the transcript with emotion bars.")
    demo.add_argument("--policy", default="heuristic", help="random, heuristic, oracle or always_<strategy>")
    demo.add_argument("--difficulty", default="normal", help="preset name or level in [0, 1]")
    demo.add_argument("--split", default="test", choices=("train", "test", "ood"))
    demo.add_argument("--profile-id", default=None)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "difficulty", None) is not None:
        try:
            args.difficulty = float(args.difficulty)
        except ValueError:
            pass
    try:
        return args.run(args)
    except ValueError as error:  # bad values the parser cannot see (difficulty, policy, profile id)
        parser.error(str(error))
        return 2


if __name__ == "__main__":
    sys.exit(main())
