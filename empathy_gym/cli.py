"""The ``empathy-gym`` command line: score the reference policies, play or watch a conversation, train PPO,
evaluate a policy with the evaluation suite, and run the difficulty sweep.

Every command checks all its arguments before it builds, loads or writes anything. A refused
command exits with status 2 and one line on stderr that names the bad value and what is allowed;
it creates nothing and leaves earlier runs as they were. Ctrl-C ends any command with status 130
and no traceback; ``train`` first saves its last completed update and prints the command that
resumes it. Long phases show a progress bar on stderr, so stdout holds only the report.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

import empathy_gym
from empathy_gym._arguments import (non_negative_float, non_negative_int, positive_float, positive_float_or_none,
                                    positive_int, unit_interval)
from empathy_gym._progress import progress_bar
from empathy_gym.agents.config import PPOConfig, field_help
from empathy_gym.envs.registration import ENVIRONMENTS, NAMESPACE
from empathy_gym.model.difficulty import PRESETS, make_difficulty
from empathy_gym.model.emotion import emotion_state
from empathy_gym.model.user_kinds import user_kinds
from empathy_gym.profiles import SPLITS

DESCRIPTION = ("Simulated human users as Gymnasium environments: score the reference policies, talk to a simulated "
               "user, train the bundled PPO agent, evaluate a policy, run the difficulty sweep.")
#: The ids ``train`` accepts: the strategy environments of the parametric user.
STRATEGY_IDS = tuple(f"{NAMESPACE}/{name}" for name, _, _, action, backend in ENVIRONMENTS
                     if action == "strategy" and backend == "parametric")
STATES = "S = 100 resolved, A 70-99, B 40-69, C 10-39, F below 10 (the user quits)"
INTERRUPTED = 130  # the shell's status for a command ended by Ctrl-C


class UsageError(Exception):
    """A bad value found after parsing: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" not in text and action.default not in (None, argparse.SUPPRESS, False) and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _difficulty(text: str) -> str | float:
    """A preset name or a level in [0, 1], for ``--difficulty``."""
    try:
        value: str | float = float(text)
    except ValueError:
        value = text
    try:
        make_difficulty(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a preset ({', '.join(PRESETS)}) nor a level in [0, 1]") from None
    return value


# --------------------------------------------------------------------------------------------
# Checks shared by the commands (all before anything is built or written)
# --------------------------------------------------------------------------------------------
def _output_file(option: str, path: str | None) -> Path | None:
    """``path`` for ``--json``/``--markdown``, refused now rather than after minutes of work."""
    if path is None:
        return None
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path!r} is a folder; give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path!r}: the folder {str(target.parent)!r} does not exist")
    return target


def _reference_names(names: Sequence[str] | None, option: str) -> None:
    from empathy_gym.policies.reference import reference_policies

    known = list(reference_policies(rng=np.random.default_rng(0)))
    unknown = [name for name in names or () if name not in known]
    if unknown:
        raise UsageError(f"{option}: unknown reference policy {unknown[0]!r}; allowed: {', '.join(known)}")


def _profile(split: str, profile_id: str | None) -> None:
    from empathy_gym.profiles import load_profiles

    if profile_id is None:
        return
    ids = [profile.id for profile in load_profiles(split)]
    if profile_id not in ids:
        raise UsageError(f"--profile-id {profile_id!r} is not a profile of the {split!r} split "
                         f"({len(ids)} profiles: {ids[0]}, {ids[1]}, ..., {ids[-1]})")


def _load_checkpoint(option: str, path: str):
    """The PPO agent and config of a checkpoint; a usage error when it is missing or not one."""
    try:
        from empathy_gym.agents.ppo import load_agent
    except ImportError as error:
        raise UsageError(f"{option} needs torch ({error}): pip install \"empathy_gym[train]\"") from None
    try:
        return load_agent(path)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def _write(path: Path | None, text: str) -> None:
    if path is not None:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


# --------------------------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------------------------
def _references(args: argparse.Namespace) -> int:
    from empathy_gym.evaluation import markdown_table, score_reference_policies
    from empathy_gym.profiles import load_profiles
    from empathy_gym.policies.reference import reference_policies

    json_path = _output_file("--json", args.json)
    _reference_names(args.policies, "--policies")
    names = args.policies or list(reference_policies(rng=np.random.default_rng(0)))
    total = len(load_profiles(args.split)) * args.seeds * len(names) * len(args.presets)
    print(f"Scoring {len(names)} reference policies on the {args.split!r} profiles at {', '.join(args.presets)}, "
          f"{args.seeds} seed(s) per profile: {total} episodes.", flush=True)
    with progress_bar(total, desc="references", unit="episode") as bar:
        scores = score_reference_policies(split=args.split, presets=args.presets, seeds=range(args.seeds),
                                          names=args.policies, on_episode=lambda record: bar.update())
    print("\nMean final emotion 0..100 +/- its t-based 95% CI over the episodes; success = reached 100, "
          "fail = fell below 10:\n")
    print(markdown_table(scores))
    if json_path is not None:
        print()
        _write(json_path, json.dumps({"split": args.split, "seeds": args.seeds, "scores": scores}, indent=1))
    return 0


# --------------------------------------------------------------------------------------------
# play
# --------------------------------------------------------------------------------------------
def _play(args: argparse.Namespace) -> int:
    """Play one conversation turn by turn: you type the replies, or watch a policy or a checkpoint."""
    import gymnasium as gym

    from empathy_gym.policies.reference import reference_policies

    if args.checkpoint and args.policy:
        raise UsageError("give --policy or --checkpoint, not both")
    if (args.user == "llm") != (args.user_backend is not None):
        raise UsageError("--user llm needs --user-backend SPEC (transformers:PATH or openai:BASE_URL#MODEL), "
                         "and --user-backend goes with --user llm")
    _profile(args.split, args.profile_id)
    policy = None
    if args.policy:
        _reference_names([args.policy], "--policy")
        policy = reference_policies(rng=np.random.default_rng(args.seed))[args.policy]
    elif args.checkpoint:
        from empathy_gym.agents.ppo import PPOPolicy

        agent, config = _load_checkpoint("--checkpoint", args.checkpoint)
        policy = PPOPolicy(agent, config)
    user: dict[str, Any] = {}
    if args.user == "llm":
        from empathy_gym.model.llm.backends import backend_from_spec

        try:
            user = {"user": "llm", "backend": backend_from_spec(args.user_backend)}
        except (FileNotFoundError, ImportError, ValueError) as error:
            raise UsageError(f"--user-backend: {error}") from None
    env_id = "EmpathyGym/Support-v0" if policy is None else "EmpathyGym/SupportStrategy-v0"
    env = gym.make(env_id, difficulty=args.difficulty, split=args.split, render_mode="ansi", **user)
    options = {"profile_id": args.profile_id} if args.profile_id else None
    observation, info = env.reset(seed=args.seed, options=options)
    start = int(info["emotion"])
    shown = _show_transcript(env, 0, hide_agent=False)
    print(f"(emotion 0..100 is the reward; the letter is its state: {STATES})")
    typing = policy is None
    if typing:
        print("(type your reply and press Enter; an empty line, end of input or Ctrl-C stops)")
    else:
        policy.reset(observation, info, env)
    turns, ended = 0, None
    try:
        while ended is None:
            if typing:
                try:
                    action = input("you> ")
                except EOFError:
                    action = ""
                if not action.strip():
                    break
            else:
                action = policy.act(observation, info)
            observation, _, terminated, truncated, info = env.step(action)
            turns += 1
            # A person sees what they typed already; a policy's reply is shown.
            shown = _show_transcript(env, shown, hide_agent=typing and sys.stdin.isatty())
            if terminated or truncated:
                ended = info["reason"]
    except KeyboardInterrupt:
        print()
        _play_summary(start, info, turns, None, interrupted=True)
        return INTERRUPTED
    _play_summary(start, info, turns, ended)
    return 0


def _show_transcript(env, shown: int, *, hide_agent: bool) -> int:
    """Print the transcript lines after the first ``shown``; how many there are now."""
    lines = env.render().splitlines()
    for line in lines[shown:]:
        if not (hide_agent and line.startswith("AGENT: ")):
            print(line)
    return len(lines)


def _play_summary(start: int, info: dict[str, Any], turns: int, ended: str | None, interrupted: bool = False) -> None:
    final = int(info["emotion"])
    how = {"resolved": "resolved (reached 100)", "quit": "the user quit (fell below 10)",
           "max_turns": "out of turns"}.get(ended, "stopped" + (" (Ctrl-C)" if interrupted else ""))
    print(f"({how}: emotion {start} -> {final} ({emotion_state(final)}, {final - start:+d}) in {turns} turn(s))")
    if "hidden_intention" in info:
        print(f"the hidden intention was: {info['hidden_intention']}")


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
#: The PPOConfig fields ``train`` offers under another option name.
_RENAMED = {"env_id": "env"}


def _config_option(name: str) -> str:
    return "--" + _RENAMED.get(name, name).replace("_", "-")


def _add_config_options(train: argparse.ArgumentParser) -> None:
    """One option per :class:`PPOConfig` field, its help from the docstring, its default from the class."""
    described = field_help()
    checks = {"seed": non_negative_int, "learning_rate": positive_float, "gamma": unit_interval,
              "gae_lambda": unit_interval, "clip_coef": positive_float, "ent_coef": non_negative_float,
              "vf_coef": non_negative_float, "max_grad_norm": positive_float, "target_kl": positive_float_or_none}
    choices = {"env_id": STRATEGY_IDS, "split": SPLITS, "curriculum": ("fixed", "ramp", "adaptive", "bandit")}
    defaults = PPOConfig()
    group = train.add_argument_group("PPO settings (every field of PPOConfig; a resumed run keeps its own)")
    for field in fields(PPOConfig):
        default = getattr(defaults, field.name)
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        text = f"{described[field.name]} (default: {shown})".replace("%", "%%")
        option = _config_option(field.name)
        kwargs: dict[str, Any] = {"dest": field.name, "default": None, "help": text}
        if field.name == "difficulty":
            kwargs.update(type=_difficulty, metavar="PRESET|LEVEL",
                          help=f"a preset ({', '.join(PRESETS)}) or a level in [0, 1] (default: {default})")
        elif field.name in choices:
            kwargs.update(choices=choices[field.name])
        elif isinstance(default, bool):
            kwargs.update(action=argparse.BooleanOptionalAction)
        elif field.name == "hidden_sizes":
            kwargs.update(type=positive_int, nargs="+", metavar="WIDTH")
        elif field.name in checks:
            kwargs.update(type=checks[field.name])
        elif isinstance(default, int):
            kwargs.update(type=positive_int)
        if field.name == "total_steps":
            kwargs["help"] = text + "; rounded down to whole updates of num_envs x num_steps steps, which train says"
        group.add_argument(option, **kwargs)


def _given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The PPOConfig fields set on the command line."""
    given = {field.name: getattr(args, field.name) for field in fields(PPOConfig) if getattr(args, field.name) is not None}
    if "hidden_sizes" in given:
        given["hidden_sizes"] = tuple(given["hidden_sizes"])
    return given


def _holds_run(folder: Path) -> bool:
    return (folder / "progress.csv").exists() or (folder / "checkpoint.pt").exists()


def _train_log_dir(args: argparse.Namespace, config: PPOConfig) -> tuple[Path, str]:
    """Where this run writes, and a note when the default folder was taken (no run is ever overwritten)."""
    resume_dir = Path(args.resume).resolve().parent if args.resume else None
    if args.log_dir is not None:
        log_dir = Path(args.log_dir)
        if log_dir.exists() and not log_dir.is_dir():
            raise UsageError(f"--log-dir {args.log_dir!r} is a file; give a folder")
        if _holds_run(log_dir) and log_dir.resolve() != resume_dir:
            raise UsageError(f"--log-dir {args.log_dir!r} already holds a run; continue it with --resume "
                             f"{shlex.quote(str(log_dir / 'checkpoint.pt'))}, or give another --log-dir")
        return log_dir, ""
    if resume_dir is not None:
        return Path(args.resume).parent, ""
    base = Path("runs") / f"{config.env_id.split('/')[-1]}-{config.difficulty}-seed{config.seed}"
    log_dir, number = base, 1
    while log_dir.exists():
        number += 1
        log_dir = base.with_name(f"{base.name}-{number}")
    note = f" ({base} holds an earlier run, kept)" if number > 1 else ""
    return log_dir, note


def _train(args: argparse.Namespace) -> int:
    given = _given_settings(args)
    if args.resume is not None:
        if not Path(args.resume).is_file():
            raise UsageError(f"--resume: no checkpoint at {args.resume!r}: give the checkpoint.pt of a run "
                             "(in its log dir)")
        try:
            from empathy_gym.agents import ppo
        except ImportError as error:
            raise UsageError(f"empathy-gym train needs torch ({error}): pip install \"empathy_gym[train]\"") from None
        try:
            checkpoint = ppo.load_checkpoint(args.resume)
            saved = ppo.config_from_checkpoint(checkpoint)
            config = PPOConfig(**{**saved.__dict__, **given})
            ppo.check_resumable(checkpoint, config, args.resume)
        except ValueError as error:
            raise UsageError(f"--resume: {error}") from None
    else:
        try:
            config = PPOConfig(**given)
        except ValueError as error:
            raise UsageError(str(error)) from None
        checkpoint = None
    log_dir, note = _train_log_dir(args, config)

    # ---- say what is about to happen ----
    steps = config.steps_trained
    rounding = "" if steps == config.total_steps else \
        f"; --total-steps {config.total_steps} {'rounded down' if steps < config.total_steps else 'raised'} to whole updates"
    print(f"Training PPO on {config.env_id} at difficulty {config.difficulty!r} ({config.split} profiles), seed "
          f"{config.seed}: {steps:,} steps = {config.num_updates} update{'s' if config.num_updates != 1 else ''} of {config.num_envs} envs x "
          f"{config.num_steps} steps{rounding}.")
    if checkpoint is not None:
        print(f"Resuming {args.resume} after update {checkpoint['update']} ({checkpoint['global_step']:,} steps): "
              f"replaying its {checkpoint['global_step']:,} recorded steps first restores the environments exactly.")
    print(f"Logs and checkpoint: {log_dir}/ (progress.csv, checkpoint.pt, comparison.md){note}.")
    if args.eval_seeds:
        print(f"Then the agent is scored on the 100 test profiles x {args.eval_seeds} beside random, heuristic "
              "and oracle.", flush=True)

    from empathy_gym.agents import ppo

    done = checkpoint["update"] if checkpoint is not None else 0
    bar = progress_bar(config.num_updates, desc="train", unit="update", initial=done)

    def show(row: dict[str, Any], agent: object) -> None:
        bar.set_postfix_str(f"return {row['mean_episode_return']:+.2f}, final emotion {row['mean_final_emotion']:.1f}, "
                            f"entropy {row['entropy']:.2f}, {row['sps']:.0f} steps/s", refresh=False)
        bar.update()

    try:
        with bar:
            result = ppo.train(config, log_dir=log_dir, resume=args.resume, on_update=show)
    except ppo.TrainingInterrupted as stop:  # Ctrl-C: the last completed update is saved
        if stop.checkpoint is None:
            print("\ninterrupted before the first update; nothing was saved", file=sys.stderr)
        else:
            print(f"\ninterrupted: saved update {stop.update} of {config.num_updates} to {stop.checkpoint}; continue "
                  f"with: empathy-gym train --resume {shlex.quote(str(stop.checkpoint))}", file=sys.stderr)
        return INTERRUPTED
    if args.eval_seeds:
        try:
            _compare(result, config, args.eval_seeds, log_dir)
        except KeyboardInterrupt:
            print(f"\ninterrupted during the final comparison; the trained agent is saved in {log_dir}/checkpoint.pt "
                  f"(score it with: empathy-gym evaluate --policy {shlex.quote(str(log_dir / 'checkpoint.pt'))})",
                  file=sys.stderr)
            return INTERRUPTED
    return 0


def _compare(result: dict[str, Any], config: PPOConfig, eval_seeds: int, log_dir: Path) -> None:
    """Score the trained agent beside random, heuristic and oracle; print and save the table."""
    from empathy_gym.agents.ppo import PPOPolicy
    from empathy_gym.evaluation import evaluate, markdown_table
    from empathy_gym.profiles import load_profiles
    from empathy_gym.policies.reference import reference_policies

    seeds = range(eval_seeds)
    label = f"{config.difficulty} (test)"
    references = reference_policies(rng=np.random.default_rng(config.seed))
    players = {name: references[name] for name in ("random", "heuristic", "oracle")}
    players["ppo (this run)"] = PPOPolicy(result["agent"], config)
    episodes = len(load_profiles("test")) * eval_seeds
    scores: dict[str, dict[str, Any]] = {label: {}}
    with progress_bar(episodes * len(players), desc="final comparison", unit="episode") as bar:
        for name, policy in players.items():
            scores[label][name] = evaluate(policy, env_id=config.env_id, difficulty=config.difficulty, split="test",
                                           seeds=seeds, on_episode=lambda record: bar.update())[1]
    row = scores[label]
    gap = row["oracle"]["mean_final_emotion"] - row["random"]["mean_final_emotion"]
    closed = (row["ppo (this run)"]["mean_final_emotion"] - row["random"]["mean_final_emotion"]) / gap
    text = (f"The trained agent and the reference policies on the {episodes} test episodes (mean final emotion 0..100 "
            "+/- its t-based 95% CI over the episodes; success = reached 100, fail = fell below 10):\n\n"
            f"{markdown_table(scores)}\n\nppo closes {closed:.0%} of the gap between random and the oracle.")
    print("\n" + text)
    (log_dir / "comparison.md").write_text(text + "\n", encoding="utf-8")
    (log_dir / "comparison.json").write_text(json.dumps({"closed_gap": closed, "scores": scores}, indent=1),
                                             encoding="utf-8")
    print(f"\nwrote {log_dir / 'comparison.md'} and comparison.json")


# --------------------------------------------------------------------------------------------
# evaluate and sweep
# --------------------------------------------------------------------------------------------
def _evaluate(args: argparse.Namespace) -> int:
    from empathy_gym.evaluation import evaluate_suite, load_policy, suite_episodes, suite_markdown

    json_path = _output_file("--json", args.json)
    markdown_path = _output_file("--markdown", args.markdown)
    try:
        policy, env_id = load_policy(args.policy, seed=args.seed, greedy=not args.sample)
    except (ValueError, FileNotFoundError, ImportError) as error:
        raise UsageError(f"--policy: {error}") from None
    seeds = [args.seed + offset for offset in range(args.seeds)]
    total = suite_episodes(splits=args.splits, settings=args.settings, seeds=seeds)
    print(f"Evaluating {args.policy} on {', '.join(args.splits)} x {', '.join(args.settings)}: {total} episodes.",
          flush=True)
    with progress_bar(total, desc="evaluate", unit="episode") as bar:
        report = evaluate_suite(policy, env_id=env_id, settings=args.settings, splits=args.splits, seeds=seeds,
                                on_episode=lambda record: bar.update())
    report["policy"] = args.policy
    text = suite_markdown(report)
    print("\n" + text)
    if json_path or markdown_path:
        print()
    _write(json_path, json.dumps(report, indent=1))
    _write(markdown_path, text + "\n")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from empathy_gym.sweep import run

    try:
        return run(args)
    except ValueError as error:  # the sweep's own checks (its settings, --out) come before any run
        raise UsageError(str(error)) from None


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="empathy-gym", description=DESCRIPTION, formatter_class=_Formatter,
                     epilog="Run 'empathy-gym COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"empathy-gym {empathy_gym.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=description, formatter_class=_Formatter)

    references = command("references", "score the reference policies on a profile split",
                         "Play every reference policy once per profile (and seed) at each preset.")
    references.add_argument("--split", default="test", choices=SPLITS, help="which profiles")
    references.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS),
                            help="difficulty presets")
    references.add_argument("--seeds", type=positive_int, default=1, help="episodes per profile (seeds 0..N-1)")
    references.add_argument("--policies", nargs="+", default=None,
                            help="only these policies (default: all: random, heuristic, oracle, always_<strategy>)")
    references.add_argument("--json", default=None, help="also write the scores to this JSON file")
    references.set_defaults(run=_references)

    play = command("play", "talk to a simulated user, or watch a policy or checkpoint do it",
                   "One conversation, shown turn by turn with an emotion bar (0..100, the reward, and its state "
                   f"letter: {STATES}). Without --policy or --checkpoint you type the agent's replies.")
    play.add_argument("--policy", default=None,
                      help="watch a reference policy (random, heuristic, oracle, always_<strategy>)")
    play.add_argument("--checkpoint", default=None, help="watch a trained PPO agent (a checkpoint.pt)")
    play.add_argument("--difficulty", default="normal", type=_difficulty, metavar="PRESET|LEVEL",
                      help=f"a preset ({', '.join(PRESETS)}) or a level in [0, 1]")
    play.add_argument("--split", default="test", choices=SPLITS, help="the profiles to draw the person from")
    play.add_argument("--profile-id", default=None, help="talk to this person (default: one drawn by --seed)")
    play.add_argument("--seed", type=non_negative_int, default=0, help="seeds the person and their reactions")
    play.add_argument("--user", default="parametric", choices=user_kinds(),
                      help="the kind of simulated user: the parametric model, a language model (llm), or any kind "
                           "registered in empathy_gym.model.user_kinds")
    play.add_argument("--user-backend", default=None, metavar="SPEC",
                      help="the LLM user's model: transformers:PATH (a local model directory) or "
                           "openai:BASE_URL#MODEL (an OpenAI-compatible server)")
    play.set_defaults(run=_play)

    train = command("train", "train the bundled PPO agent (needs torch)",
                    "Train the PPO reference agent, then score it on the test profiles beside the random, heuristic "
                    "and oracle reference policies (saved as comparison.md in the log dir). A run never overwrites "
                    "another: the default log dir gets a number when taken, and a --log-dir that holds a run is "
                    "refused unless --resume continues it. --resume continues a run exactly (the same weights as "
                    "without the interruption) and may raise --total-steps; its other settings come from the "
                    "checkpoint.")
    train.add_argument("--log-dir", default=None,
                       help="default: runs/<env>-<difficulty>-seed<seed> (numbered when taken); with --resume, the "
                            "checkpoint's folder")
    train.add_argument("--resume", default=None, metavar="CHECKPOINT", help="a checkpoint.pt to continue")
    train.add_argument("--eval-seeds", type=non_negative_int, default=1,
                       help="test episodes per profile for the final comparison (0 skips it)")
    _add_config_options(train)
    train.set_defaults(run=_train)

    evaluate = command(
        "evaluate", "the evaluation suite: a policy on the test and ood profiles at both settings",
        "Play a policy once per profile and seed on the held-out splits at the evaluation settings "
        "(normal: initial emotion 40, 10 turns; challenging) and report mean final emotion with its t-based 95% "
        "CI, success and failure rates, turns, entropy, the per-intention breakdown and the strategy distribution.")
    evaluate.add_argument("--policy", "--agent", dest="policy", required=True,
                          help="a reference policy (random, heuristic, oracle, always_<strategy>), a PPO checkpoint "
                               "(.pt), a stable-baselines3 model (.zip), or an LLM agent (transformers:PATH, "
                               "openai:BASE_URL#MODEL) that writes free-text replies")
    evaluate.add_argument("--splits", nargs="+", default=["test", "ood"], choices=SPLITS, help="profile splits")
    evaluate.add_argument("--settings", nargs="+", default=["normal", "challenging"], choices=("normal", "challenging"),
                          help="evaluation settings")
    evaluate.add_argument("--seeds", type=positive_int, default=1, help="episodes per profile")
    evaluate.add_argument("--seed", type=non_negative_int, default=0,
                          help="first evaluation seed (and the policy's sampling seed)")
    evaluate.add_argument("--sample", action="store_true", help="sample the policy's actions instead of taking the likeliest")
    evaluate.add_argument("--json", default=None, help="also write the report to this JSON file")
    evaluate.add_argument("--markdown", default=None, help="also write the Markdown report to this file")
    evaluate.set_defaults(run=_evaluate)

    from empathy_gym.sweep import build_parser as sweep_arguments

    sweep = command(
        "sweep", "the difficulty sweep: train PPO per training condition, evaluate every agent (needs torch)",
        "Train the bundled PPO under each difficulty condition (levels, single axes, curricula) with several seeds, "
        "evaluate every agent with the evaluation suite, and write sweep.json, sweep.md and PNG plots. Finished runs "
        "are kept in OUT/runs/, so a rerun resumes.")
    sweep_arguments(sweep)
    sweep.set_defaults(run=_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            return args.run(args)
        except UsageError as error:
            return _refuse(args.command, str(error))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return INTERRUPTED


def _refuse(command: str, message: str) -> int:
    first = " ".join(message.split())
    print(f"empathy-gym {command}: error: {first}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
