"""Difficulty: validation, presets, levels and mappings."""

import dataclasses

import pytest

from empathy_gym.model.difficulty import AXES, PRESETS, UNIT_AXES, Difficulty, make_difficulty


def test_every_design_axis_exists_on_difficulty():
    names = {field.name for field in dataclasses.fields(Difficulty)}
    assert names == {"strictness", "reticence", "fragility", "noise", "fidelity",
                     "initial_emotion", "max_delta", "max_turns"} == set(AXES)


def test_difficulty_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Difficulty().strictness = 0.9


def test_presets_order_behavioural_axes_from_simple_to_challenging():
    simple, normal, challenging = PRESETS["simple"], PRESETS["normal"], PRESETS["challenging"]
    for axis in ("strictness", "reticence", "fragility", "noise"):
        assert getattr(simple, axis) < getattr(normal, axis) < getattr(challenging, axis), axis
    assert simple.fidelity > normal.fidelity > challenging.fidelity


def test_challenging_preset_never_reveals_and_credits_only_targeted_replies():
    challenging = PRESETS["challenging"]
    assert challenging.reticence == 1.0
    assert challenging.strictness >= 0.9


def test_level_endpoints_and_midpoint_are_the_presets():
    assert Difficulty.from_level(0.0) == PRESETS["simple"]
    assert Difficulty.from_level(0.5) == PRESETS["normal"]
    assert Difficulty.from_level(1.0) == PRESETS["challenging"]


def test_level_interpolates_monotonically():
    levels = [Difficulty.from_level(x / 10) for x in range(11)]
    for axis in ("strictness", "reticence", "fragility", "noise"):
        values = [getattr(d, axis) for d in levels]
        assert values == sorted(values), axis
    fidelities = [d.fidelity for d in levels]
    assert fidelities == sorted(fidelities, reverse=True)


def test_mapping_overrides_single_axes_on_normal_by_default():
    d = make_difficulty({"strictness": 0.9, "reticence": 0.2})
    assert (d.strictness, d.reticence) == (0.9, 0.2)
    assert d.fragility == PRESETS["normal"].fragility


def test_mapping_can_name_a_preset_or_level_as_base():
    assert make_difficulty({"preset": "challenging", "noise": 0.0}).strictness == PRESETS["challenging"].strictness
    assert make_difficulty({"level": 0.0, "max_turns": 5}) == PRESETS["simple"].replace(max_turns=5)


@pytest.mark.parametrize("spec", ["simple", 0.3, {"strictness": 0.9}, Difficulty(noise=0.0), None])
def test_make_difficulty_accepts_every_documented_form(spec):
    assert isinstance(make_difficulty(spec), Difficulty)


@pytest.mark.parametrize(
    "spec, words",
    [
        ("hard", ["'hard'", "simple", "normal", "challenging"]),
        (1.5, ["1.5", "[0, 1]"]),
        (-0.1, ["-0.1"]),
        ({"strictnes": 0.5}, ["'strictnes'", "strictness", "max_turns"]),
        ({"strictness": 1.2}, ["strictness", "1.2", "[0, 1]"]),
        ({"fidelity": -0.5}, ["fidelity", "-0.5"]),
        ({"initial_emotion": 5}, ["initial_emotion", "10..99"]),
        ({"max_turns": 0}, ["max_turns", "1..100"]),
        ({"max_delta": 0}, ["max_delta", "None"]),
        ({"noise": "high"}, ["noise", "'high'"]),
        ({"preset": "simple", "level": 0.2}, ["preset", "level"]),
        ([0.1, 0.2], ["preset", "level", "mapping"]),
        (True, ["True"]),
    ],
)
def test_bad_difficulty_raises_value_error_naming_value_and_allowed(spec, words):
    with pytest.raises(ValueError) as error:
        make_difficulty(spec)
    for word in words:
        assert word in str(error.value)


def test_unit_axes_are_stored_as_floats_and_counts_as_ints():
    d = Difficulty(strictness=1, initial_emotion=30, max_delta=10, max_turns=8)
    assert isinstance(d.strictness, float) and d.strictness == 1.0
    assert (d.initial_emotion, d.max_delta, d.max_turns) == (30, 10, 8)
    assert all(isinstance(getattr(d, axis), float) for axis in UNIT_AXES)


def test_to_dict_is_fresh_and_round_trips():
    d = PRESETS["challenging"]
    first = d.to_dict()
    first["strictness"] = 0.0
    assert d.to_dict()["strictness"] == d.strictness
    assert Difficulty(**d.to_dict()) == d


def test_none_means_the_default_difficulty():
    assert make_difficulty(None) == PRESETS["normal"]
    assert make_difficulty(None, default="challenging") == PRESETS["challenging"]
