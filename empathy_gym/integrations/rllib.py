"""Ray RLlib integration: registered env creators, a PPO config helper and an evaluation adapter.

RLlib cannot encode a ``Text`` observation (``No default encoder config for obs space=Dict(...
Text ...)``), so every env built here goes through the package's featurisers first, exactly the
stack the bundled PPO trains on (:func:`empathy_gym.agents.ppo.featurise`: the agent's strategy
history, hashed text, every entry scaled to [-1, 1], flattened into one ``Box``).

* :func:`register` registers two creators with ``ray.tune.registry.register_env`` (the gymnasium
  registry is not visible in remote env runners): :data:`SINGLE_AGENT_ENV` builds any EmpathyGym
  strategy id (:func:`make_env`) and :data:`MULTI_AGENT_ENV` builds ``supporter_seeker_v0`` or
  ``support_group_v0`` as an RLlib ``MultiAgentEnv`` (:class:`MultiAgentEmpathyEnv`) with each
  seat featurised on its own.
* :func:`ppo_config` and :func:`multi_agent_ppo_config` return RLlib ``PPOConfig`` objects (new
  API stack) with this project's tuned PPO hyperparameters, read from
  :class:`empathy_gym.agents.ppo.PPOConfig`; the multi-agent one trains one policy per seat.
* :func:`build_algorithm` builds the algorithm without writing under ``~/ray_results``;
  :func:`save_checkpoint` writes an RLlib checkpoint plus the feature settings it was trained with.
* :class:`RLlibPolicy` plays a trained RLModule through :func:`empathy_gym.evaluation.evaluate`,
  and :func:`load_rllib_policy` loads one from a checkpoint (what ``empathy-gym evaluate --policy
  CHECKPOINT_DIR`` does).

Example (train two iterations with one env runner, then evaluate on the test users)::

    import ray
    from empathy_gym.integrations.rllib import RLlibPolicy, build_algorithm, ppo_config

    ray.init()
    algo = build_algorithm(ppo_config("EmpathyGym/SupportStrategy-v0", num_env_runners=1, seed=1))
    for _ in range(2):
        algo.train()
    records, summary = evaluate(RLlibPolicy.from_algorithm(algo), split="test")

Differences from the bundled PPO that RLlib does not let a config change: advantages are
normalised over the whole train batch (not per minibatch), RLlib's value-function clip is an
absolute bound on the value loss (``vf_clip_param``, left at RLlib's default) rather than a
clip around the old values, Adam keeps torch's default epsilon, and the layers use RLlib's
default initialisers.

Multi-agent runs are reproducible whatever ``PYTHONHASHSEED`` is. RLlib's own
``ParallelPettingZooEnv`` orders agents through a ``set`` of their names, and RLlib's multi-agent
episodes iterate over sets of agent ids too, so with string ids the order of agents (and of the
random numbers they draw) changes with the hash seed. ``MultiAgentEmpathyEnv`` therefore names
the agents by their seat's index in the PettingZoo env's ``possible_agents`` (small integers hash
to themselves) and keeps that order in every dict; the policies are named after the seats.

Ray and torch are imported only inside the functions that need them (install the extra:
``pip install -c constraints-rllib.txt "empathy_gym[rllib]"``, see the README), so this module
imports without them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)
from empathy_gym._optional import require
from empathy_gym.wrappers.features import ReplayFeaturiser

__all__ = [
    "FEATURE_KEYS", "MULTI_AGENT_ENV", "MULTI_AGENT_ENVS", "SINGLE_AGENT_ENV", "MultiAgentEmpathyEnv", "RLlibPolicy",
    "build_algorithm", "load_rllib_policy", "make_env", "make_multi_agent_env", "multi_agent_ppo_config",
    "ppo_config", "register", "save_checkpoint", "SeatPolicies",
]

#: The names the creators are registered under with ``ray.tune.registry.register_env``.
SINGLE_AGENT_ENV = "empathy_gym"
MULTI_AGENT_ENV = "empathy_gym_multiagent"
#: The multi-agent envs :func:`make_multi_agent_env` builds, by name.
MULTI_AGENT_ENVS = ("supporter_seeker_v0", "support_group_v0")
#: The feature settings an ``env_config`` may give (the defaults are :class:`PPOConfig`'s).
FEATURE_KEYS = ("n_features", "text_memory", "emotion_window")
#: The file :func:`save_checkpoint` writes beside RLlib's checkpoint.
FEATURES_FILE = "empathy_gym_features.json"

_INSTALL_HINT = ('this needs Ray RLlib and torch: pip install -c constraints-rllib.txt "empathy_gym[rllib]" '
                 "(ray[rllib] pins its own gymnasium, so use a separate virtual environment; see the README)")


def _require_rllib() -> Any:
    """Import ray with RLlib, or raise an ImportError that says how to install it."""
    return require("ray", "ray.rllib", "torch", hint=_INSTALL_HINT)


# --------------------------------------------------------------------------------------------
# Env creators
# --------------------------------------------------------------------------------------------
def _feature_config(env_config: Mapping[str, Any], allowed: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """Split an ``env_config`` into the featuriser settings (a ``PPOConfig``) and the env's kwargs."""
    from empathy_gym.agents.ppo import PPOConfig

    unknown = sorted(set(env_config) - set(allowed) - set(FEATURE_KEYS) - {"env_kwargs"})
    if unknown:
        raise ValueError(f"unknown env_config key(s) {unknown}; allowed: {', '.join((*allowed, *FEATURE_KEYS, 'env_kwargs'))}")
    env_kwargs = env_config.get("env_kwargs") or {}
    if not isinstance(env_kwargs, Mapping):
        raise ValueError(f"env_config['env_kwargs'] must be a mapping of gym.make keyword arguments, got {env_kwargs!r}")
    features = PPOConfig(**{key: env_config[key] for key in FEATURE_KEYS if key in env_config})
    return features, dict(env_kwargs)


def make_env(env_config: Mapping[str, Any] | None = None) -> gym.Env:
    """The single-agent creator: a featurised EmpathyGym strategy env with one ``Box`` observation.

    ``env_config`` (RLlib passes its ``EnvContext``, a dict): ``env_id`` (default
    ``EmpathyGym/SupportStrategy-v0``), ``env_kwargs`` (passed to ``gym.make``: ``difficulty``,
    ``split``, ...) and the feature settings ``n_features``, ``text_memory``, ``emotion_window``
    (defaults: the bundled PPO's).
    """
    from empathy_gym.agents.ppo import featurise

    env_config = dict(env_config or {})
    features, env_kwargs = _feature_config(env_config, ("env_id",))
    env_id = env_config.get("env_id", "EmpathyGym/SupportStrategy-v0")
    if not isinstance(env_id, str) or not env_id.startswith("EmpathyGym/"):
        raise ValueError(f"env_id must be an EmpathyGym id (EmpathyGym/...), got {env_id!r}")
    env = gym.make(env_id, **env_kwargs)
    if not isinstance(env.action_space, spaces.Discrete):
        env.close()
        raise ValueError(f"RLlib's PPO here needs Discrete actions; {env_id} has {env.action_space}: "
                         "use a strategy id (EmpathyGym/SupportStrategy-v0 and its variants)")
    return featurise(env, features)


def make_multi_agent_env(env_config: Mapping[str, Any] | None = None) -> Any:
    """The multi-agent creator: ``env`` (one of :data:`MULTI_AGENT_ENVS`, default ``supporter_seeker_v0``),
    ``env_kwargs`` for its ``parallel_env`` (``seeker_reward``, ``n_seekers``, ``seeker_policy``, ...),
    and the feature settings as in :func:`make_env`, applied to every seat."""
    env_config = dict(env_config or {})
    features, env_kwargs = _feature_config(env_config, ("env",))
    name = env_config.get("env", "supporter_seeker_v0")
    if name not in MULTI_AGENT_ENVS:
        raise ValueError(f"unknown multi-agent env {name!r}; allowed: {', '.join(MULTI_AGENT_ENVS)}")
    from empathy_gym.envs import multiagent

    return _multi_agent_env_class()(getattr(multiagent, name).parallel_env(**env_kwargs), features)


class _MultiAgentEmpathyEnv:
    """An EmpathyGym PettingZoo parallel env as an RLlib ``MultiAgentEnv``, one featurised ``Box`` per seat.

    Made by :func:`make_multi_agent_env`; as a class it is ``MultiAgentEmpathyEnv(parallel_env,
    features)``, ``features`` being a :class:`~empathy_gym.agents.ppo.PPOConfig` whose
    ``n_features``, ``text_memory`` and ``emotion_window`` set the featurisers.

    Every learnable seat's raw observation goes through :func:`empathy_gym.agents.ppo.featurise`
    on its own (around a stand-in env that replays it, so the seat's own action history counts).
    The agent ids are the seats' positions in the PettingZoo env's ``possible_agents`` (``0`` is
    ``seats[0]``, ...): RLlib's multi-agent episodes iterate over ``set`` objects of agent ids,
    whose order follows ``PYTHONHASHSEED`` for strings but not for small integers, so integer ids
    make sampling, and with it training, the same under every hash seed. :class:`SeatPolicies`
    maps each id to its seat's policy. Every agent ends at once in these envs (``__all__``).
    """

    def __init__(self, parallel_env: Any, features: Any) -> None:
        super().__init__()
        from empathy_gym.agents.ppo import featurise

        self.par_env = parallel_env
        self.features = features
        self.seats: list[str] = list(parallel_env.possible_agents)
        self._index = {seat: index for index, seat in enumerate(self.seats)}
        self.possible_agents = list(range(len(self.seats)))
        self.agents = list(self.possible_agents)
        self._build = lambda replay: featurise(replay, features)
        self._featurisers = self._new_featurisers()
        self.observation_spaces = {index: self._featurisers[index].observation_space for index in self.possible_agents}
        self.action_spaces = {index: parallel_env.action_space(seat) for index, seat in enumerate(self.seats)}
        self.observation_space = spaces.Dict(self.observation_spaces)
        self.action_space = spaces.Dict(self.action_spaces)

    def _new_featurisers(self) -> dict[int, ReplayFeaturiser]:
        return {index: ReplayFeaturiser(self.par_env.observation_space(seat), self.par_env.action_space(seat),
                                        self._build) for index, seat in enumerate(self.seats)}

    def _by_index(self, per_seat: Mapping[str, Any]) -> dict[int, Any]:
        """A per-seat dict of the PettingZoo env as a dict keyed by seat index, in seat order."""
        return {index: per_seat[seat] for index, seat in enumerate(self.seats) if seat in per_seat}

    def _featurise(self, observations: Mapping[str, Any]) -> dict[int, Any]:
        return {index: self._featurisers[index](observation) for index, observation in self._by_index(observations).items()}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        observations, infos = self.par_env.reset(seed=seed, options=options)
        self._featurisers = self._new_featurisers()
        self.agents = [self._index[seat] for seat in self.par_env.agents]
        return self._featurise(observations), self._by_index(infos)

    def step(self, action_dict: Mapping[int, Any]):
        missing = [index for index in self.agents if index not in action_dict]
        if missing:
            raise ValueError(f"actions missing for agent(s) {missing}; live agents: {self.agents} "
                             f"(seats {[self.seats[index] for index in self.agents]})")
        actions = {self.seats[index]: _plain(action_dict[index]) for index in self.agents}
        for index in self.agents:
            self._featurisers[index].record(actions[self.seats[index]])
        observations, rewards, terminations, truncations, infos = self.par_env.step(actions)
        self.agents = [self._index[seat] for seat in self.par_env.agents]
        terminateds = self._by_index({seat: bool(done) for seat, done in terminations.items()})
        truncateds = self._by_index({seat: bool(done) for seat, done in truncations.items()})
        terminateds["__all__"] = all(terminateds.values())
        truncateds["__all__"] = not self.agents and not terminateds["__all__"]
        return (self._featurise(observations), self._by_index({seat: float(r) for seat, r in rewards.items()}),
                terminateds, truncateds, self._by_index(infos))

    def render(self) -> str | None:
        return self.par_env.render()

    def close(self) -> None:
        self.par_env.close()


class SeatPolicies:
    """The policy mapping of :func:`multi_agent_ppo_config`: agent id (seat index) -> the seat's policy, named as the seat."""

    def __init__(self, seats: list[str]) -> None:
        self.seats = list(seats)

    def __call__(self, agent_id: int, episode: Any = None, **kwargs: Any) -> str:
        return self.seats[agent_id]


@functools.cache
def _multi_agent_env_class() -> type:
    """``MultiAgentEmpathyEnv``: :class:`_MultiAgentEmpathyEnv` on RLlib's ``MultiAgentEnv`` (imported here, lazily)."""
    _require_rllib()
    from ray.rllib.env.multi_agent_env import MultiAgentEnv

    return type("MultiAgentEmpathyEnv", (_MultiAgentEmpathyEnv, MultiAgentEnv),
                {"__module__": __name__, "__doc__": _MultiAgentEmpathyEnv.__doc__})


def __getattr__(name: str) -> Any:
    # ``MultiAgentEmpathyEnv`` subclasses RLlib's MultiAgentEnv, so it exists only once ray is imported.
    if name == "MultiAgentEmpathyEnv":
        return _multi_agent_env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plain(action: Any) -> Any:
    """An RLlib action (numpy scalar or array) as the Python value the envs check."""
    array = np.asarray(action)
    return int(array) if array.ndim == 0 else array.astype(np.int64)


def register() -> None:
    """Register :data:`SINGLE_AGENT_ENV` and :data:`MULTI_AGENT_ENV` with Ray Tune's registry (idempotent)."""
    _require_rllib()
    from ray.tune.registry import register_env

    register_env(SINGLE_AGENT_ENV, make_env)
    register_env(MULTI_AGENT_ENV, make_multi_agent_env)


# --------------------------------------------------------------------------------------------
# PPO configs
# --------------------------------------------------------------------------------------------
def _agent_config(agent: Any, overrides: Mapping[str, Any]) -> Any:
    from empathy_gym.agents.ppo import PPOConfig

    agent = agent if agent is not None else PPOConfig()
    if not isinstance(agent, PPOConfig):
        raise TypeError(f"agent must be an empathy_gym.agents.ppo.PPOConfig, got {type(agent).__name__}")
    return replace(agent, **overrides)


def _tuned(config: Any, agent: Any, *, num_env_runners: int, env: str, env_config: dict[str, Any]) -> Any:
    """Apply the bundled PPO's hyperparameters (``agent``) to an RLlib ``PPOConfig``."""
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    if isinstance(num_env_runners, bool) or not isinstance(num_env_runners, int) or num_env_runners < 0:
        raise ValueError(f"num_env_runners must be an integer >= 0, got {num_env_runners!r}")
    budget = agent.num_updates * agent.batch_size
    # The bundled agent anneals linearly to 0 over the run; RLlib interpolates [step, value] pairs.
    learning_rate = [[0, agent.learning_rate], [budget, 0.0]] if agent.anneal_lr else agent.learning_rate
    envs_per_runner = max(1, agent.num_envs // max(1, num_env_runners))
    return (
        config.environment(env, env_config=env_config)
        .env_runners(num_env_runners=num_env_runners, num_envs_per_env_runner=envs_per_runner,
                     rollout_fragment_length=agent.num_steps, num_cpus_per_env_runner=1)
        .learners(num_learners=0)
        .training(lr=learning_rate, gamma=agent.gamma, lambda_=agent.gae_lambda,
                  train_batch_size_per_learner=agent.batch_size, minibatch_size=agent.minibatch_size,
                  num_epochs=agent.update_epochs, clip_param=agent.clip_coef, entropy_coeff=agent.ent_coef,
                  vf_loss_coeff=agent.vf_coef, grad_clip=agent.max_grad_norm, grad_clip_by="global_norm",
                  use_kl_loss=False)
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=list(agent.hidden_sizes), fcnet_activation="tanh",
                                                   vf_share_layers=False))
        .debugging(seed=agent.seed)
        .reporting(metrics_num_episodes_for_smoothing=100)
    )


def _features_of(agent: Any) -> dict[str, Any]:
    return {key: getattr(agent, key) for key in FEATURE_KEYS}


def ppo_config(env_id: str = "EmpathyGym/SupportStrategy-v0", *, env_kwargs: Mapping[str, Any] | None = None,
               num_env_runners: int = 0, agent: Any = None, **overrides: Any) -> Any:
    """An RLlib PPO config (new API stack) for an EmpathyGym strategy id with the bundled PPO's hyperparameters.

    Args:
        env_id: a strategy id (``Discrete`` actions).
        env_kwargs: for ``gym.make`` (``difficulty``, ``split``, ...); default: ``agent``'s
            ``difficulty`` and ``split``.
        num_env_runners: remote env runners (0: sample in the driver's local runner). The
            ``agent.num_envs`` envs are split among them (at least one each).
        agent: an :class:`empathy_gym.agents.ppo.PPOConfig` (default: its defaults, the tuned
            settings): learning rate and its annealing over ``total_steps``, gamma, GAE lambda,
            batch (``num_envs * num_steps``), minibatch, epochs, clip, entropy and value
            coefficients, gradient-norm clip, tanh layers of ``hidden_sizes`` for actor and
            critic (not shared), the features, and the seed.
        **overrides: replace fields of ``agent`` (``seed=2``, ``total_steps=50_000``, ...).
    """
    _require_rllib()
    from ray.rllib.algorithms.ppo import PPOConfig as RLlibPPOConfig

    register()
    agent = _agent_config(agent, overrides)
    env_kwargs = dict(env_kwargs) if env_kwargs is not None else {"difficulty": agent.difficulty, "split": agent.split}
    make_env({"env_id": env_id, "env_kwargs": env_kwargs, **_features_of(agent)}).close()  # fail here, not in a runner
    env_config = {"env_id": env_id, "env_kwargs": env_kwargs, **_features_of(agent)}
    return _tuned(RLlibPPOConfig(), agent, num_env_runners=num_env_runners, env=SINGLE_AGENT_ENV, env_config=env_config)


def multi_agent_ppo_config(env: str = "supporter_seeker_v0", *, env_kwargs: Mapping[str, Any] | None = None,
                           num_env_runners: int = 0, agent: Any = None, **overrides: Any) -> Any:
    """An RLlib multi-agent PPO config: one policy per learnable seat of ``env`` (see :func:`ppo_config`).

    ``env`` is one of :data:`MULTI_AGENT_ENVS`; ``env_kwargs`` go to its ``parallel_env`` (e.g.
    ``{"seeker_reward": "regret"}``; ``support_group_v0`` needs ``seeker_policy=None`` for
    learnable seekers). The policies are named after the seats, in the env's seat order.
    """
    _require_rllib()
    from ray.rllib.algorithms.ppo import PPOConfig as RLlibPPOConfig

    register()
    agent = _agent_config(agent, overrides)
    env_config = {"env": env, "env_kwargs": dict(env_kwargs or {}), **_features_of(agent)}
    probe = make_multi_agent_env(env_config)
    seats = list(probe.seats)
    probe.close()
    config = _tuned(RLlibPPOConfig(), agent, num_env_runners=num_env_runners, env=MULTI_AGENT_ENV,
                    env_config=env_config)
    # A list keeps the seats in the env's order (a set would order them by the hash seed).
    return config.multi_agent(policies=seats, policy_mapping_fn=SeatPolicies(seats),
                              policies_to_train=seats)


def build_algorithm(config: Any, storage_path: str | os.PathLike | None = None) -> Any:
    """``config.build_algo()``, with the trial folder Ray makes for every algorithm under ``storage_path``.

    Outside Tune, Ray's ``Trainable`` makes a new folder under ``~/ray_results`` for each algorithm
    it builds; with ``storage_path`` that folder goes there instead (``None``: Ray's default).
    """
    _require_rllib()
    if storage_path is None:
        return config.build_algo()
    from unittest import mock

    import ray.tune.trainable.trainable as trainable

    Path(storage_path).mkdir(parents=True, exist_ok=True)
    with mock.patch.object(trainable, "DEFAULT_STORAGE_PATH", os.fspath(storage_path)):
        return config.build_algo()


def save_checkpoint(algo: Any, path: str | os.PathLike) -> Path:
    """Save ``algo`` to ``path`` (RLlib's checkpoint) with the feature settings, for :func:`load_rllib_policy`."""
    path = Path(path).absolute()
    algo.save_to_path(str(path))
    env_config = dict(algo.config.env_config)
    record = {"env": algo.config.env, **{key: env_config[key] for key in FEATURE_KEYS if key in env_config},
              "env_id": env_config.get("env_id"), "multi_agent_env": env_config.get("env")}
    (path / FEATURES_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Evaluation adapter
# --------------------------------------------------------------------------------------------
class RLlibPolicy:
    """Play a trained RLlib RLModule through the policy interface of :func:`empathy_gym.evaluation.evaluate`.

    Raw observations are featurised exactly as in training (:func:`empathy_gym.agents.ppo.featurise`
    around a stand-in env that replays them). Greedy by default (the most likely action); with
    ``greedy=False`` actions are sampled from a torch generator seeded with ``seed``.

    Args:
        module: a torch RLModule trained by :func:`ppo_config` (``algo.get_module()``), or for a
            multi-agent run the supporter's (``algo.get_module("supporter")``).
        n_features, text_memory, emotion_window: the feature settings it was trained with.
        greedy, seed: how actions are chosen.
        name: the policy's name in evaluation records.
    """

    def __init__(self, module: Any, *, n_features: int = 512, text_memory: bool = False, emotion_window: int = 4,
                 greedy: bool = True, seed: int = 0, name: str = "rllib") -> None:
        _require_rllib()
        import torch

        from empathy_gym.agents.ppo import PPOConfig

        self.module = module
        self.features = PPOConfig(n_features=n_features, text_memory=text_memory, emotion_window=emotion_window)
        self.greedy = greedy
        self.name = name
        self._generator = torch.Generator().manual_seed(seed)
        self._featuriser: ReplayFeaturiser | None = None
        self.last_entropy: float | None = None
        self.env_id = "EmpathyGym/SupportStrategy-v0"  # the env it plays in evaluate (a checkpoint's own id)

    @classmethod
    def from_algorithm(cls, algo: Any, module_id: str | None = None, **kwargs: Any) -> RLlibPolicy:
        """The policy of a built (trained) algorithm; the feature settings are read from its env_config."""
        env_config = dict(algo.config.env_config)
        settings = {key: env_config[key] for key in FEATURE_KEYS if key in env_config}
        module = algo.get_module(module_id) if module_id is not None else algo.get_module()
        return cls(module, **settings, **kwargs)

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        from empathy_gym.agents.ppo import featurise

        if env is None:
            raise ValueError("RLlibPolicy.reset needs the env, for its observation and action spaces")
        self._featuriser = ReplayFeaturiser(env.observation_space, env.action_space,
                                            lambda replay: featurise(replay, self.features))
        expected = getattr(self.module, "observation_space", None)
        if expected is not None and expected.shape != self._featuriser.observation_space.shape:
            raise ValueError(f"this env's featurised observations {self._featuriser.observation_space.shape} do not "
                             f"match the module's {expected.shape}: check n_features, text_memory and emotion_window")

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        import torch

        if self._featuriser is None:
            raise RuntimeError("call reset before act")
        features = torch.as_tensor(np.asarray(self._featuriser(observation), dtype=np.float32)[None])
        with torch.no_grad():
            logits = self.module.forward_inference({"obs": features})["action_dist_inputs"][0]
        distribution = torch.distributions.Categorical(logits=logits)
        self.last_entropy = float(distribution.entropy())
        if self.greedy:
            action = int(torch.argmax(logits))
        else:
            action = int(torch.multinomial(distribution.probs, 1, generator=self._generator))
        self._featuriser.record(action)
        return action


def load_rllib_policy(path: str | os.PathLike, *, module_id: str | None = None, greedy: bool = True, seed: int = 0,
                      name: str | None = None) -> RLlibPolicy:
    """An :class:`RLlibPolicy` from a checkpoint written by :func:`save_checkpoint`.

    ``module_id``: the policy to play (default: ``default_policy`` for single-agent runs,
    ``supporter`` for multi-agent ones).
    """
    _require_rllib()
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = Path(path)
    settings_file = path / FEATURES_FILE
    if not settings_file.is_file():
        raise ValueError(f"no RLlib checkpoint written by empathy_gym at {str(path)!r} (missing {FEATURES_FILE})")
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    if module_id is None:
        module_id = "supporter" if settings.get("env") == MULTI_AGENT_ENV else "default_policy"
    module_path = path / "learner_group" / "learner" / "rl_module" / module_id
    if not module_path.is_dir():
        found = sorted(p.name for p in module_path.parent.iterdir()) if module_path.parent.is_dir() else []
        raise ValueError(f"no module {module_id!r} in {str(path)!r}; modules there: {found}")
    module = RLModule.from_checkpoint(module_path)
    policy = RLlibPolicy(module, **{key: settings[key] for key in FEATURE_KEYS}, greedy=greedy, seed=seed,
                         name=name or path.name or "rllib")
    # A multi-agent supporter sees what the single-agent strategy env shows, so it plays there too.
    policy.env_id = settings.get("env_id") or "EmpathyGym/SupportStrategy-v0"
    return policy
