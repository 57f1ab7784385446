"""The learned move model: which supportive move one sentence makes, from its words and the cue patterns.

A multinomial logistic regression over hashed features of one normalised sentence (the form the
appraiser reads: lower case, contractions expanded), with one class per strategy of
:data:`~empathy_gym.vocabulary.STRATEGIES` and a last class, ``none``, for a sentence that makes
no move (a greeting, filler, meta talk). Features (:func:`sentence_features`):

* words, and word pairs with sentence-start and sentence-end markers;
* the first word, the first two words and the last word;
* character 4-grams of every word of four letters or more, with word-boundary marks (so
  "u", "ur", "sry", "feelin" and misspellings land near their neighbours);
* whether the sentence asks (ends in ``?``) or exclaims, and its length in words (bucketed);
* the summed weights of each strategy's cue patterns found in the sentence (the appraiser's
  pattern reading, one real-valued feature per strategy), so the model learns how far to trust them.

Every feature name is hashed with CRC-32 (stable across processes and platforms); the weights are
stored for the hashes seen in training only (``data/move_model.npz``: sorted hashes, one row of
class weights per hash, the class biases), so nothing collides with a feature never seen.

The model is trained by ``tools/train_move_model.py`` on labelled sentences written for this
project (``tools/reader_corpus/``) and on the strategy templates rendered for many profiles;
nothing from ESConv or any other outside data set. Training is deterministic: the same data
gives the same weights (a test retrains and compares).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from empathy_gym.vocabulary import STRATEGIES

#: The classes, in the order of the model's outputs: every strategy, then "none".
CLASSES: tuple[str, ...] = STRATEGIES + ("none",)
NONE_CLASS = len(STRATEGIES)
MODEL_FILE = "move_model.npz"
FORMAT = 1
_WORD = re.compile(r"[a-z0-9]+")
_LENGTH_BUCKETS = (1, 2, 3, 6, 12)
CUE_CAP = 2.0  # summed cue weight above this reads as this
#: Feature names whose row a model remembers (beyond it, rows are looked up every time).
_ROW_MEMO = 200_000


def _bucket(n: int) -> str:
    for edge in _LENGTH_BUCKETS:
        if n <= edge:
            return str(edge)
    return "more"


@lru_cache(maxsize=65_536)
def _token_features(token: str) -> tuple[str, tuple[str, ...]]:
    """A token's word feature and its character 4-gram features (of ``<token>``, from 4 letters on)."""
    if len(token) < 4:
        return "w:" + token, ()
    marked = f"<{token}>"
    return "w:" + token, tuple("c:" + marked[i:i + 4] for i in range(len(marked) - 3))


def sentence_features(sentence: str, cue_scores: dict[int, float] | None = None) -> dict[str, float]:
    """The named features of one normalised ``sentence`` (lower case, contractions expanded).

    ``cue_scores`` maps a strategy index to the summed weight of its cue patterns found in the
    sentence (the appraiser's per-sentence scores).
    """
    tokens = _WORD.findall(sentence)
    features: dict[str, float] = {}
    # The distinct names of each unit-length group ("w:", "b:", "c:"), counted as they are added.
    words: list[str] = []
    pairs: list[str] = []
    chars: list[str] = []
    for token in tokens:
        word, grams = _token_features(token)
        if word not in features:
            words.append(word)
            features[word] = 1.0
        for name in grams:
            if name not in features:
                chars.append(name)
                features[name] = 1.0
    padded = ["<s>", *tokens, "</s>"]
    for left, right in zip(padded, padded[1:]):
        name = f"b:{left}_{right}"
        if name not in features:
            pairs.append(name)
            features[name] = 1.0
    if tokens:
        features["f:" + tokens[0]] = 1.0
        features["f2:" + "_".join(tokens[:2])] = 1.0
        features["l:" + tokens[-1]] = 1.0
    stripped = sentence.rstrip(" \"')]")
    if stripped.endswith("?"):
        features["ask"] = 1.0
    elif stripped.endswith("!"):
        features["exclaim"] = 1.0
    # Scale the word and character features so that each group has unit length: a long sentence
    # does not outvote a strong cue by the sheer number of its ordinary words.
    for names in (words, pairs, chars):
        if names:
            scale = 1.0 / math.sqrt(len(names))
            for name in names:
                features[name] = scale
    features["len:" + _bucket(len(tokens))] = 1.0
    for label, score in (cue_scores or {}).items():
        features[f"cue:{STRATEGIES[label]}"] = min(float(score), CUE_CAP)
    return features


def hash_features(features: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """CRC-32 hashes (uint32) and values of named features."""
    hashes = np.fromiter((zlib.crc32(name.encode()) for name in features), dtype=np.uint32, count=len(features))
    values = np.fromiter(features.values(), dtype=np.float64, count=len(features))
    return hashes, values


@dataclass(frozen=True)
class HashedLinearModel:
    """A linear classifier over hashed features: ``rows[i]`` are the class weights of feature hash ``hashes[i]``."""

    hashes: np.ndarray  # (F,) uint32, sorted
    rows: np.ndarray  # (F, len(classes)) float32
    bias: np.ndarray  # (len(classes),) float32
    classes: tuple[str, ...] = CLASSES
    #: Optional (len(classes),) weights of how much each class counts toward a reply's main move
    #: when a reply mixes moves (the move model's: fitted by tools/train_move_model.py); None: all 1.
    salience: np.ndarray | None = None
    _rows_of: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        c = len(self.classes)
        if self.rows.shape != (len(self.hashes), c) or self.bias.shape != (c,):
            raise ValueError(f"hashed linear model: expected rows ({len(self.hashes)}, {c}) and bias ({c},), got "
                             f"{self.rows.shape} and {self.bias.shape}")
        if len(self.hashes) > 1 and not np.all(np.diff(self.hashes.astype(np.int64)) > 0):
            raise ValueError("hashed linear model: feature hashes must be sorted and distinct")
        if self.salience is not None and (self.salience.shape != (c,) or not np.all(self.salience > 0)):
            raise ValueError(f"hashed linear model: salience must be ({c},) positive numbers, got {self.salience!r}")

    def logits(self, features: dict[str, float]) -> np.ndarray:
        # Each feature name's row is looked up once (CRC-32, then a binary search) and remembered.
        memo = self._rows_of
        found = [memo.get(name) for name in features]
        if None in found:
            new = [name for name, row in zip(features, found) if row is None]
            keys = np.fromiter((zlib.crc32(name.encode()) for name in new), dtype=np.uint32, count=len(new))
            position = np.searchsorted(self.hashes, keys)
            position[position == len(self.hashes)] = 0
            looked_up = np.where(self.hashes[position] == keys, position, -1).tolist()
            if len(memo) < _ROW_MEMO:
                memo.update(zip(new, looked_up))
            rows_of_new = iter(looked_up)
            found = [next(rows_of_new) if row is None else row for row in found]
        rows = [row for row in found if row >= 0]
        values = [value for value, row in zip(features.values(), found) if row >= 0]
        return self.bias + np.array(values, dtype=np.float64) @ self.rows[rows]

    def probabilities(self, features: dict[str, float]) -> np.ndarray:
        """The probability of each class of :data:`CLASSES` for one sentence's features."""
        logits = self.logits(features)
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def save(self, path) -> None:
        """Write the weights (``.npz``, no pickled objects) with the class names and format."""
        extra = {} if self.salience is None else {"salience": self.salience.astype(np.float32)}
        np.savez_compressed(path, hashes=self.hashes, rows=self.rows.astype(np.float16), bias=self.bias,
                            meta=np.frombuffer(json.dumps({"format": FORMAT, "classes": self.classes}).encode(),
                                               dtype=np.uint8), **extra)

    @classmethod
    def load(cls, path, classes: tuple[str, ...] = CLASSES) -> HashedLinearModel:
        """Read weights written by :meth:`save`, checking they are for ``classes``."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != FORMAT or tuple(meta.get("classes", ())) != tuple(classes):
                raise ValueError(f"{path}: a model of format {meta.get('format')} for classes "
                                 f"{meta.get('classes')}; expected format {FORMAT} for {tuple(classes)}")
            salience = data["salience"].astype(np.float64) if "salience" in data.files else None
            return cls(data["hashes"].astype(np.uint32), data["rows"].astype(np.float32),
                       data["bias"].astype(np.float32), tuple(classes), salience)


#: The move model is a hashed linear model over :data:`CLASSES`.
MoveModel = HashedLinearModel


@lru_cache(maxsize=1)
def shipped_move_model() -> MoveModel:
    """The move model shipped in the package data (loaded once per process)."""
    with resources.as_file(resources.files("empathy_gym.data") / MODEL_FILE) as path:
        return MoveModel.load(path)


def train_move_model(examples: Sequence[tuple[dict[str, float], int]], *, l2: float = 1.0,
                     class_weight: str = "balanced", max_iterations: int = 500,
                     classes: tuple[str, ...] = CLASSES) -> HashedLinearModel:
    """Fit a model over ``classes`` to ``(features, class index)`` pairs (deterministic; needs scipy, a training-time tool).

    Minimises the mean (class-weighted) cross-entropy plus ``l2 / N`` times half the squared
    weights, with L-BFGS from zero weights.
    """
    from scipy import optimize, sparse

    if not examples:
        raise ValueError("train_move_model needs at least one example")
    names = sorted({zlib.crc32(name.encode()) for features, _ in examples for name in features})
    hashes = np.array(names, dtype=np.uint32)
    rows, cols, vals = [], [], []
    for r, (features, _) in enumerate(examples):
        h, v = hash_features(features)
        rows.extend([r] * len(h))
        cols.extend(np.searchsorted(hashes, h).tolist())
        vals.extend(v.tolist())
    n, f, c = len(examples), len(hashes), len(classes)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(n, f), dtype=np.float64)
    y = np.array([label for _, label in examples])
    counts = np.bincount(y, minlength=c).astype(np.float64)
    if class_weight == "balanced":
        weight = (n / (c * np.maximum(counts, 1.0)))[y]
    else:
        weight = np.ones(n)
    weight = weight / weight.sum()
    onehot = np.zeros((n, c))
    onehot[np.arange(n), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:f * c].reshape(f, c), theta[f * c:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -float((weight * (onehot * log_p).sum(axis=1)).sum()) + 0.5 * l2 / n * float((w * w).sum())
        residual = (np.exp(log_p) - onehot) * weight[:, None]
        grad_w = x.T @ residual + l2 / n * w
        return value, np.concatenate([np.asarray(grad_w).ravel(), residual.sum(axis=0)])

    result = optimize.minimize(loss, np.zeros(f * c + c), jac=True, method="L-BFGS-B",
                               options={"maxiter": max_iterations})
    w, b = result.x[:f * c].reshape(f, c), result.x[f * c:]
    return HashedLinearModel(hashes, w.astype(np.float32), b.astype(np.float32), tuple(classes))
