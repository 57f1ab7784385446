"""The parametric user's behaviour, pinned: needs, strictness, reticence, clamp, fatigue, trust."""

import gymnasium as gym
import numpy as np
import pytest

from empathy_gym import INTENTIONS, STRATEGIES, load_profiles
from empathy_gym.data import read_json
from empathy_gym.model.difficulty import PRESETS

TABLES = read_json("user_model.json")
PROFILES = load_profiles("test")


def _profiles_with(intention, count=6):
    return [p for p in PROFILES if p.hidden_intention == intention][:count]


def _first_turn_delta(strategy, profile, difficulty, seed):
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=difficulty, split="test")
    env.reset(seed=seed, options={"profile_id": profile.id})
    return env.step(STRATEGIES.index(strategy))[4]["delta"]


def _mean_delta(strategy, profiles, difficulty, seeds=range(4)):
    return np.mean([_first_turn_delta(strategy, p, difficulty, s) for p in profiles for s in seeds])


@pytest.mark.parametrize("intention", INTENTIONS)
def test_serving_strategies_raise_emotion_more_than_aversive_ones_at_normal(intention):
    profiles = _profiles_with(intention)
    serving = [_mean_delta(s, profiles, "normal") for s in TABLES["intentions"][intention]["serves"]]
    aversive = [_mean_delta(s, profiles, "normal") for s in TABLES["intentions"][intention]["hurts"]]
    assert min(serving) > max(aversive), (serving, aversive)
    assert min(serving) > 0 > max(aversive)


def test_harmful_strategies_lower_emotion_for_every_need():
    for strategy in ("minimise", "change_subject", "blame"):
        assert _mean_delta(strategy, PROFILES[::5], "normal") < -5


def _untargeted_kind_move(intention):
    spec = TABLES["intentions"][intention]
    return next(s for s in ("reflect_feelings", "paraphrase", "open_question")
                if s not in spec["serves"] and s not in spec["hurts"])


def test_strictness_removes_credit_for_generic_kindness():
    exact = {"noise": 0.0, "fidelity": 1.0}
    lenient, strict = [], []
    for intention in INTENTIONS:
        move = _untargeted_kind_move(intention)
        for profile in _profiles_with(intention, 3):
            lenient.append(_first_turn_delta(move, profile, {**exact, "strictness": 0.0}, 0))
            strict.append(_first_turn_delta(move, profile, {**exact, "strictness": 1.0}, 0))
    assert np.mean(lenient) >= 3
    assert np.mean(strict) <= 0
    assert all(s < l for s, l in zip(strict, lenient))


def test_strictness_does_not_remove_credit_for_targeted_replies():
    exact = {"noise": 0.0, "fidelity": 1.0}
    for profile in _profiles_with("not_at_fault", 3):
        lenient = _first_turn_delta("validate_blamelessness", profile, {**exact, "strictness": 0.0}, 0)
        strict = _first_turn_delta("validate_blamelessness", profile, {**exact, "strictness": 1.0}, 0)
        assert strict == lenient > 5


def _cue_rate(reticence, seeds=range(12)):
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"reticence": reticence, "max_turns": 8}, split="test")
    cues = turns = 0
    for seed in seeds:
        env.reset(seed=seed)
        for step in range(8):
            _, _, terminated, truncated, info = env.step((0, 2, 1, 11)[step % 4])
            cues += info["cue"] != "none"
            turns += 1
            if terminated or truncated:
                break
    return cues / turns


def test_reticence_reduces_cue_frequency():
    open_rate, middle_rate, closed_rate = _cue_rate(0.0), _cue_rate(0.5), _cue_rate(1.0)
    assert open_rate > middle_rate > closed_rate
    assert closed_rate == 0.0


def test_explicit_cues_only_come_from_open_users():
    def kinds(reticence):
        env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"reticence": reticence}, split="test")
        seen = []
        for seed in range(10):
            env.reset(seed=seed)
            for _ in range(4):
                _, _, terminated, truncated, info = env.step(0)
                seen.append(info["cue"])
                if terminated or truncated:
                    break
        return seen
    assert "explicit" in kinds(0.0)
    closed = kinds(0.95)
    assert "explicit" not in closed or closed.count("explicit") < closed.count("implicit")
    assert set(kinds(1.0)) == {"none"}


def test_questions_draw_out_more_cues_than_statements():
    def rate(action):
        env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"reticence": 0.3, "noise": 0.0}, split="test")
        cues = 0
        for seed in range(30):
            env.reset(seed=seed)
            cues += env.step(action)[4]["cue"] != "none"
        return cues
    assert rate(STRATEGIES.index("open_question")) > rate(STRATEGIES.index("generic_reassurance"))


@pytest.mark.parametrize("max_delta", [1, 3, 7])
def test_clamp_holds_for_every_turn(max_delta):
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"max_delta": max_delta, "noise": 1.0})
    rng = np.random.default_rng(0)
    deltas = []
    for seed in range(15):
        env.reset(seed=seed)
        for _ in range(10):
            _, _, terminated, truncated, info = env.step(int(rng.integers(15)))
            deltas.append(info["delta"])
            if terminated or truncated:
                break
    assert max(abs(d) for d in deltas) == max_delta


def test_unclamped_changes_exceed_a_small_clamp():
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"max_delta": None})
    env.reset(seed=0)
    assert abs(env.step(STRATEGIES.index("blame"))[4]["delta"]) > 7


def test_fatigue_lowers_credit_for_a_repeated_strategy():
    validate, listen = STRATEGIES.index("validate_blamelessness"), STRATEGIES.index("minimal_listening")
    exact = {"noise": 0.0, "fidelity": 1.0}
    fresh, tired = [], []
    for profile in _profiles_with("not_at_fault", 8):
        for seed in range(3):
            env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=exact, split="test")
            for history, bucket in (((listen, listen), fresh), ((validate, validate), tired)):
                env.reset(seed=seed, options={"profile_id": profile.id})
                for action in history:
                    env.step(action)
                bucket.append(env.step(validate)[4]["delta"])
    assert np.mean(tired) < np.mean(fresh) - 2, (np.mean(tired), np.mean(fresh))


def test_advice_lands_better_after_listening_builds_trust():
    exact = {"noise": 0.0, "fidelity": 1.0}
    cold, warm = [], []
    for profile in _profiles_with("practical_advice", 6):
        env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=exact, split="test")
        env.reset(seed=0, options={"profile_id": profile.id})
        cold.append(env.step(STRATEGIES.index("suggestion"))[4]["delta"])
        env.reset(seed=0, options={"profile_id": profile.id})
        env.step(STRATEGIES.index("reflect_feelings"))
        env.step(STRATEGIES.index("paraphrase"))
        warm.append(env.step(STRATEGIES.index("suggestion"))[4]["delta"])
    assert np.mean(warm) > np.mean(cold)


def test_a_misfit_stings_less_once_listening_has_built_trust():
    # Suggestions work against a venting person's need: cold they cost more than after two turns of listening.
    exact = {"noise": 0.0, "fidelity": 1.0}
    cold, warm = [], []
    for profile in _profiles_with("venting", 6):
        env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=exact, split="test")
        env.reset(seed=0, options={"profile_id": profile.id})
        cold.append(env.step(STRATEGIES.index("suggestion"))[4]["delta"])
        env.reset(seed=0, options={"profile_id": profile.id})
        env.step(STRATEGIES.index("open_question"))
        env.step(STRATEGIES.index("minimal_listening"))
        warm.append(env.step(STRATEGIES.index("suggestion"))[4]["delta"])
    assert np.mean(cold) < 0 and np.mean(warm) > np.mean(cold), (np.mean(cold), np.mean(warm))


def test_fragility_scales_the_cost_of_missteps():
    def blame_delta(fragility):
        return _mean_delta("blame", PROFILES[:10], {"fragility": fragility, "noise": 0.0}, seeds=[0])
    assert blame_delta(1.0) < blame_delta(0.5) < blame_delta(0.0) < 0


def test_low_fidelity_makes_the_user_misread_serving_replies():
    def mean(fidelity):
        return _mean_delta("validate_blamelessness", _profiles_with("not_at_fault", 6),
                           {"fidelity": fidelity, "noise": 0.0}, seeds=range(8))
    assert mean(1.0) > mean(0.3)


def test_noise_spreads_the_emotion_change():
    def spread(noise):
        env = gym.make("EmpathyGym/Support-v0", difficulty={"noise": noise, "fidelity": 1.0})
        deltas = []
        for seed in range(30):
            env.reset(seed=seed, options={"profile_id": env.unwrapped.profiles[0].id})
            deltas.append(env.step("That sounds really painful. What happened next?")[4]["delta"])
        return np.std(deltas)
    assert spread(0.0) == 0.0 < spread(1.0)


def test_initial_emotion_sets_the_starting_score():
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"initial_emotion": 30})
    obs, info = env.reset(seed=0)
    assert info["emotion"] == 30 and obs["emotion"][0] == 30


@pytest.mark.parametrize("characteristic", ["negative", "passive", "avoidant"])
def test_each_main_characteristic_changes_the_reaction(characteristic):
    from dataclasses import replace

    base = PROFILES[0]
    others = [c for c in ("negative", "passive", "avoidant") if c != characteristic]
    deltas = {}
    for c in [characteristic, *others]:
        profile = replace(base, persona=replace(base.persona, main_characteristic=c))
        env = gym.make("EmpathyGym/SupportStrategy-v0", profiles=[profile], difficulty={"noise": 0.0, "fidelity": 1.0})
        env.reset(seed=0)
        deltas[c] = (env.step(STRATEGIES.index("blame"))[4]["delta"], env.step(2)[4]["delta"])
    assert all(deltas[characteristic] != deltas[o] for o in others)


def test_inner_thought_explains_a_harmful_move():
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"noise": 0.0, "fidelity": 1.0})
    env.reset(seed=0)
    info = env.step(STRATEGIES.index("blame"))[4]
    assert info["reasons"][0] == "harmful" and info["inner_thought"]


def test_broken_user_model_tables_fail_loudly_naming_the_key(monkeypatch):
    from empathy_gym.model import parametric

    broken = read_json("user_model.json")
    broken["intentions"]["venting"]["serves"] = ["hugging"]
    with pytest.raises(ValueError, match=r"intentions\.venting\.serves.*hugging"):
        parametric._check_user_model(broken)
    broken = read_json("user_model.json")
    del broken["characteristics"]["passive"]["drift"]
    with pytest.raises(ValueError, match=r"characteristics\.passive.*drift"):
        parametric._check_user_model(broken)
    parametric._check_user_model(read_json("user_model.json"))
