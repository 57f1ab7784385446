"""Self-play against a regret-seeking help-seeker: a supporter and a seeker trained in turns.

Two independent learners of the bundled PPO (:mod:`empathy_gym.agents.ppo`), one per seat of
:mod:`~empathy_gym.envs.multiagent.supporter_seeker_v0` in ``regret`` mode: the seeker is paid for
being hard for the supporter but solvable by the oracle (an adversarial curriculum in the spirit of
PAIRED). They take turns in ``rounds`` rounds: the supporter learns for its share of the config's
updates against the seeker's current policy (sampled, frozen for the round; in the first round the
seeker has not learned and the parametric user speaks), then the seeker learns for as many steps
against the supporter's current policy. Each seat is a Gymnasium env through
:class:`~empathy_gym.envs.multiagent.SingleSeatEnv`, featurised like the single-agent env. The
learning rate falls linearly from round to round.

The supporter's budget is exactly the config's (``config.num_updates`` updates of
``config.batch_size`` steps, shared out over the rounds), so it compares with a supporter trained
by :func:`~empathy_gym.agents.ppo.train` on the fixed user with the same config.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from empathy_gym.agents.ppo import Agent, PPOConfig, PPOPolicy, train

SEEKER_REWARDS = ("regret",)


def train_with_regret_seeker(config: PPOConfig, *, rounds: int = 4,
                             on_update: Callable[[dict[str, float], Agent], None] | None = None) -> dict[str, Any]:
    """Train a supporter against a regret seeker trained beside it; see the module docstring.

    ``config`` sets the supporter's budget, seed, difficulty and PPO settings (a curriculum is not
    supported). ``on_update(row, agent)`` is called after each of the supporter's updates, with
    ``row["global_step"]`` counted over all rounds. Returns ``agent`` (the supporter, in eval mode),
    ``history`` (the supporter's rows over all rounds), ``seeker_history``, ``supporter_steps`` and
    ``seeker_steps``.
    """
    from empathy_gym.envs.multiagent import SingleSeatEnv, supporter_seeker_v0

    if config.curriculum is not None:
        raise ValueError("self-play with a regret seeker takes a fixed difficulty, not a curriculum")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or not 1 <= rounds <= config.num_updates:
        raise ValueError(f"rounds must be an integer in 1..{config.num_updates} (the config's updates), got {rounds!r}")
    share, extra = divmod(config.num_updates, rounds)
    sampling_seeds = itertools.count(config.seed * 1_000_003)

    def seat_env(seat: str, opponent: Agent | None, opponent_config: PPOConfig):
        if seat == "supporter":
            seeker = "parametric" if opponent is None else PPOPolicy(opponent, opponent_config, greedy=False,
                                                                     seed=next(sampling_seeds), name="seeker")
            env = supporter_seeker_v0.parallel_env(seeker_reward="regret", seeker_policy=seeker,
                                                   difficulty=config.difficulty)
        else:
            supporter = PPOPolicy(opponent, opponent_config, greedy=False, seed=next(sampling_seeds), name="supporter")
            env = supporter_seeker_v0.parallel_env(seeker_reward="regret", supporter_policy=supporter,
                                                   difficulty=config.difficulty)
        return SingleSeatEnv(env)

    supporter = seeker = None
    history: list[dict[str, float]] = []
    seeker_history: list[dict[str, float]] = []
    supporter_steps = seeker_steps = 0
    for index in range(rounds):
        updates = share + (extra if index == rounds - 1 else 0)
        round_config = replace(config, seed=config.seed + index, total_steps=updates * config.batch_size,
                               anneal_lr=False, learning_rate=config.learning_rate * (rounds - index) / rounds)
        offset = supporter_steps

        def supporter_update(row: dict[str, float], agent: Agent, offset: int = offset) -> None:
            row = {**row, "global_step": offset + row["global_step"]}
            history.append(row)
            if on_update is not None:
                on_update(row, agent)

        result = train(round_config, env_fn=lambda c=round_config, s=seeker: seat_env("supporter", s, c),
                       initial_agent=supporter, on_update=supporter_update)
        supporter, supporter_steps = result["agent"], supporter_steps + result["global_step"]
        result = train(round_config, env_fn=lambda c=round_config, s=supporter: seat_env("seeker", s, c),
                       initial_agent=seeker)
        seeker, seeker_steps = result["agent"], seeker_steps + result["global_step"]
        seeker_history += [{**row, "global_step": seeker_steps - result["global_step"] + row["global_step"]}
                           for row in result["history"]]
    supporter.eval()
    return {"agent": supporter, "history": history, "seeker_history": seeker_history,
            "supporter_steps": supporter_steps, "seeker_steps": seeker_steps, "config": config}
