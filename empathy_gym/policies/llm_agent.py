"""LLM agents: a chat model plays the supporter, through the reference policies' interface.

:class:`LLMAgent` wraps any backend of :mod:`empathy_gym.model.llm.backends` (a local transformers
model, an OpenAI-compatible endpoint, a callable) as a policy for the text environments::

    agent.reset(observation, info, env)   # a new conversation: the history is the opening message
    reply = agent.act(observation, info)  # the model's next reply, as text

so :func:`empathy_gym.evaluation.play_episode` and ``evaluate(agent, env_id="EmpathyGym/Support-v0")``
play it like any reference policy. The model sees a system prompt, then the user's turns as
``user`` messages and its own earlier replies as ``assistant`` messages; it never sees ``info``.
``<think>...</think>`` in its answer is removed before the reply is sent (pass ``keep_thinking=True``
and make the env with ``think="strip"`` to have the environment strip it and report its length).

:func:`agent_from_spec` builds one from a command-line spec (``transformers:PATH`` or
``openai:BASE_URL#MODEL``), the form the CLI takes.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from empathy_gym._text import sanitize, strip_thinking
from empathy_gym._validation import check_int
from empathy_gym.model.llm.backends import Backend, BackendError, backend_from_spec, check_backend, generate_batch

SUPPORTER_PROMPT = (
    "You are a warm, thoughtful listener talking with someone who is going through something difficult. "
    "Work out what they really need (to be heard, reassured, understood, advised, recognised...) and respond to "
    "that: listen, reflect what you hear, ask open questions, and give advice only when it is wanted. Reply with "
    "one to four sentences of plain conversational text, with no labels, lists or stage directions.")


class LLMAgent:
    """A chat model as a supporter policy for the text environments.

    Args:
        backend: any backend (``TransformersBackend``, ``OpenAIBackend``, ``CallableBackend``...).
        system_prompt: the supporter's instructions (default :data:`SUPPORTER_PROMPT`).
        max_new_tokens: token budget of one reply.
        max_reply_chars: replies are cut to this many characters (the env's ``max_reply_chars``).
        keep_thinking: send ``<think>...</think>`` on to the environment instead of removing it.
        seed: seeds the per-reply seeds given to the backend (for sampling backends).
        name: the policy's name in evaluation tables.

    A backend failure raises :class:`~empathy_gym.model.llm.backends.BackendError`: an agent under
    evaluation that cannot answer should stop the run, not send empty replies that would be scored.
    """

    def __init__(self, backend: Backend, *, system_prompt: str = SUPPORTER_PROMPT, max_new_tokens: int = 200,
                 max_reply_chars: int = 2000, keep_thinking: bool = False, seed: int = 0, name: str = "llm") -> None:
        check_backend(backend)
        check_int("max_new_tokens", max_new_tokens)
        check_int("max_reply_chars", max_reply_chars)
        self.backend = backend
        self.system_prompt = system_prompt
        self.max_new_tokens = max_new_tokens
        self.max_reply_chars = max_reply_chars
        self.keep_thinking = keep_thinking
        self.name = name
        self._rng = np.random.default_rng(seed)
        self._messages: list[dict[str, str]] = []
        self._answered = True

    @property
    def messages(self) -> list[dict[str, str]]:
        """The conversation as the model sees it (a fresh copy)."""
        return [dict(message) for message in self._messages]

    def reset(self, observation: dict[str, Any], info: dict[str, Any], env: gym.Env | None = None) -> None:
        self._messages = [{"role": "system", "content": self.system_prompt},
                          {"role": "user", "content": observation["text"]}]
        self._answered = False

    def act(self, observation: dict[str, Any], info: dict[str, Any]) -> str:
        if not self._messages:
            raise RuntimeError("call reset(observation, info) before act()")
        if self._answered:  # a new user turn since the last reply
            self._messages.append({"role": "user", "content": observation["text"]})
        seed = int(self._rng.integers(2**31 - 1))
        [output] = generate_batch(self.backend, [self._messages], max_new_tokens=self.max_new_tokens, seeds=[seed])
        if isinstance(output, Exception):
            raise BackendError(f"the agent's model failed: {type(output).__name__}: {output}") from output
        said = output if self.keep_thinking else strip_thinking(output)[0]
        reply = sanitize(said, self.max_reply_chars)
        self._messages.append({"role": "assistant", "content": reply})
        self._answered = True
        return reply


def agent_from_spec(spec: str, *, agent_options: dict[str, Any] | None = None, **backend_options: Any) -> LLMAgent:
    """An :class:`LLMAgent` on the backend named by ``spec`` (``transformers:PATH`` or ``openai:BASE_URL#MODEL``).

    ``backend_options`` go to the backend (e.g. ``temperature=0.7``), ``agent_options`` to the agent.
    """
    return LLMAgent(backend_from_spec(spec, **backend_options), **dict(agent_options or {}))
