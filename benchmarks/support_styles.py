"""Do the simulated user's reactions rank kinds of human support the way people would? A proxy check.

    python benchmarks/support_styles.py --reader learned

Six supporters write every reply from the written set's study half (well-written replies of one
move each, ``benchmarks/data/written_replies.jsonl``), choosing the move by a fixed plan, and
talk to the 100 test users (balanced over the eight hidden intentions) at ``normal``:

| supporter | plan | expected |
| --- | --- | --- |
| staged | explore (questions, reflections, restatements) for three turns, then comfort (validation, reassurance, praise, a bit of one's own story), from turn 7 action (suggestions, information, the other's side, reflection on one's own part) | good |
| listening | questions, reflections, restatements, listening cues | good |
| kind rotation | eight ordinary kind replies in turn (a question, a reflection, a restatement, praise, a reflective question, a suggestion, the other's side, thanks) | good |
| comfort only | reassurance every turn | middling |
| advice first | suggestions and information every turn | middling |
| dismissive | minimising, changing the subject, blaming | poor |

The expected order follows the helping-skills stages (exploration, then insight and comfort,
then action) that ESConv's supporters were taught, and the common finding that advice given
before listening and dismissive replies are felt as unsupportive. It is a proxy, fixed before
this check was run on any reader, not a fit: seekers' own ratings are held out from the project.
Reported: mean final emotion per supporter and the Spearman correlation between the expected
tiers (good 3, middling 2, poor 1) and the simulated means. Writes
``benchmarks/results/support_styles[_READER].md``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from _common import RESULTS, machine

from empathy_gym.evaluation import evaluate
from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS

WRITTEN = RESULTS.parent / "data" / "written_replies.jsonl"
EXPLORE = ("open_question", "reflect_feelings", "paraphrase")
COMFORT = ("validate_blamelessness", "generic_reassurance", "specific_praise", "self_disclosure")
ACTION = ("suggestion", "analysis", "others_perspective", "invite_reflection")
KIND_ROTATION = ("open_question", "reflect_feelings", "paraphrase", "specific_praise", "invite_reflection",
                 "suggestion", "others_perspective", "generic_reassurance")
PLANS = {
    "staged": (lambda turn: EXPLORE if turn < 3 else COMFORT if turn < 6 else ACTION, 3),
    "listening": (lambda turn: EXPLORE + ("minimal_listening",), 3),
    "kind rotation": (lambda turn: (KIND_ROTATION[turn % len(KIND_ROTATION)],), 3),
    "comfort only": (lambda turn: ("generic_reassurance",), 2),
    "advice first": (lambda turn: ("suggestion", "analysis"), 2),
    "dismissive": (lambda turn: ("minimise", "change_subject", "blame"), 1),
}


class PlannedSupporter:
    """Each turn, a written reply of a move the plan allows, drawn with a seeded generator."""

    def __init__(self, plan, replies: dict[str, list[str]], seed: int = 0) -> None:
        self._plan, self._replies = plan, replies
        self._rng = np.random.default_rng(seed)
        self._turn = 0

    def reset(self, observation, info, env=None) -> None:
        self._turn = 0

    def act(self, observation, info) -> str:
        moves = self._plan(self._turn)
        self._turn += 1
        pool = self._replies[moves[int(self._rng.integers(len(moves)))]]
        return pool[int(self._rng.integers(len(pool)))]


def main() -> None:
    from scipy.stats import spearmanr

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader", default=DEFAULT_READER, choices=MOVE_READINGS)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    replies: dict[str, list[str]] = {}
    for row in map(json.loads, WRITTEN.read_text(encoding="utf-8").splitlines()):
        if row["split"] == "study":
            replies.setdefault(row["strategy"], []).append(row["reply"])
    rows = []
    for name, (plan, tier) in PLANS.items():
        summary = evaluate(PlannedSupporter(plan, replies), env_id="EmpathyGym/Support-v0", split="test",
                           seeds=range(args.seeds), env_kwargs={"user_options": {"reader": args.reader}})[1]
        rows.append((name, tier, summary))
    rho = spearmanr([tier for _, tier, _ in rows], [s["mean_final_emotion"] for *_, s in rows]).statistic
    lines = ["| supporter | expected | final emotion (95% CI) | success % | quit % |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {name} | {('poor', 'middling', 'good')[tier - 1]} | {s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f} | "
              f"{100 * s['success_rate']:.0f} | {100 * s['failure_rate']:.0f} |" for name, tier, s in rows]
    text = (f"Command: `python benchmarks/support_styles.py --reader {args.reader} --seeds {args.seeds}`\n"
            f"Machine: {machine()}\n\n" + "\n".join(lines)
            + f"\n\nSpearman correlation of the expected tiers with the simulated means: {rho:.2f}\n")
    name = "support_styles.md" if args.reader == DEFAULT_READER else f"support_styles_{args.reader}.md"
    (RESULTS / name).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
