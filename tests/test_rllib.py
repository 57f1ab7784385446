"""Ray RLlib integration: the registered creators, PPO with 0 and 1 env runners, evaluation, multi-agent.

Runs where ``ray[rllib]`` is installed (its own virtual environment: ``constraints-rllib.txt``);
skipped elsewhere. The module starts and shuts down one local Ray cluster of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("ray.rllib", reason="needs ray[rllib]: pip install -c constraints-rllib.txt '.[rllib,test]'")
pytest.importorskip("pettingzoo")

from gymnasium import spaces  # noqa: E402

from empathy_gym.evaluation import evaluate, load_policy  # noqa: E402
from empathy_gym.integrations import rllib  # noqa: E402

from ray_cluster import local_ray  # noqa: E402

#: A tiny budget: one 128-step batch per iteration, two epochs of two minibatches.
TINY = {"num_envs": 2, "num_steps": 64, "num_minibatches": 2, "update_epochs": 2, "total_steps": 256}


@pytest.fixture(scope="module")
def cluster():
    with local_ray(num_cpus=2) as info:
        yield info


def _digest(module) -> str:
    state = module.get_state()
    return hashlib.sha256(b"".join(np.asarray(state[key]).tobytes() for key in sorted(state))).hexdigest()


def test_the_single_agent_creator_gives_one_unit_box_for_a_strategy_id():
    env = rllib.make_env({"env_id": "EmpathyGym/SupportStrategyChallenging-v0", "n_features": 64,
                          "env_kwargs": {"split": "test"}})
    observation, _ = env.reset(seed=3)
    assert isinstance(env.observation_space, spaces.Box) and env.observation_space.shape == observation.shape
    assert env.observation_space.contains(observation) and observation.shape[0] > 64
    assert env.action_space == spaces.Discrete(15)
    again, _ = rllib.make_env({"env_id": "EmpathyGym/SupportStrategyChallenging-v0", "n_features": 64,
                               "env_kwargs": {"split": "test"}}).reset(seed=3)
    np.testing.assert_array_equal(observation, again)


def test_the_creators_reject_bad_configs_by_name():
    with pytest.raises(ValueError, match="Discrete actions; EmpathyGym/Support-v0"):
        rllib.make_env({"env_id": "EmpathyGym/Support-v0"})
    with pytest.raises(ValueError, match=r"unknown env_config key\(s\) \['n_feature'\]"):
        rllib.make_env({"n_feature": 64})
    with pytest.raises(ValueError, match="unknown multi-agent env 'chatroom_v0'; allowed: supporter_seeker_v0"):
        rllib.make_multi_agent_env({"env": "chatroom_v0"})
    with pytest.raises(ValueError, match="num_env_runners must be an integer >= 0, got -1"):
        rllib.ppo_config(num_env_runners=-1)


@pytest.mark.parametrize("num_env_runners", [0, 1])
def test_ppo_trains_from_the_registered_creator_and_plays_through_evaluate(cluster, num_env_runners, tmp_path):
    config = rllib.ppo_config("EmpathyGym/SupportStrategy-v0", num_env_runners=num_env_runners, n_features=128, **TINY)
    assert config.env == rllib.SINGLE_AGENT_ENV and config.num_env_runners == num_env_runners
    algo = rllib.build_algorithm(config, storage_path=os.path.join(cluster["folder"], "results"))
    try:
        before = _digest(algo.get_module())
        for _ in range(2):
            result = algo.train()
        assert result["num_env_steps_sampled_lifetime"] >= 2 * 128
        assert _digest(algo.get_module()) != before  # the learner updated the module
        policy = rllib.RLlibPolicy.from_algorithm(algo)
        records, summary = evaluate(policy, split="test")
        assert len(records) == 100 and 0 <= summary["mean_final_emotion"] <= 100
        assert all(0 <= record.mean_entropy <= np.log(15) + 1e-6 for record in records)
        checkpoint = rllib.save_checkpoint(algo, tmp_path / "checkpoint")
    finally:
        algo.stop()
    # The checkpoint plays the same greedy actions, also through evaluate's policy loader (empathy-gym evaluate).
    loaded, env_id = load_policy(str(checkpoint))
    assert env_id == "EmpathyGym/SupportStrategy-v0"
    reloaded, _ = evaluate(loaded, split="test")
    assert [r.actions for r in reloaded] == [r.actions for r in records]


def test_a_policy_refuses_features_it_was_not_trained_on(cluster):
    algo = rllib.build_algorithm(rllib.ppo_config(n_features=128, **TINY),
                                 storage_path=os.path.join(cluster["folder"], "results"))
    try:
        policy = rllib.RLlibPolicy(algo.get_module(), n_features=64)
        with pytest.raises(ValueError, match="do not match the module's"):
            evaluate(policy, split="test")
    finally:
        algo.stop()


def test_multi_agent_env_keeps_the_seat_order_and_featurises_every_seat():
    env = rllib.make_multi_agent_env({"env": "support_group_v0", "n_features": 32,
                                      "env_kwargs": {"seeker_policy": None, "n_seekers": 2}})
    assert env.seats == ["supporter", "seeker_0", "seeker_1"] and env.possible_agents == [0, 1, 2]
    observations, infos = env.reset(seed=0)
    assert list(observations) == env.possible_agents
    assert rllib.SeatPolicies(env.seats)(2) == "seeker_1"
    for agent, observation in observations.items():
        assert isinstance(env.observation_spaces[agent], spaces.Box)
        assert env.observation_spaces[agent].contains(observation)
    observations, rewards, terminateds, truncateds, _ = env.step(
        {agent: env.action_spaces[agent].sample() for agent in env.agents})
    assert list(rewards) == env.possible_agents and terminateds["__all__"] is False


def test_multi_agent_ppo_trains_one_iteration_with_a_policy_per_seat(cluster):
    config = rllib.multi_agent_ppo_config("supporter_seeker_v0", env_kwargs={"seeker_reward": "regret"},
                                          n_features=64, **TINY)
    algo = rllib.build_algorithm(config, storage_path=os.path.join(cluster["folder"], "results"))
    try:
        before = {seat: _digest(algo.get_module(seat)) for seat in ("supporter", "seeker")}
        result = algo.train()
        assert set(result["env_runners"]["module_episode_returns_mean"]) == {"supporter", "seeker"}
        for seat in ("supporter", "seeker"):
            assert _digest(algo.get_module(seat)) != before[seat]
        # The supporter sees what the single-agent strategy env shows, so it plays through evaluate too.
        _, summary = evaluate(rllib.RLlibPolicy.from_algorithm(algo, "supporter"), split="test")
        assert 0 <= summary["mean_final_emotion"] <= 100
    finally:
        algo.stop()


_HASH_SEED_RUN = textwrap.dedent("""
    import hashlib, json, os, sys
    import numpy as np, ray
    from empathy_gym.integrations import rllib

    ray.init(address=os.environ["EG_RAY_ADDRESS"], log_to_driver=False)
    env, env_kwargs, seats = json.loads(sys.argv[3])
    config = rllib.multi_agent_ppo_config(env, env_kwargs=env_kwargs, n_features=64, **json.loads(sys.argv[1]))
    algo = rllib.build_algorithm(config, storage_path=sys.argv[2])
    result = algo.train()
    out = {"returns": {seat: result["env_runners"]["module_episode_returns_mean"][seat] for seat in seats}}
    for seat in seats:
        state = algo.get_module(seat).get_state()
        out[seat] = hashlib.sha256(b"".join(np.asarray(state[k]).tobytes() for k in sorted(state))).hexdigest()
    algo.stop()
    ray.shutdown()
    print("RESULT " + json.dumps(out))
""")


def _set_order(hash_seed: str, seats: list[str]) -> str:
    code = f"print(list(set({seats!r})))"
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": hash_seed},
                          capture_output=True, text=True, check=True).stdout


# Per env: its kwargs, its seats, and two hash seeds under which a set of the seat names iterates in
# different orders (as RLlib's ParallelPettingZooEnv and its multi-agent episodes would order string ids).
HASH_SEED_CASES = {
    "supporter_seeker_v0": ({"seeker_reward": "regret"}, ["supporter", "seeker"], ("0", "3")),
    "support_group_v0": ({"seeker_policy": None, "n_seekers": 2}, ["supporter", "seeker_0", "seeker_1"], ("4", "5")),
}


@pytest.mark.parametrize("env_name", list(HASH_SEED_CASES))
def test_multi_agent_training_does_not_depend_on_the_hash_seed(cluster, env_name):
    env_kwargs, seats, hash_seeds = HASH_SEED_CASES[env_name]
    assert _set_order(hash_seeds[0], seats) != _set_order(hash_seeds[1], seats)
    outputs = []
    for hash_seed in hash_seeds:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "EG_RAY_ADDRESS": cluster["address"]}
        done = subprocess.run([sys.executable, "-c", _HASH_SEED_RUN, json.dumps(TINY),
                               os.path.join(cluster["folder"], "results"), json.dumps([env_name, env_kwargs, seats])],
                              env=env, capture_output=True, text=True, timeout=300)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        assert done.returncode == 0 and lines, done.stderr[-3000:]
        outputs.append(json.loads(lines[-1][len("RESULT "):]))
    assert outputs[0] == outputs[1]


def test_readme_rllib_blocks_run_in_order(cluster, tmp_path, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
              if block.startswith("# needs the rllib extra")]
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)  # the blocks write under runs/
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "runs" / "rllib" / "checkpoint" / rllib.FEATURES_FILE).is_file()
    assert len(namespace["records"]) == 100
    assert set(namespace["result"]["env_runners"]["module_episode_returns_mean"]) == {"supporter", "seeker"}


def test_importing_the_package_and_its_ray_modules_does_not_import_ray():
    code = ("import sys, empathy_gym, empathy_gym.sweep, empathy_gym.integrations.rllib, "
            "empathy_gym.integrations.ray_sweep; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
