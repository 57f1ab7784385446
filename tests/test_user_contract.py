"""The simulated-user contract: a user kind written outside the package plugs into the envs unchanged."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import empathy_gym  # noqa: F401
from empathy_gym.envs.registration import env_ids
from empathy_gym.model import user_kinds as kinds_module
from empathy_gym.model.difficulty import Difficulty
from empathy_gym.model.emotion import NOISE_SD, settle_emotion
from empathy_gym.model.expression import Expression
from empathy_gym.model.parametric import ParametricUser
from empathy_gym.model.reading import Appraisal, DialogueContext, Reader
from empathy_gym.model.user import Conversation, SimulatedUser, UserTurn
from empathy_gym.model.user_kinds import make_user, register_user_kind, user_kinds
from empathy_gym.vocabulary import STRATEGIES

QUIET = {"noise": 0.0, "fidelity": 1.0}


class SteadyUser(SimulatedUser):
    """Always says the same and moves the emotion by ``step`` points a turn (plus the difficulty's noise)."""

    def __init__(self, step: int = 5) -> None:
        self.step = step

    def start(self, profile, difficulty, rng):
        self._state = Conversation(profile, difficulty, difficulty.initial_emotion, 0, ("Hello.",), ())
        return "Hello."

    def respond(self, reply, rng):
        state = self._state
        settled = settle_emotion(state.emotion, self.step, state.difficulty, float(rng.standard_normal()))
        self._state = Conversation(state.profile, state.difficulty, settled.emotion, state.turn + 1,
                                   state.user_turns + ("I see.",), state.agent_turns + (reply,))
        return UserTurn(text="I see.", emotion=settled.emotion, delta=settled.delta, state=settled.state,
                        inner_thought=f"moved by {self.step}")


def test_a_user_class_from_outside_the_package_plays_through_gym_make():
    env = gym.make("EmpathyGym/Support-v0", user=SteadyUser, difficulty={**QUIET, "max_turns": 20})
    obs, info = env.reset(seed=0)
    assert obs["text"] == "Hello." and info["emotion"] == 40
    emotions = []
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step("How are you?")
        emotions.append(info["emotion"])
    assert emotions == [45, 50, 55] and reward == pytest.approx(0.05) and obs["text"] == "I see."
    assert info["appraisal"] is None and info["inner_thought"] == "moved by 5" and info["cue"] == "unknown"
    check_env(gym.make("EmpathyGym/Support-v0", user=SteadyUser).unwrapped)


def test_an_outside_user_ends_episodes_by_the_envs_rules_and_takes_options():
    env = gym.make("EmpathyGym/SupportStrategy-v0", user=SteadyUser, user_options={"step": 30},
                   difficulty={**QUIET, "max_turns": 10})
    env.reset(seed=1)
    *_, terminated, _, info = env.step(0)
    *_, terminated, _, info = env.step(1)
    assert terminated and info["reason"] == "resolved" and info["final_emotion"] == 100


@pytest.mark.parametrize("env_id", ["EmpathyGym/Support-v0", "EmpathyGym/SupportStrategy-v0"])
def test_the_native_vector_env_runs_an_outside_user_as_sync_vector_env_does(env_id):
    action = "Tell me more." if "Strategy" not in env_id else 0
    native = gym.make_vec(env_id, num_envs=3, user=SteadyUser, difficulty={"noise": 1.0})
    sync = gym.make_vec(env_id, num_envs=3, vectorization_mode="sync", user=SteadyUser, difficulty={"noise": 1.0})
    assert type(native).__name__.startswith("Empathy")
    for envs in (native, sync):
        envs.reset(seed=5)
    for _ in range(4):
        a, b = native.step([action] * 3), sync.step([action] * 3)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0]["emotion"], b[0]["emotion"])
        assert list(a[4]["inner_thought"]) == list(b[4]["inner_thought"])


def test_a_registered_kind_is_chosen_by_name_and_listed(monkeypatch):
    monkeypatch.setattr(kinds_module, "_KINDS", dict(kinds_module._KINDS))
    register_user_kind("steady", SteadyUser, "moves by a fixed step")
    assert user_kinds() == ("parametric", "llm", "steady")
    env = gym.make("EmpathyGym/Support-v0", user="steady", user_options={"step": 2}, difficulty=QUIET)
    env.reset(seed=0)
    assert env.step("Hi.")[4]["delta"] == 2
    with pytest.raises(ValueError, match="already registered"):
        register_user_kind("steady", SteadyUser)
    with pytest.raises(ValueError, match="must be an identifier"):
        register_user_kind("not a name", SteadyUser)


def test_bad_user_choices_and_options_name_what_is_allowed():
    with pytest.raises(ValueError, match=r"user must be one of 'parametric', 'llm'.*got 'gpt'"):
        make_user("gpt")
    with pytest.raises(ValueError, match=r"user='SteadyUser' takes no option 'speed' \(it takes step\)"):
        gym.make("EmpathyGym/Support-v0", user=SteadyUser, user_options={"speed": 3})
    with pytest.raises(ValueError, match=r"takes no option 'backend'.*backend is for user='llm'"):
        gym.make("EmpathyGym/Support-v0", backend=object())
    with pytest.raises(TypeError, match="built a str, not a SimulatedUser"):
        make_user(lambda: "not a user")
    with pytest.raises(TypeError, match="must be a registered kind"):
        make_user(42)


def test_registry_kinds_are_the_env_table_backends():
    assert set(user_kinds()) >= {"parametric", "llm"}
    for kind in ("parametric", "llm"):
        assert env_ids(backend=kind)
    with pytest.raises(ValueError, match="registered user kinds"):
        env_ids(backend="nonsense")


def test_expression_needs_a_user_that_supports_it_and_changes_nothing_when_refused():
    env = gym.make("EmpathyGym/SupportStrategy-v0", user=SteadyUser).unwrapped
    env.reset(seed=0)
    before = env.np_random.bit_generator.state, env.transcript
    with pytest.raises(ValueError, match="needs the parametric user, not SteadyUser"):
        env.step(0, expression=Expression())
    assert (env.np_random.bit_generator.state, env.transcript) == before
    assert ParametricUser.supports_expression and not SteadyUser.supports_expression


class OneMoveReader:
    """Reads every reply as one clean open question."""

    def appraise(self, reply: str, context: DialogueContext) -> Appraisal:
        weights = np.zeros(len(STRATEGIES))
        weights[STRATEGIES.index("open_question")] = 1.0
        return Appraisal(weights, relevance=1.0, repetition=0.0, echo=0.0, garbled=0.0, hostility=0.0,
                         injection=0.0, stuffing=0.0, verbosity=0.0, question=1.0, n_words=len(reply.split()))


def test_the_parametric_user_reads_with_a_reader_passed_to_it():
    assert isinstance(OneMoveReader(), Reader)
    env = gym.make("EmpathyGym/Support-v0", user_options={"reader": OneMoveReader()}).unwrapped
    env.reset(seed=0)
    info = env.step("You are an idiot.")[4]
    assert info["appraisal"]["dominant_strategy"] == "open_question" and info["appraisal"]["hostility"] == 0.0
    with pytest.raises(TypeError, match="reader must have an appraise"):
        ParametricUser(reader=object())


def test_settle_emotion_adds_noise_then_clamps_then_keeps_the_score_in_bounds():
    calm = Difficulty(noise=0.0, max_delta=None)
    assert settle_emotion(40, 7.4, calm, 3.0).emotion == 47
    noisy = Difficulty(noise=0.5, max_delta=10)
    settled = settle_emotion(40, 2.0, noisy, 1.0)
    assert settled.felt == pytest.approx(2.0 + 0.5 * NOISE_SD) and settled.delta == 5 and settled.state == "B"
    assert settle_emotion(40, 30.0, noisy, 0.0).delta == 10  # clamped
    assert settle_emotion(95, 30.0, calm, 0.0).emotion == 100 and settle_emotion(3, -30.0, calm, 0.0).emotion == 0
    assert settle_emotion(95, 30.0, calm, 0.0).felt == 30.0  # what was felt, before clamp and bounds


def test_respond_together_by_default_equals_responding_one_by_one():
    profile = empathy_gym.load_profiles("test")[0]
    users = [ParametricUser() for _ in range(3)]
    twins = [ParametricUser() for _ in range(3)]
    for group in (users, twins):
        for seed, user in enumerate(group):
            user.start(profile, Difficulty(), np.random.default_rng(seed))
    replies = ["What happened?", "That sounds hard.", "It was not your fault."]
    together = ParametricUser.respond_together(users, replies, [np.random.default_rng(9 + i) for i in range(3)])
    alone = [t.respond(r, np.random.default_rng(9 + i)) for i, (t, r) in enumerate(zip(twins, replies))]
    assert [(t.text, t.emotion, t.reasons) for t in together] == [(t.text, t.emotion, t.reasons) for t in alone]
