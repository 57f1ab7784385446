"""PPO reference agent for the strategy environments, in the spirit of CleanRL's single-file ``ppo.py``.

What it is
----------
Proximal Policy Optimisation (Schulman et al., 2017) with an MLP actor and critic, trained on a
vector of ``EmpathyGym/SupportStrategy-v0``-style environments (``Discrete`` strategy actions),
or of any Gymnasium env with ``Discrete`` actions and ``Box`` or Dict-of-``Box`` observations
(:func:`featurise`). The dialogue observation is turned into numbers by the package's
featurisers, exactly as :mod:`empathy_gym.wrappers.features` documents::

    env = gym.make(env_id, difficulty=...)
    env = DialogueHistory(env)                                   # own strategies, emotion trajectory
    env = HashedTextFeatures(env, n_features=...)                # this turn's text (memory=True: the episode's too)
    env = FlattenObservation(ScaleToUnit(env))                   # one Box, every entry in [-1, 1]

The module reads top to bottom (the configuration, :class:`PPOConfig`, lives in
:mod:`empathy_gym.agents.config` so the command line can check it without torch): env setup (:func:`make_env`),
the network (:class:`Agent`), GAE (:func:`compute_gae`), the training loop (:func:`train`:
rollout, update, logging), and an adapter (:class:`PPOPolicy`) that lets
:func:`empathy_gym.evaluation.evaluate` play a trained agent on the raw environment.

How to run it
-------------
Install the extra (``pip install "empathy_gym[train]"``), then::

    from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
    from empathy_gym.evaluation import evaluate

    config = PPOConfig(difficulty="simple", total_steps=20_000)
    result = train(config, log_dir="runs/ppo")           # CSV (+ TensorBoard if installed)
    policy = PPOPolicy(result["agent"], config)
    records, summary = evaluate(policy, difficulty="simple", split="test")

or ``python -m empathy_gym.agents.ppo`` for a default run (see ``examples/train_ppo.py``).

Implementation details it follows (Huang et al., "The 37 Implementation Details of PPO")
-----------------------------------------------------------------------------------------
* Vectorised envs (``SyncVectorEnv``: ``AsyncVectorEnv``'s shared memory garbles Text) with a
  rolling next observation, and ``AutoresetMode.SAME_STEP``: when an episode ends, the returned
  observation is already the next episode's first one and the last observation of the finished
  episode is in ``infos["final_obs"]`` (mask ``infos["_final_obs"]``); the finished episode's info
  is in ``infos["final_info"]`` (``final_emotion``, ``reason``, masked by ``_final_emotion`` ...).
  No step of the rollout is a wasted reset step (the NEXT_STEP pitfall).
* GAE(lambda) that bootstraps through time-limit truncation with the critic's value of the final
  observation, and not through termination (resolved / quit): :func:`compute_gae`.
* Orthogonal initialisation (gain sqrt(2) for hidden layers, 0.01 for the policy head, 1.0 for the
  value head), zero biases; Adam with ``eps=1e-5``; linear learning-rate annealing.
* Several epochs of shuffled minibatches; per-minibatch advantage normalisation; clipped
  surrogate objective; clipped value loss; entropy bonus; global gradient-norm clipping; optional
  early stop at ``target_kl``.
* Diagnostics per update: policy loss, value loss, entropy, approx KL ((r - 1) - log r
  estimator), clip fraction, explained variance, steps per second, plus the episode outcomes
  (mean return, mean final emotion, success rate = ``reason == "resolved"``, failure rate =
  ``reason == "quit"``).
* Exact resume: a checkpoint records every action taken; resuming replays them from the run's
  first reset, which rebuilds the environments exactly, so an interrupted and resumed run equals
  the uninterrupted one in weights and logged rows. Checkpoints hold only tensors and plain
  values and are loaded weights-only (``torch.load(weights_only=True)``: no code in a file runs).
* Deterministic on CPU for a given seed: torch's generator and the envs (``envs.reset(seed=seed)``)
  are seeded, actions are sampled by torch from a seeded generator, minibatches are shuffled by a
  seeded numpy generator, and ``torch.use_deterministic_algorithms(True)`` is on during training.
"""

from __future__ import annotations

import copy
import csv
import math
import os
import time
from dataclasses import asdict
from pathlib import Path
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

try:
    import torch
    from torch import nn
    from torch.distributions import Categorical
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ImportError(
        'empathy_gym.agents.ppo needs torch: pip install "empathy_gym[train]"'
    ) from error

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)
from empathy_gym.agents.config import PPOConfig
from empathy_gym.wrappers.curriculum import Curriculum, Scheduler
from empathy_gym.wrappers.features import DialogueHistory, HashedTextFeatures, ReplayFeaturiser, ScaleToUnit

#: The columns of the per-update CSV log, in order.
LOG_COLUMNS: tuple[str, ...] = (
    "update",
    "global_step",
    "learning_rate",
    "policy_loss",
    "value_loss",
    "entropy",
    "approx_kl",
    "clip_fraction",
    "explained_variance",
    "sps",
    "episodes",
    "mean_episode_return",
    "mean_final_emotion",
    "success_rate",
    "failure_rate",
    "signal_share",
    "curriculum_level",
)


# --------------------------------------------------------------------------------------------
# Environment setup
# --------------------------------------------------------------------------------------------
def featurise(env: gym.Env, config: PPOConfig) -> gym.Env:
    """The featuriser stack used for training and evaluation, chosen by the observation space.

    * a ``Dict`` with a ``text`` entry (the EmpathyGym envs): :class:`DialogueHistory`, then
      :class:`HashedTextFeatures`, then :class:`ScaleToUnit` (every entry linearly to [-1, 1]: the
      emotion's 0..100 would saturate the tanh units), flattened into one ``Box``;
    * any other ``Dict`` of ``Box`` entries: flattened;
    * a ``Box``: flattened (unchanged when already one-dimensional).
    """
    space = env.observation_space
    if isinstance(space, spaces.Dict) and isinstance(space.spaces.get("text"), spaces.Text):
        env = DialogueHistory(env, emotion_window=config.emotion_window)
        env = HashedTextFeatures(env, n_features=config.n_features, memory=config.text_memory)
        return gym.wrappers.FlattenObservation(ScaleToUnit(env))
    if isinstance(space, spaces.Dict) and all(isinstance(entry, spaces.Box) for entry in space.spaces.values()):
        return gym.wrappers.FlattenObservation(env)
    if isinstance(space, spaces.Box):
        return env if len(space.shape) == 1 else gym.wrappers.FlattenObservation(env)
    raise ValueError(f"PPO here needs Box or Dict-of-Box observations (or an EmpathyGym Dict with text); got {space}")


def make_env(config: PPOConfig, index: int = 0, scheduler: Scheduler | None = None) -> gym.Env:
    """One featurised training env (``index`` is its place in the vector; seeds come from reset).

    EmpathyGym ids get ``difficulty`` and ``split`` from the config (and a :class:`Curriculum`
    around ``scheduler`` when one is given); any other Gymnasium id is made with its defaults.
    """
    del index  # every env is built alike; envs.reset(seed=seed) gives env i the seed seed + i
    if config.env_id.startswith("EmpathyGym/"):
        env = gym.make(config.env_id, difficulty=config.difficulty, split=config.split)
        if scheduler is not None:
            env = Curriculum(env, scheduler)
    else:
        env = gym.make(config.env_id)
    return featurise(env, config)


# --------------------------------------------------------------------------------------------
# Agent
# --------------------------------------------------------------------------------------------
def layer_init(layer: nn.Linear, std: float = math.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    """Orthogonal weights with gain ``std`` and constant bias."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias_const)
    return layer


def _mlp(n_in: int, hidden: tuple[int, ...], n_out: int, out_std: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [layer_init(nn.Linear(n_in, width)), nn.Tanh()]
        n_in = width
    layers.append(layer_init(nn.Linear(n_in, n_out), std=out_std))
    return nn.Sequential(*layers)


class Agent(nn.Module):
    """Separate MLP actor (categorical over strategies) and critic on the flat feature vector."""

    def __init__(self, n_observations: int, n_actions: int, hidden_sizes: tuple[int, ...] = (256, 256)) -> None:
        super().__init__()
        self.critic = _mlp(n_observations, tuple(hidden_sizes), 1, out_std=1.0)
        self.actor = _mlp(n_observations, tuple(hidden_sizes), n_actions, out_std=0.01)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(
        self, x: torch.Tensor, action: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (or score) actions: ``(action, log_prob, entropy, value)``."""
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            # Sample through torch with an explicit generator so runs are reproducible.
            action = torch.multinomial(probs.probs, 1, generator=generator).squeeze(-1)
        return action, probs.log_prob(action), probs.entropy(), self.get_value(x)

    @torch.no_grad()
    def act(self, obs_batch: Any, greedy: bool = True, generator: torch.Generator | None = None) -> np.ndarray:
        """Actions for a batch of flat observations: the most likely ones, or sampled (``greedy=False``)."""
        x = torch.as_tensor(np.asarray(obs_batch, dtype=np.float32))
        if greedy:
            return self.actor(x).argmax(dim=-1).numpy()
        return self.get_action_and_value(x, generator=generator)[0].numpy()


# --------------------------------------------------------------------------------------------
# Generalised advantage estimation
# --------------------------------------------------------------------------------------------
def compute_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    final_values: np.ndarray,
    next_value: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
    """GAE(lambda) advantages and returns for a ``(T, N)`` rollout; a pure function.

    Args:
        rewards, values: ``r_t`` and ``V(s_t)`` of each step.
        terminated: the episode ended at step t for real (resolved / quit): no bootstrap.
        truncated: the episode hit its turn budget at step t: bootstrap with ``final_values[t]``.
        final_values: ``V`` of the final observation of the episode that ended at step t (read only
            where ``truncated``); with SAME_STEP autoreset ``values[t + 1]`` is a new episode's.
        next_value: ``V`` of the observation after the last step (shape ``(N,)``).

    An episode end cuts the lambda-chain in both cases; they differ only in the one-step target.
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    terminated = np.asarray(terminated, dtype=bool)
    truncated = np.asarray(truncated, dtype=bool) & ~terminated
    final_values = np.asarray(final_values, dtype=np.float64)
    advantages = np.zeros_like(rewards)
    last_gae = np.zeros(rewards.shape[1:], dtype=np.float64)
    for t in reversed(range(rewards.shape[0])):
        following = np.asarray(next_value, dtype=np.float64) if t == rewards.shape[0] - 1 else values[t + 1]
        bootstrap = np.where(terminated[t], 0.0, np.where(truncated[t], final_values[t], following))
        delta = rewards[t] + gamma * bootstrap - values[t]
        continues = ~(terminated[t] | truncated[t])
        last_gae = delta + gamma * gae_lambda * continues * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


def clipped_losses(
    ratio: torch.Tensor,
    advantages: torch.Tensor,
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    clip_coef: float,
    clip_vloss: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped surrogate policy loss and (optionally clipped) value loss, as minimised.

    ``policy = mean(max(-A * r, -A * clip(r, 1 - eps, 1 + eps)))``;
    ``value = 0.5 * mean(max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2))``, or
    ``0.5 * mean((V - R)^2)`` without value clipping.
    """
    policy_loss = torch.max(-advantages * ratio, -advantages * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)).mean()
    unclipped = (new_values - returns) ** 2
    if not clip_vloss:
        return policy_loss, 0.5 * unclipped.mean()
    clipped_values = old_values + torch.clamp(new_values - old_values, -clip_coef, clip_coef)
    return policy_loss, 0.5 * torch.max(unclipped, (clipped_values - returns) ** 2).mean()


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
def _seed_everything(seed: int) -> None:
    # torch's global generator initialises the network weights; numpy randomness uses explicit generators.
    torch.manual_seed(seed)


def _explained_variance(predicted: np.ndarray, target: np.ndarray) -> float:
    variance = np.var(target)
    return float("nan") if variance == 0 else float(1.0 - np.var(target - predicted) / variance)


def _level(scheduler: Scheduler | None) -> float:
    """The curriculum's current level for the logs (NaN without a curriculum or a level)."""
    level = scheduler.level if scheduler is not None else None
    return math.nan if level is None else float(level)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


CHECKPOINT_NAME = "checkpoint.pt"
#: Format 2 adds the record of every action taken (replayed on resume) and the next observation.
CHECKPOINT_FORMAT = 2


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`: the last completed update was saved to ``checkpoint`` (None without a log dir)."""

    def __init__(self, update: int, checkpoint: Path | None) -> None:
        where = f"saved update {update} to {checkpoint}" if checkpoint is not None else "nothing saved (no log_dir)"
        super().__init__(f"training interrupted: {where}")
        self.update, self.checkpoint = update, checkpoint


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python numbers and lists, so weights-only loading reads it."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _checkpoint(config, agent, optimizer, sampler, shuffler, update, global_step, history, scheduler,
                schedule_steps, actions, next_obs) -> dict[str, Any]:
    """Everything needed to continue a run exactly, copied so later training cannot change it.

    Only tensors and plain Python values, so :func:`load_checkpoint` reads it weights-only. The
    environments' state is not stored: ``actions`` (every action since the start) is replayed on
    resume, which rebuilds it exactly; ``next_obs`` checks that the replay arrived where the run was.
    """
    return {
        "format": CHECKPOINT_FORMAT,
        "config": _plain(asdict(config)),
        "update": update,
        "global_step": global_step,
        "history": [dict(row) for row in history],
        "agent": copy.deepcopy(agent.state_dict()),
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "torch_rng": torch.get_rng_state(),
        "sampler": sampler.get_state(),
        "shuffler": _plain(shuffler.bit_generator.state),
        "scheduler": _plain(scheduler.state_dict()) if scheduler is not None else None,
        "schedule_total_steps": schedule_steps,
        "actions": actions[: update * config.num_steps].clone(),
        "next_obs": next_obs.clone(),
    }


def save_checkpoint(checkpoint: dict[str, Any], path: str | Path) -> None:
    """Write atomically: a crash mid-write leaves the previous checkpoint intact."""
    path = Path(path)
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(checkpoint, temporary)
    os.replace(temporary, path)


def load_checkpoint(path: str | Path, config: PPOConfig | None = None) -> dict[str, Any]:
    """Read a checkpoint weights-only (no code in the file runs); with ``config``, check it can be resumed.

    Raises ``ValueError`` naming the file when it is missing or not a checkpoint written by
    :func:`train`, and (with ``config``) when :func:`check_resumable` refuses it.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint at {str(path)!r}: give the checkpoint.pt of a run (in its log dir)")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # zip, pickle and weights-only refusals all mean one thing here
        raise ValueError(f"{str(path)!r} is not a PPO checkpoint written by empathy-gym train (not a torch file "
                         "that loads weights-only; no code in it was run)") from None
    if not isinstance(checkpoint, dict) or not {"config", "agent", "update"} <= set(checkpoint):
        raise ValueError(f"{str(path)!r} is not a PPO checkpoint written by empathy-gym train (keys missing)")
    if config is not None:
        check_resumable(checkpoint, config, path)
    return checkpoint


def check_resumable(checkpoint: dict[str, Any], config: PPOConfig, path: str | Path = "checkpoint") -> None:
    """Refuse to continue ``checkpoint`` with ``config`` unless only ``total_steps`` differs, and not downwards."""
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} was written by an older empathy_gym (checkpoint format "
                         f"{checkpoint.get('format')!r}, this one writes {CHECKPOINT_FORMAT}): it cannot be resumed "
                         "exactly; start a new run (play and evaluate still load it)")
    expected, saved = _plain(asdict(config)), checkpoint["config"]
    different = sorted(key for key in expected if key != "total_steps" and saved.get(key) != expected[key])
    if different:
        changes = ", ".join(f"{key}: {saved.get(key)!r} there, {expected[key]!r} here" for key in different)
        raise ValueError(f"checkpoint {path} was written with other settings ({changes}); only total_steps may "
                         "change on resume")
    if config.num_updates < checkpoint["update"]:
        raise ValueError(f"checkpoint {path} has already trained {checkpoint['global_step']} steps "
                         f"({checkpoint['update']} updates); total_steps {config.total_steps} is fewer: give at "
                         f"least {checkpoint['global_step']}")


def config_from_checkpoint(checkpoint: dict[str, Any]) -> PPOConfig:
    """The :class:`PPOConfig` a checkpoint was written with."""
    saved = dict(checkpoint["config"])
    saved["hidden_sizes"] = tuple(saved["hidden_sizes"])
    return PPOConfig(**saved)


def load_agent(path: str | Path) -> tuple[Agent, PPOConfig]:
    """The trained agent and its config from a checkpoint written by :func:`train`."""
    checkpoint = load_checkpoint(path)
    config = config_from_checkpoint(checkpoint)
    probe = make_env(config)
    agent = Agent(int(np.prod(probe.observation_space.shape)), int(probe.action_space.n), config.hidden_sizes)
    probe.close()
    agent.load_state_dict(checkpoint["agent"])
    agent.eval()
    return agent, config


def _replay(envs: gym.vector.VectorEnv, actions: torch.Tensor, next_obs: torch.Tensor,
            running_return: np.ndarray, running_signal: np.ndarray) -> torch.Tensor:
    """Step ``envs`` through ``actions`` (one row per vector step) as training did; the next observation."""
    for row in actions.numpy():
        raw_obs, reward, _, _, infos = envs.step(row)
        running_return += reward
        running_signal |= reward > 0
        if "final_obs" in infos:
            ended = np.flatnonzero(infos["_final_obs"])
            running_return[ended] = 0.0
            running_signal[ended] = False
        next_obs = torch.as_tensor(raw_obs, dtype=torch.float32)
    return next_obs


def _open_progress(path: Path, history: list[dict[str, float]]):
    """``progress.csv`` holding exactly ``history``'s rows (written atomically), open for appending."""
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        writer.writerows(history)
    os.replace(temporary, path)
    handle = open(path, "a", newline="", encoding="utf-8")
    return handle, csv.DictWriter(handle, fieldnames=LOG_COLUMNS)


def train(
    config: PPOConfig,
    log_dir: str | Path | None = None,
    *,
    checkpoint_every: int = 10,
    resume: str | Path | None = None,
    on_update: Callable[[dict[str, float], "Agent"], None] | None = None,
    env_fn: Callable[[], gym.Env] | None = None,
    initial_agent: "Agent | None" = None,
) -> dict[str, Any]:
    """Train a PPO agent; return the final update's metrics (the :data:`LOG_COLUMNS`) and more.

    Checkpoints: with ``log_dir``, ``log_dir/checkpoint.pt`` is written atomically every
    ``checkpoint_every`` updates, at the end, and when the run is interrupted (Ctrl-C saves the
    last completed update, then raises :class:`TrainingInterrupted`, a ``KeyboardInterrupt``). It
    holds the model, the optimiser, every random state, the step counters, the history, the config
    and every action taken; only tensors and plain values, read back weights-only.
    ``on_update(row, agent)`` is called after each update (the CLI's progress bar).

    ``resume=path`` continues that run exactly: the config must match except ``total_steps``, which
    may grow (the learning rate then anneals over the new total; a curriculum keeps the schedule it
    started with). The environments are rebuilt by replaying the recorded actions from the run's
    first reset, so a run interrupted at any point (Ctrl-C, or killed after a checkpoint) and resumed
    ends with the weights and progress rows of the uninterrupted run. Everything is checked before
    anything is written: a refused resume leaves ``log_dir`` as it was. ``progress.csv`` then holds
    the checkpoint's rows and continues from there; TensorBoard events after the checkpoint are purged.

    The returned dict holds every column of the last update, ``"history"`` (one dict per update),
    ``"agent"`` (the trained :class:`Agent`, in eval mode) and ``"config"``. With ``log_dir``, it
    writes ``log_dir/progress.csv`` (one row per update) and, when the ``tensorboard`` package is
    importable, TensorBoard scalars to ``log_dir``.

    ``env_fn`` builds each raw training env instead of ``config.env_id`` (it is featurised with
    :func:`featurise` like any other), e.g. one seat of a multi-agent env through
    :class:`empathy_gym.envs.multiagent.SingleSeatEnv`. ``initial_agent`` continues training that
    agent (updated in place) instead of a freshly initialised one, with a fresh optimiser; the
    independent learners of ``examples/pettingzoo_selfplay.py`` take turns this way.
    """
    # ---- check what can be checked before anything is built or written ----
    if initial_agent is not None and resume is not None:
        raise ValueError("pass either initial_agent or resume, not both")
    if env_fn is not None and config.curriculum is not None:
        raise ValueError("a curriculum drives the config's env; it cannot be combined with env_fn")
    if log_dir is not None:
        log_dir = Path(log_dir)
        if log_dir.exists() and not log_dir.is_dir():
            raise ValueError(f"log_dir {str(log_dir)!r} is a file, not a folder")
    saved = load_checkpoint(resume, config) if resume is not None else None

    # ---- seeding and determinism ----
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(config.torch_threads)
    torch.use_deterministic_algorithms(True)
    _seed_everything(config.seed)
    sampler = torch.Generator().manual_seed(config.seed)
    shuffler = np.random.default_rng(config.seed)

    # ---- env setup ----
    schedule_steps = saved["schedule_total_steps"] if saved is not None else config.total_steps
    scheduler = config.make_scheduler(schedule_steps)  # one curriculum shared by every env (None without one)
    envs = gym.vector.SyncVectorEnv(
        [(lambda i=i: make_env(config, i, scheduler)) if env_fn is None else (lambda: featurise(env_fn(), config))
         for i in range(config.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    csv_file = writer = boundary = None
    try:
        if not isinstance(envs.single_action_space, spaces.Discrete):
            raise ValueError(f"PPO here needs Discrete actions; {config.env_id} has {envs.single_action_space}")
        n_obs = int(np.prod(envs.single_observation_space.shape))
        agent = (Agent(n_obs, int(envs.single_action_space.n), config.hidden_sizes) if initial_agent is None
                 else initial_agent)
        if initial_agent is not None and agent.actor[0].in_features != n_obs:
            raise ValueError(f"initial_agent takes {agent.actor[0].in_features} features; these envs give {n_obs}")
        agent.train()
        optimizer = torch.optim.Adam(agent.parameters(), lr=config.learning_rate, eps=1e-5)

        # ---- rollout storage ----
        T, N = config.num_steps, config.num_envs
        obs = torch.zeros((T, N, n_obs))
        actions = torch.zeros((T, N), dtype=torch.long)
        logprobs = torch.zeros((T, N))
        rewards = np.zeros((T, N))
        values = np.zeros((T, N))
        terminations = np.zeros((T, N), dtype=bool)
        truncations = np.zeros((T, N), dtype=bool)
        final_values = np.zeros((T, N))
        taken = torch.zeros((config.num_updates * T, N), dtype=torch.long)  # every action of the run, for resume

        history: list[dict[str, float]] = []
        global_step = 0
        first_update = 1
        next_obs = torch.as_tensor(envs.reset(seed=config.seed)[0], dtype=torch.float32)
        running_return = np.zeros(N)
        running_signal = np.zeros(N, dtype=bool)  # whether the episode has had a positive reward yet
        if saved is not None:
            agent.load_state_dict(saved["agent"])
            optimizer.load_state_dict(saved["optimizer"])
            torch.set_rng_state(saved["torch_rng"])
            sampler.set_state(saved["sampler"])
            shuffler.bit_generator.state = saved["shuffler"]
            history, global_step = [dict(row) for row in saved["history"]], saved["global_step"]
            first_update = saved["update"] + 1
            taken[: len(saved["actions"])] = saved["actions"]
            next_obs = _replay(envs, saved["actions"], next_obs, running_return, running_signal)
            if not torch.equal(next_obs, saved["next_obs"]) or (
                    scheduler is not None and _plain(scheduler.state_dict()) != saved["scheduler"]):
                raise RuntimeError(f"replaying the actions of {resume} did not reproduce its environments (the "
                                   "environment code or data changed since it was written); it cannot be resumed "
                                   "exactly: start a new run")

        # ---- logging (only now: a refused run writes nothing) ----
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            csv_file, csv_writer = _open_progress(log_dir / "progress.csv", history)
            try:
                from torch.utils.tensorboard import SummaryWriter

                # purge_step drops the events a killed run logged after its checkpoint.
                writer = SummaryWriter(str(log_dir), purge_step=global_step + 1 if saved is not None else None)
                writer.add_text("hyperparameters", "\n".join(f"{k}: {v}" for k, v in asdict(config).items()))
            except ImportError:
                writer = None
        boundary = _checkpoint(config, agent, optimizer, sampler, shuffler, first_update - 1, global_step, history,
                               scheduler, schedule_steps, taken, next_obs)
        start_time = time.perf_counter()
        start_step = global_step
        for update in range(first_update, config.num_updates + 1):
            # Linear annealing: the learning rate falls to 0 at the end of the run.
            if config.anneal_lr:
                frac = 1.0 - (update - 1.0) / config.num_updates
                optimizer.param_groups[0]["lr"] = frac * config.learning_rate
            episode_returns: list[float] = []
            final_emotions: list[float] = []
            reasons: list[str] = []
            signals: list[bool] = []

            # ---- rollout ----
            for step in range(T):
                global_step += N
                obs[step] = next_obs
                with torch.no_grad():
                    action, logprob, _, value = agent.get_action_and_value(next_obs, generator=sampler)
                actions[step], logprobs[step], values[step] = action, logprob, value.numpy()
                taken[(update - 1) * T + step] = action
                raw_obs, reward, terminated, truncated, infos = envs.step(action.numpy())
                rewards[step], terminations[step], truncations[step] = reward, terminated, truncated
                next_obs = torch.as_tensor(raw_obs, dtype=torch.float32)
                running_return += reward
                running_signal |= reward > 0
                final_values[step] = 0.0
                if "final_obs" in infos:
                    ended = np.flatnonzero(infos["_final_obs"])
                    final_obs = torch.as_tensor(np.stack(infos["final_obs"][ended]), dtype=torch.float32)
                    with torch.no_grad():
                        final_values[step, ended] = agent.get_value(final_obs).numpy()
                    final_info = infos["final_info"]
                    # EmpathyGym's outcome keys; other Gymnasium envs simply do not log them.
                    has_emotion = final_info.get("_final_emotion", np.zeros(N, dtype=bool))
                    has_reason = final_info.get("_reason", np.zeros(N, dtype=bool))
                    for i in ended:
                        episode_returns.append(float(running_return[i]))
                        signals.append(bool(running_signal[i]))
                        running_return[i] = 0.0
                        running_signal[i] = False
                        if has_emotion[i]:
                            final_emotions.append(float(final_info["final_emotion"][i]))
                        if has_reason[i]:
                            reasons.append(str(final_info["reason"][i]))

            # ---- GAE ----
            with torch.no_grad():
                next_value = agent.get_value(next_obs).numpy()
            advantages_np, returns_np = compute_gae(
                rewards, values, terminations, truncations, final_values, next_value, config.gamma, config.gae_lambda
            )

            # ---- flatten the batch ----
            b_obs = obs.reshape(-1, n_obs)
            b_actions = actions.reshape(-1)
            b_logprobs = logprobs.reshape(-1)
            b_advantages = torch.as_tensor(advantages_np.reshape(-1), dtype=torch.float32)
            b_returns = torch.as_tensor(returns_np.reshape(-1), dtype=torch.float32)
            b_values = torch.as_tensor(values.reshape(-1), dtype=torch.float32)

            # ---- update: epochs of shuffled minibatches ----
            clip_fractions: list[float] = []
            indices = np.arange(config.batch_size)
            for _epoch in range(config.update_epochs):
                shuffler.shuffle(indices)
                for start in range(0, config.batch_size, config.minibatch_size):
                    mb = torch.as_tensor(indices[start:start + config.minibatch_size])
                    _, new_logprob, entropy, new_value = agent.get_action_and_value(b_obs[mb], b_actions[mb])
                    log_ratio = new_logprob - b_logprobs[mb]
                    ratio = log_ratio.exp()
                    with torch.no_grad():
                        approx_kl = ((ratio - 1) - log_ratio).mean()
                        clip_fractions.append(float(((ratio - 1.0).abs() > config.clip_coef).float().mean()))

                    mb_advantages = b_advantages[mb]
                    if config.norm_adv and len(mb) > 1:
                        mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
                    pg_loss, v_loss = clipped_losses(ratio, mb_advantages, new_value, b_values[mb], b_returns[mb],
                                                     config.clip_coef, config.clip_vloss)
                    entropy_loss = entropy.mean()
                    loss = pg_loss - config.ent_coef * entropy_loss + v_loss * config.vf_coef

                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(agent.parameters(), config.max_grad_norm)
                    optimizer.step()

                if config.target_kl is not None and approx_kl.item() > config.target_kl:
                    break

            # ---- logging ----
            row = {
                "update": update,
                "global_step": global_step,
                "learning_rate": float(optimizer.param_groups[0]["lr"]),
                "policy_loss": pg_loss.item(),
                "value_loss": v_loss.item(),
                "entropy": entropy_loss.item(),
                "approx_kl": approx_kl.item(),
                "clip_fraction": _mean(clip_fractions),
                "explained_variance": _explained_variance(values.reshape(-1), returns_np.reshape(-1)),
                "sps": (global_step - start_step) / (time.perf_counter() - start_time),
                "episodes": len(episode_returns),
                "mean_episode_return": _mean(episode_returns),
                "mean_final_emotion": _mean(final_emotions),
                "success_rate": _mean([r == "resolved" for r in reasons]),
                "failure_rate": _mean([r == "quit" for r in reasons]),
                "signal_share": _mean(signals),
                "curriculum_level": _level(scheduler),
            }
            history.append(row)
            if on_update is not None:
                on_update(row, agent)
            if csv_file is not None:
                csv_writer.writerow(row)
                csv_file.flush()
            if writer is not None:
                for key, value in row.items():
                    if key != "update":
                        writer.add_scalar(f"charts/{key}", value, global_step)
            boundary = _checkpoint(config, agent, optimizer, sampler, shuffler, update, global_step, history,
                                   scheduler, schedule_steps, taken, next_obs)
            if log_dir is not None and (update % checkpoint_every == 0 or update == config.num_updates):
                save_checkpoint(boundary, log_dir / CHECKPOINT_NAME)
    except KeyboardInterrupt:
        saved_to = None
        if log_dir is not None and boundary is not None:
            saved_to = log_dir / CHECKPOINT_NAME
            save_checkpoint(boundary, saved_to)
        raise TrainingInterrupted(boundary["update"] if boundary is not None else 0, saved_to) from None
    finally:
        envs.close()
        if csv_file is not None:
            csv_file.close()
        if writer is not None:
            writer.close()
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)

    agent.eval()
    return {**history[-1], "history": history, "agent": agent, "config": config}


# --------------------------------------------------------------------------------------------
# Evaluation adapter
# --------------------------------------------------------------------------------------------
class PPOPolicy:
    """Play a trained :class:`Agent` through the policy interface of :mod:`empathy_gym.policies.reference`.

    The raw Dict observations that :func:`empathy_gym.evaluation.evaluate` hands over are
    featurised by the very wrapper stack used in training (:func:`featurise`), wrapped around a
    stand-in env that replays them; its ``reset``/``step`` keep the ``DialogueHistory`` state
    (strategy shares, emotion history) exactly as during training. So features cannot drift
    between training and evaluation.

    Args:
        agent: the trained agent (``train(...)["agent"]``).
        config: the run's config (the featuriser settings must match).
        greedy: take the most likely strategy (default) or sample one.
        seed: seeds sampling when ``greedy=False``.
    """

    def __init__(self, agent: Agent, config: PPOConfig, *, greedy: bool = True, seed: int = 0, name: str = "ppo") -> None:
        self.agent = agent
        self.config = config
        self.greedy = greedy
        self.name = name
        self._generator = torch.Generator().manual_seed(seed)
        self._features: ReplayFeaturiser | None = None
        self.last_entropy: float | None = None  # entropy (nats) of the last action's distribution

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        if env is None:
            raise ValueError("PPOPolicy.reset needs the env, for its observation and action spaces")
        self._features = ReplayFeaturiser(env.observation_space, env.action_space,
                                          lambda replay: featurise(replay, self.config))

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        if self._features is None:
            raise RuntimeError("call reset before act")
        features = self._features(observation)
        with torch.no_grad():
            logits = self.agent.actor(torch.as_tensor(features[None], dtype=torch.float32))
            distribution = Categorical(logits=logits)
            if self.greedy:
                action = int(logits.argmax(dim=-1)[0])
            else:
                action = int(torch.multinomial(distribution.probs, 1, generator=self._generator)[0, 0])
        self.last_entropy = float(distribution.entropy()[0])
        self._features.record(action)
        return action


if __name__ == "__main__":  # pragma: no cover
    result = train(PPOConfig(), log_dir="runs/ppo")
    print({key: value for key, value in result.items() if key in LOG_COLUMNS})
