"""The evaluation suite: determinism, confidence intervals, breakdowns, policy loading, reports."""

import json
import math

import numpy as np
import pytest

from empathy_gym.evaluation import (
    EVAL_SETTINGS,
    CallablePolicy,
    evaluate,
    evaluate_suite,
    load_policy,
    suite_episodes,
    suite_markdown,
    summarise,
)
from empathy_gym.policies.reference import HeuristicPolicy, RandomPolicy
from empathy_gym.vocabulary import STRATEGIES


def test_same_seed_gives_the_same_numbers_and_another_seed_does_not():
    first = evaluate(RandomPolicy(rng=5), seeds=(3,))
    second = evaluate(RandomPolicy(rng=5), seeds=(3,))
    assert first[1] == second[1]
    assert [r.actions for r in first[0]] == [r.actions for r in second[0]]
    other = evaluate(RandomPolicy(rng=5), seeds=(4,))
    assert other[1]["mean_final_emotion"] != first[1]["mean_final_emotion"]


def test_confidence_interval_shrinks_as_episodes_are_added():
    widths = [evaluate(RandomPolicy(rng=0), seeds=range(n))[1]["ci95"] for n in (1, 4)]
    assert widths[1] < widths[0]
    # and it is the t-based half-width (199 degrees of freedom) of the episodes' final emotions
    records, summary = evaluate(HeuristicPolicy(), seeds=(0, 1))
    finals = np.array([r.final_emotion for r in records], dtype=float)
    assert summary["episodes"] == 200
    assert summary["ci95"] == pytest.approx(1.971957 * finals.std(ddof=1) / math.sqrt(200), rel=1e-5)


def test_summary_breaks_down_by_intention_and_strategy():
    records, summary = evaluate(HeuristicPolicy(), seeds=(0,))
    per_intention = summary["per_intention"]
    assert sum(cell["episodes"] for cell in per_intention.values()) == len(records) == 100
    for intention, cell in per_intention.items():
        finals = [r.final_emotion for r in records if r.hidden_intention == intention]
        assert cell["mean_final_emotion"] == pytest.approx(np.mean(finals))
    shares = summary["strategy_distribution"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert set(shares) <= set(STRATEGIES)
    assert list(shares.values()) == sorted(shares.values(), reverse=True)
    assert sum(len(r.strategies) for r in records) == sum(r.turns for r in records)
    assert summary["mean_entropy"] is None  # the heuristic is deterministic and reports none


def test_entropy_is_reported_for_policies_that_have_one():
    summary = evaluate(RandomPolicy(rng=1), seeds=(0,))[1]
    assert summary["mean_entropy"] == pytest.approx(math.log(len(STRATEGIES)))


def test_text_policies_get_the_strategy_the_user_read():
    policy = CallablePolicy(lambda observation: "That sounds really hard. How are you feeling about it now?")
    records, summary = evaluate(policy, env_id="EmpathyGym/Support-v0", seeds=(0,))
    assert all(isinstance(action, str) for action in records[0].actions)
    assert set(summary["strategy_distribution"]) <= set(STRATEGIES) | {"none"}
    assert summary["episodes"] == 100


def test_a_plain_callable_is_a_policy_and_junk_is_refused():
    records, _ = evaluate(lambda observation: 0, seeds=(0,))
    assert all(set(r.actions) == {0} for r in records)
    with pytest.raises(TypeError, match="policy needs reset"):
        evaluate(42, seeds=(0,))


def test_evaluation_settings_are_the_protocol_ones():
    normal = EVAL_SETTINGS["normal"]
    assert (normal.initial_emotion, normal.max_turns) == (40, 10)
    records, _ = evaluate(RandomPolicy(rng=0), difficulty="challenging", seeds=(0,))
    assert all(r.turns <= EVAL_SETTINGS["challenging"].max_turns for r in records)


def test_suite_covers_every_cell_and_renders_json_and_markdown():
    counted = []
    report = evaluate_suite(HeuristicPolicy(), seeds=(0,), on_episode=counted.append)
    assert list(report["cells"]) == ["test/normal", "test/challenging", "ood/normal", "ood/challenging"]
    assert len(counted) == suite_episodes(seeds=(0,)) == 2 * (100 + 80)
    assert report["cells"]["ood/normal"]["episodes"] == 80
    assert json.loads(json.dumps(report)) == report
    text = suite_markdown(report)
    for cell in report["cells"]:
        assert cell in text
    assert "practical_advice" in text and "| strategy " in text
    with pytest.raises(ValueError, match="unknown evaluation setting"):
        evaluate_suite(HeuristicPolicy(), settings=("hard",))


def test_load_policy_names_what_it_accepts(tmp_path):
    policy, env_id = load_policy("heuristic")
    assert isinstance(policy, HeuristicPolicy) and env_id == "EmpathyGym/SupportStrategy-v0"
    with pytest.raises(ValueError, match="reference policy .*PPO checkpoint"):
        load_policy("nonsense")
    with pytest.raises(ValueError, match="no PPO checkpoint"):
        load_policy(str(tmp_path / "missing.pt"))


def test_summarise_refuses_nothing():
    with pytest.raises(ValueError, match="zero episodes"):
        summarise([])
