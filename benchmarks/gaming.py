"""Score every adversarial trick and two lookahead searches against the honest heuristic on the 100 test profiles.

Run from the repository root (after installing the package):

    python benchmarks/gaming.py --seeds 1 --reader cues
    python benchmarks/gaming.py --seeds 1 --reader learned

The fixed tricks of :mod:`empathy_gym.policies.adversarial` play every turn the same exploit. The
searches try ``--width`` candidate replies a turn on copies of the env and send the best: over
fragments (pieces of the strategy templates, empathy keywords and the user's own words glued
together), over fragments of the sentences the learned reader was trained on (an attacker who
knows its training data, with a list of supportive keywords), and the same search over the well-written replies of the written set's study half
(its helpful moves). A reader that credits words rather than language lets the fragment search
win. Writes benchmarks/results/gaming[_READER].md and prints the table.
"""

from __future__ import annotations

import argparse
import json

from _common import RESULTS, machine

from empathy_gym.evaluation import evaluate
from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS
from empathy_gym.policies.adversarial import TRICKS, FragmentCandidates, PoolCandidates, SearchPolicy, TrickPolicy
from empathy_gym.policies.reference import HeuristicPolicy
from empathy_gym.vocabulary import HARMFUL_STRATEGIES

WRITTEN = RESULTS.parent / "data" / "written_replies.jsonl"
CORPUS = RESULTS.parent.parent / "tools" / "reader_corpus"
#: Short supportive pieces an attacker would try first.
ATTACK_KEYWORDS = ["thanks", "keep", "getting", "you must feel", "so brave", "please just rant", "they might have felt",
                   "not your fault", "I hear you", "that must hurt", "proud of you", "what happened", "go on",
                   "you matter"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--difficulty", default="normal")
    parser.add_argument("--reader", default=DEFAULT_READER, choices=MOVE_READINGS)
    parser.add_argument("--width", type=int, default=24, help="candidate replies a search tries per turn")
    args = parser.parse_args()
    seeds = range(args.seeds)
    kwargs = {"user_options": {"reader": args.reader}}
    rows = [("heuristic (honest reference)",
             evaluate(HeuristicPolicy(), split="test", difficulty=args.difficulty, seeds=seeds, env_kwargs=kwargs)[1])]
    text_policies = [(trick, TrickPolicy(trick)) for trick in TRICKS]
    well_written = [row["reply"] for row in map(json.loads, WRITTEN.read_text(encoding="utf-8").splitlines())
                    if row["split"] == "study" and row["strategy"] not in HARMFUL_STRATEGIES]
    # Every training sentence (a multi-sentence reply gives each of its labelled sentences).
    corpus_rows = [json.loads(line) for path in sorted(CORPUS.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    training = [part["text"] for row in corpus_rows for part in row.get("sentences", [row])]
    text_policies += [(f"search over fragments (width {args.width})", SearchPolicy(FragmentCandidates(), args.width)),
                      (f"search over fragments of the reader's training sentences (width {args.width})",
                       SearchPolicy(FragmentCandidates(phrases=training, keywords=ATTACK_KEYWORDS), args.width)),
                      (f"search over {len(well_written)} well-written replies (width {args.width})",
                       SearchPolicy(PoolCandidates(well_written), args.width))]
    for name, policy in text_policies:
        rows.append((name, evaluate(policy, env_id="EmpathyGym/Support-v0", split="test", difficulty=args.difficulty,
                                    seeds=seeds, env_kwargs=kwargs)[1]))
    lines = ["| policy | final emotion (95% CI) | success % | quit % |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f} | {100 * s['success_rate']:.0f} | "
              f"{100 * s['failure_rate']:.0f} |" for name, s in rows]
    table = "\n".join(lines)
    command = (f"python benchmarks/gaming.py --seeds {args.seeds} --difficulty {args.difficulty} "
               f"--reader {args.reader} --width {args.width}")
    RESULTS.mkdir(exist_ok=True)
    name = "gaming.md" if args.reader == DEFAULT_READER else f"gaming_{args.reader}.md"
    (RESULTS / name).write_text(f"Command: `{command}` (100 test profiles x {args.seeds} seed(s))\n"
                                f"Machine: {machine()}\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
