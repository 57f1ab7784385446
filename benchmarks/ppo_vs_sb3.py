"""The bundled PPO against stable-baselines3's PPO: same env, settings, budget and seeds, in one run.

Both agents train on ``EmpathyGym/SupportStrategy-v0`` (train profiles) with the same
hyperparameters (the defaults of :class:`~empathy_gym.agents.ppo.PPOConfig`: envs, rollout length,
epochs and minibatches, the same learning rate annealed linearly to 0, gamma, GAE lambda,
clipping, entropy and value coefficients, gradient clip, the tanh actor and critic widths,
orthogonal initialisation) and the same hashed-text features, one torch thread each. Every ``--eval-every``
steps the greedy policy is scored on the 100 test profiles (one episode each; evaluation time is
not counted as training time). Reported per agent and seed: the training steps and wall-clock
seconds until the test score first reaches ``--threshold``, and the final test score
(``--final-eval-seeds`` episodes per profile). The wall-clock ratio is bundled / SB3 (below 1:
the bundled agent is faster).

Run from the repository root:

    python benchmarks/ppo_vs_sb3.py --seeds 1 2 3 --total-steps 150000 --threshold 62

Writes benchmarks/results/ppo_vs_sb3.json and .md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from _common import RESULTS, config_record, machine

from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
from empathy_gym.evaluation import evaluate
from empathy_gym.integrations.sb3 import SB3Policy, make_sb3_env


class _Tracker:
    """Score the policy every ``every`` steps; remember when the score first reached the threshold."""

    def __init__(self, every: int, threshold: float, difficulty: str) -> None:
        self.every, self.threshold, self.difficulty = every, threshold, difficulty
        self.next_eval = every
        self.eval_seconds = 0.0
        self.start = time.perf_counter()
        self.curve: list[tuple[int, float]] = []
        self.reached: dict | None = None

    def maybe_score(self, steps: int, make_policy) -> None:
        if steps < self.next_eval:
            return
        self.next_eval += self.every
        begin = time.perf_counter()
        score = evaluate(make_policy(), difficulty=self.difficulty, split="test")[1]["mean_final_emotion"]
        end = time.perf_counter()
        self.curve.append((steps, round(score, 2)))
        if self.reached is None and score >= self.threshold:
            self.reached = {"steps": steps, "seconds": round(begin - self.start - self.eval_seconds, 1)}
        self.eval_seconds += end - begin

    def train_seconds(self) -> float:
        return time.perf_counter() - self.start - self.eval_seconds


def run_bundled(config: PPOConfig, tracker: _Tracker):
    result = train(config, on_update=lambda row, agent: tracker.maybe_score(
        int(row["global_step"]), lambda: PPOPolicy(agent, config)))
    return result["agent"], int(result["global_step"])


def run_sb3(config: PPOConfig, tracker: _Tracker):
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    class Scorer(BaseCallback):
        # A rollout starts right after the previous update: score there, as the bundled agent is
        # scored right after each update (and once more when learning ends).
        def _on_rollout_start(self) -> None:
            tracker.maybe_score(self.num_timesteps, lambda: SB3Policy(self.model))

        def _on_step(self) -> bool:
            return True

    threads = torch.get_num_threads()
    torch.set_num_threads(config.torch_threads)
    try:
        envs = make_vec_env(make_sb3_env, n_envs=config.num_envs, seed=config.seed,
                            env_kwargs={"env_id": config.env_id, "difficulty": config.difficulty,
                                        "split": config.split, "n_features": config.n_features,
                                        "emotion_window": config.emotion_window,
                                        "text_memory": config.text_memory})
        model = PPO(
            "MultiInputPolicy", envs, seed=config.seed, device="cpu", verbose=0,
            n_steps=config.num_steps, batch_size=config.minibatch_size, n_epochs=config.update_epochs,
            learning_rate=(lambda remaining: remaining * config.learning_rate) if config.anneal_lr else config.learning_rate,
            gamma=config.gamma, gae_lambda=config.gae_lambda, clip_range=config.clip_coef,
            clip_range_vf=config.clip_coef if config.clip_vloss else None, normalize_advantage=config.norm_adv,
            ent_coef=config.ent_coef, vf_coef=config.vf_coef, max_grad_norm=config.max_grad_norm,
            target_kl=config.target_kl,
            policy_kwargs={"net_arch": {"pi": list(config.hidden_sizes), "vf": list(config.hidden_sizes)},
                           "activation_fn": torch.nn.Tanh, "ortho_init": True},
        )
        model.learn(total_timesteps=config.num_updates * config.batch_size, callback=Scorer())
        tracker.maybe_score(model.num_timesteps, lambda: SB3Policy(model))
    finally:
        torch.set_num_threads(threads)
    return model, int(model.num_timesteps)


def summarise_runs(runs: list[dict], agents: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per agent: mean steps and seconds to the threshold (nan unless every seed reached it), final score, speed."""
    def mean(agent: str, pick) -> float:
        values = [pick(run) for run in runs if run["agent"] == agent]
        return float(np.mean(values)) if values and all(v is not None for v in values) else float("nan")

    return {agent: {
        "seconds_to_threshold": mean(agent, lambda r: r["reached"] and r["reached"]["seconds"]),
        "steps_to_threshold": mean(agent, lambda r: r["reached"] and r["reached"]["steps"]),
        "reached": sum(1 for r in runs if r["agent"] == agent and r["reached"]),
        "final": mean(agent, lambda r: r["final"]["mean_final_emotion"]),
        "steps_per_second": mean(agent, lambda r: r["steps_per_second"]),
    } for agent in agents}


def settings_line(defaults: PPOConfig, rollout: str, extra: str) -> str:
    """The sentence of a report that names the PPO settings both agents ran with."""
    return (f"Both agents with `PPOConfig`'s defaults: {defaults.num_envs} envs x {defaults.num_steps} steps per "
            f"{rollout}, {defaults.update_epochs} epochs of {defaults.num_minibatches} minibatches, learning rate "
            f"{defaults.learning_rate:g}{extra}.")


def write_report(out: str, lines: list[str], record: dict) -> None:
    """Write ``benchmarks/results/OUT.md`` (the report's lines) and ``OUT.json`` (``record``); print the report."""
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{out}.json").write_text(json.dumps(record, indent=1) + "\n")
    (RESULTS / f"{out}.md").write_text(table + "\n")
    print(table)


def table_rows(runs: list[dict], summary: dict[str, dict[str, float]], n_seeds: int) -> list[str]:
    """The Markdown rows of the comparison table: one per agent and seed, then one mean per agent."""
    lines = ["| agent | seed | train s | steps/s | steps to threshold | train s to threshold | final test score |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        reached = run["reached"] or {"steps": "not reached", "seconds": "-"}
        lines.append(f"| {run['agent']} | {run['seed']} | {run['train_seconds']:.0f} | {run['steps_per_second']} "
                     f"| {reached['steps']} | {reached['seconds']} | {run['final']['mean_final_emotion']:.1f} "
                     f"+/- {run['final']['ci95']:.1f} |")
    for agent, s in summary.items():
        lines.append(f"| **{agent} mean** | | | {s['steps_per_second']:.0f} | {s['steps_to_threshold']:.0f} "
                     f"({s['reached']}/{n_seeds} reached) | {s['seconds_to_threshold']:.1f} | {s['final']:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--total-steps", type=int, default=200_000)
    parser.add_argument("--difficulty", default="normal")
    parser.add_argument("--threshold", type=float, default=60.0, help="test score (mean final emotion) to reach")
    parser.add_argument("--eval-every", type=int, default=10_240,
                        help="training steps between test scorings (a multiple of the 2048-step batch)")
    parser.add_argument("--final-eval-seeds", type=int, default=3)
    parser.add_argument("--out", default="ppo_vs_sb3", help="results file stem under benchmarks/results/")
    args = parser.parse_args()

    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        config = PPOConfig(difficulty=args.difficulty, seed=seed, total_steps=args.total_steps)
        for name, runner, make_policy in (
            ("bundled", run_bundled, lambda agent: PPOPolicy(agent, config)),
            ("sb3", run_sb3, lambda model: SB3Policy(model)),
        ):
            tracker = _Tracker(args.eval_every, args.threshold, args.difficulty)
            trained, steps = runner(config, tracker)
            seconds = tracker.train_seconds()
            final = evaluate(make_policy(trained), difficulty=args.difficulty, split="test",
                             seeds=range(args.final_eval_seeds))[1]
            runs.append({"agent": name, "seed": seed, "steps": steps, "train_seconds": round(seconds, 1),
                         "steps_per_second": round(steps / seconds), "reached": tracker.reached,
                         "curve": tracker.curve, "final": final})
            print(f"{name} seed {seed}: {seconds:.0f} s, {steps / seconds:.0f} steps/s, reached {tracker.reached}, "
                  f"final {final['mean_final_emotion']:.1f}", flush=True)
    elapsed = time.perf_counter() - start

    summary = summarise_runs(runs, ("bundled", "sb3"))
    ratio = summary["bundled"]["seconds_to_threshold"] / summary["sb3"]["seconds_to_threshold"]
    defaults = PPOConfig()
    command = (f"python benchmarks/ppo_vs_sb3.py --seeds {' '.join(map(str, args.seeds))} --total-steps {args.total_steps}"
               f" --difficulty {args.difficulty} --threshold {args.threshold:g} --eval-every {args.eval_every}"
               f" --final-eval-seeds {args.final_eval_seeds}")
    lines = [
        f"Command: `{command}` ({elapsed / 60:.1f} min on {machine()})",
        "",
        settings_line(defaults, "rollout", f", hidden layers {defaults.hidden_sizes}, {defaults.n_features} text "
                                           f"features, text memory {defaults.text_memory}"),
        "",
    ]
    lines += table_rows(runs, summary, len(args.seeds))
    lines += ["", f"Wall-clock to a test score of {args.threshold:g}, bundled / SB3: **{ratio:.2f}** "
                  "(nan when a seed never reached it; see the rows)."]
    write_report(args.out, lines, {"command": command, "machine": machine(), "minutes": round(elapsed / 60, 1),
                                   "threshold": args.threshold, "runs": runs, "summary": summary,
                                   "wall_clock_ratio": ratio, "config": config_record(defaults)})


if __name__ == "__main__":
    main()
