"""The parametric user is hard to game: no trick earns more than the honest scripted heuristic."""

import gymnasium as gym
import pytest

from empathy_gym.evaluation import evaluate
from empathy_gym.policies.adversarial import TRICKS, TrickPolicy
from empathy_gym.policies.reference import HeuristicPolicy

SEEDS = (0,)


@pytest.fixture(scope="module")
def heuristic_score():
    return evaluate(HeuristicPolicy(), split="test", difficulty="normal", seeds=SEEDS)[1]["mean_final_emotion"]


def test_every_gaming_attempt_named_by_the_issue_is_covered():
    assert {"repeat_one_phrase", "keyword_stuffing", "paste_user_words", "garbled", "very_long_padding",
            "instruct_simulator", "fake_system_tag"} <= set(TRICKS)


@pytest.mark.parametrize("trick", list(TRICKS))
def test_gaming_attempt_scores_below_the_honest_heuristic(trick, heuristic_score):
    score = evaluate(TrickPolicy(trick), env_id="EmpathyGym/Support-v0", split="test", difficulty="normal",
                     seeds=SEEDS)[1]
    assert score["mean_final_emotion"] < heuristic_score, (trick, score, heuristic_score)


@pytest.mark.parametrize("trick", ["instruct_simulator", "fake_system_tag", "chat_template_injection",
                                   "injection_wrapped_in_support"])
def test_instructions_to_the_simulator_lower_the_emotion(trick):
    env = gym.make("EmpathyGym/Support-v0")
    obs, info = env.reset(seed=0)
    policy = TrickPolicy(trick)
    policy.reset(obs, info, env)
    info = env.step(policy.act(obs, info))[4]
    assert info["delta"] < 0 and "manipulative" in info["reasons"]


def test_unknown_trick_is_rejected():
    with pytest.raises(ValueError, match="keyword_stuffing"):
        TrickPolicy("flattery")
