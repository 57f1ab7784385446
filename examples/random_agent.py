"""A random agent on a vector of strategy environments: the smallest complete RL loop."""

import gymnasium as gym
import numpy as np

import empathy_gym  # noqa: F401

envs = gym.vector.SyncVectorEnv([lambda: gym.make("EmpathyGym/SupportStrategy-v0") for _ in range(4)])
obs, info = envs.reset(seed=0)
rng = np.random.default_rng(0)
finals = []
for _ in range(200):
    obs, reward, terminated, truncated, info = envs.step(rng.integers(envs.single_action_space.n, size=envs.num_envs))
    for i in np.flatnonzero(terminated | truncated):
        finals.append(int(info["final_emotion"][i]))
envs.close()
print(f"{len(finals)} episodes, mean final emotion {np.mean(finals):.1f} (random strategies, normal difficulty)")
