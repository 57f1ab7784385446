"""The ``empathy-gym`` command line: score the reference policies, play or watch a conversation, train PPO,
evaluate a policy with the evaluation suite, and run the difficulty sweep."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import gymnasium as gym
import numpy as np

import empathy_gym  # noqa: F401  (registers the environments)
from empathy_gym.evaluation import markdown_table, score_reference_policies
from empathy_gym.model.difficulty import PRESETS
from empathy_gym.model.llm.backends import backend_from_spec
from empathy_gym.model.user_kinds import user_kinds
from empathy_gym.policies.reference import reference_policies
from empathy_gym.profiles import SPLITS


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


def _play(args: argparse.Namespace) -> int:
    """Play one conversation turn by turn: you type the replies, or watch a policy or a checkpoint."""
    if args.checkpoint and args.policy:
        raise ValueError("give --policy or --checkpoint, not both")
    if (args.user == "llm") != (args.user_backend is not None):
        raise ValueError("--user llm needs --user-backend SPEC (transformers:PATH or openai:BASE_URL#MODEL), "
                         "and --user-backend goes with --user llm")
    policy = None
    if args.checkpoint:
        from empathy_gym.agents.ppo import PPOPolicy, load_agent

        agent, config = load_agent(args.checkpoint)
        policy = PPOPolicy(agent, config)
    elif args.policy:
        policies = reference_policies(rng=np.random.default_rng(args.seed))
        if args.policy not in policies:
            raise ValueError(f"unknown policy {args.policy!r}; allowed: {', '.join(policies)}")
        policy = policies[args.policy]
    env_id = "EmpathyGym/Support-v0" if policy is None else "EmpathyGym/SupportStrategy-v0"
    user: dict = {}
    if args.user == "llm":
        try:
            user = {"user": "llm", "backend": backend_from_spec(args.user_backend)}
        except (FileNotFoundError, ImportError) as error:  # a usage error, not a crash
            raise ValueError(str(error)) from None
    env = gym.make(env_id, difficulty=args.difficulty, split=args.split, render_mode="human", **user)
    options = {"profile_id": args.profile_id} if args.profile_id else None
    observation, info = env.reset(seed=args.seed, options=options)
    if policy is None:
        print("(type your reply and press Enter; an empty line or end of input stops)")
    else:
        policy.reset(observation, info, env)
    while True:
        if policy is None:
            try:
                action = input("you> ")
            except EOFError:
                action = ""
            if not action.strip():
                print("(stopped)")
                return 0
        else:
            action = policy.act(observation, info)
        observation, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            print(f"the hidden intention was: {info['hidden_intention']}")
            return 0


class _Bar:
    """A one-line progress bar: redrawn in place on a terminal; into a file or pipe, one line per
    tenth of the work, so logs stay short."""

    def __init__(self, total: int, stream=None, width: int = 20) -> None:
        self.total = max(1, int(total))
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._tenths_shown = -1
        self._drawn = False

    def _bar(self, done: int) -> str:
        fraction = min(1.0, done / self.total)
        filled = int(round(self.width * fraction))
        return f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%}"

    def _show(self, done: int, line: str) -> None:
        if self.interactive:
            self.stream.write("\r" + line)
            self._drawn = True
        else:
            tenths = int(10 * done / self.total)
            if tenths == self._tenths_shown and done != self.total:
                return
            self._tenths_shown = tenths
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line of an in-place bar."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class ProgressBar(_Bar):
    """The training progress bar, with the latest return, final emotion and entropy."""

    def line(self, row: dict) -> str:
        return (f"{self._bar(row['update'])}  update {row['update']:>4}/{self.total}  "
                f"step {row['global_step']:>8}  return {row['mean_episode_return']:+.2f}  "
                f"final emotion {row['mean_final_emotion']:5.1f}  entropy {row['entropy']:.2f}  {row['sps']:.0f} steps/s")

    def update(self, row: dict, agent: object = None) -> None:
        """Show the metrics of one finished update (the ``on_update`` hook of ``train``)."""
        self._show(row["update"], self.line(row))


class EpisodeCounter(_Bar):
    """The evaluation progress bar (on stderr by default, so stdout holds only the report)."""

    def __init__(self, total: int, stream=None, width: int = 20) -> None:
        super().__init__(total, stream if stream is not None else sys.stderr, width)
        self.done = 0

    def update(self, record: object = None) -> None:
        """Count one finished episode (the ``on_episode`` hook of ``evaluate``)."""
        self.done += 1
        self._show(self.done, f"{self._bar(self.done)}  episode {self.done}/{self.total}")


def _evaluate(args: argparse.Namespace) -> int:
    from empathy_gym.evaluation import evaluate_suite, load_policy, suite_episodes, suite_markdown

    policy, env_id = load_policy(args.policy, seed=args.seed, greedy=not args.sample)
    seeds = [args.seed + offset for offset in range(args.seeds)]
    bar = EpisodeCounter(suite_episodes(splits=args.splits, settings=args.settings, seeds=seeds))
    try:
        report = evaluate_suite(policy, env_id=env_id, settings=args.settings, splits=args.splits, seeds=seeds,
                                on_episode=bar.update)
    finally:
        bar.close()
    report["policy"] = args.policy
    text = suite_markdown(report)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
        print(f"\nwrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(f"wrote {args.markdown}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from empathy_gym.sweep import run

    return run(args)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _train(args: argparse.Namespace) -> int:
    try:
        from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
    except ImportError as error:
        raise SystemExit(f"empathy-gym train needs torch: {error}") from None
    from empathy_gym.evaluation import evaluate

    config = PPOConfig(env_id=args.env, difficulty=args.difficulty, seed=args.seed, total_steps=args.total_steps,
                       num_envs=args.num_envs)
    log_dir = args.log_dir or f"runs/{args.env.split('/')[-1]}-{args.difficulty}-seed{args.seed}"

    bar = ProgressBar(config.num_updates)
    try:
        result = train(config, log_dir=log_dir, resume=args.resume, on_update=bar.update)
    finally:
        bar.close()
    print(f"logs and checkpoint in {log_dir}/ (progress.csv, checkpoint.pt)")
    seeds = range(args.eval_seeds)
    label = f"{args.difficulty} (test)"
    scores = {label: {}}
    references = reference_policies(rng=np.random.default_rng(args.seed))
    for name in ("random", "heuristic", "oracle"):
        scores[label][name] = evaluate(references[name], env_id=args.env, difficulty=args.difficulty,
                                       split="test", seeds=seeds)[1]
    scores[label]["ppo (this run)"] = evaluate(PPOPolicy(result["agent"], config), env_id=args.env,
                                               difficulty=args.difficulty, split="test", seeds=seeds)[1]
    print(f"\nThe trained agent and the reference policies on the {len(seeds)}x100 test episodes "
          "(mean final emotion 0..100 with 95% CI; success = reached 100, fail = fell below 10):\n")
    print(markdown_table(scores))
    row = scores[label]
    gap = row["oracle"]["mean_final_emotion"] - row["random"]["mean_final_emotion"]
    closed = (row["ppo (this run)"]["mean_final_emotion"] - row["random"]["mean_final_emotion"]) / gap
    print(f"\nppo closes {closed:.0%} of the gap between random and the oracle.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="empathy-gym", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    references = commands.add_parser("references", help="score the reference policies on a profile split",
                                     description="Play every reference policy once per profile (and seed) at each preset.")
    references.add_argument("--split", default="test", choices=SPLITS)
    references.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    references.add_argument("--seeds", type=_positive_int, default=1, help="episodes per profile (seeds 0..N-1)")
    references.add_argument("--policies", nargs="+", default=None, help="only these policies (default: all)")
    references.add_argument("--json", default=None, help="also write the scores to this JSON file")
    references.set_defaults(run=_references)

    play = commands.add_parser("play", help="talk to a simulated user, or watch a policy or checkpoint do it",
                               description="One conversation, shown turn by turn with an emotion bar. Without "
                                           "--policy or --checkpoint you type the agent's replies.")
    play.add_argument("--policy", default=None, help="watch a reference policy (random, heuristic, oracle, always_<strategy>)")
    play.add_argument("--checkpoint", default=None, help="watch a trained PPO agent (a checkpoint.pt)")
    play.add_argument("--difficulty", default="normal", help="preset name or level in [0, 1]")
    play.add_argument("--split", default="test", choices=SPLITS)
    play.add_argument("--profile-id", default=None)
    play.add_argument("--seed", type=int, default=0)
    play.add_argument("--user", default="parametric", choices=user_kinds(),
                      help="the kind of simulated user: the parametric model (default), a language model (llm), "
                           "or any kind registered in empathy_gym.model.user_kinds")
    play.add_argument("--user-backend", default=None, metavar="SPEC",
                      help="the LLM user's model: transformers:PATH (a local model directory) or "
                           "openai:BASE_URL#MODEL (an OpenAI-compatible server)")
    play.set_defaults(run=_play)

    train = commands.add_parser("train", help="train the bundled PPO agent (needs torch)",
                                description="Train the PPO reference agent, then score it on the test profiles "
                                            "beside the random, heuristic and oracle reference policies.")
    train.add_argument("--env", default="EmpathyGym/SupportStrategy-v0", help="a strategy environment id")
    train.add_argument("--difficulty", default="normal", help="preset name or level in [0, 1]")
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--total-steps", type=_positive_int, default=300_000,
                       help="environment steps (default 300000, the budget of benchmarks/ppo_gap.py)")
    train.add_argument("--num-envs", type=_positive_int, default=8)
    train.add_argument("--log-dir", default=None, help="default: runs/<env>-<difficulty>-seed<seed>")
    train.add_argument("--resume", default=None, help="a checkpoint.pt to continue (same settings)")
    train.add_argument("--eval-seeds", type=_positive_int, default=1,
                       help="test episodes per profile for the final comparison (default 1)")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate", help="the evaluation suite: a policy on the test and ood profiles at both settings",
        description="Play a policy once per profile and seed on the held-out splits at the evaluation settings "
                    "(normal: initial emotion 40, 10 turns; challenging) and report mean final emotion with a 95% "
                    "CI, success and failure rates, turns, entropy, the per-intention breakdown and the strategy "
                    "distribution.")
    evaluate.add_argument("--policy", "--agent", dest="policy", required=True,
                          help="a reference policy (random, heuristic, oracle, always_<strategy>), a PPO checkpoint "
                               "(.pt), a stable-baselines3 model (.zip), or an LLM agent (transformers:PATH, "
                               "openai:BASE_URL#MODEL) that writes free-text replies")
    evaluate.add_argument("--splits", nargs="+", default=["test", "ood"], choices=SPLITS)
    evaluate.add_argument("--settings", nargs="+", default=["normal", "challenging"], choices=("normal", "challenging"))
    evaluate.add_argument("--seeds", type=_positive_int, default=1, help="episodes per profile (default 1)")
    evaluate.add_argument("--seed", type=int, default=0, help="first evaluation seed (and the policy's sampling seed)")
    evaluate.add_argument("--sample", action="store_true", help="sample the policy's actions instead of taking the likeliest")
    evaluate.add_argument("--json", default=None, help="also write the report to this JSON file")
    evaluate.add_argument("--markdown", default=None, help="also write the Markdown report to this file")
    evaluate.set_defaults(run=_evaluate)

    from empathy_gym.sweep import build_parser as sweep_arguments

    sweep = commands.add_parser(
        "sweep", help="the difficulty sweep: train PPO per training condition, evaluate every agent (needs torch)",
        description="Train the bundled PPO under each difficulty condition (levels, single axes, curricula) with "
                    "several seeds, evaluate every agent with the evaluation suite, and write sweep.json, sweep.md "
                    "and PNG plots. Finished runs are kept in OUT/runs/, so a rerun resumes.")
    sweep_arguments(sweep)
    sweep.set_defaults(run=_sweep)
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
