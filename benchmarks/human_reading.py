"""How the simulated user reads text nobody on this project wrote, and the project's own written set.

Run from the repository root (after installing the package), with an ESConv file of your own:

    python benchmarks/human_reading.py --esconv ../shared/data/esconv/devWithStrategy_short.tsv

ESConv (Liu et al., ACL 2021; CC BY-NC 4.0) is not shipped: the script only reads the file it is
given, and writes figures (counts, rates, intervals), never its text. Each line of the file is a
window of up to five utterances (``WEIGHT SPEAKER INDEX TEXT`` joined by `` EOS ``); the last
utterance is a supporter's, whose text opens with its human strategy label in brackets. The reply
is read in its context: the earlier seeker utterances as the user's turns, the earlier supporter
utterances as the agent's. A reading counts as right (mapped accuracy) when its dominant strategy
is in the label's set below; ``Other`` is not scored.

The written set (``benchmarks/data/written_replies.jsonl``: replies written for this project, one
clear main move each, in six styles, by a writer who had not seen the reader) is scored by exact
strategy, separately for its ``study`` half (which may be looked at) and its ``held_aside`` half
(never tuned on).

The blind set (``benchmarks/data/blind_replies.jsonl``, see ``benchmarks/data/README.md``) holds replies
written from a description of the labels alone, never trained on by the shipped reader: comfort,
praise and normalising said with the frames of reflections, questions that ask against questions
that tell, pleasantries that make no move (label ``none``: right when the reader sees no move), and
whole multi-sentence turns with one main move. It is scored like the written set, by split and by
part.

Reported with 95% intervals: accuracy (Wilson), the share read as making no move (Wilson), macro
recall over the labels (bootstrap over replies), and a confusion table. Writes
``benchmarks/results/human_reading.{md,json}`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from _common import RESULTS, esconv_windows, machine

from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS, named_reader
from empathy_gym.model.reading import DialogueContext
from empathy_gym.vocabulary import STRATEGIES

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = ROOT / "benchmarks" / "data" / "written_replies.jsonl"
BLIND = ROOT / "benchmarks" / "data" / "blind_replies.jsonl"
#: ESConv's labels and the project strategies that read each one right.
ESCONV_MAP: dict[str, frozenset[str]] = {
    "Questions": frozenset({"open_question", "invite_reflection"}),
    "Restatement or Paraphrasing": frozenset({"paraphrase"}),
    "Reflection of feelings": frozenset({"reflect_feelings"}),
    "Self-disclosure": frozenset({"self_disclosure"}),
    "Affirmation and Reassurance": frozenset({"generic_reassurance", "validate_blamelessness", "specific_praise"}),
    "Providing Suggestions": frozenset({"suggestion"}),
    "Information": frozenset({"analysis", "others_perspective", "suggestion"}),
}
NO_MOVE = "(no move)"


def read_esconv(path: Path) -> list[tuple[str, DialogueContext, str]]:
    """(reply, context, label) of every scored window of an ESConv file."""
    items = []
    for number, window in esconv_windows(path):
        utterances = [(speaker, text) for _, speaker, text in window]
        speaker, text = utterances[-1]
        if speaker != "1" or not text.startswith("["):
            raise ValueError(f"{path}:{number}: the last utterance must be a supporter's, opening with [label]")
        label, _, reply = text[1:].partition("]")
        if label == "Other":
            continue
        if label not in ESCONV_MAP:
            raise ValueError(f"{path}:{number}: unknown label {label!r}; known: {', '.join(ESCONV_MAP)}, Other")
        user = tuple(t for s, t in utterances[:-1] if s == "0")
        agent = tuple(t.split("]", 1)[1].strip() if t.startswith("[") else t for s, t in utterances[:-1] if s == "1")
        items.append((reply.strip(), DialogueContext(user, agent, frozenset()), label))
    return items


def read_written(path: Path, labels: frozenset[str] = frozenset(STRATEGIES)) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        if row.get("strategy") not in labels or row.get("split") not in ("study", "held_aside"):
            raise ValueError(f"{path}: {row.get('id')}: strategy {row.get('strategy')!r} or split "
                             f"{row.get('split')!r} not allowed (strategies: {', '.join(sorted(labels))}; "
                             "splits: study, held_aside)")
    return rows


def dominant(reader, reply: str, context: DialogueContext) -> str:
    index = reader.appraise(reply, context).dominant_strategy
    return NO_MOVE if index is None else STRATEGIES[index]


def wilson(successes: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def macro_recall(labels: list[str], right: np.ndarray, seed: int = 0) -> tuple[float, tuple[float, float]]:
    """Mean over labels of the share read right, with a 95% bootstrap interval (replies resampled)."""
    from scipy.stats import bootstrap

    names = sorted(set(labels))
    codes = np.array([names.index(label) for label in labels])

    def statistic(index: np.ndarray) -> float:
        index = index.astype(int)
        recalls = [right[index][codes[index] == k].mean() for k in range(len(names)) if np.any(codes[index] == k)]
        return float(np.mean(recalls))

    value = statistic(np.arange(len(labels)))
    result = bootstrap((np.arange(len(labels)),), statistic, n_resamples=2000, vectorized=False, method="percentile",
                       random_state=np.random.default_rng(seed))
    return value, (float(result.confidence_interval.low), float(result.confidence_interval.high))


def summarise(labels: list[str], readings: list[str], right: list[bool]) -> dict:
    n = len(labels)
    hits, none = int(sum(right)), sum(reading == NO_MOVE for reading in readings)
    macro, macro_ci = macro_recall(labels, np.array(right, dtype=float))
    per_label = {label: {"n": sum(1 for x in labels if x == label),
                         "recall": float(np.mean([r for x, r in zip(labels, right) if x == label]))}
                 for label in sorted(set(labels))}
    confusion = Counter(zip(labels, readings))
    return {"n": n, "accuracy": hits / n, "accuracy_ci95": wilson(hits, n), "no_move": none / n,
            "no_move_ci95": wilson(none, n), "macro_recall": macro, "macro_recall_ci95": macro_ci,
            "per_label": per_label,
            "confusion": {label: {reading: count for (x, reading), count in sorted(confusion.items()) if x == label}
                          for label in sorted(set(labels))}}


def score_esconv(reader, path: Path) -> dict:
    items = read_esconv(path)
    labels = [label for *_, label in items]
    readings = [dominant(reader, reply, context) for reply, context, _ in items]
    right = [reading in ESCONV_MAP[label] for reading, label in zip(readings, labels)]
    return summarise(labels, readings, right)


def score_labelled(reader, path: Path, labels: frozenset[str] = frozenset(STRATEGIES)) -> dict:
    """A labelled set by split: exact strategy; a ``none`` label is read right when the reader sees no move.

    A row's ``context`` (the seeker message it answers), where it has one, is the user's turn. The
    no-move share counts the replies that make a move (label other than ``none``).
    """
    rows = read_written(path, labels)
    result = {}
    for split in ("study", "held_aside"):
        chosen = [row for row in rows if row["split"] == split]
        contexts = [DialogueContext((row["context"],) if "context" in row else (), (), frozenset()) for row in chosen]
        readings = ["none" if reading == NO_MOVE else reading
                    for reading in (dominant(reader, row["reply"], context) for row, context in zip(chosen, contexts))]
        truth = [row["strategy"] for row in chosen]
        right = [r == x for r, x in zip(readings, truth)]
        summary = summarise(truth, readings, right)
        moving = [r == "none" for r, x in zip(readings, truth) if x != "none"]
        summary["no_move"], summary["no_move_ci95"] = float(np.mean(moving)), wilson(sum(moving), len(moving))
        for key in ("set", "style"):
            if all(key in row for row in chosen):
                summary[f"per_{key}"] = {value: float(np.mean([ok for ok, row in zip(right, chosen) if row[key] == value]))
                                         for value in sorted({row[key] for row in chosen})}
        result[split] = summary
    return result


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _line(name: str, s: dict) -> str:
    (a_lo, a_hi), (n_lo, n_hi), (m_lo, m_hi) = s["accuracy_ci95"], s["no_move_ci95"], s["macro_recall_ci95"]
    return (f"| {name} | {s['n']} | {_pct(s['accuracy'])} ({_pct(a_lo)}-{_pct(a_hi)}) | "
            f"{s['macro_recall']:.2f} ({m_lo:.2f}-{m_hi:.2f}) | {_pct(s['no_move'])} ({_pct(n_lo)}-{_pct(n_hi)}) |")


def markdown(results: dict, command: str) -> str:
    lines = [f"Command: `{command}`", f"Machine: {machine()}", f"Reader: `{results['reader']}`", "",
             "| data | replies | accuracy % (95% CI) | macro recall (95% CI) | no move % (95% CI) |",
             "| --- | ---: | --- | --- | --- |"]
    if "esconv" in results:
        lines.append(_line(f"ESConv `{results['esconv_file']}` (mapped)", results["esconv"]))
    for split, s in results["written"].items():
        lines.append(_line(f"written set, {split} (exact strategy)", s))
    for split, s in results.get("blind", {}).items():
        lines.append(_line(f"blind set, {split} (exact strategy; no move: of replies that make one)", s))
    for split, s in results["written"].items():
        lines += ["", f"Written set, {split}, accuracy by style: " + ", ".join(
            f"{style} {_pct(value)}%" for style, value in s["per_style"].items())]
    for split, s in results.get("blind", {}).items():
        lines += ["", f"Blind set, {split}, accuracy by part: " + ", ".join(
            f"{part} {_pct(value)}%" for part, value in s["per_set"].items()),
            f"Blind set, {split}, recall by label: " + ", ".join(
            f"{label} {_pct(info['recall'])}% (n={info['n']})" for label, info in s["per_label"].items())]
    if "esconv" in results:
        esconv = results["esconv"]
        readings = sorted({r for row in esconv["confusion"].values() for r in row})
        lines += ["", "ESConv confusion (rows: human label, columns: the reader's dominant strategy; counts)", "",
                  "| label | n | recall | " + " | ".join(readings) + " |",
                  "| --- | ---: | ---: |" + " ---: |" * len(readings)]
        for label, row in esconv["confusion"].items():
            info = esconv["per_label"][label]
            lines.append(f"| {label} | {info['n']} | {info['recall']:.2f} | "
                         + " | ".join(str(row.get(r, 0)) for r in readings) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--esconv", type=Path, default=None, help="an ESConv windows file (WithStrategy format)")
    parser.add_argument("--written", type=Path, default=WRITTEN, help="the project's written set (JSON lines)")
    parser.add_argument("--blind", type=Path, default=BLIND, help="the blind set (JSON lines)")
    parser.add_argument("--reader", default=DEFAULT_READER, choices=MOVE_READINGS,
                        help="the appraiser's reading of moves: the cue patterns or the learned models")
    parser.add_argument("--out", default=None, help="results file stem under benchmarks/results/ "
                                                    "(default human_reading_READER)")
    args = parser.parse_args()
    reader = named_reader(args.reader)
    args.out = args.out or f"human_reading_{args.reader}"
    results: dict = {"reader": args.reader, "machine": machine()}
    if args.esconv is not None:
        results["esconv_file"] = args.esconv.name
        results["esconv"] = score_esconv(reader, args.esconv)
    results["written"] = score_labelled(reader, args.written)
    results["blind"] = score_labelled(reader, args.blind, frozenset(STRATEGIES) | {"none"})
    command = "python benchmarks/human_reading.py" + (f" --esconv {args.esconv}" if args.esconv else "") + (
        f" --reader {args.reader}")
    text = markdown(results, command)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
