"""verl integration: a simulated user as verl's multi-turn interaction (``BaseInteraction``).

verl's multi-turn rollouts (the ``tool_agent`` agent loop) hand the conversation to an
*interaction* after each assistant turn: it answers as the user, says whether the conversation
is over and scores the turn. :class:`EmpathyInteraction` is that interaction for an EmpathyGym
text id: the user and the reward come from the env, one env per conversation. verl 0.7 is the last
release with this API (0.8 removed ``verl.interactions``) and it needs ``numpy<2``, so it lives in
its own virtual environment (``constraints-verl.txt``, the ``verl`` extra).

Name it in verl's interaction config file (``actor_rollout_ref.rollout.multi_turn.interaction_config_path``)::

    interaction:
      - name: empathy
        class_name: empathy_gym.integrations.verl.EmpathyInteraction
        config:
          env_id: EmpathyGym/Support-v0
          env_kwargs: {difficulty: normal, split: train}

and build the dataset with ``verl_rows("EmpathyGym/Support-v0", {"difficulty": "normal", "split":
"train"})`` (the same id and ``env_kwargs``): each row's ``prompt`` is the system prompt and the
person's opening message, and its ``extra_info.interaction_kwargs`` name the interaction, the
profile and the env seed, which :meth:`EmpathyInteraction.start_interaction` resets the env with,
so the user verl talks to is the one whose opening message the policy saw.

Each turn (:meth:`~EmpathyInteraction.generate_response`) the last assistant message is the
reply: it is cut to what the env accepts (:meth:`~empathy_gym.envs.support.EmpathyEnv.fit_reply`)
and stepped; the user's answer comes back as the next user message, the turn's score is the env's
reward for that turn, and the conversation ends when the env's episode does. The scores of a
conversation sum to its return: with the default ``reward_mode="terminal"``, RLVER's final
emotion / 100 on the last turn and 0 before. :meth:`~EmpathyInteraction.calculate_score` gives the
return so far. Each conversation steps its own env as verl calls it (no batching across
conversations; with an LLM user each call blocks verl's event loop while the model answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import gymnasium as gym
from gymnasium import spaces

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)
from empathy_gym._optional import require
from empathy_gym.policies.llm_agent import SUPPORTER_PROMPT

_INSTALL_HINT = ('this needs verl 0.7 (the last release with verl.interactions), in its own virtual environment: '
                 'pip install -c constraints-verl.txt ".[verl]"')
BaseInteraction = require("verl.interactions.base", hint=_INSTALL_HINT).BaseInteraction

__all__ = ["EmpathyInteraction", "verl_rows"]


@dataclass
class _Conversation:
    env: gym.Env
    episode_return: float = 0.0
    turns: int = 0
    ended: bool = False
    last_info: dict[str, Any] = field(default_factory=dict)


class EmpathyInteraction(BaseInteraction):
    """verl's ``BaseInteraction`` played by an EmpathyGym env. See the module docstring.

    ``config`` (from verl's interaction config file): ``env_id`` (a text id, default
    ``EmpathyGym/Support-v0``) and ``env_kwargs`` (``difficulty``, ``split`` or ``profiles``,
    ``reward_mode`` (default ``"terminal"`` here), ``think``, ...), besides verl's ``name``.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        unknown = sorted(set(config) - {"name", "env_id", "env_kwargs"})
        if unknown:
            raise ValueError(f"unknown EmpathyInteraction config key(s) {unknown}; allowed: name, env_id, env_kwargs")
        self.env_id = config.get("env_id", "EmpathyGym/Support-v0")
        self.env_kwargs = {"reward_mode": "terminal", **dict(config.get("env_kwargs") or {})}
        probe = gym.make(self.env_id, **self.env_kwargs)  # a bad id or argument fails when verl loads the config
        if not isinstance(probe.action_space, spaces.Text):
            raise ValueError(f"EmpathyInteraction needs a text env (the policy writes replies); {self.env_id} takes "
                             f"{probe.action_space}: use e.g. EmpathyGym/Support-v0")
        probe.close()
        self._conversations: dict[str, _Conversation] = {}

    async def start_interaction(self, instance_id: str | None = None, profile_id: str | None = None,
                                env_seed: int | None = None, **kwargs: Any) -> str:
        """Reset a new env with the row's ``env_seed`` and ``profile_id``; the conversation's id.

        verl passes the row's whole ``interaction_kwargs`` (its ``name`` included, which is ignored).
        """
        instance_id = instance_id or uuid4().hex
        if instance_id in self._conversations:
            raise ValueError(f"conversation {instance_id!r} has already started; finalize it first")
        env = gym.make(self.env_id, **self.env_kwargs)
        env.reset(seed=env_seed, options=None if profile_id is None else {"profile_id": profile_id})
        self._conversations[instance_id] = _Conversation(env)
        return instance_id

    async def generate_response(self, instance_id: str, messages: list[dict[str, Any]],
                                **kwargs: Any) -> tuple[bool, str, float, dict[str, Any]]:
        """Step the env with the last assistant message: (ended, the user's answer, the turn's reward, info)."""
        conversation = self._conversation(instance_id)
        if conversation.ended:
            raise RuntimeError(f"conversation {instance_id!r} has ended (reason: {conversation.last_info['reason']})")
        reply = next((message.get("content") or "" for message in reversed(messages)
                      if message.get("role") == "assistant"), "")
        if not isinstance(reply, str):  # a list of content parts
            reply = " ".join(part.get("text", "") for part in reply if isinstance(part, dict))
        observation, reward, terminated, truncated, info = conversation.env.step(
            conversation.env.unwrapped.fit_reply(reply))
        conversation.episode_return += float(reward)
        conversation.turns += 1
        conversation.ended = bool(terminated or truncated)
        conversation.last_info = info
        metrics = {"emotion": info["emotion"], "turn": info["turn"], "episode_return": conversation.episode_return}
        if conversation.ended:
            metrics.update(reason=info["reason"], final_emotion=info["final_emotion"],
                           success=info["reason"] == "resolved", failure=info["reason"] == "quit")
        return conversation.ended, observation["text"], float(reward), metrics

    async def calculate_score(self, instance_id: str | None = None, **kwargs: Any) -> float:
        """The conversation's return so far (the sum of its turn scores)."""
        return self._conversation(instance_id).episode_return

    async def finalize_interaction(self, instance_id: str | None = None, **kwargs: Any) -> None:
        """Close the conversation's env and forget it."""
        conversation = self._conversations.pop(self._key(instance_id))
        conversation.env.close()

    def _key(self, instance_id: str | None) -> str:
        if instance_id is None and len(self._conversations) == 1:
            return next(iter(self._conversations))
        if instance_id not in self._conversations:
            raise KeyError(f"no conversation {instance_id!r}: call start_interaction first "
                           f"({len(self._conversations)} running)")
        return instance_id

    def _conversation(self, instance_id: str | None) -> _Conversation:
        return self._conversations[self._key(instance_id)]


def verl_rows(env_id: str = "EmpathyGym/Support-v0", env_kwargs: dict[str, Any] | None = None, *,
              rows: int | None = None, seed: int = 0, interaction_name: str = "empathy",
              system_prompt: str | None = SUPPORTER_PROMPT) -> list[dict[str, Any]]:
    """Dataset rows for verl's multi-turn RL, one conversation each (write them to parquet with pandas).

    Pass the interaction config's ``env_id`` and ``env_kwargs``: the people are that env's
    profiles (its ``split`` or ``profiles``) and the opening messages its own. People and env seeds
    are :func:`empathy_gym.integrations.trl.episode_keys`' (each profile once per pass over them, in
    a seeded order; ``rows`` defaults to one per profile). Each row has ``prompt`` (the system
    prompt, if any, and the person's opening message for that seed, as chat messages),
    ``data_source`` (``env_id``) and ``extra_info.interaction_kwargs`` (``name``, ``profile_id``,
    ``env_seed``), which verl hands to :meth:`EmpathyInteraction.start_interaction`.
    """
    from empathy_gym.integrations.trl import episode_keys

    env = gym.make(env_id, **dict(env_kwargs or {}))
    records = []
    for key in episode_keys(env.unwrapped.profiles, rows=rows, seed=seed):
        observation, _ = env.reset(seed=key.env_seed, options={"profile_id": key.profile_id})
        system = [] if system_prompt is None else [{"role": "system", "content": system_prompt}]
        records.append({
            "data_source": env_id,
            "prompt": [*system, {"role": "user", "content": observation["text"]}],
            "extra_info": {"interaction_kwargs": {"name": interaction_name, "profile_id": key.profile_id,
                                                  "env_seed": key.env_seed}},
        })
    env.close()
    return records
