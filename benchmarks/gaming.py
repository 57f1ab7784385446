"""Score every adversarial trick against the honest heuristic on the 100 test profiles at `normal`.

Run from the repository root (after installing the package):

    python benchmarks/gaming.py --seeds 1

Writes benchmarks/results/gaming.md and prints the table.
"""

from __future__ import annotations

import argparse

from _common import RESULTS

from empathy_gym.evaluation import evaluate
from empathy_gym.policies.adversarial import TRICKS, TrickPolicy
from empathy_gym.policies.reference import HeuristicPolicy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--difficulty", default="normal")
    args = parser.parse_args()
    seeds = range(args.seeds)
    rows = [("heuristic (honest reference)",
             evaluate(HeuristicPolicy(), split="test", difficulty=args.difficulty, seeds=seeds)[1])]
    for trick in TRICKS:
        rows.append((trick, evaluate(TrickPolicy(trick), env_id="EmpathyGym/Support-v0", split="test",
                                     difficulty=args.difficulty, seeds=seeds)[1]))
    lines = ["| policy | final emotion | success % | quit % |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f} | {100 * s['success_rate']:.0f} | "
              f"{100 * s['failure_rate']:.0f} |" for name, s in rows]
    table = "\n".join(lines)
    command = f"python benchmarks/gaming.py --seeds {args.seeds} --difficulty {args.difficulty}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gaming.md").write_text(f"Command: `{command}` (100 test profiles x {args.seeds} seed(s))\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
