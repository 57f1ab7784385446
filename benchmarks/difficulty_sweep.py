"""The difficulty sweep (issue: "is harder better?"): ``empathy_gym.sweep`` with its results here.

Trains the bundled PPO on ``EmpathyGym/SupportStrategy-v0`` under every training condition (the
level grid 0, 0.25, 0.5, 0.75, 1, which includes the three presets; strictness, reticence and
fidelity moved alone; the ramp, adaptive and bandit curricula), 5 seeds x 100k steps each, and
evaluates every agent on the test and ood profiles at the normal and challenging evaluation
settings. See :mod:`empathy_gym.sweep` for the details. Run from the repository root:

    python benchmarks/difficulty_sweep.py              # the full sweep (results committed)
    python benchmarks/difficulty_sweep.py --quick      # 2 seeds x 20k steps

Writes benchmarks/results/difficulty_sweep/ (runs/ per trained agent, sweep.json, sweep.md,
score_vs_difficulty.png, entropy.png); a rerun skips the runs already there.
"""

from __future__ import annotations

import sys

from _common import RESULTS

from empathy_gym.sweep import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--out" not in argv:
        argv += ["--out", str(RESULTS / ("difficulty_sweep_quick" if "--quick" in argv else "difficulty_sweep"))]
    sys.exit(main(argv))
