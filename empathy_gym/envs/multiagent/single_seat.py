"""SingleSeatEnv: a Gymnasium view of a multi-agent env in which only one seat learns.

Independent learners (one single-agent RL learner per seat, e.g. the bundled PPO or
stable-baselines3) train on a PettingZoo env through this view: every other seat is played by a
built-in policy given to the PettingZoo env (``supporter_policy=...`` / ``seeker_policy=...``,
for instance the other learner's current policy, frozen), so the parallel env has exactly one
agent, and this view turns its dicts into the Gymnasium 5-tuple::

    from empathy_gym.envs.multiagent import SingleSeatEnv, supporter_seeker_v0

    env = SingleSeatEnv(supporter_seeker_v0.parallel_env(seeker_reward="regret", supporter_policy=frozen))
    # env's agent is the seeker: a Gymnasium env with its observation and action spaces

Episodes end when the seat's agent is terminated or truncated; ``info`` is that agent's info.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from pettingzoo import ParallelEnv


class SingleSeatEnv(gym.Env):
    """The one agent of a one-agent PettingZoo parallel env as a Gymnasium env."""

    def __init__(self, parallel_env: ParallelEnv) -> None:
        if not isinstance(parallel_env, ParallelEnv):
            raise TypeError(f"SingleSeatEnv needs a PettingZoo ParallelEnv, got {type(parallel_env).__name__}")
        if len(parallel_env.possible_agents) != 1:
            raise ValueError(
                f"SingleSeatEnv needs exactly one learnable seat; this env has {parallel_env.possible_agents}:"
                " give the other seats built-in policies")
        self.parallel_env = parallel_env
        self.agent = parallel_env.possible_agents[0]
        self.observation_space = parallel_env.observation_space(self.agent)
        self.action_space = parallel_env.action_space(self.agent)
        self.render_mode = getattr(parallel_env, "render_mode", None)
        self.metadata = {"render_modes": list(parallel_env.metadata.get("render_modes", [])), "render_fps": 1}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        observations, infos = self.parallel_env.reset(seed=seed, options=options)
        return observations[self.agent], infos[self.agent]

    def step(self, action: Any):
        observations, rewards, terminations, truncations, infos = self.parallel_env.step({self.agent: action})
        return (observations[self.agent], rewards[self.agent], terminations[self.agent], truncations[self.agent],
                infos[self.agent])

    def render(self) -> str | None:
        return self.parallel_env.render()

    def close(self) -> None:
        self.parallel_env.close()

    @property
    def user(self):
        """The simulated user of the underlying env (privileged; read by the oracle)."""
        return self.parallel_env.user
