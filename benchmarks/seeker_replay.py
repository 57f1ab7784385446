"""Replaying real support dialogues: does the simulated user prefer real human support to worse versions of it?

    python benchmarks/seeker_replay.py --esconv PATH [--reader learned]

A proxy for the check the project cannot run itself (real seekers' ratings of their supporters are
held out). Every dialogue of an ESConv windows file its user has (``--esconv``; CC BY-NC: nothing of
it is copied into the project) becomes a custom profile built from the seeker's own words: the
first substantial seeker message opens, the later ones are the story beats, and the feeling words
found in them are the feelings. The supporter's replies (consecutive messages joined) are then
played, in order, to that person under every hidden intention and main characteristic (8 x 3
users) at ``normal`` with a turn budget of the dialogue's length, and the final emotion is averaged.

Each dialogue is also played in three worse versions, with the same users and seeds:

* **advice first**: the same replies, those labelled Providing Suggestions or Information moved to
  the front (the helping-skills order, exploration, comfort, then action, turned around);
* **dismissive third**: every third reply swapped for a dismissive one (minimising, changing the
  subject or blaming) from the project's written set;
* **comfort only**: every reply swapped for a generic reassurance from the written set.

Reported: the mean final emotion of each version, the share of dialogues in which the real
dialogue ends higher than each worse version, and the paired difference with a bootstrap 95% CI
over dialogues. Across dialogues it reports the Spearman correlation of the simulated final emotion
with two descriptions of the supporter taken from ESConv's own labels and text (the share of
exploration replies, questions, restatements and reflections, in the first half; the number of
questions asked) for reference; neither is a seeker's rating. Writes
``benchmarks/results/seeker_replay[_READER].{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from _common import RESULTS, esconv_windows, machine

from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS, load_lexicon
from empathy_gym.model.difficulty import Difficulty
from empathy_gym.model.emotion import QUITS_BELOW, RESOLVED_AT
from empathy_gym.model.parametric import ParametricUser
from empathy_gym.profiles import Profile
from empathy_gym.vocabulary import CHARACTERISTICS, INTENTIONS

WRITTEN = RESULTS.parent / "data" / "written_replies.jsonl"
EXPLORATION = ("Questions", "Restatement or Paraphrasing", "Reflection of feelings")
ACTION = ("Providing Suggestions", "Information")
DISMISSIVE = ("minimise", "change_subject", "blame")
_NOT_PRINTABLE = re.compile(r"[^ -~]+")
MIN_STORY = 3


def esconv_dialogues(path: Path) -> list[list[tuple[str, str, str]]]:
    """Whole dialogues (speaker ``"0"`` seeker / ``"1"`` supporter, label or ``""``, text) rebuilt from overlapping windows."""
    dialogues, current = [], {}
    for _, utterances in esconv_windows(path):
        continues = bool(current) and any(i in current for i, _, _ in utterances) and all(
            current.get(i, (s, t)) == (s, t) for i, s, t in utterances)
        if not continues and current:
            dialogues.append(current)
            current = {}
        for i, s, t in utterances:
            current[i] = (s, t)
    if current:
        dialogues.append(current)
    result = []
    for dialogue in dialogues:
        turns = []
        for i in sorted(dialogue):
            speaker, text = dialogue[i]
            label = ""
            if speaker == "1" and text.startswith("["):
                label, _, text = text[1:].partition("]")
            turns.append((speaker, label, text.strip()))
        result.append(turns)
    return result


def _printable(text: str) -> str:
    return " ".join(_NOT_PRINTABLE.sub(" ", text).split())


def seeker_profile(number: int, seeker: list[str], feelings_known: frozenset[str], intention: str,
                   characteristic: str) -> Profile | None:
    """A custom profile from the seeker's own messages, or None when they say too little."""
    said = [_printable(text) for text in seeker]
    said = [text for text in said if len(text.split()) >= 4]
    if len(said) < 1 + MIN_STORY:
        return None
    words = {w.strip(".,!?;:'\"()").lower() for text in said for w in text.split()}
    feelings = sorted(words & feelings_known)[:3] or ["upset"]
    return Profile.from_dict({
        "id": f"esconv-{number:04d}", "theme": "esconv", "persona": {
            "name": "Sam Rivera", "age": 30, "occupation": "person in a support chat",
            "traits": ["open", "tired", "earnest"], "speaking_style": "plain",
            "main_characteristic": characteristic},
        "background": "Someone who came to an online support chat to talk about a problem.",
        "story": said[1:], "topic": "what has been going on", "other": "the people involved",
        "feelings": feelings, "goal": "to feel better about it", "hidden_intention": intention,
        "opening_message": said[0]})


def supporter_replies(turns: list[tuple[str, str, str]]) -> list[tuple[str, tuple[str, ...]]]:
    """The supporter's replies after the first seeker message, consecutive messages joined, with their labels."""
    replies: list[tuple[str, tuple[str, ...]]] = []
    previous = None
    started = False
    for speaker, label, text in turns:
        if speaker == "0":
            started = started or len(text.split()) >= 4
        elif started and text:
            if previous == "1" and replies:
                joined, labels = replies[-1]
                replies[-1] = (joined + " " + text, labels + (label,))
            else:
                replies.append((text, (label,)))
        previous = speaker if started else None
    return replies


def play(replies: list[str], profile: Profile, reader: str, seed: int) -> int:
    user = ParametricUser(reader=reader)
    rng = np.random.default_rng(seed)
    difficulty = Difficulty.from_mapping({"preset": "normal", "max_turns": max(1, min(len(replies), 100))})
    user.start(profile, difficulty, rng)
    emotion = difficulty.initial_emotion
    for reply in replies[:difficulty.max_turns]:
        emotion = user.respond(reply, rng).emotion
        if emotion >= RESOLVED_AT or emotion < QUITS_BELOW:
            break
    return emotion


def versions(replies: list[tuple[str, tuple[str, ...]]], pools: dict[str, list[str]],
             rng: np.random.Generator) -> dict[str, list[str]]:
    texts = [text for text, _ in replies]
    action = [text for text, labels in replies if set(labels) & set(ACTION)]
    rest = [text for text, labels in replies if not set(labels) & set(ACTION)]
    dismissive = [r for move in DISMISSIVE for r in pools[move]]
    return {
        "real": texts,
        "advice first": action + rest,
        "dismissive third": [dismissive[int(rng.integers(len(dismissive)))] if i % 3 == 2 else text
                             for i, text in enumerate(texts)],
        "comfort only": [pools["generic_reassurance"][int(rng.integers(len(pools["generic_reassurance"])))]
                         for _ in texts],
    }


def bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    from scipy.stats import bootstrap

    result = bootstrap((values,), np.mean, n_resamples=2000, method="percentile",
                       random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def main() -> None:
    from scipy.stats import spearmanr
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--esconv", type=Path, required=True, help="an ESConv windows file (WithStrategy format)")
    parser.add_argument("--reader", default=DEFAULT_READER, choices=MOVE_READINGS)
    parser.add_argument("--limit", type=int, default=None, help="replay only the first N dialogues")
    args = parser.parse_args()
    pools: dict[str, list[str]] = {}
    for row in map(json.loads, WRITTEN.read_text(encoding="utf-8").splitlines()):
        if row["split"] == "study":
            pools.setdefault(row["strategy"], []).append(row["reply"])
    known = frozenset(load_lexicon()["feelings"])
    dialogues = esconv_dialogues(args.esconv)[:args.limit]
    finals: dict[str, list[float]] = {}
    exploration, questions = [], []
    for number, turns in enumerate(tqdm(dialogues, desc="dialogues", unit="dialogue")):
        seeker = [text for speaker, _, text in turns if speaker == "0"]
        replies = supporter_replies(turns)
        if seeker_profile(number, seeker, known, INTENTIONS[0], CHARACTERISTICS[0]) is None or len(replies) < 3:
            continue
        played = versions(replies, pools, np.random.default_rng(number))
        for name, texts in played.items():
            scores = [play(texts, seeker_profile(number, seeker, known, intention, characteristic), args.reader,
                           seed=1000 * number + 10 * i + c)
                      for i, intention in enumerate(INTENTIONS) for c, characteristic in enumerate(CHARACTERISTICS)]
            finals.setdefault(name, []).append(float(np.mean(scores)))
        half = replies[:max(1, len(replies) // 2)]
        exploration.append(np.mean([bool(set(labels) & set(EXPLORATION)) for _, labels in half]))
        questions.append(sum(text.count("?") for text, _ in replies))
    real = np.array(finals["real"])
    rows, record = [], {"reader": args.reader, "dialogues": len(real), "versions": {}}
    for name, values in finals.items():
        values = np.array(values)
        entry = {"mean_final_emotion": float(values.mean())}
        if name != "real":
            difference = real - values
            entry.update(real_higher=float(np.mean(difference > 0)), paired_difference=float(difference.mean()),
                         paired_difference_ci95=bootstrap_ci(difference))
        record["versions"][name] = entry
        if name == "real":
            rows.append(f"| {name} | {values.mean():.1f} | | |")
        else:
            low, high = entry["paired_difference_ci95"]
            rows.append(f"| {name} | {values.mean():.1f} | {100 * entry['real_higher']:.0f} | "
                        f"{entry['paired_difference']:+.1f} ({low:+.1f} to {high:+.1f}) |")
    rho_exploration = float(spearmanr(real, exploration).statistic)
    rho_questions = float(spearmanr(real, questions).statistic)
    record.update(spearman_exploration_share=rho_exploration, spearman_questions=rho_questions)
    command = f"python benchmarks/seeker_replay.py --esconv {args.esconv.name} --reader {args.reader}"
    if args.limit is not None:
        command += f" --limit {args.limit}"
    text = (f"Command: `{command}`\nMachine: {machine()}\n\n"
            f"{len(real)} ESConv dialogues replayed to 24 users each (8 hidden intentions x 3 characteristics, "
            "`normal`, turn budget = the dialogue's replies).\n\n"
            "| version | mean final emotion | real ends higher % | real minus version (95% CI) |\n"
            "| --- | ---: | ---: | --- |\n" + "\n".join(rows) + "\n\n"
            f"Across dialogues, Spearman correlation of the real dialogue's simulated final emotion with the share "
            f"of exploration replies in its first half: {rho_exploration:.2f}; with the number of questions asked: "
            f"{rho_questions:.2f} (descriptions of the supporter, not ratings).\n")
    stem = "seeker_replay" if args.reader == DEFAULT_READER else f"seeker_replay_{args.reader}"
    (RESULTS / f"{stem}.md").write_text(text)
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
