"""The speed pass keeps behaviour exact: each shortcut equals the plain computation it replaces."""

import json
import zlib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from empathy_gym import load_profiles
from empathy_gym.model.appraisal import _BARE_CONTRACTION, _BARE_CONTRACTIONS, _CONTRACTIONS, Appraiser, named_reader
from empathy_gym.model.difficulty import PRESETS, Difficulty
from empathy_gym.model.move_model import sentence_features, shipped_move_model
from empathy_gym.model.parametric import ParametricUser
from empathy_gym.model.reading import Appraisal
from empathy_gym.model.rendering import StrategyRenderer
from empathy_gym.vocabulary import STRATEGIES

ROOT = Path(__file__).resolve().parents[1]


def _corpus_texts(limit=3000):
    """Replies of the reader corpus (one-move texts, and the sentences of the mixed replies joined)."""
    texts = []
    for path in sorted((ROOT / "tools" / "reader_corpus").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            texts.append(record["text"] if "text" in record else " ".join(s["text"] for s in record["sentences"]))
    return texts[:limit]


def test_skipping_contractions_whose_literal_is_absent_changes_no_normalised_text():
    appraiser = named_reader("cues")
    texts = _corpus_texts() + ["I'd been there, it's been hard, he's gone, can't won't shan't ain't let's I'm",
                               "you're we've they'll I'd go, gonna wanna gotta kinda, cannot"]
    assert len(texts) > 1000
    for text in texts:
        plain = appraiser._abbreviation.sub(r"\1", text.lower())
        for _, pattern, replacement in _CONTRACTIONS:  # every pattern, tried on every text
            plain = pattern.sub(replacement, plain)
        plain = _BARE_CONTRACTION.sub(lambda m: _BARE_CONTRACTIONS[m.group(1)], plain)
        assert appraiser.normalise(text) == plain, text


def test_every_contraction_literal_is_inside_every_match_of_its_pattern():
    samples = "can't cannot won't shan't ain't didn't let's i'm you're we've they'll i'd been i'd go " \
              "it's been it's what's had gonna wanna gotta kinda"
    for literal, pattern, _ in _CONTRACTIONS:
        matches = [m.group() for m in pattern.finditer(samples)]
        assert matches, pattern.pattern
        assert all(literal in m for m in matches), (literal, matches)


def _reference_logits(model, features):
    """The lookup of earlier versions: hash every name, binary-search them all at once."""
    hashes = np.fromiter((zlib.crc32(n.encode()) for n in features), dtype=np.uint32, count=len(features))
    values = np.fromiter(features.values(), dtype=np.float64, count=len(features))
    position = np.searchsorted(model.hashes, hashes)
    position[position == len(model.hashes)] = 0
    known = model.hashes[position] == hashes
    return model.bias + values[known] @ model.rows[position[known]]


def test_remembered_feature_rows_give_the_logits_of_a_fresh_lookup_bit_for_bit():
    model = shipped_move_model()
    texts = _corpus_texts(800) + ["zzqx unknownword blorf", ""]
    for text in texts:
        features = sentence_features(Appraiser.normalise(named_reader("cues"), text), {0: 1.0, 3: 2.5})
        for _ in range(2):  # first with names not yet remembered, then remembered
            assert np.array_equal(model.logits(features), _reference_logits(model, features)), text


def test_sentence_features_scale_each_group_by_its_distinct_names():
    features = sentence_features("so so so hard?")
    groups = {prefix: [n for n in features if n.startswith(prefix)] for prefix in ("w:", "b:", "c:")}
    assert groups == {"w:": ["w:so", "w:hard"], "b:": ["b:<s>_so", "b:so_so", "b:so_hard", "b:hard_</s>"],
                      "c:": ["c:<har", "c:hard", "c:ard>"]}
    for names in groups.values():
        assert all(features[n] == pytest.approx(1 / np.sqrt(len(names))) for n in names)
    assert features["ask"] == 1.0 and features["len:6"] == 1.0


def _states(users):
    return [(u._state, u._speech_rng.bit_generator.state) for u in users]


def _turn_record(turn):
    record = {f.name: getattr(turn, f.name) for f in fields(turn)}
    record["appraisal"] = turn.appraisal.as_dict()
    return record


@pytest.mark.parametrize("preset", ["simple", "normal", "challenging"])
def test_users_answered_together_equal_users_answered_one_by_one(preset):
    profiles = load_profiles("test")[:24]
    renderer = StrategyRenderer()
    difficulty = Difficulty.from_mapping({"fidelity": 0.5}, base=PRESETS[preset])  # many misreadings
    alone = [ParametricUser() for _ in profiles]
    together = [ParametricUser() for _ in profiles]
    rngs_alone = [np.random.default_rng(i) for i in range(len(profiles))]
    rngs_together = [np.random.default_rng(i) for i in range(len(profiles))]
    for users, rngs in ((alone, rngs_alone), (together, rngs_together)):
        for user, profile, rng in zip(users, profiles, rngs):
            user.start(profile, difficulty, rng)
    render_rng = np.random.default_rng(99)
    for turn in range(10):
        replies = [renderer.render((3 * turn + 5 * i) % len(STRATEGIES), profile=u.profile, user_turns=u.user_turns,
                                   rng=render_rng, avoid=u.agent_turns) for i, u in enumerate(alone)]
        one_by_one = [u.respond(r, g) for u, r, g in zip(alone, replies, rngs_alone)]
        batched = ParametricUser.respond_together(together, replies, rngs_together)
        assert [_turn_record(t) for t in one_by_one] == [_turn_record(t) for t in batched]
        for (a, speech_a), (b, speech_b) in zip(_states(alone), _states(together)):
            assert speech_a == speech_b
            assert (a.trust, a.emotion, a.user_turns, a.agent_turns) == (b.trust, b.emotion, b.user_turns, b.agent_turns)
            assert np.array_equal(a.usage, b.usage)
    assert len({u.emotion for u in alone}) > 3  # the users went different ways


def test_a_subclass_that_overrides_respond_is_answered_by_its_own_respond():
    calls = []

    class Counting(ParametricUser):
        def respond(self, reply, rng, expression=None):
            calls.append(reply)
            return super().respond(reply, rng, expression)

    users = [Counting(), Counting()]
    rngs = [np.random.default_rng(1), np.random.default_rng(2)]
    for user, profile, rng in zip(users, load_profiles("test")[:2], rngs):
        user.start(profile, PRESETS["normal"], rng)
    Counting.respond_together(users, ["What happened?", "That sounds hard."], rngs)
    assert calls == ["What happened?", "That sounds hard."]


def test_dominant_strategy_is_the_first_largest_move_or_none():
    def appraisal(weights):
        return Appraisal(np.array(weights, dtype=np.float64), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)

    zeros = [0.0] * len(STRATEGIES)
    assert appraisal(zeros).dominant_strategy is None
    tie = list(zeros)
    tie[4] = tie[9] = 0.3
    assert appraisal(tie).dominant_strategy == int(np.argmax(tie)) == 4
    assert appraisal(tie).as_dict()["dominant_strategy"] == STRATEGIES[4]
    assert appraisal(tie).as_dict()["strategy_weights"] == {STRATEGIES[4]: 0.3, STRATEGIES[9]: 0.3}
