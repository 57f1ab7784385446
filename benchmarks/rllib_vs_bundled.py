"""RLlib's PPO against the bundled PPO: same env, hyperparameters, budget and seeds, in one run.

Both train on ``EmpathyGym/SupportStrategy-v0`` (train profiles) with the defaults of
:class:`~empathy_gym.agents.ppo.PPOConfig` (RLlib through
:func:`empathy_gym.integrations.rllib.ppo_config`, which maps them onto RLlib's new API stack PPO;
its docstring lists what RLlib does differently) and the same featurised observations. RLlib samples
with ``--env-runners`` remote env runners (0: in the driver) and learns in the driver; the driver
uses one torch thread, as the bundled agent does. Every ``--eval-every`` steps the greedy policy is
scored on the 100 test profiles (evaluation time is not counted as training time). Reported per
agent and seed: steps per second, the steps and training seconds until the test score first
reaches ``--threshold``, and the final test score (``--final-eval-seeds`` episodes per profile).

Run from the repository root, in the RLlib virtual environment (README, "Scaling out with Ray"):

    python benchmarks/rllib_vs_bundled.py --seeds 1 2 --total-steps 61440 --threshold 62

Writes benchmarks/results/rllib_vs_bundled.json and .md and prints the table. It starts a local
Ray of its own (``--ray ADDRESS`` joins one) and stores RLlib's trial folders in a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from _common import config_record, machine
from ppo_vs_sb3 import _Tracker, run_bundled, settings_line, summarise_runs, table_rows, write_report

from empathy_gym.agents.ppo import PPOConfig, PPOPolicy
from empathy_gym.evaluation import evaluate
from empathy_gym.integrations.rllib import RLlibPolicy, build_algorithm, ppo_config


def run_rllib(config: PPOConfig, tracker: _Tracker, env_runners: int, storage: str):
    algo = build_algorithm(ppo_config(config.env_id, num_env_runners=env_runners, agent=config), storage_path=storage)
    steps = 0
    try:
        for _ in range(config.num_updates):
            steps = int(algo.train()["num_env_steps_sampled_lifetime"])
            tracker.maybe_score(steps, lambda: RLlibPolicy.from_algorithm(algo))
        policy = RLlibPolicy.from_algorithm(algo)
    finally:
        algo.stop()
    return policy, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--total-steps", type=int, default=61_440)
    parser.add_argument("--difficulty", default="normal")
    parser.add_argument("--threshold", type=float, default=62.0, help="test score (mean final emotion) to reach")
    parser.add_argument("--eval-every", type=int, default=10_240,
                        help="training steps between test scorings (a multiple of the 2048-step batch)")
    parser.add_argument("--final-eval-seeds", type=int, default=3)
    parser.add_argument("--env-runners", type=int, default=1, help="RLlib's remote env runners (0: sample in the driver)")
    parser.add_argument("--ray", default=None, metavar="ADDRESS", help="join this Ray cluster instead of starting one")
    parser.add_argument("--out", default="rllib_vs_bundled", help="results file stem under benchmarks/results/")
    args = parser.parse_args()

    import ray

    torch.set_num_threads(1)
    ray.init(address=args.ray, include_dashboard=False, log_to_driver=False)
    start = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="rllib-bench-") as storage:
        for seed in args.seeds:
            config = PPOConfig(difficulty=args.difficulty, seed=seed, total_steps=args.total_steps)
            for name, runner in (("bundled", run_bundled),
                                 ("rllib", lambda c, t: run_rllib(c, t, args.env_runners, storage))):
                tracker = _Tracker(args.eval_every, args.threshold, args.difficulty)
                trained, steps = runner(config, tracker)
                seconds = tracker.train_seconds()
                policy = PPOPolicy(trained, config) if name == "bundled" else trained
                final = evaluate(policy, difficulty=args.difficulty, split="test", seeds=range(args.final_eval_seeds))[1]
                runs.append({"agent": name, "seed": seed, "steps": steps, "train_seconds": round(seconds, 1),
                             "steps_per_second": round(steps / seconds), "reached": tracker.reached,
                             "curve": tracker.curve, "final": final})
                print(f"{name} seed {seed}: {seconds:.0f} s, {steps / seconds:.0f} steps/s, reached {tracker.reached}, "
                      f"final {final['mean_final_emotion']:.1f}", flush=True)
    ray.shutdown()
    elapsed = time.perf_counter() - start

    summary = summarise_runs(runs, ("bundled", "rllib"))
    ratio = summary["rllib"]["seconds_to_threshold"] / summary["bundled"]["seconds_to_threshold"]
    command = (f"python benchmarks/rllib_vs_bundled.py --seeds {' '.join(map(str, args.seeds))} --total-steps "
               f"{args.total_steps} --difficulty {args.difficulty} --threshold {args.threshold:g} --eval-every "
               f"{args.eval_every} --final-eval-seeds {args.final_eval_seeds} --env-runners {args.env_runners}")
    defaults = PPOConfig()
    lines = [
        f"Command: `{command}` ({elapsed / 60:.1f} min on {machine()}; the 2 cores were shared with other "
        "developers' work during the run, so the absolute speeds are low and noisy; both agents ran in turn "
        "under the same conditions)",
        "",
        settings_line(defaults, "update", f" annealed to 0, hidden layers {defaults.hidden_sizes}, "
                                         f"{defaults.n_features} text features")
        + f" RLlib: {args.env_runners} remote env runner(s), learner in the driver.",
        "",
    ]
    lines += table_rows(runs, summary, len(args.seeds))
    lines += ["", f"Wall-clock to a test score of {args.threshold:g}, RLlib / bundled: **{ratio:.2f}** "
                  "(above 1: RLlib is slower; nan when a seed never reached it)."]
    write_report(args.out, lines, {"command": command, "machine": machine(), "shared_cpus": True,
                                   "minutes": round(elapsed / 60, 1), "threshold": args.threshold,
                                   "env_runners": args.env_runners, "runs": runs, "summary": summary,
                                   "wall_clock_ratio": ratio, "config": config_record(defaults)})


if __name__ == "__main__":
    main()
