"""The learned reading of replies (move and coherence models): reads ordinary language, resists search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import empathy_gym  # noqa: F401
from empathy_gym.evaluation import evaluate, play_episode
from empathy_gym.model.appraisal import Appraiser, named_reader
from empathy_gym.model.move_model import CLASSES, MoveModel, sentence_features, train_move_model
from empathy_gym.model.reading import DialogueContext
from empathy_gym.model.rendering import StrategyRenderer
from empathy_gym.policies.adversarial import TRICKS, FragmentCandidates, PoolCandidates, SearchPolicy, TrickPolicy
from empathy_gym.policies.reference import HeuristicPolicy
from empathy_gym.profiles import load_profiles
from empathy_gym.vocabulary import HARMFUL_STRATEGIES, STRATEGIES

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = DialogueContext(("My best friend told everyone at work about my divorce before I was ready.",), (),
                          frozenset())
LEARNED = {"user_options": {"reader": "learned"}}


@pytest.fixture(scope="module")
def reader():
    return named_reader("learned")


def _dominant(reader, text, context=CONTEXT):
    index = reader.appraise(text, context).dominant_strategy
    return None if index is None else STRATEGIES[index]


# Replies from the reading issue that the cue patterns misread, and their main move.
MAIN_MOVES = {
    "That must have really stung, especially coming from a friend.": "reflect_feelings",
    "It sounds like you've been carrying a lot of hurt about this.": "reflect_feelings",
    "Have you thought about what you'd want to hear from her if you did talk?": "invite_reflection",
    "One small thing that might help is writing down what you want to say first.": "suggestion",
    "That sounds hard. What happened when you told her?": "open_question",
    "It was not your fault at all.": "validate_blamelessness",
    "Honestly it's not a big deal, people gossip.": "minimise",
}


@pytest.mark.parametrize("text, move", MAIN_MOVES.items())
def test_the_learned_reader_reads_the_main_move_of_ordinary_replies(reader, text, move):
    assert _dominant(reader, text) == move


def test_a_reply_that_does_something_is_never_read_as_no_move_but_silence_and_greetings_are(reader):
    assert _dominant(reader, "") is None and _dominant(reader, "Hello.") is None
    for text in MAIN_MOVES:
        assert _dominant(reader, text) is not None


def test_the_strategy_envs_rendered_replies_read_as_the_strategy_they_render(reader):
    renderer, rng = StrategyRenderer(), np.random.default_rng(3)
    profiles = load_profiles("test")[:20]
    right = total = 0
    for profile in profiles:
        for strategy in STRATEGIES:
            reply = renderer.render(strategy, profile=profile, user_turns=(profile.opening_message,), rng=rng)
            context = DialogueContext((profile.opening_message,), (), frozenset())
            right += _dominant(reader, reply, context) == strategy
            total += 1
    assert right / total >= 0.9, right / total


def test_fragments_glued_together_read_as_garbled_and_language_does_not(reader):
    for salad in ("Thanks keep getting, you must feel, so brave, keep.",
                  "Please just rant rant please just rant they might have felt."):
        assert reader.appraise(salad, CONTEXT).garbled > 0.5, salad
    for text in MAIN_MOVES:
        assert reader.appraise(text, CONTEXT).garbled == 0.0, text


def test_the_reading_is_the_same_in_another_process(reader):
    texts = list(MAIN_MOVES)
    here = [np.round(reader.appraise(t, CONTEXT).strategy_weights, 6).tolist() for t in texts]
    code = ("import json, sys, numpy as np\n"
            "from empathy_gym.model.appraisal import named_reader\n"
            "from empathy_gym.model.reading import DialogueContext\n"
            "c = DialogueContext((sys.argv[2],), (), frozenset())\n"
            "r = named_reader('learned')\n"
            "print(json.dumps([np.round(r.appraise(t, c).strategy_weights, 6).tolist() for t in json.loads(sys.argv[1])]))")
    run = subprocess.run([sys.executable, "-c", code, json.dumps(texts), CONTEXT.user_turns[0]], capture_output=True,
                         text=True, timeout=120, env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == here


def test_the_move_model_trains_deterministically_and_round_trips(tmp_path):
    examples = [(sentence_features(text, {}), CLASSES.index(move)) for text, move in MAIN_MOVES.items()]
    examples += [(sentence_features("hello there", {}), CLASSES.index("none"))]
    first, second = train_move_model(examples), train_move_model(examples)
    assert np.array_equal(first.rows, second.rows) and np.array_equal(first.bias, second.bias)
    first.save(tmp_path / "m.npz")
    loaded = MoveModel.load(tmp_path / "m.npz")
    features = sentence_features("it was not your fault at all", {})
    assert np.argmax(loaded.probabilities(features)) == CLASSES.index("validate_blamelessness")
    with pytest.raises(ValueError, match="expected format 1"):
        MoveModel.load(tmp_path / "m.npz", classes=("a", "b"))


def test_the_shipped_models_are_what_the_training_tool_builds():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "train_move_model.py"), "--check"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_reader_option_names_the_allowed_readings():
    with pytest.raises(ValueError, match="reader must be one of 'cues', 'learned'; got 'nope'"):
        gym.make("EmpathyGym/Support-v0", user_options={"reader": "nope"})


@pytest.fixture(scope="module")
def learned_heuristic_score():
    return evaluate(HeuristicPolicy(), split="test", difficulty="normal", seeds=(0,),
                    env_kwargs=LEARNED)[1]["mean_final_emotion"]


@pytest.mark.parametrize("trick", list(TRICKS))
def test_every_fixed_trick_scores_below_the_honest_heuristic_with_the_learned_reader(trick, learned_heuristic_score):
    score = evaluate(TrickPolicy(trick), env_id="EmpathyGym/Support-v0", split="test", difficulty="normal",
                     seeds=(0,), env_kwargs=LEARNED)[1]["mean_final_emotion"]
    assert score < learned_heuristic_score, (trick, score, learned_heuristic_score)


def _search_score(candidates, n_profiles=12, width=16):
    env = gym.make("EmpathyGym/Support-v0", split="test", **LEARNED)
    policy = SearchPolicy(candidates, width=width, rng=0)
    return float(np.mean([play_episode(env, policy, seed=i, profile_id=p.id).final_emotion
                          for i, p in enumerate(env.unwrapped.profiles[:n_profiles])]))


def test_a_lookahead_search_over_fragments_ends_far_below_the_same_search_over_well_written_replies():
    rows = [json.loads(line) for line in (ROOT / "benchmarks" / "data" / "written_replies.jsonl").open()]
    well_written = [r["reply"] for r in rows if r["split"] == "study" and r["strategy"] not in HARMFUL_STRATEGIES]
    honest = _search_score(PoolCandidates(well_written))
    fragments = _search_score(FragmentCandidates())
    assert fragments <= honest - 10, (fragments, honest)


def test_the_cue_reading_stays_available_beside_the_learned_default():
    from empathy_gym.model.parametric import ParametricUser

    assert ParametricUser()._reader is named_reader("learned")
    assert named_reader("cues") is not named_reader("learned")
    assert Appraiser().appraise("What happened?", CONTEXT).dominant_strategy == STRATEGIES.index("open_question")


def test_a_mixed_reply_reads_as_its_main_move_not_the_sympathy_before_it(reader):
    mixed = "I'm so sorry you're going through this. Have you thought about volunteering at the animal shelter?"
    assert _dominant(reader, mixed) == "suggestion"
    salience = reader._move_model.salience
    assert salience is not None and salience[STRATEGIES.index("generic_reassurance")] < 1.0


def test_salience_round_trips_and_bad_salience_is_refused(tmp_path):
    import dataclasses

    examples = [(sentence_features(text, {}), CLASSES.index(move)) for text, move in MAIN_MOVES.items()]
    model = dataclasses.replace(train_move_model(examples), salience=np.linspace(0.5, 2.0, len(CLASSES)))
    model.save(tmp_path / "m.npz")
    assert np.allclose(MoveModel.load(tmp_path / "m.npz").salience, model.salience)
    with pytest.raises(ValueError, match="salience must be"):
        dataclasses.replace(model, salience=np.zeros(len(CLASSES)))


def test_short_human_replies_are_not_judged_as_fragments_but_long_salads_are(reader):
    for terse in ("okay fair enough", "but did you?", "yes for sure,", "sounds rough"):
        assert reader.appraise(terse, CONTEXT).garbled == 0.0, terse
    assert reader.appraise("Thanks keep getting, you must feel, so brave, keep.", CONTEXT).garbled > 0.5


@pytest.mark.parametrize("typed, spelled", [
    ("i cannot imagine how hard that is", "i can't imagine how hard that is"),
    ("im so sorry, thats really rough and u dont deserve it",
     "i'm so sorry, that's really rough and you don't deserve it"),
    ("idk what i would do, youre handling it better than most",
     "i don't know what i would do, you're handling it better than most"),
])
def test_contractions_typed_without_apostrophes_read_as_the_spelled_ones(reader, typed, spelled):
    assert reader.normalise(typed) == reader.normalise(spelled)
    context = DialogueContext(("My sister stopped talking to me.",), (), frozenset())
    assert np.allclose(reader.appraise(typed, context).strategy_weights,
                       reader.appraise(spelled, context).strategy_weights)


def test_words_that_are_also_contractions_without_apostrophes_are_left_alone(reader):
    # "its", "ill", "were", "well", "lets", "shed" are ordinary words too: only one reading is expanded.
    text = "its fine, ill wait. we were well. it lets you in. the shed"
    assert reader.normalise(text) == text


def _labelled_rows(name):
    path = ROOT / "benchmarks" / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_held_aside_halves_of_the_measuring_sets_are_never_training_text():
    training = set()
    for path in sorted((ROOT / "tools" / "reader_corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            parts = [part["text"] for part in row.get("sentences", [])]
            texts = [row["text"]] if "text" in row else [" ".join(parts)]
            training.update(text.strip().lower() for text in texts + parts)
    assert len(training) > 5000
    for name in ("written_replies.jsonl", "blind_replies.jsonl"):
        held = [row for row in _labelled_rows(name) if row["split"] == "held_aside"]
        assert len(held) > 200
        # Stock phrases of a few words ("Mm.", "You didn't deserve that.") are written alike by anyone.
        seen = [row["id"] for row in held
                for text in [row["reply"]] + [part["text"] for part in row.get("sentences", [])]
                if len(text.split()) > 5 and text.strip().lower() in training]
        assert seen == [], f"{name}: held-aside replies found in tools/reader_corpus: {seen}"


def test_the_blind_set_is_labelled_with_known_moves_split_in_halves_per_part():
    rows = _labelled_rows("blind_replies.jsonl")
    assert len({row["id"] for row in rows}) == len(rows) >= 600
    assert {row["strategy"] for row in rows} <= set(STRATEGIES) | {"none"}
    for part in ("frames", "asking", "mixed"):
        chosen = [row for row in rows if row["set"] == part]
        held = sum(row["split"] == "held_aside" for row in chosen)
        assert abs(held - (len(chosen) - held)) <= 0.1 * len(chosen), part
    for row in rows:
        if "sentences" in row:
            assert row["reply"] == " ".join(part["text"] for part in row["sentences"])
            assert row["strategy"] in {part["strategy"] for part in row["sentences"]}
