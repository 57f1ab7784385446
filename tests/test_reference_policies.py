"""The reference policies bracket the simulator as the issue requires (oracle >> heuristic >> random)."""

import pytest

from empathy_gym.evaluation import score_reference_policies
from empathy_gym.policies.reference import ConstantPolicy, reference_policies
from empathy_gym.vocabulary import STRATEGIES


@pytest.fixture(scope="module")
def scores():
    return score_reference_policies(split="test", seeds=(0,))


def test_every_reference_policy_is_scored_at_every_preset(scores):
    assert list(scores) == ["simple", "normal", "challenging"]
    expected = {"random", "heuristic", "oracle", *(f"always_{s}" for s in STRATEGIES)}
    assert all(set(by_policy) == expected for by_policy in scores.values())
    assert all(s["episodes"] == 100 for by_policy in scores.values() for s in by_policy.values())


def test_oracle_beats_random_by_30_points_at_normal(scores):
    normal = scores["normal"]
    assert normal["oracle"]["mean_final_emotion"] >= normal["random"]["mean_final_emotion"] + 30


def test_heuristic_lies_between_random_and_oracle_at_normal(scores):
    normal = scores["normal"]
    assert normal["random"]["mean_final_emotion"] < normal["heuristic"]["mean_final_emotion"] \
        < normal["oracle"]["mean_final_emotion"]


def test_every_reference_policy_scores_lower_at_challenging_than_normal(scores):
    for name in scores["normal"]:
        assert scores["challenging"][name]["mean_final_emotion"] < scores["normal"][name]["mean_final_emotion"], name


def test_no_single_strategy_matches_the_heuristic_at_normal(scores):
    normal = scores["normal"]
    best_single = max(normal[f"always_{s}"]["mean_final_emotion"] for s in STRATEGIES)
    assert best_single < normal["heuristic"]["mean_final_emotion"]


def test_constant_policy_rejects_unknown_strategies():
    with pytest.raises(ValueError, match="open_question"):
        ConstantPolicy("hug")


def test_reference_policies_are_named_consistently():
    policies = reference_policies(rng=0)
    assert all(policy.name == name for name, policy in policies.items())
