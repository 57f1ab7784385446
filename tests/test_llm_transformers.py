"""The transformers backend on a tiny random model built in the test (no download): a full episode, batching, determinism."""

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401

pytest.importorskip("transformers")

from empathy_gym.model.llm import TransformersBackend, backend_from_spec  # noqa: E402
from empathy_gym.model.llm.tiny import tiny_random_chat_model  # noqa: E402

SHORT = {"analysis_tokens": 12, "reply_tokens": 12}


@pytest.fixture(scope="module")
def tiny():
    return tiny_random_chat_model(layers=2, seed=3)


def _episode(backend, seed, max_turns=10):
    env = gym.make("EmpathyGym/SupportLLM-v0", backend=backend, llm_options=SHORT, difficulty={"max_turns": max_turns})
    env.reset(seed=seed)
    infos = []
    while True:
        _, _, terminated, truncated, info = env.step("That sounds hard. What happened after that?")
        infos.append(info)
        if terminated or truncated:
            return env.unwrapped.transcript, infos


def test_a_full_episode_runs_on_gibberish_and_every_analysis_falls_back(tiny):
    model, tokenizer = tiny
    transcript, infos = _episode(TransformersBackend(model, tokenizer), seed=0)
    assert infos[-1]["reason"] in ("resolved", "quit", "max_turns")
    assert len(transcript) == 1 + 2 * len(infos)
    # Random weights write no readable JSON: each turn is retried once, then the parametric appraisal stands in.
    assert all(info["llm"]["analysis"] == "fallback" and info["llm"]["attempts"] == 2 for info in infos)
    assert infos[-1]["llm_fallbacks"] >= len(infos) and infos[-1]["llm_errors"] == 0


def test_greedy_decoding_gives_the_same_transcript_for_the_same_seed(tiny):
    model, tokenizer = tiny
    backend = TransformersBackend(model, tokenizer)
    first, second, other = (_episode(backend, seed, max_turns=3) for seed in (4, 4, 5))
    assert first == second and first != other


def test_left_padded_batches_generate_what_single_prompts_do(tiny):
    model, tokenizer = tiny
    backend = TransformersBackend(model, tokenizer)
    conversations = [[{"role": "system", "content": "w1 w2"}, {"role": "user", "content": " ".join(["w7"] * length)}]
                     for length in (1, 9, 30)]
    batched = backend.generate(conversations, max_new_tokens=8, seeds=[0, 0, 0])
    assert batched == [backend.generate([c], max_new_tokens=8, seeds=[0])[0] for c in conversations]
    assert len(set(batched)) > 1
    assert "<s> assistant :" in backend.render(conversations[0])  # the tokenizer's chat template


def test_sampling_is_seeded_by_the_request_seeds(tiny):
    model, tokenizer = tiny
    backend = TransformersBackend(model, tokenizer, temperature=1.0)
    conversation = [[{"role": "user", "content": "w3 w4"}]]
    runs = [backend.generate(conversation, max_new_tokens=8, seeds=[seed])[0] for seed in (1, 1, 2)]
    assert runs[0] == runs[1] != runs[2]


def test_a_saved_model_directory_loads_offline_from_a_spec(tiny, tmp_path):
    model, tokenizer = tiny
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    backend = backend_from_spec(f"transformers:{tmp_path}", device="cpu")
    conversation = [[{"role": "user", "content": "w5 w6"}]]
    assert backend.generate(conversation, max_new_tokens=6, seeds=[0]) == \
        TransformersBackend(model, tokenizer).generate(conversation, max_new_tokens=6, seeds=[0])


def test_a_missing_model_directory_says_how_to_point_at_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="no local model directory.*never downloads"):
        TransformersBackend(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="never downloads"):
        gym.make("EmpathyGym/SupportLLM-v0", backend=f"transformers:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match="no tokenizer"):
        TransformersBackend(object())
