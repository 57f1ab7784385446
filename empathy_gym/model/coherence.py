"""Is a sentence language or fragments glued together? A small learned check of sentence structure.

A reward that credits supportive *words* can be optimised with nonsense: a search over glued
fragments ("Mm, keep going., so brave! of the!") finds strings that hit every cue. The coherence
model reads the *shape* of a sentence instead of its topic: a binary logistic regression (classes
``salad`` and ``language``) over hashed features of the sentence's token sequence, where function
words (the lexicon's stopwords) and punctuation stay themselves and every other word becomes a
placeholder, so it generalises across topics:

* n-grams (2 and 3) of that shape with sentence-start and sentence-end marks, and the last token;
* word pairs across punctuation ("going ., so") and the words next to each punctuation mark;
* how many words repeat within the sentence, and the share of punctuation among its tokens.

It is trained by ``tools/train_move_model.py`` on sentences written for this project (the reader
corpus, the strategy templates, the user's phrase bank) against fragment salads made from them by
several seeded generators (spans glued with punctuation, shuffled words, repeated phrases, cut-off
sentences, keyword lists); nothing from outside data. The appraiser turns its output into the
structural part of ``garbled``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from empathy_gym.model.move_model import HashedLinearModel

COHERENCE_CLASSES: tuple[str, ...] = ("salad", "language")
COHERENCE_FILE = "coherence_model.npz"
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def coherence_features(sentence: str, function_words: frozenset[str]) -> dict[str, float]:
    """The named features of one normalised sentence (lower case, contractions expanded).

    The marks that end the sentence are left out: people end sentences with ".", "!", "?", "..." or
    nothing, and none of that says whether what comes before is language.
    """
    tokens = _TOKEN.findall(sentence.rstrip(" .!?"))
    shape = [t if (t in function_words or not t[0].isalnum()) else "W" for t in tokens]
    padded = ["<s>", *shape, "</s>"]
    features: dict[str, float] = {}
    for i in range(len(padded) - 1):
        features[f"s2:{padded[i]}_{padded[i + 1]}"] = 1.0
        if i < len(padded) - 2:
            features[f"s3:{padded[i]}_{padded[i + 1]}_{padded[i + 2]}"] = 1.0
    if tokens:
        features["end:" + (tokens[-1] if tokens[-1] in function_words or not tokens[-1][0].isalnum() else "W")] = 1.0
        features["end2:" + "_".join(shape[-2:])] = 1.0
    for i, token in enumerate(tokens):
        if not token[0].isalnum():
            left = tokens[i - 1] if i > 0 else "<s>"
            right = tokens[i + 1] if i + 1 < len(tokens) else "</s>"
            features[f"p:{left}{token}"] = 1.0
            features[f"p:{token}{right}"] = 1.0
    words = [t for t in tokens if t[0].isalnum()]
    repeats = len(words) - len(set(words))
    features[f"repeat:{min(repeats, 4)}"] = 1.0
    if tokens:
        marks = sum(1 for t in tokens if not t[0].isalnum())
        features[f"marks:{min(int(4 * marks / len(tokens)), 3)}"] = 1.0
    features[f"words:{min(len(words), 8)}"] = 1.0
    return features


class CoherenceModel:
    """P(language) of a sentence from the shipped weights and the lexicon's function words."""

    def __init__(self, model: HashedLinearModel, function_words: frozenset[str]) -> None:
        if model.classes != COHERENCE_CLASSES:
            raise ValueError(f"a coherence model needs the classes {COHERENCE_CLASSES}, got {model.classes}")
        self.model = model
        self.function_words = function_words

    def language_probability(self, sentence: str) -> float:
        return float(self.model.probabilities(coherence_features(sentence, self.function_words))[1])


@lru_cache(maxsize=1)
def shipped_coherence_weights() -> HashedLinearModel:
    with resources.as_file(resources.files("empathy_gym.data") / COHERENCE_FILE) as path:
        return HashedLinearModel.load(path, COHERENCE_CLASSES)

