"""verl's multi-turn interaction API played by an EmpathyGym env, loaded through verl's own registry.

verl 0.7 needs numpy<2, so this runs in the verl virtual environment (constraints-verl.txt; CI's
third block); elsewhere it is skipped.
"""

import asyncio

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401

pytest.importorskip("verl.interactions.base")

from verl.interactions.base import BaseInteraction  # noqa: E402
from verl.interactions.utils.interaction_registry import initialize_interactions_from_config  # noqa: E402

from empathy_gym.integrations.verl import EmpathyInteraction, verl_rows  # noqa: E402

ENV_KWARGS = {"difficulty": {"max_turns": 4}, "split": "test"}
REPLIES = ["That sounds hard. What happened?", "It was not your fault.", "whatever", "Tell me more about it."]


def _config_file(tmp_path, **config):
    lines = ["interaction:", "  - name: empathy", "    class_name: empathy_gym.integrations.verl.EmpathyInteraction",
             "    config:"]
    lines += [f"      {key}: {value!r}" if isinstance(value, str) else f"      {key}: {value}"
              for key, value in config.items()]
    path = tmp_path / "interaction.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _play(interaction, row):
    """What verl's tool_agent loop does with one dataset row: start, answer each assistant turn, score, finalize."""
    kwargs = row["extra_info"]["interaction_kwargs"]
    messages = list(row["prompt"])

    async def run():
        request = await interaction.start_interaction("request-1", **kwargs)
        scores, answers, ended = [], [], False
        for reply in REPLIES:
            messages.append({"role": "assistant", "content": reply})
            ended, answer, score, metrics = await interaction.generate_response(request, messages, **kwargs)
            messages.append({"role": "user", "content": answer})
            scores.append(score)
            answers.append(answer)
            if ended:
                break
        total = await interaction.calculate_score(request)
        await interaction.finalize_interaction(request)
        return scores, answers, ended, total, metrics

    return asyncio.run(run())


def test_verls_registry_loads_the_interaction_and_a_conversation_scores_the_envs_return(tmp_path):
    path = _config_file(tmp_path, env_id="EmpathyGym/Support-v0", env_kwargs=ENV_KWARGS)
    interaction = initialize_interactions_from_config(str(path))["empathy"]
    assert isinstance(interaction, EmpathyInteraction) and isinstance(interaction, BaseInteraction)
    row = verl_rows("EmpathyGym/Support-v0", ENV_KWARGS, rows=3, seed=1)[1]
    scores, answers, ended, total, metrics = _play(interaction, row)

    # The same person, seed and replies in a plain env: the same user turns, the same rewards.
    key = row["extra_info"]["interaction_kwargs"]
    env = gym.make("EmpathyGym/Support-v0", reward_mode="terminal", **ENV_KWARGS)
    observation, _ = env.reset(seed=key["env_seed"], options={"profile_id": key["profile_id"]})
    assert row["prompt"][-1] == {"role": "user", "content": observation["text"]}  # the opening the policy saw
    expected_scores, expected_answers = [], []
    for reply in REPLIES[:len(scores)]:
        observation, reward, terminated, truncated, info = env.step(reply)
        expected_scores.append(reward)
        expected_answers.append(observation["text"])
    assert ended and (terminated or truncated)
    assert scores == expected_scores and answers == expected_answers
    assert total == pytest.approx(sum(scores)) == pytest.approx(info["final_emotion"] / 100)
    assert metrics["final_emotion"] == info["final_emotion"] and metrics["reason"] == info["reason"]
    assert interaction._conversations == {}  # finalized


def test_rows_give_each_profile_once_per_pass_with_the_interactions_name():
    rows = verl_rows("EmpathyGym/Support-v0", ENV_KWARGS, rows=120, seed=0, interaction_name="support")
    ids = [row["extra_info"]["interaction_kwargs"]["profile_id"] for row in rows]
    assert len(set(ids[:100])) == 100 and len(rows) == 120
    assert {row["extra_info"]["interaction_kwargs"]["name"] for row in rows} == {"support"}
    assert [message["role"] for message in rows[0]["prompt"]] == ["system", "user"]


def test_bad_configs_and_calls_are_refused_with_what_is_allowed(tmp_path):
    with pytest.raises(ValueError, match="unknown EmpathyInteraction config key.*'difficulty'"):
        initialize_interactions_from_config(str(_config_file(tmp_path, difficulty="normal")))
    with pytest.raises(ValueError, match="needs a text env"):
        EmpathyInteraction({"name": "empathy", "env_id": "EmpathyGym/SupportStrategy-v0"})
    interaction = EmpathyInteraction({"name": "empathy", "env_kwargs": ENV_KWARGS})
    with pytest.raises(KeyError, match="call start_interaction first"):
        asyncio.run(interaction.generate_response("nobody", [{"role": "assistant", "content": "Hi."}]))
