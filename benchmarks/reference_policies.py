"""Score every reference policy on the 100 test profiles at the three presets (the README's table).

Run from the repository root:

    python benchmarks/reference_policies.py --seeds 3

It writes benchmarks/results/reference_policies.json and .md and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time

from _common import RESULTS, machine as describe_machine

from empathy_gym.evaluation import markdown_table, score_reference_policies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="episodes per test profile and preset")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    start = time.perf_counter()
    scores = score_reference_policies(split=args.split, seeds=range(args.seeds))
    elapsed = time.perf_counter() - start
    table = markdown_table(scores)
    machine = describe_machine()
    command = f"python benchmarks/reference_policies.py --seeds {args.seeds} --split {args.split}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reference_policies.json").write_text(json.dumps(
        {"command": command, "machine": machine, "seconds": round(elapsed, 1), "split": args.split,
         "seeds": args.seeds, "scores": scores}, indent=1) + "\n")
    (RESULTS / "reference_policies.md").write_text(
        f"Command: `{command}` ({elapsed:.0f} s on {machine})\n\n{table}\n")
    print(table)
    print(f"\n{elapsed:.1f} s; wrote {RESULTS}/reference_policies.json and .md")


if __name__ == "__main__":
    main()
