#!/usr/bin/env python3
"""Train the reader's two models from text written for this project: moves and coherence.

    python tools/train_move_model.py            # rewrite the shipped weights
    python tools/train_move_model.py --check    # exit 1 if a retrain differs from the shipped weights
    python tools/train_move_model.py --select   # score settings on the written set's study half

Writes ``empathy_gym/data/move_model.npz`` (which move a sentence makes,
:mod:`empathy_gym.model.move_model`) and ``empathy_gym/data/coherence_model.npz`` (language or
glued fragments, :mod:`empathy_gym.model.coherence`).

Training sentences, all written for this project (nothing from ESConv or any outside data set):

* ``tools/reader_corpus/*.jsonl``: replies of one move each (``text``, ``strategy``: a strategy
  name or ``none``) in a dozen styles, and replies of two to four sentences with each sentence's
  own label (``sentences``: a list of ``{"text", "strategy"}``; ``strategy`` is then the main move),
  written by writers who had not seen the reader (the ``peer_*`` files: online peer-supporter
  chat, texting, clumsy English and more, written from a description of the labels alone);
* the strategy templates of ``empathy_gym/data/strategies.json``, rendered by the strategy
  environments' renderer for ``--renders`` profiles of the train split, so that the replies of
  the strategy environments read as the moves they render.

Each reply is split into sentences as the appraiser splits it; every sentence is one example with
its reply's label.

The coherence model learns from the same sentences, plus the user's side (profile openings and
story beats, and user turns of seeded random play), as ``language``, against ``salad``: fragment
strings made from them by seeded generators (spans of 1-4 words glued with punctuation, shuffled
words, repeated spans, sentences cut off after a function word, runs of keywords). The written set's ``study`` half (``benchmarks/data/written_replies.jsonl``) is
used only by ``--select`` to choose the settings; its ``held_aside`` half is never read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gymnasium as gym  # noqa: E402

import empathy_gym  # noqa: E402,F401
from empathy_gym.model.appraisal import FRAGMENT_MIN_WORDS, Appraiser, load_lexicon  # noqa: E402
from empathy_gym.model.coherence import COHERENCE_CLASSES, COHERENCE_FILE, coherence_features  # noqa: E402
from empathy_gym.model.move_model import CLASSES, MODEL_FILE, MoveModel, sentence_features, train_move_model  # noqa: E402
from empathy_gym.model.reading import DialogueContext  # noqa: E402
from empathy_gym.model.rendering import StrategyRenderer  # noqa: E402
from empathy_gym.profiles import load_profiles  # noqa: E402
from empathy_gym.vocabulary import STRATEGIES  # noqa: E402

CORPUS = ROOT / "tools" / "reader_corpus"
SHIPPED = ROOT / "empathy_gym" / "data" / MODEL_FILE
SHIPPED_COHERENCE = ROOT / "empathy_gym" / "data" / COHERENCE_FILE
WRITTEN = ROOT / "benchmarks" / "data" / "written_replies.jsonl"
#: The settings the shipped model is trained with (chosen with --select on the study half).
L2 = 0.1
COHERENCE_L2 = 1.0
RENDERS = 60
SEED = 7


def _corpus_rows() -> list[tuple[Path, int, dict]]:
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rows.append((path, number, json.loads(line)))
    return rows


def corpus_replies() -> list[tuple[str, str]]:
    """(text, label) pairs to train on: a one-move reply whole, a reply of labelled sentences sentence by sentence."""
    replies = []
    for path, number, row in _corpus_rows():
        parts = row.get("sentences")
        if parts is not None:
            if not isinstance(parts, list) or not parts or not all(
                    isinstance(part, dict) and isinstance(part.get("text"), str) and part.get("strategy") in CLASSES
                    for part in parts):
                raise ValueError(f"{path}:{number}: 'sentences' must be a list of {{'text', 'strategy'}} with "
                                 f"strategies among {', '.join(CLASSES)}")
            replies.extend((part["text"], part["strategy"]) for part in parts)
        elif row.get("strategy") in CLASSES and isinstance(row.get("text"), str):
            replies.append((row["text"], row["strategy"]))
        else:
            raise ValueError(f"{path}:{number}: needs 'text' and a 'strategy' among {', '.join(CLASSES)}, "
                             "or 'sentences'")
    return replies


def corpus_texts() -> list[str]:
    """Every corpus reply as written (the sentences of a multi-sentence reply joined): language for coherence."""
    return [" ".join(part["text"] for part in row["sentences"]) if "sentences" in row else row["text"]
            for _, _, row in _corpus_rows()]


def template_replies(renders: int, seed: int) -> list[tuple[str, str]]:
    """Replies of every strategy rendered for ``renders`` train profiles, answering their opening message."""
    renderer = StrategyRenderer()
    profiles = load_profiles("train")
    rng = np.random.default_rng(seed)
    replies = []
    for index in rng.choice(len(profiles), size=renders, replace=False):
        profile = profiles[int(index)]
        for strategy in STRATEGIES:
            replies.append((renderer.render(strategy, profile=profile, user_turns=(profile.opening_message,), rng=rng),
                            strategy))
    return replies


def sentence_examples(appraiser: Appraiser, replies: list[tuple[str, str]]) -> list[tuple[dict[str, float], int]]:
    """One (features, class) example per distinct sentence of every reply, read as the appraiser reads it."""
    examples, seen = [], set()
    for text, label in replies:
        for sentence, cue_scores in appraiser.sentence_cues(text):
            key = (sentence, label)
            if key in seen:
                continue
            seen.add(key)
            examples.append((sentence_features(sentence, cue_scores), CLASSES.index(label)))
    return examples


def user_sentences(seed: int, episodes: int = 150) -> list[str]:
    """What the simulated people say: openings, story beats and the turns of seeded random play."""
    texts = [p.opening_message for p in load_profiles("train")] + [b for p in load_profiles("train") for b in p.story]
    # Played with the cue reader: what the people say must not depend on the weights being trained.
    env = gym.make("EmpathyGym/SupportStrategy-v0", user_options={"reader": "cues"}).unwrapped
    rng = np.random.default_rng(seed)
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        done = False
        while not done:
            observation, _, terminated, truncated, _ = env.step(int(rng.integers(len(STRATEGIES))))
            texts.append(observation["text"])
            done = terminated or truncated
    return texts


#: Words a sentence does not end on (articles, prepositions, conjunctions, auxiliaries, possessives).
_WORD_RUN = re.compile(r"[a-z0-9]+")
DANGLING = frozenset("the a an and but or because if than very my your his their our".split())
_GLUE = (" ", ", ", "; ", " - ", "... ", ",", " and ", ". ", "! ", "? ")


def salads(sentences: list[list[str]], keywords: list[str], function_words: frozenset[str], count: int,
           rng: np.random.Generator) -> list[str]:
    """``count`` fragment strings from the token lists of real sentences, by five seeded generators."""
    made = []
    while len(made) < count:
        kind = int(rng.integers(5))
        words = sentences[int(rng.integers(len(sentences)))]
        if kind == 0 or len(words) < 4:  # spans of other sentences glued together
            pieces = []
            for _ in range(int(rng.integers(2, 6))):
                source = sentences[int(rng.integers(len(sentences)))]
                size = int(rng.integers(1, 5))
                start = int(rng.integers(max(1, len(source) - size + 1)))
                pieces.append(" ".join(source[start:start + size]))
            text = pieces[0]
            for piece in pieces[1:]:
                text += _GLUE[int(rng.integers(len(_GLUE)))] + piece
        elif kind == 1:  # the words of one sentence shuffled
            text = " ".join(words[int(i)] for i in rng.permutation(len(words)))
        elif kind == 2:  # a span said again and again
            size = int(rng.integers(1, 4))
            start = int(rng.integers(max(1, len(words) - size + 1)))
            span = " ".join(words[start:start + size])
            text = " ".join([span] * int(rng.integers(2, 4)) + words[:int(rng.integers(0, 3))])
        elif kind == 3:  # cut off after a word that cannot end a sentence
            cuts = [i for i, w in enumerate(words[:-1]) if w in DANGLING and i >= 1]
            if not cuts:
                continue
            text = " ".join(words[:cuts[int(rng.integers(len(cuts)))] + 1])
        else:  # keywords in a row
            chosen = [keywords[int(i)] for i in rng.choice(len(keywords), size=int(rng.integers(3, 8)))]
            text = (", " if rng.random() < 0.5 else " ").join(chosen)
        made.append(text + (".", "!", "?", "")[int(rng.integers(4))])
    return made


def coherence_examples(appraiser: Appraiser, texts: list[str], seed: int) -> list[tuple[dict[str, float], int]]:
    """Real sentences (``language``) and as many fragment salads made from them (``salad``)."""
    lexicon = load_lexicon()
    function_words = frozenset(lexicon["stopwords"])
    real = sorted({sentence for text in texts for sentence, _ in appraiser.sentence_cues(text)})
    rng = np.random.default_rng(seed)
    tokens = [sentence.rstrip(".!?").split() for sentence in real if sentence.split()]
    fake = []
    for text in salads(tokens, list(lexicon["empathy_keywords"]), function_words, len(real), rng):
        fake.extend(sentence for sentence, _ in appraiser.sentence_cues(text))
    fake = sorted(set(fake) - set(real))
    # The appraiser never judges sentences shorter than FRAGMENT_MIN_WORDS: neither class learns from them.
    real = [sentence for sentence in real if len(_WORD_RUN.findall(sentence)) >= FRAGMENT_MIN_WORDS]
    fake = [sentence for sentence in fake if len(_WORD_RUN.findall(sentence)) >= FRAGMENT_MIN_WORDS]
    return ([(coherence_features(s, function_words), COHERENCE_CLASSES.index("language")) for s in real]
            + [(coherence_features(s, function_words), COHERENCE_CLASSES.index("salad")) for s in fake])


def train_coherence(seed: int = SEED, l2: float = COHERENCE_L2) -> MoveModel:
    appraiser = Appraiser()
    texts = corpus_texts() + [text for text, _ in template_replies(RENDERS, seed)] + user_sentences(seed)
    return train_move_model(coherence_examples(appraiser, texts, seed), l2=l2, classes=COHERENCE_CLASSES)


#: The values a move's salience may take (coordinate search, ties go to the value nearest 1).
SALIENCE_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0)


def fit_salience(l2: float, renders: int, seed: int) -> np.ndarray:
    """How much each move counts as the main move of a reply that mixes several, one number a class.

    Cross-fitted: a move model trained without the multi-sentence replies reads each of them (the
    appraiser's learned share-out, empty context), and a coordinate search over
    ``SALIENCE_GRID`` picks the per-move multipliers under which the strongest move is the
    writer's main label most often (three sweeps over the moves in order; deterministic).
    """
    rows = [row for _, _, row in _corpus_rows()]
    single = [(row["text"], row["strategy"]) for row in rows if "sentences" not in row]
    # A reply whose main label is "none" (a greeting and a goodbye) has no main move to weigh.
    mixed = [row for row in rows if "sentences" in row and row["strategy"] != "none"]
    appraiser = Appraiser()
    model = train_move_model(sentence_examples(appraiser, single + template_replies(renders, seed)), l2=l2)
    reader = Appraiser(moves=model)
    empty = DialogueContext((), (), frozenset())
    shares = np.array([reader.appraise(" ".join(part["text"] for part in row["sentences"]), empty).strategy_weights
                       for row in mixed])
    labels = np.array([STRATEGIES.index(row["strategy"]) for row in mixed])

    def accuracy(values: np.ndarray) -> float:
        return float(np.mean(np.argmax(shares * values, axis=1) == labels))

    salience = np.ones(len(STRATEGIES))
    for _ in range(3):
        for move in range(len(STRATEGIES)):
            def score(value: float, move: int = move) -> tuple[float, float]:
                trial = salience.copy()
                trial[move] = value
                return accuracy(trial), -abs(value - 1.0)
            salience[move] = max(SALIENCE_GRID, key=score)
    return np.append(salience, 1.0)  # the "none" class is never a main move


def train(l2: float = L2, renders: int = RENDERS, seed: int = SEED) -> MoveModel:
    appraiser = Appraiser()
    replies = corpus_replies() + template_replies(renders, seed)
    model = train_move_model(sentence_examples(appraiser, replies), l2=l2)
    return dataclasses.replace(model, salience=fit_salience(l2, renders, seed))


def study_accuracy(model: MoveModel) -> tuple[float, float]:
    """Exact-strategy accuracy and no-move share on the written set's study half."""
    reader = Appraiser(moves=model)
    rows = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [row for row in rows if row["split"] == "study"]
    readings = [reader.appraise(row["reply"], DialogueContext((row["context"],), (), frozenset())).dominant_strategy
                for row in rows]
    right = [r is not None and STRATEGIES[r] == row["strategy"] for r, row in zip(readings, rows)]
    return float(np.mean(right)), float(np.mean([r is None for r in readings]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="retrain and compare with the shipped weights")
    parser.add_argument("--select", action="store_true", help="score a grid of settings on the study half")
    args = parser.parse_args()
    if args.select:
        for l2 in (0.03, 0.1, 0.3, 1.0, 3.0):
            for renders in (0, 30, 60):
                accuracy, none = study_accuracy(train(l2, renders))
                print(f"l2={l2:<5} renders={renders:<3} study accuracy {100 * accuracy:.1f}%  no move {100 * none:.1f}%",
                      flush=True)
        return 0
    model, coherence = train(), train_coherence()
    if args.check:
        # The same features, and the same probabilities up to float rounding (the weights are stored as
        # float16 and another CPU may round the optimiser's last steps differently).
        appraiser = Appraiser()
        texts = [text for text, _ in corpus_replies()] + [text for text, _ in template_replies(RENDERS, SEED)]
        probes = {"move": [f for f, _ in sentence_examples(appraiser, [(t, "none") for t in texts])],
                  "coherence": [f for f, _ in coherence_examples(appraiser, texts[:500], SEED)]}
        same = True
        for name, fresh, shipped in (("move", model, MoveModel.load(SHIPPED)),
                                     ("coherence", coherence, MoveModel.load(SHIPPED_COHERENCE, COHERENCE_CLASSES))):
            gap = max(float(np.abs(fresh.probabilities(f) - shipped.probabilities(f)).max()) for f in probes[name])
            equal = np.array_equal(fresh.hashes, shipped.hashes) and gap < 0.01 and (
                (fresh.salience is None) == (shipped.salience is None)
                and (fresh.salience is None or np.allclose(fresh.salience, shipped.salience)))
            print(f"the shipped {name} model {'matches' if equal else 'differs from'} a retrain "
                  f"(largest probability difference {gap:.4f} over {len(probes[name])} sentences)")
            same = same and equal
        return 0 if same else 1
    model.save(SHIPPED)
    coherence.save(SHIPPED_COHERENCE)
    accuracy, none = study_accuracy(MoveModel.load(SHIPPED))
    print(f"wrote {SHIPPED.relative_to(ROOT)}: {len(model.hashes)} features; study accuracy {100 * accuracy:.1f}%, "
          f"no move {100 * none:.1f}%; salience " + ", ".join(
              f"{name} {value:g}" for name, value in zip(STRATEGIES, model.salience) if value != 1.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
