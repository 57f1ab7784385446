"""Curricula: schedulers, the Curriculum wrapper on vector envs, and their use by PPO and SB3."""

import math

import gymnasium as gym
import numpy as np
import pytest

import empathy_gym  # noqa: F401
from empathy_gym.model.difficulty import Difficulty
from empathy_gym.wrappers.curriculum import (
    AdaptiveSchedule,
    Curriculum,
    EpisodeOutcome,
    FixedSchedule,
    LearningProgressBandit,
    LinearRamp,
    make_scheduler,
)


def _outcome(level, success, episode_return=0.0):
    return EpisodeOutcome(level=level, final_emotion=100.0 if success else 50.0,
                          reason="resolved" if success else "max_turns", episode_return=episode_return, steps=5)


def test_adaptive_raises_difficulty_as_a_scripted_learner_improves_and_lowers_it_when_it_declines():
    rng = np.random.default_rng(0)
    schedule = AdaptiveSchedule(target=0.5, window=20, step_size=0.05)
    levels = []
    # A learner whose skill rises for 4000 episodes, then falls (forgetting); it succeeds with a
    # probability that falls as the difficulty level rises past its skill.
    for episode in range(8000):
        skill = 0.2 + 0.8 * min(episode, 4000) / 4000 - 0.9 * max(0, episode - 4000) / 4000
        level = schedule.level
        success = rng.random() < 1.0 / (1.0 + math.exp(-(skill - level) / 0.1))
        schedule.observe(_outcome(level, success))
        levels.append(schedule.level)
    assert levels[0] == 0.0
    assert max(levels[:4000]) > 0.7  # followed the rising skill up
    assert levels[3999] > levels[1000] > levels[0]
    assert levels[-1] < levels[3999] - 0.4  # and came down again when success fell
    assert all(0.0 <= level <= 1.0 for level in levels)


def test_adaptive_holds_inside_the_tolerance_and_respects_its_bounds():
    schedule = AdaptiveSchedule(target=0.5, window=4, start=0.5, tolerance=0.1, low=0.4, high=0.6, step_size=0.1)
    for success in (True, False, True, False):
        schedule.observe(_outcome(0.5, success))
    assert schedule.level == 0.5
    for _ in range(40):
        schedule.observe(_outcome(schedule.level, True))
    assert schedule.level == 0.6
    with pytest.raises(ValueError, match="target must be a level in \\[0, 1\\], got 2"):
        AdaptiveSchedule(target=2)
    with pytest.raises(ValueError, match="low <= start <= high"):
        AdaptiveSchedule(start=0.9, high=0.5)


def test_linear_ramp_moves_with_environment_steps():
    ramp = LinearRamp(total_steps=100, start=0.2, end=0.8)
    assert ramp.level == 0.2
    ramp.advance(50)
    assert ramp.level == pytest.approx(0.5)
    ramp.advance(500)
    assert ramp.level == pytest.approx(0.8)
    assert ramp.difficulty() == Difficulty.from_level(0.8)


def test_bandit_plays_the_bin_where_returns_change_and_is_reproducible():
    def run(seed):
        bandit = LearningProgressBandit(levels=(0.0, 0.5, 1.0), window=5, epsilon=0.1, rng=seed)
        chosen = []
        counts = {0.0: 0, 0.5: 0, 1.0: 0}
        for _ in range(600):
            level = bandit.level
            bandit.difficulty()  # starting an episode draws the next level
            counts[level] += 1
            # only the middle bin improves: its return grows with how often it was played
            episode_return = 0.01 * counts[level] if level == 0.5 else 0.0
            bandit.observe(_outcome(level, False, episode_return))
            chosen.append(level)
        return chosen, bandit

    chosen, bandit = run(7)
    assert chosen == run(7)[0]
    assert chosen != run(8)[0]
    late = chosen[300:]
    assert late.count(0.5) > 0.7 * len(late)
    assert bandit.progress()[1] > 0 and bandit.progress()[0] == 0


def test_state_dict_round_trip_continues_identically():
    bandit = LearningProgressBandit(window=3, rng=1)
    for step in range(40):
        bandit.difficulty()
        bandit.observe(_outcome(bandit.level, step % 3 == 0, step / 40))
    copy = LearningProgressBandit(window=3, rng=99)
    copy.load_state_dict(bandit.state_dict())
    for _ in range(30):
        assert copy.difficulty() == bandit.difficulty()
    adaptive = AdaptiveSchedule(window=10)
    for step in range(15):
        adaptive.observe(_outcome(adaptive.level, True))
    other = AdaptiveSchedule(window=10)
    other.load_state_dict(adaptive.state_dict())
    assert other.state_dict() == adaptive.state_dict()


def test_wrapper_shares_one_scheduler_across_a_vector_env_and_reports_outcomes():
    ramp = LinearRamp(total_steps=200)
    envs = gym.vector.SyncVectorEnv(
        [lambda: Curriculum(gym.make("EmpathyGym/SupportStrategy-v0"), ramp) for _ in range(4)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs.reset(seed=0)
    seen_levels = []
    for _ in range(60):
        _, _, terminated, truncated, infos = envs.step(envs.action_space.sample())
        for i in np.flatnonzero(terminated | truncated):
            final = infos["final_info"]
            seen_levels.append(final["curriculum_level"][i])
            # the episode really ran at the level it reports
            assert final["difficulty"]["strictness"][i] == Difficulty.from_level(final["curriculum_level"][i]).strictness
    envs.close()
    assert ramp.steps == 240 and ramp.level == 1.0
    assert seen_levels[0] == 0.0 and max(seen_levels) > 0.5
    assert ramp.episodes == len(seen_levels)


def test_an_explicit_difficulty_option_wins_over_the_scheduler():
    env = Curriculum(gym.make("EmpathyGym/SupportStrategy-v0"), FixedSchedule("simple"))
    _, info = env.reset(seed=0, options={"difficulty": "challenging"})
    assert info["curriculum_level"] is None
    assert env.unwrapped.difficulty == Difficulty.preset("challenging")
    env.reset(seed=1)
    assert env.unwrapped.difficulty == Difficulty.preset("simple")
    with pytest.raises(TypeError, match="scheduler must be a Scheduler"):
        Curriculum(env, "adaptive")


def test_make_scheduler_names_the_allowed_curricula():
    assert isinstance(make_scheduler("ramp", total_steps=1000), LinearRamp)
    assert make_scheduler("fixed", total_steps=1, difficulty="challenging").level == 1.0
    adaptive = make_scheduler("adaptive", total_steps=1)
    assert (adaptive.target, adaptive.success_at) == (0.5, 70)
    assert adaptive._succeeded(EpisodeOutcome(level=0.0, final_emotion=72, reason="max_turns", episode_return=0.3,
                                              steps=10))
    with pytest.raises(ValueError, match="unknown curriculum 'hardest'; allowed: fixed, ramp, adaptive, bandit"):
        make_scheduler("hardest", total_steps=1)


def test_ppo_trains_with_a_curriculum_logs_its_level_and_checkpoints_it(tmp_path):
    from empathy_gym.agents.ppo import PPOConfig, load_checkpoint, train

    config = PPOConfig(curriculum="ramp", num_envs=2, num_steps=32, total_steps=2 * 32 * 4, n_features=64, seed=2)
    result = train(config, log_dir=tmp_path)
    levels = [row["curriculum_level"] for row in result["history"]]
    assert levels == sorted(levels) and levels[0] > 0.0 and levels[-1] == 1.0
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["scheduler"]["steps"] == 256 and saved["scheduler"]["level"] == 1.0
    with pytest.raises(ValueError, match="unknown curriculum"):
        PPOConfig(curriculum="sometimes")


def test_sb3_trains_through_the_curriculum_wrapper():
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    from empathy_gym.integrations.sb3 import sb3_features

    ramp = LinearRamp(total_steps=256)
    venv = DummyVecEnv([lambda: sb3_features(Curriculum(gym.make("EmpathyGym/SupportStrategy-v0"), ramp),
                                             n_features=32) for _ in range(2)])
    model = PPO("MultiInputPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert ramp.steps >= 256 and ramp.level == 1.0 and ramp.episodes > 10
