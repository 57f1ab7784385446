"""The PPO reference agent: logging, determinism, GAE, learning, and evaluation through the adapter."""

import csv
import math

import gymnasium as gym
import numpy as np
import pytest

import torch  # noqa: E402  (a test requirement: no skip that could hide a broken install)

from empathy_gym.agents import ppo  # noqa: E402
from empathy_gym.agents.ppo import (  # noqa: E402
    LOG_COLUMNS, Agent, PPOConfig, PPOPolicy, compute_gae, load_checkpoint, train)
from empathy_gym.evaluation import evaluate  # noqa: E402
from empathy_gym.policies.reference import RandomPolicy  # noqa: E402

TINY = PPOConfig(difficulty="simple", num_envs=2, num_steps=16, total_steps=2 * 16 * 3, n_features=64, seed=3)
# A short run that learns: about 4k steps, a few seconds on one core.
SHORT = PPOConfig(difficulty="simple", num_envs=8, num_steps=64, total_steps=4096, learning_rate=1e-3, seed=1)


@pytest.fixture(scope="module")
def short_run():
    return train(SHORT)


def test_tiny_run_writes_a_csv_with_the_documented_columns(tmp_path):
    result = train(TINY, log_dir=tmp_path)
    with open(tmp_path / "progress.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == LOG_COLUMNS
    assert [int(row["update"]) for row in rows] == [1, 2, 3]
    assert int(rows[-1]["global_step"]) == 96
    for row in rows:
        for column in LOG_COLUMNS:
            if column == "curriculum_level":  # no curriculum in this run: logged as NaN
                assert math.isnan(float(row[column]))
            else:
                assert math.isfinite(float(row[column])), (column, row[column])
        assert int(row["episodes"]) > 0  # episodes last at most 10 turns, so some end every 16 steps
        assert 0.0 <= float(row["success_rate"]) <= 1.0 and 0.0 <= float(row["failure_rate"]) <= 1.0
    assert all(column in result for column in LOG_COLUMNS)


def test_same_seed_gives_identical_metrics_and_parameters():
    first, second = train(TINY), train(TINY)
    strip = _comparable
    assert strip(first["history"]) == strip(second["history"])
    for a, b in zip(first["agent"].state_dict().values(), second["agent"].state_dict().values(), strict=True):
        assert torch.equal(a, b)
    other = train(PPOConfig(**{**TINY.__dict__, "seed": 4}))
    assert strip(other["history"]) != strip(first["history"])


def test_gae_bootstraps_through_truncation_but_not_termination():
    # Three steps, three envs (columns), gamma = lambda = 0.5, all values 0, reward 1 per step,
    # value of the observation after the rollout 4. Env 0 is truncated at step 1 (value of its
    # final observation 2), env 1 terminates at step 1 (same final value, which must be ignored),
    # env 2 does not end.
    rewards = np.ones((3, 3))
    values = np.zeros((3, 3))
    terminated = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    truncated = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]], dtype=bool)
    final_values = np.array([[0, 0, 0], [2, 2, 0], [0, 0, 0]], dtype=float)
    advantages, returns = compute_gae(rewards, values, terminated, truncated, final_values, np.full(3, 4.0), 0.5, 0.5)
    # step 2: delta = 1 + 0.5 * 4 = 3 in every env.
    # env 0, step 1: truncated, delta = 1 + 0.5 * 2 = 2, chain cut; step 0: 1 + 0.25 * 2 = 1.5.
    # env 1, step 1: terminated, delta = 1 + 0 = 1; step 0: 1 + 0.25 * 1 = 1.25.
    # env 2: step 1: 1 + 0.25 * 3 = 1.75; step 0: 1 + 0.25 * 1.75 = 1.4375.
    expected = np.array([[1.5, 1.25, 1.4375], [2.0, 1.0, 1.75], [3.0, 3.0, 3.0]])
    np.testing.assert_allclose(advantages, expected)
    np.testing.assert_allclose(returns, expected + values)
    # Nonzero values: the return target is advantage + value.
    advantages, returns = compute_gae(rewards, values + 1, terminated, truncated, final_values, np.full(3, 4.0), 0.5, 0.5)
    np.testing.assert_allclose(returns, advantages + 1)
    assert advantages[1, 1] == pytest.approx(0.0)  # terminated: r - V = 1 - 1


def test_short_training_beats_random(short_run):
    assert short_run["global_step"] == 4096
    # The random policy's return at simple is about (25 - 40) / 100; after 4k steps PPO is far above.
    assert short_run["mean_episode_return"] > 0.05
    assert short_run["failure_rate"] < 0.2
    _, trained = evaluate(PPOPolicy(short_run["agent"], SHORT), difficulty="simple", split="test")
    _, random = evaluate(RandomPolicy(rng=np.random.default_rng(0)), difficulty="simple", split="test")
    assert trained["mean_final_emotion"] > random["mean_final_emotion"] + 15, (trained, random)


def test_policy_adapter_plays_evaluate_on_test_profiles(short_run):
    from empathy_gym.profiles import load_profiles

    few = load_profiles("test")[:5]
    policy = PPOPolicy(short_run["agent"], SHORT, greedy=False, seed=5)
    records, summary = evaluate(policy, difficulty="simple", seeds=(0, 1), env_kwargs={"profiles": few})
    assert summary["episodes"] == len(records) == 10
    assert {record.profile_id for record in records} == {profile.id for profile in few}
    assert all(isinstance(action, int) and 0 <= action < 15 for record in records for action in record.actions)
    again, _ = evaluate(PPOPolicy(short_run["agent"], SHORT, greedy=False, seed=5), difficulty="simple",
                        seeds=(0, 1), env_kwargs={"profiles": few})
    assert again == records  # seeded sampling: the same episodes
    # The adapter featurises exactly like the training wrappers: same features, same greedy action.
    import gymnasium as gym

    from empathy_gym.agents.ppo import make_env

    wrapped = make_env(SHORT)
    raw = gym.make(SHORT.env_id, difficulty="simple", split="train")
    policy = PPOPolicy(short_run["agent"], SHORT)
    features, _ = wrapped.reset(seed=11)
    observation, info = raw.reset(seed=11)
    policy.reset(observation, info, raw)
    for _ in range(5):
        action = policy.act(observation, info)
        assert action == int(short_run["agent"].act(features[None])[0])
        features, _, terminated, truncated, _ = wrapped.step(action)
        observation, _, terminated_raw, truncated_raw, info = raw.step(action)
        assert (terminated, truncated) == (terminated_raw, truncated_raw)
        if terminated or truncated:
            break


FOUR = PPOConfig(difficulty="simple", num_envs=2, num_steps=16, total_steps=2 * 16 * 4, n_features=64, seed=5)


def _comparable(history):
    """The rows without the timing column, NaN (the unused curriculum level) as None so rows compare equal."""
    return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items() if k != "sps"}
            for row in history]


def test_resume_continues_the_run_deterministically_from_a_checkpoint(tmp_path, monkeypatch):
    saved = {}
    real_save = ppo.save_checkpoint

    def keep_copies(checkpoint, path):
        saved[checkpoint["update"]] = checkpoint
        real_save(checkpoint, path)

    monkeypatch.setattr(ppo, "save_checkpoint", keep_copies)
    full = train(FOUR, log_dir=tmp_path / "full", checkpoint_every=2)
    assert sorted(saved) == [2, 4]
    ppo.torch.save(saved[2], tmp_path / "at2.pt")

    resumed = [train(FOUR, log_dir=tmp_path / f"resumed{i}", resume=tmp_path / "at2.pt") for i in range(2)]
    assert _comparable(resumed[0]["history"]) == _comparable(resumed[1]["history"])
    history = resumed[0]["history"]
    assert [row["update"] for row in history] == [1, 2, 3, 4]
    assert _comparable(history[:2]) == _comparable(full["history"][:2])
    assert history[-1]["global_step"] == full["history"][-1]["global_step"]
    with open(tmp_path / "resumed0" / "progress.csv", newline="") as handle:
        assert [int(row["update"]) for row in csv.DictReader(handle)] == [1, 2, 3, 4]
    # No silent restart: Adam's step counters continued from the checkpoint's, so they end where an
    # uninterrupted run's end (4 updates x epochs x minibatches), not at half of that.
    adam_steps = {int(state["step"]) for state in load_checkpoint(tmp_path / "resumed0" / "checkpoint.pt")
                  ["optimizer"]["state"].values()}
    assert adam_steps == {4 * FOUR.update_epochs * FOUR.num_minibatches}
    assert {int(state["step"]) for state in saved[2]["optimizer"]["state"].values()} == \
        {2 * FOUR.update_epochs * FOUR.num_minibatches}


def test_ctrl_c_saves_the_last_completed_update_and_reraises(tmp_path, monkeypatch):
    calls = {"n": 0}
    real_step = ppo.gym.vector.SyncVectorEnv.step

    def interrupt_late(self, actions):
        calls["n"] += 1
        if calls["n"] == 16 * 2 + 5:  # during the third update's rollout
            raise KeyboardInterrupt
        return real_step(self, actions)

    monkeypatch.setattr(ppo.gym.vector.SyncVectorEnv, "step", interrupt_late)
    with pytest.raises(KeyboardInterrupt):
        train(FOUR, log_dir=tmp_path, checkpoint_every=100)
    checkpoint = load_checkpoint(tmp_path / "checkpoint.pt", FOUR)
    assert checkpoint["update"] == 2 and checkpoint["global_step"] == 2 * 16 * 2
    assert not (tmp_path / "checkpoint.pt.tmp").exists()


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path):
    train(TINY, log_dir=tmp_path)
    other = PPOConfig(**{**TINY.__dict__, "learning_rate": 0.1})
    with pytest.raises(ValueError, match="learning_rate"):
        train(other, resume=tmp_path / "checkpoint.pt")


def test_clipped_losses_match_hand_computed_values():
    from empathy_gym.agents.ppo import clipped_losses

    ratio = torch.tensor([1.5, 0.5, 1.1])
    advantages = torch.tensor([1.0, 1.0, -2.0])
    # Policy terms with eps = 0.2: max(-1*1.5, -1*1.2) = -1.2; max(-0.5, -0.8) = -0.5; max(2.2, 2.2) = 2.2.
    new_values = torch.tensor([2.0, 0.0, 1.0])
    old_values = torch.tensor([1.0, 0.5, 1.0])
    returns = torch.tensor([1.0, 1.0, 3.0])
    # Value terms: unclipped (1, 1, 4); clipped values (1.2, 0.3, 1.0) give (0.04, 0.49, 4); max = (1, 1, 4).
    policy_loss, value_loss = clipped_losses(ratio, advantages, new_values, old_values, returns, clip_coef=0.2)
    assert policy_loss.item() == pytest.approx((-1.2 - 0.5 + 2.2) / 3)
    assert value_loss.item() == pytest.approx(0.5 * (1 + 1 + 4) / 3)
    _, plain = clipped_losses(ratio, advantages, torch.tensor([1.1, 0.9, 1.0]), old_values, returns, 0.2, False)
    assert plain.item() == pytest.approx(0.5 * (0.01 + 0.01 + 4) / 3)


def test_value_clipping_limits_how_far_the_value_can_move():
    from empathy_gym.agents.ppo import clipped_losses

    # The new value overshoots the old one by 3 toward a far return: clipping keeps the larger loss.
    args = (torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([4.0]), torch.tensor([1.0]), torch.tensor([10.0]))
    _, clipped = clipped_losses(*args, clip_coef=0.2, clip_vloss=True)
    _, unclipped = clipped_losses(*args, clip_coef=0.2, clip_vloss=False)
    assert clipped.item() == pytest.approx(0.5 * (10 - 1.2) ** 2) and unclipped.item() == pytest.approx(0.5 * 36)


def test_trains_any_gymnasium_env_with_box_observations():
    # CartPole-v1 (Box observations, no EmpathyGym info keys): the same code learns it, which checks
    # the PPO machinery on a task with a known answer. A random policy lasts about 22 steps.
    config = PPOConfig(env_id="CartPole-v1", num_envs=4, num_steps=128, total_steps=40_960, seed=1)
    result = train(config)
    late = [row["mean_episode_return"] for row in result["history"][-10:]]
    assert np.nanmean(late) > 100, late
    assert all(math.isnan(row["mean_final_emotion"]) for row in result["history"])


def test_empathy_features_are_rescaled_to_unit_bounds():
    env = ppo.make_env(PPOConfig(n_features=64))
    observation, _ = env.reset(seed=0)
    assert env.observation_space.dtype == np.float32 and observation.dtype == np.float32
    assert np.all(env.observation_space.low == -1.0) and np.all(env.observation_space.high == 1.0)
    for action in range(5):
        assert env.observation_space.contains(observation)
        observation, *_ = env.step(action)


def test_tensorboard_scalars_are_written(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train(TINY, log_dir=tmp_path)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = events.Tags()["scalars"]
    for column in ("policy_loss", "entropy", "approx_kl", "explained_variance", "mean_final_emotion", "success_rate"):
        assert f"charts/{column}" in tags
    assert [event.step for event in events.Scalars("charts/entropy")] == [32, 64, 96]


def test_env_fn_and_initial_agent_continue_training_one_agent_on_any_env_factory():
    config = PPOConfig(env_id="CartPole-v1", num_envs=2, num_steps=64, total_steps=128, seed=1)
    first = train(config, env_fn=lambda: gym.make("CartPole-v1"))
    agent = first["agent"]
    before = [p.detach().clone() for p in agent.parameters()]
    second = train(config, env_fn=lambda: gym.make("CartPole-v1"), initial_agent=agent)
    assert second["agent"] is agent
    assert any(not torch.equal(a, b) for a, b in zip(before, agent.parameters()))
    with pytest.raises(ValueError, match="features"):
        train(config, env_fn=lambda: gym.make("CartPole-v1"), initial_agent=Agent(7, 2))


class Killed(Exception):
    """Stands in for SIGKILL: the run stops dead, nothing is saved on the way out."""


def test_a_run_killed_after_a_checkpoint_and_resumed_equals_the_uninterrupted_run(tmp_path):
    whole = train(FOUR, log_dir=tmp_path / "whole", checkpoint_every=2)

    def die_in_update_3(row, agent):
        if row["update"] == 3:
            raise Killed

    with pytest.raises(Killed):
        train(FOUR, log_dir=tmp_path / "cut", checkpoint_every=2, on_update=die_in_update_3)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["update"] == 2  # mid-episode, not a clean boundary
    resumed = train(FOUR, log_dir=tmp_path / "cut", resume=tmp_path / "cut" / "checkpoint.pt")
    ours, theirs = resumed["agent"].state_dict(), whole["agent"].state_dict()
    assert all(torch.equal(ours[key], theirs[key]) for key in theirs)
    assert _comparable(resumed["history"]) == _comparable(whole["history"])
    with open(tmp_path / "cut" / "progress.csv", newline="") as a, open(tmp_path / "whole" / "progress.csv", newline="") as b:
        assert [{k: v for k, v in row.items() if k != "sps"} for row in csv.DictReader(a)] == \
            [{k: v for k, v in row.items() if k != "sps"} for row in csv.DictReader(b)]


def test_resume_may_raise_total_steps_but_not_lower_it(tmp_path):
    train(FOUR, log_dir=tmp_path)
    longer = PPOConfig(**{**FOUR.__dict__, "total_steps": FOUR.total_steps + 2 * FOUR.batch_size})
    extended = train(longer, log_dir=tmp_path, resume=tmp_path / "checkpoint.pt")
    assert [row["update"] for row in extended["history"]] == [1, 2, 3, 4, 5, 6]
    shorter = PPOConfig(**{**FOUR.__dict__, "total_steps": FOUR.batch_size})
    before = (tmp_path / "progress.csv").read_bytes()
    with pytest.raises(ValueError, match="has already trained 192 steps .* give at least 192"):
        train(shorter, log_dir=tmp_path, resume=tmp_path / "checkpoint.pt")
    assert (tmp_path / "progress.csv").read_bytes() == before


class _Trap:
    def __reduce__(self):
        return (open, (str(TRAP), "w"))


TRAP = None


def test_checkpoints_load_weights_only_so_a_planted_object_never_runs(tmp_path):
    global TRAP
    TRAP = tmp_path / "ran"
    train(FOUR, log_dir=tmp_path)
    checkpoint = load_checkpoint(tmp_path / "checkpoint.pt")
    ppo.torch.save({**checkpoint, "extra": _Trap()}, tmp_path / "planted.pt")
    with pytest.raises(ValueError, match="not a PPO checkpoint .* no code in it was run"):
        load_checkpoint(tmp_path / "planted.pt")
    assert not TRAP.exists()
