"""Specification of strategy rendering: templates, slot filling, and that rendered replies read as meant."""

from __future__ import annotations

import collections
import re

import numpy as np
import pytest

from empathy_gym._text import CHARSET
from empathy_gym.data import read_json
from empathy_gym.model.appraisal import Appraiser, DialogueContext, load_lexicon
from empathy_gym.model.rendering import StrategyRenderer
from empathy_gym.profiles import load_profiles
from empathy_gym.vocabulary import STRATEGIES

PROFILE_COUNT = 25  # every fourth shipped test profile: all themes, several people each
SLOT = re.compile(r"\{([^{}]*)\}")
QUOTE = re.compile(r'"([^"]+)"')


@pytest.fixture(scope="module")
def renderer() -> StrategyRenderer:
    return StrategyRenderer()


@pytest.fixture(scope="module")
def appraiser() -> Appraiser:
    return Appraiser()


@pytest.fixture(scope="module")
def profiles():
    chosen = load_profiles("test")[::4][:PROFILE_COUNT]
    assert len(chosen) >= 20
    return chosen


def _turns(profile, k: int = 0) -> tuple[str, ...]:
    """The opening message and one story beat, as if the person had said them."""
    return profile.opening_message, profile.story[k % len(profile.story)]


def _context(profile, turns: tuple[str, ...]) -> DialogueContext:
    words = set()
    for text in (profile.topic, profile.other, *profile.feelings):
        words.update(w.strip(".,!?;:'\"()").lower() for w in text.split())
    return DialogueContext(turns, (), frozenset(w for w in words if len(w) > 2))


@pytest.fixture(scope="module")
def rendered(renderer, appraiser, profiles):
    """Every template of every strategy, filled for every profile, with its appraisal."""
    rows = []
    for p_index, profile in enumerate(profiles):
        turns = _turns(profile, p_index)
        context = _context(profile, turns)
        for s_index, strategy in enumerate(STRATEGIES):
            for t_index, template in enumerate(renderer.templates(strategy)):
                rng = np.random.default_rng([p_index, s_index, t_index])
                reply = renderer.fill(template, profile=profile, user_turns=turns, rng=rng)
                if reply is not None:
                    rows.append((strategy, template, reply, appraiser.appraise(reply, context)))
    return rows


# -- the templates ------------------------------------------------------------------------------
def test_every_strategy_has_at_least_twelve_distinct_templates(renderer):
    for strategy in STRATEGIES:
        templates = renderer.templates(strategy)
        assert isinstance(templates, tuple)
        assert len(set(templates)) == len(templates) >= 12, strategy


def test_templates_use_only_the_four_slots_and_at_most_a_third_quote_a_detail(renderer):
    for strategy in STRATEGIES:
        templates = renderer.templates(strategy)
        for template in templates:
            assert set(SLOT.findall(template)) <= {"topic", "other", "feeling", "detail"}, template
        assert sum("{detail}" in t for t in templates) * 3 <= len(templates), strategy


def test_strategy_texts_are_printable_ascii_with_straight_quotes():
    allowed = set(CHARSET)
    data = read_json("strategies.json")
    assert list(data) == list(STRATEGIES)
    for name, spec in data.items():
        for field in ("label", "gerund", "description"):
            assert isinstance(spec[field], str) and spec[field].strip(), (name, field)
            assert set(spec[field]) <= allowed, (name, field)
        for template in spec["templates"]:
            assert set(template) <= allowed, template
        assert len(spec["cues"]) >= 5, name


def test_index_name_and_numpy_integer_select_the_same_templates(renderer):
    for index, name in enumerate(STRATEGIES):
        assert renderer.templates(index) == renderer.templates(name) == renderer.templates(np.int64(index))


@pytest.mark.parametrize("bad", ["kindness", "", "Open_Question", -1, len(STRATEGIES), True, False, 1.0, None])
def test_a_bad_strategy_raises_value_error_naming_the_allowed_ones(renderer, profiles, bad):
    with pytest.raises(ValueError) as error:
        renderer.render(bad, profile=profiles[0], user_turns=("hi",), rng=np.random.default_rng(0))
    assert "open_question" in str(error.value) and "blame" in str(error.value)
    with pytest.raises(ValueError):
        renderer.templates(bad)


# -- rendered replies read as the intended move ------------------------------------------------
def test_rendered_templates_are_read_as_the_intended_strategy(rendered):
    total, correct = collections.Counter(), collections.Counter()
    misses = []
    for strategy, _, reply, appraisal in rendered:
        total[strategy] += 1
        if appraisal.dominant_strategy == STRATEGIES.index(strategy):
            correct[strategy] += 1
        else:
            misses.append((strategy, reply))
    per_strategy = {s: round(correct[s] / total[s], 3) for s in STRATEGIES}
    overall = sum(correct.values()) / sum(total.values())
    report = f"overall {overall:.3f}; per strategy {per_strategy}; first misses {misses[:5]}"
    assert set(total) == set(STRATEGIES)
    assert overall >= 0.95, report
    assert min(per_strategy.values()) >= 0.85, report


def test_rendered_templates_put_most_of_the_weight_on_their_move(rendered):
    shares = [float(a.strategy_weights[STRATEGIES.index(s)]) for s, _, _, a in rendered]
    assert np.mean(shares) >= 0.9
    assert all(float(a.strategy_weights.sum()) <= 1.0 + 1e-9 for *_, a in rendered)


def test_rendered_replies_raise_no_quality_alarm(rendered):
    worst = {name: max(rendered, key=lambda row: getattr(row[3], name)) for name in
             ("garbled", "hostility", "injection", "stuffing", "echo", "repetition", "verbosity")}
    limits = {"garbled": 0.15, "hostility": 0.0, "injection": 0.0, "stuffing": 0.2, "echo": 0.35,
              "repetition": 0.35, "verbosity": 0.0}
    for name, row in worst.items():
        assert getattr(row[3], name) <= limits[name], (name, row[2])
    echoing = sum(row[3].echo > 0 for row in rendered) / len(rendered)
    assert echoing < 0.01


# -- slot filling ---------------------------------------------------------------------------------
def test_render_fills_every_slot_from_the_profile(renderer, profiles):
    for p_index, profile in enumerate(profiles):
        for seed in range(10):
            strategy = (p_index + seed) % len(STRATEGIES)
            reply = renderer.render(strategy, profile=profile, user_turns=_turns(profile),
                                    rng=np.random.default_rng(seed))
            assert reply and "{" not in reply and "}" not in reply, reply
            assert set(reply) <= set(CHARSET)
            assert reply[0].isupper() or reply[0] == '"', reply


def test_topic_and_other_slots_use_the_profile_words(renderer, profiles):
    profile = profiles[0]
    rng = np.random.default_rng(1)
    reply = renderer.fill("About {topic} and {other}.", profile=profile, user_turns=_turns(profile), rng=rng)
    assert profile.topic in reply and profile.other in reply


def test_feeling_slot_uses_a_feeling_the_user_voiced_or_the_profile_names(renderer, profiles):
    voiced = renderer.fill("You feel {feeling}.", profile=profiles[0], user_turns=("Honestly I feel so jealous.",),
                           rng=np.random.default_rng(0))
    feelings = set(load_lexicon()["feelings"])
    for p_index, profile in enumerate(profiles):
        last = _turns(profile, p_index)[-1]
        said = {w.lower() for w in re.findall(r"[A-Za-z-]+", last)} & feelings
        allowed = said | {f.lower() for f in profile.feelings}
        for seed in range(6):
            reply = renderer.fill("You feel {feeling}.", profile=profile, user_turns=_turns(profile, p_index),
                                  rng=np.random.default_rng(seed))
            assert reply[len("You feel "):-1] in allowed, (reply, allowed)
    assert voiced in {"You feel jealous.", *(f"You feel {f}." for f in profiles[0].feelings)}


def test_detail_slot_quotes_two_to_four_words_of_the_last_user_turn(renderer, profiles):
    quoted = 0
    for p_index, profile in enumerate(profiles):
        turns = _turns(profile, p_index)
        reply = renderer.fill('You said "{detail}".', profile=profile, user_turns=turns,
                              rng=np.random.default_rng(p_index))
        if reply is None:
            continue
        quoted += 1
        phrase = QUOTE.search(reply).group(1)
        assert 2 <= len(phrase.split()) <= 4, reply
        assert phrase.lower() in turns[-1].lower(), (phrase, turns[-1])
    assert quoted >= len(profiles) // 2


def test_nothing_quotable_means_no_detail_template_is_used(renderer, profiles):
    for seed in range(60):
        for strategy in ("open_question", "paraphrase", "analysis"):
            reply = renderer.render(strategy, profile=profiles[0], user_turns=("Yes.",),
                                    rng=np.random.default_rng(seed))
            assert '"' not in reply, reply
    assert renderer.fill('You said "{detail}".', profile=profiles[0], user_turns=("Yes.",),
                         rng=np.random.default_rng(0)) is None


# -- randomness ---------------------------------------------------------------------------------
def test_render_is_deterministic_for_the_same_generator_state(renderer, profiles):
    profile = profiles[3]
    first = [renderer.render(s, profile=profile, user_turns=_turns(profile), rng=np.random.default_rng(7))
             for s in STRATEGIES]
    np.random.seed(123)  # the global generator must play no part
    np.random.random(5)
    second = [renderer.render(s, profile=profile, user_turns=_turns(profile), rng=np.random.default_rng(7))
              for s in STRATEGIES]
    assert first == second


def test_render_draws_only_from_the_generator_passed_in(renderer, profiles):
    profile = profiles[5]
    rng = np.random.default_rng(11)
    renderer.render("reflect_feelings", profile=profile, user_turns=_turns(profile), rng=rng)
    after_one = rng.bit_generator.state
    replay = np.random.default_rng(11)
    renderer.render("reflect_feelings", profile=profile, user_turns=_turns(profile), rng=replay)
    assert replay.bit_generator.state == after_one
    assert after_one != np.random.default_rng(11).bit_generator.state


def test_different_draws_reach_many_different_templates(renderer, profiles):
    profile = profiles[2]
    replies = {renderer.render("suggestion", profile=profile, user_turns=_turns(profile),
                               rng=np.random.default_rng(seed)) for seed in range(80)}
    assert len(replies) >= 10
