"""TRL GRPO on whole conversations: two real GRPOTrainer steps through ConversationRollout on a tiny model built here."""

import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import empathy_gym  # noqa: F401

pytest.importorskip("trl")

import torch  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from empathy_gym.integrations.trl import (  # noqa: E402
    ConversationRollout,
    EpisodeKey,
    episode_return_reward,
    prompt_dataset,
)
from empathy_gym.model.llm import CallableBackend  # noqa: E402
from empathy_gym.model.llm.tiny import supporter_words, tiny_random_chat_model  # noqa: E402
from empathy_gym.profiles import load_profiles  # noqa: E402
from llm_fakes import ScriptedModel  # noqa: E402

ENV = {"difficulty": {"max_turns": 3}}  # RLVER's terminal reward (the rollout's default) on short conversations
G = 2  # completions per prompt


def _tiny(seed=1):
    return tiny_random_chat_model(vocabulary=supporter_words(300), seed=seed)


class RecordingTrainer(GRPOTrainer):
    """GRPOTrainer that keeps each generation batch's completion and loss masks (what the loss sums over)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_masks = []

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        mask = output["completion_mask"] * output.get("tool_mask", torch.ones_like(output["completion_mask"]))
        self.loss_masks.append(mask.tolist())
        return output


@pytest.fixture(scope="module")
def grpo_run(tmp_path_factory):
    """Two GRPO steps of 2 prompts x G completions on EmpathyGym/Support-v0; every rollout and reward is recorded."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    model, tokenizer = _tiny()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    rollout = ConversationRollout("EmpathyGym/Support-v0", **ENV)
    rollouts, rewards = [], []

    def recording_rollout(prompts, trainer):
        output = rollout(prompts, trainer)
        rollouts.append((list(prompts), output))
        return output

    def episode_return(**fields):
        given = episode_return_reward(**fields)
        rewards.append((fields, given))
        return given

    config = GRPOConfig(output_dir=str(tmp_path_factory.mktemp("grpo")), per_device_train_batch_size=2 * G,
                        num_generations=G, max_steps=2, max_completion_length=8, learning_rate=5e-2,
                        logging_steps=1, report_to="none", use_cpu=True, save_strategy="no", seed=0,
                        disable_tqdm=True)
    trainer = RecordingTrainer(model=model, reward_funcs=episode_return, args=config,
                               train_dataset=prompt_dataset("train", rows=8, seed=0), processing_class=tokenizer,
                               rollout_func=recording_rollout)
    trainer.train()
    yield {"before": before, "model": model, "tokenizer": tokenizer, "rollouts": rollouts, "rewards": rewards,
           "trainer": trainer}
    rollout.close()


def _spans(ids, mask):
    """Consecutive runs of ids with the same mask value: [(mask value, ids), ...]."""
    spans = []
    for token, bit in zip(ids, mask):
        if spans and spans[-1][0] == bit:
            spans[-1][1].append(token)
        else:
            spans.append((bit, [token]))
    return spans


def test_two_grpo_steps_through_the_rollout_change_the_weights(grpo_run):
    assert len(grpo_run["rollouts"]) == 2  # one generation batch per step
    changed = [name for name, tensor in grpo_run["model"].state_dict().items()
               if not torch.equal(tensor, grpo_run["before"][name])]
    assert changed
    # Not vacuous: some group's completions earned different returns, so some advantages were non-zero.
    returns = [np.array(output["episode_return"]).reshape(-1, G) for _, output in grpo_run["rollouts"]]
    assert any(np.ptp(group) > 0 for batch in returns for group in batch)
    logged = grpo_run["trainer"].state.log_history[0]
    for metric in ("empathy/final_emotion", "empathy/success_rate", "empathy/failure_rate", "empathy/turns"):
        assert metric in logged


def test_episodes_are_multi_turn_and_the_g_completions_of_a_group_saw_the_same_opening(grpo_run):
    for prompts, output in grpo_run["rollouts"]:
        assert len(prompts) == len(output["completion_ids"]) == 2 * G
        assert max(output["turns"]) == 3 and min(output["turns"]) >= 1
        for start in range(0, len(prompts), G):
            group = range(start, start + G)
            key = EpisodeKey.from_prompt(prompts[start])
            assert {prompts[i] for i in group} == {key.to_prompt()}
            assert all(output["prompt_ids"][i] == output["prompt_ids"][start] for i in group)
            env = gym.make("EmpathyGym/Support-v0", **ENV)
            opening = env.reset(seed=key.env_seed, options={"profile_id": key.profile_id})[0]["text"]
            assert [output["transcript"][i][0]["text"] for i in group] == [opening] * G


def test_the_loss_mask_covers_exactly_the_policys_tokens(grpo_run):
    tokenizer = grpo_run["tokenizer"]
    eos = tokenizer.eos_token_id
    loss_masks = grpo_run["trainer"].loss_masks
    assert len(loss_masks) == len(grpo_run["rollouts"])
    for (_, output), trainer_mask in zip(grpo_run["rollouts"], loss_masks):
        for row, (ids, mask) in enumerate(zip(output["completion_ids"], output["env_mask"])):
            # What the trainer's loss sums over is the rollout's mask, padding excluded.
            assert trainer_mask[row] == mask + [0] * (len(trainer_mask[row]) - len(mask))
            spans = _spans(ids, mask)
            policy = [span for bit, span in spans if bit == 1]
            user = [span for bit, span in spans if bit == 0]
            assert [bit for bit, _ in spans] == [1, 0] * (len(policy) - 1) + [1]  # reply, user turn, ..., reply
            assert len(policy) == output["turns"][row]
            # The policy's spans are the replies the env was sent, at most 8 tokens each (max_completion_length).
            decoded = [tokenizer.decode([t for t in span if t != eos], skip_special_tokens=True) for span in policy]
            assert decoded == output["replies"][row]
            assert all(len(span) <= 8 for span in policy)
            # The other spans are the user's turns, as the tiny chat template writes a user message.
            said = [entry["text"] for entry in output["transcript"][row][1:] if entry["speaker"] == "user"]
            for reply, span, text in zip(policy, user, said):
                ending = "" if reply[-1] == eos else " </s>"
                expected = f"{ending} <s> user : {text} </s> <s> assistant : "
                assert span == tokenizer(expected, add_special_tokens=False)["input_ids"]


def test_the_rewards_are_the_envs_episode_returns_for_the_same_seeds(grpo_run):
    checked = 0
    for fields, given in grpo_run["rewards"]:
        for profile_id, env_seed, replies, reward in zip(fields["profile_id"], fields["env_seed"], fields["replies"],
                                                         given):
            env = gym.make("EmpathyGym/Support-v0", reward_mode="terminal", **ENV)
            env.reset(seed=env_seed, options={"profile_id": profile_id})
            total = 0.0
            for reply in replies:
                _, step_reward, terminated, truncated, _ = env.step(reply)
                total += step_reward
            assert terminated or truncated
            assert reward == pytest.approx(total)
            checked += 1
    assert checked == 2 * 2 * G


def test_greedy_rollouts_are_deterministic_per_seed():
    model, tokenizer = _tiny(seed=2)
    rollout = ConversationRollout(greedy=True, max_reply_tokens=6, split="test", **ENV)
    prompts = list(prompt_dataset("test", rows=3, seed=5)["prompt"])
    first, second = (rollout.play(prompts, model, tokenizer) for _ in range(2))
    assert first["transcript"] == second["transcript"]
    assert first["completion_ids"] == second["completion_ids"] and first["env_mask"] == second["env_mask"]
    other_seed = json.dumps({**json.loads(prompts[0]), "env_seed": 123})
    third = rollout.play([other_seed, *prompts[1:]], model, tokenizer)
    assert third["transcript"][1:] == first["transcript"][1:]  # a conversation does not depend on its neighbours
    assert third["transcript"][0] != first["transcript"][0]


def test_an_llm_user_answers_all_live_conversations_in_one_batch_per_phase():
    scripted = ScriptedModel()
    rollout = ConversationRollout("EmpathyGym/SupportLLM-v0", backend=CallableBackend(scripted.batch, batched=True),
                                  greedy=True, max_reply_tokens=6, **ENV)
    model, tokenizer = _tiny()
    output = rollout.play(list(prompt_dataset("train", rows=4, seed=1)["prompt"]), model, tokenizer)
    # Each turn: one analysis batch and one reply batch over the conversations still going.
    live = [sum(turns > turn for turns in output["turns"]) for turn in range(3)]
    assert scripted.batches == [size for size in live if size for _ in range(2)]
    assert output["llm_fallbacks"] == [0, 0, 0, 0]


class FixedAnswerModel(torch.nn.Module):
    """Stands in for a causal language model: every row of every batch generates ``answer`` (cut to the budget)."""

    def __init__(self, answer):
        super().__init__()
        self.answer = list(answer)
        self.generation_config = None

    @property
    def device(self):
        return torch.device("cpu")

    def generate(self, input_ids, attention_mask, generation_config):
        row = self.answer[:generation_config.max_new_tokens]
        return torch.cat([input_ids, torch.tensor([row] * len(input_ids), dtype=torch.long)], dim=1)


def test_replies_are_capped_before_the_env_sees_them_and_thinking_has_its_own_cap():
    _, tokenizer = _tiny()
    tokenizer.add_tokens(["<think>", "</think>"])
    words = tokenizer("you have been carrying a lot", add_special_tokens=False)["input_ids"]
    think, unthink = tokenizer.convert_tokens_to_ids(["<think>", "</think>"])
    answer = [think, *words * 3, unthink, *words, tokenizer.eos_token_id]
    prompts = list(prompt_dataset("train", rows=2, seed=2)["prompt"])

    plain = ConversationRollout(max_reply_tokens=40, max_reply_chars=12, **ENV)
    output = plain.play(prompts, FixedAnswerModel(answer), tokenizer)
    assert {reply for replies in output["replies"] for reply in replies} == {"<think> you "}  # the first 12 chars
    assert output["think_chars"] == [None, None]

    thinking = ConversationRollout(max_reply_tokens=40, think="strip", max_reply_chars=12, max_think_chars=40, **ENV)
    output = thinking.play(prompts, FixedAnswerModel(answer), tokenizer)
    sent = output["replies"][0][0]
    assert sent == "<think> you have been carrying a</think>you have bee"  # each part cut to its own limit
    said = [entry["text"] for entry in output["transcript"][0] if entry["speaker"] == "agent"]
    assert said == ["you have bee"] * output["turns"][0]  # the user reads the visible reply only
    assert output["think_chars"][0] == len("<think> you have been carrying a</think>") == 40
    # The tokens trained on are the ones generated, not the cut text the env was sent.
    assert _spans(output["completion_ids"][0], output["env_mask"][0])[0] == (1, answer)


def test_the_dataset_gives_each_profile_once_per_pass_with_its_own_seed():
    test_people = load_profiles("test")
    dataset = prompt_dataset("test", rows=150, seed=3)
    assert dataset.column_names == ["prompt", "profile_id", "env_seed", "hidden_intention"]
    first_pass = dataset["profile_id"][:100]
    assert sorted(first_pass) == sorted(profile.id for profile in test_people)
    assert len(set(dataset["profile_id"][100:])) == 50
    assert len(set(dataset["env_seed"])) == 150
    assert [EpisodeKey.from_prompt(prompt) for prompt in dataset["prompt"]] == \
        [EpisodeKey(pid, seed) for pid, seed in zip(dataset["profile_id"], dataset["env_seed"])]
    assert prompt_dataset("test", rows=150, seed=3)["prompt"] == dataset["prompt"]
    assert prompt_dataset("test", rows=150, seed=4)["prompt"] != dataset["prompt"]
    assert len(prompt_dataset(test_people[:5])) == 5


def test_bad_inputs_are_refused_with_the_value_and_what_is_allowed():
    model, tokenizer = _tiny()
    with pytest.raises(ValueError, match="needs a text env"):
        ConversationRollout("EmpathyGym/SupportStrategy-v0")
    with pytest.raises(ValueError, match="max_reply_tokens must be a positive integer, got 0"):
        ConversationRollout(max_reply_tokens=0)
    rollout = ConversationRollout(split="test", **ENV)
    with pytest.raises(ValueError, match="prompts made by prompt_dataset.*'How are you\\?'"):
        rollout.play(["How are you?"], model, tokenizer)
    with pytest.raises(ValueError, match="profiles \\['train-0001'\\] that this rollout's env does not have"):
        rollout.play([EpisodeKey("train-0001", 0).to_prompt()], model, tokenizer)
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        prompt_dataset("train", rows=0)
    with pytest.raises(ValueError, match="neither a shipped split"):
        prompt_dataset("nonsense")


def test_the_package_imports_without_trl_and_says_how_to_install_it():
    code = ("import sys; sys.modules['trl'] = None\n"
            "import empathy_gym, empathy_gym.integrations.trl as m\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "try:\n    m.prompt_dataset('train')\nexcept ImportError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'pip install -c constraints.txt "empathy_gym[trl]"' in result.stdout


def test_the_example_completes_with_an_llm_user_whose_server_fails_some_calls(capsys, monkeypatch):
    import runpy

    from llm_fakes import FakeOpenAIServer

    # HTTP 400 is not retried: every third call the LLM user falls back for that turn.
    with FakeOpenAIServer(faults=["400", None, None] * 200) as server:
        example = os.path.join(os.path.dirname(__file__), "..", "examples", "train_grpo.py")
        monkeypatch.setattr("sys.argv", [example, "--steps", "1", "--eval-users", "2",
                                         "--user-backend", f"openai:{server.base_url}#scripted"])
        runpy.run_path(example, run_name="__main__")
        failed = (len(server.requests) + 2) // 3  # the 1st, 4th, 7th, ... request got HTTP 400
    out = capsys.readouterr().out
    assert "trained 1 GRPO steps" in out and "test users" in out
    assert failed >= 3, f"only {len(server.requests)} calls reached the server"
