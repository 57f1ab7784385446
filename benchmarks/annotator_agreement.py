"""How far a careful annotator of this project's taxonomy is from ESConv's labels, beside the reader.

Two steps, with an ESConv file of your own (nothing from it is written into the project):

    python benchmarks/annotator_agreement.py sample --esconv PATH --out DIR [--n 200 --seed 0]
    python benchmarks/annotator_agreement.py score --esconv PATH --out DIR

``sample`` draws ``n`` scored windows at random and writes ``DIR/items.jsonl`` (``id``, the
seeker's last turn ``seeker_said``, the supporter's ``reply``; no label) and ``DIR/keys.json``
(which windows). An annotator, given only the label descriptions of this project's strategies
(and ``none`` for no move), writes ``DIR/answers.jsonl``: ``{"id": ..., "label": ...}`` a line,
the reply's main move. ``score`` scores the annotator's labels against ESConv's exactly as
``human_reading.py`` scores the reader (mapped accuracy with a Wilson interval, macro recall),
the reader on the same windows, and the reader's exact agreement with the annotator, and prints
the figures (no text). Keep ``DIR`` outside the repository: the items and answers are derived
from ESConv.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from human_reading import ESCONV_MAP, NO_MOVE, dominant, read_esconv, wilson

from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS, named_reader
from empathy_gym.vocabulary import STRATEGIES

LABELS = frozenset(STRATEGIES) | {"none"}


def sample(esconv: Path, out: Path, n: int, seed: int) -> None:
    items = read_esconv(esconv)
    if not 0 < n <= len(items):
        raise SystemExit(f"--n must be between 1 and {len(items)} (the scored windows of {esconv}), got {n}")
    index = sorted(np.random.default_rng(seed).choice(len(items), size=n, replace=False).tolist())
    out.mkdir(parents=True, exist_ok=True)
    with (out / "items.jsonl").open("w", encoding="utf-8") as f:
        for number, i in enumerate(index):
            reply, context, _ = items[i]
            f.write(json.dumps({"id": number, "seeker_said": context.user_turns[-1] if context.user_turns else "",
                                "reply": reply}) + "\n")
    (out / "keys.json").write_text(json.dumps({"esconv_file": esconv.name, "seed": seed, "index": index}))
    print(f"wrote {n} items to {out / 'items.jsonl'}; the annotator writes {out / 'answers.jsonl'}")


def score(esconv: Path, out: Path, reader_name: str) -> None:
    items = read_esconv(esconv)
    keys = json.loads((out / "keys.json").read_text())
    answers = {}
    for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label") not in LABELS:
                raise SystemExit(f"{out / 'answers.jsonl'}: id {row.get('id')}: label {row.get('label')!r} is not "
                                 f"one of {', '.join(sorted(LABELS))}")
            answers[row["id"]] = NO_MOVE if row["label"] == "none" else row["label"]
    missing = [number for number in range(len(keys["index"])) if number not in answers]
    if missing:
        raise SystemExit(f"{out / 'answers.jsonl'}: no label for ids {missing[:10]}{' ...' if len(missing) > 10 else ''}")
    reader = named_reader(reader_name)
    by_label: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    agree = []
    for number, i in enumerate(keys["index"]):
        reply, context, label = items[i]
        annotator, reading = answers[number], dominant(reader, reply, context)
        by_label[label].append((annotator in ESCONV_MAP[label], reading in ESCONV_MAP[label]))
        agree.append(annotator == reading)
    n = len(agree)
    for who, k in (("annotator", 0), (f"reader ({reader_name})", 1)):
        hits = sum(pair[k] for rows in by_label.values() for pair in rows)
        low, high = wilson(hits, n)
        macro = np.mean([np.mean([pair[k] for pair in rows]) for rows in by_label.values()])
        print(f"{who}: mapped accuracy against ESConv {100 * hits / n:.1f}% ({100 * low:.1f}-{100 * high:.1f}), "
              f"macro recall {macro:.2f}, over {n} windows")
    print(f"reader and annotator name the same move: {100 * np.mean(agree):.1f}%")
    for label, rows in sorted(by_label.items()):
        print(f"  {label}: n={len(rows)}, annotator {np.mean([a for a, _ in rows]):.2f}, "
              f"reader {np.mean([r for _, r in rows]):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("sample", "score"))
    parser.add_argument("--esconv", type=Path, required=True, help="an ESConv windows file (WithStrategy format)")
    parser.add_argument("--out", type=Path, required=True, help="a folder outside the repository")
    parser.add_argument("--n", type=int, default=200, help="windows to sample")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed")
    parser.add_argument("--reader", default=DEFAULT_READER, choices=MOVE_READINGS)
    args = parser.parse_args()
    if args.step == "sample":
        sample(args.esconv, args.out, args.n, args.seed)
    else:
        score(args.esconv, args.out, args.reader)


if __name__ == "__main__":
    main()
