"""Reference policies that judge the simulator: random, single-strategy, a scripted heuristic, an oracle.

Every policy picks strategy indices (the actions of ``EmpathyGym/SupportStrategy-v0``) through one
small interface::

    policy.reset(observation, info, env)   # at the start of each episode
    action = policy.act(observation, info)  # each turn

A policy that samples may expose ``last_entropy`` (the entropy in nats of the distribution its last
action came from); the evaluation suite reports its mean.

``env`` is passed at reset so that the oracle can read privileged information (the hidden
intention and the user's trust); the other policies ignore it. Randomised policies take an explicit
``np.random.Generator`` (or a seed), never global state.

* :class:`RandomPolicy`: a uniformly random strategy each turn (all 15, harmful ones included).
* :class:`ConstantPolicy`: one strategy every turn.
* :class:`HeuristicPolicy`: what a thoughtful scripted supporter does: it explores first (asks,
  then reflects feelings), reads the user's words for cues about what they need, credits or blames
  each guess by how the emotion moved, and then serves the best guess while varying its moves.
  It knows which moves meet which need (the same table the simulator uses: common sense written
  down), but not which need this person has, and it sees the emotion only through the observation
  (noisy or hidden if the env says so), never through ``info``.
* :class:`OraclePolicy`: the upper reference. It reads the hidden intention and the user's trust,
  builds trust first when its serving move needs it, and alternates serving moves with the kindest
  harmless move to avoid diminishing returns.
"""

from __future__ import annotations

import math
import re
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from empathy_gym.data import read_json
from empathy_gym.model.oracle import LISTENING as _LISTENING
from empathy_gym.model.oracle import OracleSupporter, hurting_table, last_use, serving_table
from empathy_gym.vocabulary import INTENTIONS, STRATEGIES, STRATEGY_INDEX


class Policy(Protocol):
    """A policy over strategy indices."""

    name: str

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None: ...

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int: ...


def _observed_emotion(observation: dict[str, Any]) -> float | None:
    """The emotion as the observation shows it (None when the env hides it); never the privileged info."""
    return float(observation["emotion"][0]) if "emotion" in observation else None


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class RandomPolicy:
    """A uniformly random strategy each turn."""

    name = "random"
    #: The entropy (nats) of its action distribution, reported by the evaluation suite.
    last_entropy = math.log(len(STRATEGIES))

    def __init__(self, rng: np.random.Generator | int | None = None) -> None:
        self._rng = _as_rng(rng)

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        pass

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        return int(self._rng.integers(len(STRATEGIES)))


class ConstantPolicy:
    """The same strategy every turn."""

    def __init__(self, strategy: str | int) -> None:
        if isinstance(strategy, str):
            if strategy not in STRATEGY_INDEX:
                raise ValueError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
            strategy = STRATEGY_INDEX[strategy]
        if not 0 <= int(strategy) < len(STRATEGIES):
            raise ValueError(f"strategy index {strategy} out of range 0..{len(STRATEGIES) - 1}")
        self.action = int(strategy)
        self.name = f"always_{STRATEGIES[self.action]}"

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        pass

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        return self.action


class HeuristicPolicy:
    """Explore, read cues and reactions, then serve the most likely need (see the module docstring)."""

    name = "heuristic"
    EXPLORE_TURNS = 2  # open question, then reflect feelings
    CUE_WEIGHT = 1.0  # belief added per cue phrase matched in the user's words
    FEEDBACK_WEIGHT = 0.15  # belief per emotion point gained or lost after serving a guess

    def __init__(self) -> None:
        cues = read_json("reference_policies.json")["heuristic_cues"]
        self._cue_patterns = {
            intention: [re.compile(pattern, re.IGNORECASE) for pattern in cues[intention]] for intention in INTENTIONS
        }
        self._serving = serving_table()
        self._hurting = hurting_table()
        self._belief = np.zeros(len(INTENTIONS))
        self._history: list[int] = []
        self._last_guess: int | None = None
        self._last_emotion: float | None = None

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        self._belief = np.zeros(len(INTENTIONS))
        self._history = []
        self._last_guess = None
        self._last_emotion = _observed_emotion(observation)
        self._read_cues(observation["text"])

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        if self._history:
            self._read_cues(observation["text"])
            self._learn_from_reaction(_observed_emotion(observation))
        turn = len(self._history)
        if turn == 0:
            action = STRATEGY_INDEX["open_question"]
        elif turn < self.EXPLORE_TURNS:
            action = STRATEGY_INDEX["reflect_feelings"]
        else:
            action = self._serve_best_guess()
        self._history.append(action)
        return action

    # -- internals -----------------------------------------------------------------------------
    def _read_cues(self, text: str) -> None:
        for row, intention in enumerate(INTENTIONS):
            hits = sum(1 for pattern in self._cue_patterns[intention] if pattern.search(text))
            self._belief[row] += self.CUE_WEIGHT * hits

    def _learn_from_reaction(self, emotion: float | None) -> None:
        if emotion is not None and self._last_emotion is not None and self._last_guess is not None:
            self._belief[self._last_guess] += self.FEEDBACK_WEIGHT * (emotion - self._last_emotion)
        self._last_emotion = emotion

    def _serve_best_guess(self) -> int:
        # Ties (no evidence yet) are broken by trying guesses not yet tried, in a fixed order.
        tried = {row for row in range(len(INTENTIONS)) if any(a in self._serving[INTENTIONS[row]] for a in self._history)}
        order = sorted(range(len(INTENTIONS)), key=lambda row: (-self._belief[row], row in tried, row))
        guess = order[0]
        self._last_guess = guess
        serving = self._serving[INTENTIONS[guess]]
        previous = self._history[-1]
        options = [a for a in serving if a != previous] or [a for a in _LISTENING if a not in self._hurting[INTENTIONS[guess]]]
        # Among the options, the one used least recently.
        return min(options, key=lambda a: (last_use(self._history, a), a))


class OraclePolicy:
    """The upper reference: knows the hidden intention and reads the user's trust (:class:`OracleSupporter`)."""

    name = "oracle"

    def __init__(self) -> None:
        self._oracle = OracleSupporter()

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        if env is None:
            raise ValueError("OraclePolicy needs the env at reset to read the hidden intention")
        self._oracle.start(env.unwrapped.user)

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> int:
        return self._oracle.act()


def reference_policies(rng: np.random.Generator | int | None = None) -> dict[str, Policy]:
    """Every reference policy by name: random, always_<strategy> for each strategy, heuristic, oracle."""
    policies: dict[str, Policy] = {"random": RandomPolicy(rng)}
    for strategy in STRATEGIES:
        constant = ConstantPolicy(strategy)
        policies[constant.name] = constant
    policies["heuristic"] = HeuristicPolicy()
    policies["oracle"] = OraclePolicy()
    return policies
