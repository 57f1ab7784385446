"""Specification of the utterance generator: what the simulated person says, and their inner thought."""

from __future__ import annotations

import collections
import dataclasses
import math
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from empathy_gym._text import CHARSET
from empathy_gym.data import read_json
from empathy_gym.model import utterance as utterance_module
from empathy_gym.model.utterance import CUE_LEVELS, TurnOutcome, UtteranceGenerator
from empathy_gym.profiles import Persona, Profile
from empathy_gym.vocabulary import EMOTION_STATES, INTENTIONS, REACTIONS, REASONS, SPEAKING_STYLES

BANK = read_json("utterances.json")
ALLOWED = frozenset(CHARSET)
STORY = (
    "I worked at the corner bakery for six years. It was the first job I ever loved.",
    "Last month the manager said they didn't need me anymore.",
    "My sister thinks I should have seen it coming.",
    "Now I sit at home and wonder what happened.",
)
FEELINGS = ("ashamed", "exhausted")


def make_profile(style: str = "plain", intention: str = "not_at_fault", **changes: object) -> Profile:
    persona = Persona(
        name="Maya Chen", age=34, occupation="baker", traits=("careful", "proud", "quiet"),
        speaking_style=style, main_characteristic="negative",
    )
    profile = Profile(
        id="custom-0001", split="custom", theme="job_loss", persona=persona,
        background="Maya lost her job at a bakery she loved.", story=STORY,
        topic="the bakery job", other="the manager", feelings=FEELINGS,
        goal="a heart-to-heart talk to feel better", hidden_intention=intention,
        opening_message="I lost my job at the bakery and I can't stop thinking about it.",
    )
    return dataclasses.replace(profile, **changes)


def outcome(**changes: object) -> TurnOutcome:
    values: dict[str, object] = dict(
        delta=4, emotion=55, state="B", reaction="positive", cue="none", cue_intention="not_at_fault",
        story_beat=None, expressiveness=0.8, turn=2,
    )
    values.update(changes)
    return TurnOutcome(**values)  # type: ignore[arg-type]


def rendered(lines: list[str], profile: Profile) -> set[str]:
    """Every way a bank line can appear in a reply for ``profile`` (one per feeling)."""
    out = set()
    for line in lines:
        for feeling in profile.feelings:
            text = line.format(topic=profile.topic, other=profile.other, feeling=feeling)
            out.add(text[:1].upper() + text[1:])
    return out


def all_bank_strings(node: object = BANK) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in all_bank_strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in all_bank_strings(value)]
    return []


@pytest.fixture(scope="module")
def generator() -> UtteranceGenerator:
    return UtteranceGenerator()


def replies(generator: UtteranceGenerator, profile: Profile, seeds: range, **changes: object) -> list[str]:
    return [generator.reply(profile, outcome(**changes), np.random.default_rng(seed)) for seed in seeds]


# ---------------------------------------------------------------------------------------------
# Bank contents
# ---------------------------------------------------------------------------------------------
def test_bank_has_the_documented_sizes_for_every_code() -> None:
    for reaction in REACTIONS:
        for register in ("open", "reserved"):
            assert len(BANK["reactions"][reaction][register]) >= 8, (reaction, register)
    for intention in INTENTIONS:
        assert len(BANK["cues"][intention]["explicit"]) >= 8, intention
        assert len(BANK["cues"][intention]["implicit"]) >= 10, intention
        assert len(BANK["needs"][intention]) >= 3, intention
    for state in ("A", "B", "C"):
        for register in ("open", "reserved"):
            assert len(BANK["feelings_by_state"][state][register]) >= 6, (state, register)
    assert len(BANK["story_leads"]) >= 10
    for state in ("S", "F"):
        for register in ("open", "reserved"):
            assert len(BANK["closings"][state][register]) >= 8, (state, register)
    assert set(BANK["styles"]) == set(SPEAKING_STYLES)
    assert set(BANK["inner_thoughts"]) == set(REASONS)


def test_every_bank_entry_fills_without_leftover_braces_and_stays_in_charset() -> None:
    slots = {"topic": "the bakery job", "other": "the manager", "feeling": "ashamed",
             "strategy": "asking me an open question", "need": "to be heard"}
    strings = all_bank_strings()
    assert len(strings) > 500
    for text in strings:
        filled = text.format(**slots)
        assert "{" not in filled and "}" not in filled, text
        assert set(filled) <= ALLOWED, text


def test_every_reason_has_first_person_thoughts_including_one_without_a_strategy_slot() -> None:
    for reason in REASONS:
        thoughts = BANK["inner_thoughts"][reason]
        assert len(thoughts) >= 5, reason
        assert any("{strategy}" not in line for line in thoughts), reason
        assert all(re.search(r"\b(I|me|my|mine|myself)\b", line) for line in thoughts), (reason, thoughts)


def test_explicit_cues_name_their_own_need_more_than_any_other_intentions() -> None:
    # A careful reader's vocabulary for each need; an explicit cue must lean on its own.
    signatures = {
        "not_at_fault": ["fault", "blame", "anything wrong", "did wrong", "screw", "bad guy", "on me",
                         "one who caused"],
        "self_reflection": ["myself", "why i", "about me", "inside me", "i react", "i always", "pattern", "for myself"],
        "problem_analysis": ["went wrong", "cause", "causes", "failed", "break down", "off the rails",
                             "how this happened", "problem"],
        "deep_empathy": ["understood", "how this feels", "gets it", "feel this", "platitudes", "usual lines",
                         "what this is like", "sit with"],
        "venting": ["vent", "rant", "off my chest", "get it out", "let this out", "heard", "steam", "out loud"],
        "others_motives": ["{other}", "why they", "their reasons"],
        "practical_advice": ["practical advice", "steps", "step by step", "in my position", "plan", "options",
                             "what should i", "do next", "suggestions", "act on", "first thing"],
        "recognition": ["effort", "my work", "worked", "notice", "recognition", "acknowledge", "mattered", "counted",
                        "tried my best"],
    }
    for intention in INTENTIONS:
        for line in BANK["cues"][intention]["explicit"]:
            lowered = line.lower()
            hits = {name: sum(bool(re.search(rf"(?<![\w{{]){re.escape(phrase)}(?![\w}}])", lowered))
                              for phrase in words)
                    for name, words in signatures.items()}
            best_other = max(count for name, count in hits.items() if name != intention)
            assert hits[intention] > best_other, (intention, line, hits)


def test_implicit_cues_still_carry_signal_about_the_need() -> None:
    # Leave-one-out word-overlap classification of implicit lines must beat chance (1/8) threefold.
    stop = set("i me my a an the and to of it is that this in on for with be was so just what "
               "i'm i've it's don't really can you someone".split())
    data = [(name, {w for w in re.findall(r"[a-z']+", line.lower()) if w not in stop})
            for name in INTENTIONS for line in BANK["cues"][name]["implicit"]]
    correct = 0
    for index, (label, words) in enumerate(data):
        counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for other_index, (other_label, other_words) in enumerate(data):
            if other_index != index:
                counts[other_label].update(other_words)
        scores = {name: sum(c[w] for w in words) / math.sqrt(sum(c.values())) for name, c in counts.items()}
        correct += max(scores, key=scores.__getitem__) == label
    assert correct / len(data) >= 3 / len(INTENTIONS)


def test_reserved_lines_are_shorter_on_average_than_open_lines_in_every_bank() -> None:
    def mean_length(lines: list[str]) -> float:
        return sum(map(len, lines)) / len(lines)

    cells = [BANK["reactions"][r] for r in REACTIONS] + [BANK["feelings_by_state"][s] for s in "ABC"]
    cells += [BANK["closings"][s] for s in "SF"]
    for cell in cells:
        assert mean_length(cell["reserved"]) < mean_length(cell["open"]), cell["reserved"][0]


def test_formal_style_covers_every_contraction_used_in_the_speech_banks() -> None:
    expansions = BANK["styles"]["formal"]["replacements"]
    banks = ("reactions", "cues", "feelings_by_state", "closings")
    speech = [line for key in banks for line in all_bank_strings(BANK[key])]
    speech += BANK["story_leads"] + BANK["styles"]["rambling"]["asides"]
    contraction = re.compile(r"\b[A-Za-z]+'(?:t|m|re|ve|ll)\b|\b(?:it|that|there|here|what|who|he|she|let)'s\b", re.I)
    for line in speech:
        for found in contraction.findall(line):
            assert found.lower() in expansions, (found, line)
        # "'d" is left alone (had or would?), so the banks avoid it.
        assert not re.search(r"\b[A-Za-z]+'d\b", line), line


# ---------------------------------------------------------------------------------------------
# Determinism and variety
# ---------------------------------------------------------------------------------------------
def test_same_seed_gives_the_same_replies_and_thoughts_even_from_a_fresh_generator(
        generator: UtteranceGenerator) -> None:
    def transcript(gen: UtteranceGenerator) -> list[str]:
        rng = np.random.default_rng(123)
        out = []
        for style in SPEAKING_STYLES:
            profile = make_profile(style)
            for turn, reaction in enumerate(REACTIONS, start=1):
                out.append(gen.reply(profile, outcome(reaction=reaction, cue=CUE_LEVELS[turn % 3], story_beat=turn % 4,
                                                      expressiveness=(turn % 5) / 4, turn=turn), rng))
            out.append(gen.inner_thought(("served_need", "repetitive"), profile=profile, perceived_intention="venting",
                                         strategy_phrase="reflecting my feelings", rng=rng))
        return out

    assert transcript(generator) == transcript(UtteranceGenerator())


def test_same_seed_gives_the_same_text_in_another_process_with_another_hash_seed(generator: UtteranceGenerator) -> None:
    script = textwrap.dedent("""
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        from test_utterance import make_profile, outcome
        from empathy_gym.model.utterance import UtteranceGenerator
        g = UtteranceGenerator()
        rng = np.random.default_rng(7)
        for style in ("plain", "rambling", "casual"):
            print(g.reply(make_profile(style), outcome(cue="implicit", story_beat=1), rng))
        print(g.inner_thought(["harmful", "hostile"], profile=make_profile(), perceived_intention="recognition",
                              strategy_phrase="blaming me", rng=rng))
    """)
    here = str(Path(__file__).parent)
    runs = [subprocess.run([sys.executable, "-c", script, here], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, cwd=str(Path(__file__).parent.parent)).stdout
            for seed in ("1", "2")]
    rng = np.random.default_rng(7)
    expected = [generator.reply(make_profile(style), outcome(cue="implicit", story_beat=1), rng)
                for style in ("plain", "rambling", "casual")]
    expected.append(generator.inner_thought(["harmful", "hostile"], profile=make_profile(),
                                            perceived_intention="recognition", strategy_phrase="blaming me", rng=rng))
    assert runs[0] == runs[1] == "\n".join(expected) + "\n"


def test_different_seeds_give_different_replies(generator: UtteranceGenerator) -> None:
    texts = replies(generator, make_profile(), range(40), cue="implicit", story_beat=2)
    assert len(set(texts)) >= 30


def test_reply_uses_only_the_rng_passed_in(generator: UtteranceGenerator) -> None:
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.random())
    random.seed(5)
    np.random.seed(5)
    generator.reply(make_profile("rambling"), outcome(cue="explicit", story_beat=0), np.random.default_rng(0))
    generator.inner_thought(["aversive"], profile=make_profile(), perceived_intention="venting",
                            strategy_phrase="giving me advice", rng=np.random.default_rng(0))
    assert (random.random(), np.random.random()) == expected


def test_opening_is_the_profiles_opening_message_unchanged(generator: UtteranceGenerator) -> None:
    for style in SPEAKING_STYLES:
        profile = make_profile(style)
        assert generator.opening(profile) == profile.opening_message


# ---------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------
def test_all_output_stays_in_the_charset_even_from_typographic_profile_text(generator: UtteranceGenerator) -> None:
    profile = make_profile(story=("I\u2019d worked there \u2014 six years \u2014 at Caf\u00e9 Bl\u00fc.",) + STORY[1:],
                           topic="the caf\u00e9 job", other="Ren\u00e9e", feelings=("\u201cashamed\u201d", "tired"))
    rng = np.random.default_rng(0)
    for style in SPEAKING_STYLES:
        styled = dataclasses.replace(profile, persona=dataclasses.replace(profile.persona, speaking_style=style))
        for state in EMOTION_STATES:
            for reaction in REACTIONS:
                for cue in CUE_LEVELS:
                    for expressiveness in (0.0, 0.5, 1.0):
                        text = generator.reply(styled, outcome(state=state, reaction=reaction, cue=cue, story_beat=0,
                                                               expressiveness=expressiveness), rng)
                        assert text and set(text) <= ALLOWED, text
                        assert "{" not in text and "}" not in text, text
        for reason in REASONS:
            thought = generator.inner_thought([reason], profile=styled, perceived_intention="others_motives",
                                              strategy_phrase="explaining \u201ctheir\u201d side", rng=rng)
            assert set(thought) <= ALLOWED, thought


def test_reply_starts_with_a_reaction_line_of_the_matching_register(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    for reaction in REACTIONS:
        for expressiveness, register in ((0.9, "open"), (0.5, "open"), (0.49, "reserved"), (0.0, "reserved")):
            lines = BANK["reactions"][reaction][register]
            for text in replies(generator, profile, range(10), reaction=reaction, expressiveness=expressiveness):
                assert any(text.startswith(line) for line in lines), (reaction, register, text)


def test_cue_none_never_contains_an_explicit_cue_line(generator: UtteranceGenerator) -> None:
    for intention in INTENTIONS:
        profile = make_profile(intention=intention)
        explicit = {line for name in INTENTIONS for line in rendered(BANK["cues"][name]["explicit"], profile)}
        for cue in ("none", "implicit"):
            for text in replies(generator, profile, range(60), cue=cue, cue_intention=intention,
                                story_beat=1, expressiveness=1.0):
                assert not any(line in text for line in explicit), (cue, text)


def test_explicit_cue_of_the_requested_intention_is_present_when_asked(generator: UtteranceGenerator) -> None:
    for hidden in ("venting", "recognition"):
        profile = make_profile(intention=hidden)
        for voiced in INTENTIONS:  # normally the hidden one; a misread turn may voice another
            lines = rendered(BANK["cues"][voiced]["explicit"], profile)
            for expressiveness in (0.0, 1.0):
                for text in replies(generator, profile, range(15), cue="explicit", cue_intention=voiced,
                                    expressiveness=expressiveness):
                    assert any(line in text for line in lines), (voiced, text)


def test_implicit_cue_is_present_when_asked(generator: UtteranceGenerator) -> None:
    profile = make_profile(intention="others_motives")
    lines = rendered(BANK["cues"]["others_motives"]["implicit"], profile)
    texts = replies(generator, profile, range(30), cue="implicit", cue_intention="others_motives", expressiveness=0.1)
    for text in texts:
        assert any(line in text for line in lines), text


def test_story_beat_is_told_when_given(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    for beat, sentence in enumerate(STORY):
        core = sentence.split(".")[0][1:]  # drop the first letter, which a lead-in may lower-case
        for text in replies(generator, profile, range(10), story_beat=beat, expressiveness=0.2):
            assert core in text, (beat, text)


def test_story_leads_are_used_sometimes_but_not_always(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    texts = replies(generator, profile, range(60), story_beat=1)
    with_lead = sum(any(lead in text for lead in BANK["story_leads"]) for text in texts)
    assert 0 < with_lead < len(texts)


def test_reserved_replies_are_shorter_on_average_than_open_ones(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    for reaction in REACTIONS:
        reserved = replies(generator, profile, range(150), reaction=reaction, expressiveness=0.2)
        open_ = replies(generator, profile, range(150), reaction=reaction, expressiveness=0.9)
        assert sum(map(len, reserved)) < sum(map(len, open_)), reaction


def test_a_reserved_person_with_nothing_to_tell_often_says_only_the_reaction(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    reactions = set(BANK["reactions"]["neutral"]["reserved"])
    texts = replies(generator, profile, range(100), reaction="neutral", expressiveness=0.0)
    only = sum(text in reactions for text in texts)
    assert 30 <= only < 100
    assert sum(text in set(BANK["reactions"]["neutral"]["open"]) for text in
               replies(generator, profile, range(100), reaction="neutral", expressiveness=1.0)) < only


def test_mood_lines_come_more_often_when_expressive(generator: UtteranceGenerator) -> None:
    profile = make_profile()

    def mood_count(expressiveness: float, register: str) -> int:
        lines = rendered(BANK["feelings_by_state"]["C"][register], profile)
        texts = replies(generator, profile, range(200), state="C", reaction="negative", cue="implicit",
                        expressiveness=expressiveness)
        return sum(any(text.endswith(line) for line in lines) for text in texts)

    assert mood_count(1.0, "open") > mood_count(0.0, "reserved") > 0


@pytest.mark.parametrize("state", ["S", "F"])
def test_closing_replaces_story_and_cue_in_states_s_and_f(generator: UtteranceGenerator, state: str) -> None:
    profile = make_profile()
    reaction = "very_positive" if state == "S" else "very_negative"
    for register, expressiveness in (("open", 0.9), ("reserved", 0.1)):
        closings = rendered(BANK["closings"][state][register], profile)
        explicit = rendered(BANK["cues"]["not_at_fault"]["explicit"], profile)
        for text in replies(generator, profile, range(30), state=state, reaction=reaction, cue="explicit",
                            story_beat=1, expressiveness=expressiveness):
            assert any(text.endswith(line) for line in closings), (state, register, text)
            assert "didn't need me" not in text and not any(line in text for line in explicit), text


def test_closings_give_thanks_on_success_and_never_on_failure() -> None:
    for register in ("open", "reserved"):
        gratitude = re.compile(r"thank|grateful|appreciate", re.I)
        assert all(gratitude.search(line) for line in BANK["closings"]["S"][register])
        assert not any(gratitude.search(line) for line in BANK["closings"]["F"][register])


# ---------------------------------------------------------------------------------------------
# Speaking styles
# ---------------------------------------------------------------------------------------------
STYLE_CASES = [dict(cue="implicit", story_beat=0), dict(cue="explicit", story_beat=1, reaction="negative"),
               dict(state="C", reaction="very_negative", expressiveness=0.3), dict(state="S", reaction="very_positive")]


def styled_replies(generator: UtteranceGenerator, style: str, seeds: range = range(40)) -> list[str]:
    return [text for case in STYLE_CASES for text in replies(generator, make_profile(style), seeds, **case)]


def test_plain_style_keeps_bank_lines_verbatim(generator: UtteranceGenerator) -> None:
    reactions = {line for r in REACTIONS for reg in ("open", "reserved") for line in BANK["reactions"][r][reg]}
    texts = styled_replies(generator, "plain")
    assert all(any(text.startswith(line) for line in reactions) for text in texts)
    assert any("n't" in text for text in texts)  # contractions survive, unlike in the formal style


def test_hesitant_style_opens_with_a_filler_and_sometimes_trails_off(generator: UtteranceGenerator) -> None:
    openers = BANK["styles"]["hesitant"]["openers"]
    texts = styled_replies(generator, "hesitant")
    assert all(any(text.startswith(opener + " ") for opener in openers) for text in texts)
    assert any("..." in text for text in texts)


def test_terse_style_drops_leads_and_moods_and_keeps_one_sentence_per_part(generator: UtteranceGenerator) -> None:
    terse = styled_replies(generator, "terse")
    plain = styled_replies(generator, "plain")
    assert sum(map(len, terse)) < 0.8 * sum(map(len, plain))
    moods = {line for s in "ABC" for reg in ("open", "reserved") for line in
             rendered(BANK["feelings_by_state"][s][reg], make_profile())}
    for text in terse:
        assert not any(lead in text for lead in BANK["story_leads"]), text
        assert "the first job I ever loved" not in text, text  # second sentence of a story beat
        assert not any(text.endswith(" " + mood) for mood in moods), text
        assert len(re.findall(r"[.!?](?:\s|$)", text)) <= 3, text  # reaction, story, cue: one sentence each


def test_terse_style_does_not_cut_a_sentence_at_a_title(generator: UtteranceGenerator) -> None:
    story = ("Dr. Hartley said the results were clear. I did not ask anything else.",) + STORY[1:]
    profile = make_profile("terse", story=story)
    for text in replies(generator, profile, range(20), story_beat=0):
        assert "Hartley said the results were clear." in text and "ask anything else" not in text, text


def test_rambling_style_always_adds_an_aside(generator: UtteranceGenerator) -> None:
    asides = BANK["styles"]["rambling"]["asides"]
    rambling = styled_replies(generator, "rambling")
    assert all(any(aside in text for aside in asides) for text in rambling)
    assert any(sum(aside in text for aside in asides) == 2 for text in rambling)
    assert sum(map(len, rambling)) > sum(map(len, styled_replies(generator, "plain")))


def test_formal_style_is_plain_text_with_contractions_expanded(generator: UtteranceGenerator) -> None:
    expansions = BANK["styles"]["formal"]["replacements"]
    keys = sorted(expansions, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![\w']){re.escape(key)}(?![\w'])" for key in keys), re.I)

    def expand(match: re.Match[str]) -> str:
        value = expansions[match.group(0).lower()]
        return value[:1].upper() + value[1:] if match.group(0)[0].isupper() else value

    formal, plain = styled_replies(generator, "formal"), styled_replies(generator, "plain")
    assert formal != plain
    for formal_text, plain_text in zip(formal, plain):
        assert formal_text == pattern.sub(expand, plain_text)
        assert not pattern.search(formal_text), formal_text
        assert "n't" not in formal_text and "I'm" not in formal_text, formal_text


def test_casual_style_starts_lower_case_and_drops_the_final_full_stop(generator: UtteranceGenerator) -> None:
    texts = styled_replies(generator, "casual")
    assert all(not text[0].isupper() for text in texts)
    assert all(not (text.endswith(".") and not text.endswith("...")) for text in texts)
    tails = BANK["styles"]["casual"]["tails"]
    assert any(any(f" {tail}" in text for tail in tails) for text in texts)


def test_every_style_changes_the_text_except_plain(generator: UtteranceGenerator) -> None:
    plain = styled_replies(generator, "plain", range(10))
    for style in SPEAKING_STYLES:
        texts = styled_replies(generator, style, range(10))
        assert (texts == plain) == (style == "plain"), style


# ---------------------------------------------------------------------------------------------
# Inner thoughts
# ---------------------------------------------------------------------------------------------
def test_every_reason_yields_one_sentence_thought(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    for reason in REASONS:
        for seed in range(12):
            thought = generator.inner_thought([reason], profile=profile, perceived_intention="not_at_fault",
                                              strategy_phrase="asking me an open question",
                                              rng=np.random.default_rng(seed))
            assert thought[0].isupper() and thought[-1] in ".?!", thought
            assert not re.search(r"[.!?]\s", thought[:-1]), thought
            assert "{" not in thought, thought


def test_thought_voices_the_need_of_the_perceived_intention(generator: UtteranceGenerator) -> None:
    profile = make_profile(intention="not_at_fault")
    for perceived in INTENTIONS:
        needs = {need.format(topic=profile.topic, other=profile.other) for need in BANK["needs"][perceived]}
        for seed in range(8):
            thought = generator.inner_thought(["misread"], profile=profile, perceived_intention=perceived,
                                              strategy_phrase="giving me advice", rng=np.random.default_rng(seed))
            assert any(need in thought for need in needs), (perceived, thought)


def test_thought_fills_the_strategy_phrase_when_it_uses_one(generator: UtteranceGenerator) -> None:
    thoughts = [generator.inner_thought(["served_need"], profile=make_profile(), perceived_intention="venting",
                                        strategy_phrase="letting me talk", rng=np.random.default_rng(seed))
                for seed in range(30)]
    assert any("letting me talk" in t or "Letting me talk" in t for t in thoughts)


def test_thought_without_a_strategy_phrase_never_leaves_a_gap(generator: UtteranceGenerator) -> None:
    for reason in REASONS:
        for seed in range(10):
            thought = generator.inner_thought([reason], profile=make_profile(), perceived_intention="venting",
                                              strategy_phrase="  ", rng=np.random.default_rng(seed))
            assert "  " not in thought and not thought.startswith(("By ,", " ")) and " ," not in thought, thought


def test_second_reason_adds_a_clause_joined_by_but_when_it_pulls_the_other_way(generator: UtteranceGenerator) -> None:
    profile = make_profile()
    for seed in range(10):
        rng = np.random.default_rng(seed)
        mixed = generator.inner_thought(["served_need", "too_long"], profile=profile, perceived_intention="venting",
                                        strategy_phrase="listening", rng=rng)
        assert any(f", but {clause}." in mixed for clause in BANK["reason_clauses"]["too_long"]), mixed
        same = generator.inner_thought(["harmful", "hostile"], profile=profile, perceived_intention="venting",
                                       strategy_phrase="blaming me", rng=rng)
        joined = tuple(f", and {clause}." for clause in BANK["reason_clauses"]["hostile"])
        assert same.endswith(joined) or same.endswith("?"), same


# ---------------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, allowed", [
    ("reaction", "ecstatic", "very_positive"),
    ("cue", "hint", "implicit"),
    ("state", "X", "S, A, B, C, F"),
    ("cue_intention", "money", "not_at_fault"),
])
def test_unknown_outcome_codes_raise_value_error_naming_value_and_allowed(field: str, value: str, allowed: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(value))) as error:
        outcome(**{field: value})
    assert allowed in str(error.value)


@pytest.mark.parametrize("field, value", [("expressiveness", 1.5), ("expressiveness", float("nan")),
                                          ("story_beat", -1), ("turn", 0), ("emotion", 101)])
def test_out_of_range_outcome_numbers_raise_value_error(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        outcome(**{field: value})


def test_story_beat_past_the_end_of_the_story_raises_value_error(generator: UtteranceGenerator) -> None:
    with pytest.raises(ValueError, match="story_beat 4"):
        generator.reply(make_profile(), outcome(story_beat=4), np.random.default_rng(0))


def test_unknown_speaking_style_raises_value_error_naming_it(generator: UtteranceGenerator) -> None:
    with pytest.raises(ValueError, match="'poetic'.*plain"):
        generator.reply(make_profile("poetic"), outcome(), np.random.default_rng(0))


def test_reply_needs_a_numpy_generator(generator: UtteranceGenerator) -> None:
    with pytest.raises(TypeError, match="Generator"):
        generator.reply(make_profile(), outcome(), random.Random(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("reasons", [["bored"], ["served_need", "bored"]])
def test_unknown_reason_raises_value_error_naming_it(generator: UtteranceGenerator, reasons: list[str]) -> None:
    with pytest.raises(ValueError, match="'bored'.*served_need"):
        generator.inner_thought(reasons, profile=make_profile(), perceived_intention="venting",
                                strategy_phrase="listening", rng=np.random.default_rng(0))


def test_bad_inner_thought_arguments_raise(generator: UtteranceGenerator) -> None:
    kwargs = dict(profile=make_profile(), strategy_phrase="listening", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one"):
        generator.inner_thought([], perceived_intention="venting", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence"):
        generator.inner_thought("served_need", perceived_intention="venting", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'sympathy'.*deep_empathy"):
        generator.inner_thought(["served_need"], perceived_intention="sympathy", **kwargs)  # type: ignore[arg-type]


def _bank_without(path: tuple[str, ...]) -> dict:
    bank = read_json("utterances.json")
    node = bank
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return bank


@pytest.mark.parametrize("path", [("cues", "venting", "implicit"), ("reactions", "confused"), ("styles", "terse"),
                                  ("inner_thoughts", "misread"), ("story_leads",)])
def test_missing_bank_key_fails_at_load_naming_the_key(monkeypatch: pytest.MonkeyPatch, path: tuple[str, ...]) -> None:
    bank = _bank_without(path)
    monkeypatch.setattr(utterance_module, "read_json", lambda name: bank)
    with pytest.raises(ValueError, match=re.escape(".".join(path))):
        UtteranceGenerator()


def test_unknown_slot_or_short_list_in_the_bank_fails_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    bank = read_json("utterances.json")
    bank["cues"]["venting"]["explicit"][0] = "I need {listener} to hear me."
    monkeypatch.setattr(utterance_module, "read_json", lambda name: bank)
    with pytest.raises(ValueError, match="listener"):
        UtteranceGenerator()
    bank = read_json("utterances.json")
    bank["closings"]["F"]["open"] = bank["closings"]["F"]["open"][:2]
    monkeypatch.setattr(utterance_module, "read_json", lambda name: bank)
    with pytest.raises(ValueError, match="closings.F.open"):
        UtteranceGenerator()


# ---------------------------------------------------------------------------------------------
# Shipped profiles
# ---------------------------------------------------------------------------------------------
def test_replies_for_shipped_profiles_are_clean_and_never_leak_the_need(generator: UtteranceGenerator) -> None:
    from empathy_gym.profiles import load_profiles

    profiles = load_profiles("train")
    assert profiles
    rng = np.random.default_rng(0)
    for profile in profiles:
        explicit = rendered(BANK["cues"][profile.hidden_intention]["explicit"], profile)
        assert generator.opening(profile) == profile.opening_message
        for beat in range(len(profile.story)):
            for cue in CUE_LEVELS:
                turn = outcome(cue=cue, cue_intention=profile.hidden_intention, story_beat=beat,
                               expressiveness=float(rng.random()))
                text = generator.reply(profile, turn, rng)
                assert text and set(text) <= ALLOWED and "{" not in text, (profile.id, text)
                if cue != "explicit" and profile.persona.speaking_style == "plain":
                    assert not any(line in text for line in explicit), (profile.id, text)
        thought = generator.inner_thought(["served_need", "repetitive"], profile=profile,
                                          perceived_intention=profile.hidden_intention,
                                          strategy_phrase="listening", rng=rng)
        assert set(thought) <= ALLOWED and "{" not in thought, thought
