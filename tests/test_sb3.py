"""The stable-baselines3 integration: featurised envs pass SB3's checker, PPO trains, SB3Policy evaluates."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from empathy_gym.integrations.sb3 import make_sb3_env, sb3_features


def test_module_imports_and_makes_envs_without_sb3():
    code = (
        "import sys; sys.modules['stable_baselines3'] = None\n"
        "from empathy_gym.integrations.sb3 import SB3Policy, make_sb3_env\n"
        "env = make_sb3_env(n_features=32)\n"
        "assert env.observation_space['text'].shape == (32,)\n"
        "try:\n"
        "    SB3Policy(object())\n"
        "except ImportError as error:\n"
        "    assert 'pip install stable-baselines3' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_featurised_env_is_a_dict_of_float_boxes():
    env = make_sb3_env(n_features=64, difficulty="simple")
    space = env.observation_space
    assert isinstance(space, gym.spaces.Dict)
    assert set(space.spaces) == {"text", "text_memory", "emotion", "turn", "strategy_shares", "last_strategy",
                                 "strategy_effects", "emotion_history"}
    assert all(isinstance(sub, gym.spaces.Box) and sub.dtype == np.float32 for sub in space.spaces.values())
    assert all(np.all(sub.low == -1) and np.all(sub.high == 1) for sub in space.spaces.values())
    assert env.render_mode is None
    observation, _ = env.reset(seed=0)
    assert space.contains(observation)


def test_make_sb3_env_rejects_text_action_envs():
    with pytest.raises(ValueError, match="Discrete"):
        make_sb3_env("EmpathyGym/Support-v0")


sb3 = pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")

from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.env_checker import check_env  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402

from empathy_gym.evaluation import evaluate  # noqa: E402
from empathy_gym.integrations.sb3 import SB3Policy  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("env_id", ["EmpathyGym/SupportStrategy-v0", "EmpathyGym/SupportStrategyChallenging-v0"])
def test_check_env_passes(env_id):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warnings from the checker either
        check_env(make_sb3_env(env_id), warn=True)


@pytest.fixture(scope="module")
def model():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        env = make_sb3_env(difficulty="simple", n_features=64)
        model = PPO("MultiInputPolicy", env, n_steps=128, batch_size=64, n_epochs=2, seed=0, device="cpu", verbose=0)
        model.learn(total_timesteps=256)
    finally:
        torch.set_num_threads(threads)
    return model


def test_ppo_learns_a_few_hundred_steps(model):
    assert model.num_timesteps >= 256


def _few_profiles():
    env = gym.make("EmpathyGym/SupportStrategy-v0", split="test")
    profiles = list(env.unwrapped.profiles[:5])
    env.close()
    return profiles


def test_sb3_policy_evaluates_deterministically(model):
    kwargs = dict(difficulty="simple", split="test", seeds=(0, 1), env_kwargs={"profiles": _few_profiles()})
    records_a, summary_a = evaluate(SB3Policy(model), **kwargs)
    records_b, summary_b = evaluate(SB3Policy(model), **kwargs)
    assert summary_a["episodes"] == 10
    assert summary_a == summary_b
    assert [r.final_emotion for r in records_a] == [r.final_emotion for r in records_b]
    assert [r.turns for r in records_a] == [r.turns for r in records_b]


def test_sb3_policy_reads_n_features_from_the_model_and_checks_it(model):
    assert SB3Policy(model).n_features == 64
    with pytest.raises(ValueError, match="n_features"):
        SB3Policy(model, n_features=128)


def test_sb3_policy_refuses_an_env_whose_features_differ(model):
    with pytest.raises(ValueError, match="do not match"):
        evaluate(SB3Policy(model), difficulty="simple", env_kwargs={"profiles": _few_profiles()[:1], "emotion_obs": "hidden"})


def test_sb3_policy_features_match_training_features(model):
    """The features SB3Policy feeds the model equal those the training env produced, turn by turn."""
    policy = SB3Policy(model)
    raw = gym.make("EmpathyGym/SupportStrategy-v0", difficulty="simple")
    trained = make_sb3_env(difficulty="simple", n_features=64)
    seen = []
    original_predict = model.predict

    def spy(observation, **kwargs):
        seen.append(observation)
        return original_predict(observation, **kwargs)

    model.predict = spy
    try:
        observation, info = raw.reset(seed=3)
        expected, _ = trained.reset(seed=3)
        policy.reset(observation, info, raw)
        for _ in range(4):
            action = policy.act(observation, info)
            for key in expected:
                np.testing.assert_array_equal(seen[-1][key], expected[key])
            observation, _, terminated, truncated, info = raw.step(action)
            expected, *_ = trained.step(action)
            if terminated or truncated:
                break
    finally:
        del model.predict


@pytest.mark.parametrize("how", ["callable_with_env_kwargs", "lambda", "string_id_with_wrapper"])
def test_make_vec_env(how):
    if how == "callable_with_env_kwargs":
        vec = make_vec_env(make_sb3_env, n_envs=2, seed=0, env_kwargs={"difficulty": "simple", "n_features": 32})
    elif how == "lambda":
        vec = make_vec_env(lambda: make_sb3_env(difficulty="simple", n_features=32), n_envs=2, seed=0)
    else:
        vec = make_vec_env(
            "EmpathyGym/SupportStrategy-v0", n_envs=2, seed=0,
            env_kwargs={"render_mode": None, "difficulty": "simple"},
            wrapper_class=sb3_features, wrapper_kwargs={"n_features": 32},
        )
    observations = vec.reset()
    assert observations["text"].shape == (2, 32)
    for _ in range(3):
        observations, rewards, dones, infos = vec.step(np.array([vec.action_space.sample() for _ in range(2)]))
    assert rewards.shape == (2,)
    model = PPO("MultiInputPolicy", vec, n_steps=16, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=32)
    vec.close()
