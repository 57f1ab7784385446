"""The difficulty sweep (issue: "is harder better?"): ``empathy_gym.sweep`` with its results here.

Trains the bundled PPO on ``EmpathyGym/SupportStrategy-v0`` under every training condition (the
level grid 0, 0.25, 0.5, 0.75, 1, which includes the three presets; each behavioural axis moved
alone; the corners of the strictness x fidelity grid; the ramp, adaptive and bandit curricula; a
regret seeker trained beside the supporter), 5 seeds x 100k steps each, scores every agent on the
test users after 25k and 50k steps (learning curves), and evaluates every final agent on the test
and ood profiles at the normal and challenging evaluation settings. See :mod:`empathy_gym.sweep`
for the details. Run from the repository root:

    python benchmarks/difficulty_sweep.py              # the full sweep
    python benchmarks/difficulty_sweep.py --quick      # a smoke run of every condition

Writes benchmarks/results/difficulty_sweep/ (runs/ per trained agent, sweep.json, sweep.md and
the figures); a rerun skips the runs already there. The first sweep (0.1 user, the agent of the
time) is kept in benchmarks/results/difficulty_sweep_0.1/ as history.
"""

from __future__ import annotations

import sys

from _common import RESULTS

from empathy_gym.sweep import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--out" not in argv:
        argv += ["--out", str(RESULTS / ("difficulty_sweep_quick" if "--quick" in argv else "difficulty_sweep"))]
    try:
        sys.exit(main(argv))
    except ValueError as error:  # a refused sweep (settings, --out, runs of another user): one line, nothing run
        sys.exit(f"difficulty_sweep: error: {error}")
