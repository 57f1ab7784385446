"""TRL integration: GRPO on whole conversations with a simulated user, through ``GRPOTrainer(rollout_func=...)``.

RLVER trains a language model with RL against a simulated user; this module does that with TRL's
``GRPOTrainer`` (``pip install -c constraints.txt "empathy_gym[trl]"``; TRL's ``rollout_func`` is
experimental and may change between TRL releases). Each prompt of the dataset names one
conversation; the rollout plays it to its end::

    from trl import GRPOConfig, GRPOTrainer
    from empathy_gym.integrations.trl import ConversationRollout, episode_return_reward, prompt_dataset

    rollout = ConversationRollout("EmpathyGym/Support-v0", difficulty="normal")
    trainer = GRPOTrainer(model, reward_funcs=episode_return_reward, args=GRPOConfig(...),
                          train_dataset=prompt_dataset("train"), processing_class=tokenizer,
                          rollout_func=rollout)
    trainer.train()

**The dataset** (:func:`prompt_dataset`): one row per conversation, drawn from a split (``train``,
``test``, ``ood``) or a profiles file, each with its own env seed. The ``prompt`` column is the
episode's key, ``{"profile_id": ..., "env_seed": ...}`` as JSON, not text for the model: TRL
repeats each row ``num_generations`` times, so the G completions of a group meet the same person
with the same seed, and their rewards differ only by what the policy said.

**The rollout** (:class:`ConversationRollout`): for the prompts TRL hands it, it resets one sub-env
of the id's native vector env per prompt (``reset(seed=env_seed, options={"profile_id": ...})``)
and then, turn by turn, generates every live conversation's next reply in one batch with the
trainer's model, caps it (:meth:`~empathy_gym.envs.support.EmpathyEnv.fit_reply`) and steps the
vector env with all of them, so the users' side runs together too (an LLM user's model calls go
out as one batch per phase). Ended conversations are left out of later turns (``None`` actions
under ``AutoresetMode.DISABLED``). The policy sees a system prompt, the user's opening message as
a ``user`` message, and each later user turn as a further ``user`` message, in its own chat
template; what it generated stays as it generated it (thinking included).

What TRL gets back, per prompt:

* ``prompt_ids``: the chat template's rendering of the system prompt and the opening message,
  ending with the generation prompt;
* ``completion_ids``: the whole rest of the conversation: reply, user turn, reply, ..., last
  reply; ``env_mask`` is 1 on the tokens the policy generated and 0 on the user's turns (and the
  template's tokens around them), so only the policy's own tokens are trained on;
* ``logprobs``: ``None`` (TRL computes the old policy's log-probabilities itself);
* extra fields, passed to the reward functions: ``episode_return`` (the sum of the env's rewards:
  with the default ``reward_mode="terminal"``, RLVER's final emotion / 100), ``final_emotion``,
  ``success`` (reached 100), ``failure`` (fell below 10), ``turns``, ``reason``, ``profile_id``,
  ``env_seed``, ``replies`` (what the env was sent), ``transcript`` (the env's), ``think_chars``
  (thinking removed, with ``think="strip"``) and ``llm_fallbacks`` (with the LLM user).

**The reward** (:func:`episode_return_reward`) returns ``episode_return`` as it is, so the trained
reward is the env's, never recomputed from decoded text, and logs the outcomes as TRL metrics
(``empathy/final_emotion``, ``empathy/success_rate``, ``empathy/failure_rate``, ``empathy/turns``,
and ``empathy/think_chars``, ``empathy/llm_fallbacks`` when they apply).

Lengths: each reply is at most ``max_reply_tokens`` tokens (default: the trainer's
``max_completion_length``), so a completion holds up to ``max_turns`` replies and user turns.
With ``think="strip"`` the env removes ``<think>...</think>`` before the user reads a reply, the
visible part is capped at ``max_reply_chars`` and the thinking separately at ``max_think_chars``.

Generation uses the trainer's ``generation_config`` (temperature, top-p, ...); ``greedy=True``
decodes greedily, which makes a rollout a function of its prompts and the weights. Sampling draws
from torch's global generator, which TRL seeds from ``GRPOConfig.seed``. vLLM generation
(``use_vllm=True``) is not supported: the rollout generates with the trainer's model through
transformers.

TRL, datasets and torch are imported only inside the functions that need them; this module
imports without them.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)
from empathy_gym._optional import require
from empathy_gym._validation import check_int
from empathy_gym.policies.llm_agent import SUPPORTER_PROMPT
from empathy_gym.profiles import Profile, load_profiles

__all__ = ["ConversationRollout", "EpisodeKey", "episode_keys", "episode_return_reward", "prompt_dataset"]

_INSTALL_HINT = ('this needs TRL and datasets: pip install -c constraints.txt "empathy_gym[trl]" '
                 "(trl, datasets, transformers, torch)")
#: Stands in for a reply when the chat template is rendered to find the tokens around a user turn.
_REPLY_SLOT = "EMPATHYGYMREPLYSLOT"
_OPENING_SLOT = "EMPATHYGYMOPENINGSLOT"


def _require_trl() -> Any:
    """Import trl (and datasets), or raise an ImportError that says how to install them."""
    return require("trl", "datasets", hint=_INSTALL_HINT)


# -- the dataset -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EpisodeKey:
    """One conversation to play: which person, and the env seed of the episode."""

    profile_id: str
    env_seed: int

    def to_prompt(self) -> str:
        """The key as the dataset's ``prompt``: JSON with ``profile_id`` and ``env_seed``."""
        return json.dumps({"profile_id": self.profile_id, "env_seed": self.env_seed})

    @classmethod
    def from_prompt(cls, prompt: Any) -> EpisodeKey:
        """Read a key written by :meth:`to_prompt`; a ``ValueError`` naming the prompt otherwise."""
        try:
            record = json.loads(prompt) if isinstance(prompt, str) else None
        except ValueError:
            record = None
        valid = (isinstance(record, dict) and set(record) == {"profile_id", "env_seed"}
                 and isinstance(record["profile_id"], str) and isinstance(record["env_seed"], int)
                 and not isinstance(record["env_seed"], bool) and record["env_seed"] >= 0)
        if not valid:
            raise ValueError(f"ConversationRollout plays prompts made by prompt_dataset: JSON such as "
                             f'{{"profile_id": "train-0001", "env_seed": 12}}; got {prompt!r:.120}')
        return cls(record["profile_id"], record["env_seed"])


def prompt_dataset(profiles: str | os.PathLike | Sequence[Profile] = "train", *, rows: int | None = None,
                   seed: int = 0) -> Any:
    """The prompt dataset for :class:`ConversationRollout`: one conversation per row, each with its own env seed.

    Args:
        profiles: a split name (``"train"``, ``"test"``, ``"ood"``), a JSON/YAML profile file, or a
            sequence of ``Profile`` objects; the rollout's env must be made from the same ones.
        rows: number of rows (default: one per profile). The profiles are taken in a shuffled
            order, a fresh shuffle for each pass over them, so every profile comes up once before
            any comes up twice.
        seed: seeds the shuffles and the env seeds (a ``numpy`` generator): the same arguments
            give the same dataset.

    Returns:
        A ``datasets.Dataset`` with columns ``prompt`` (the :class:`EpisodeKey` as JSON),
        ``profile_id``, ``env_seed`` and ``hidden_intention``.
    """
    _require_trl()
    import datasets

    people = tuple(profiles) if not isinstance(profiles, (str, os.PathLike)) else load_profiles(profiles)
    keys = episode_keys(people, rows=rows, seed=seed)
    intentions = {person.id: person.hidden_intention for person in people}
    return datasets.Dataset.from_dict({
        "prompt": [key.to_prompt() for key in keys],
        "profile_id": [key.profile_id for key in keys],
        "env_seed": [key.env_seed for key in keys],
        "hidden_intention": [intentions[key.profile_id] for key in keys],
    })


def episode_keys(profiles: Sequence[Profile], *, rows: int | None = None, seed: int = 0) -> list[EpisodeKey]:
    """The conversations of :func:`prompt_dataset` (also verl's rows): ``rows`` keys (default: one
    per profile), the profiles in a fresh seeded shuffle for each pass, each with its own env seed."""
    people = tuple(profiles)
    if not people or not all(isinstance(person, Profile) for person in people):
        raise ValueError("profiles must be a split name, a profile file or a non-empty sequence of Profile objects")
    count = len(people) if rows is None else check_int("rows", rows)
    check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    order: list[int] = []
    while len(order) < count:
        order.extend(rng.permutation(len(people)).tolist())
    env_seeds = rng.integers(2**31 - 1, size=count).tolist()
    return [EpisodeKey(people[index].id, int(env_seed)) for index, env_seed in zip(order[:count], env_seeds)]


# -- the reward --------------------------------------------------------------------------------------
def episode_return_reward(completions: Sequence[Any], episode_return: Sequence[float], **fields: Any) -> list[float]:
    """The env's episode return for each completion, as the rollout reported it (TRL reward function).

    When TRL passes ``log_metric``, the conversations' outcomes are logged too: mean final
    emotion, success and failure rates, mean turns, and where present the mean thinking removed per
    reply and the LLM user's fallbacks per conversation.
    """
    if len(episode_return) != len(completions):
        raise ValueError(f"got {len(episode_return)} episode returns for {len(completions)} completions: pass "
                         "ConversationRollout as the trainer's rollout_func")
    log_metric = fields.get("log_metric")
    if log_metric is not None and fields.get("final_emotion") is not None:
        log_metric("empathy/final_emotion", float(np.mean(fields["final_emotion"])))
        log_metric("empathy/success_rate", float(np.mean(fields["success"])))
        log_metric("empathy/failure_rate", float(np.mean(fields["failure"])))
        log_metric("empathy/turns", float(np.mean(fields["turns"])))
        for name in ("think_chars", "llm_fallbacks"):
            values = [value for value in fields.get(name) or () if value is not None]
            if values:
                log_metric(f"empathy/{name}", float(np.mean(values)))
    return [float(value) for value in episode_return]


# -- the rollout -------------------------------------------------------------------------------------
def _entry(infos: Mapping[str, Any], key: str, index: int) -> Any:
    """Sub-env ``index``'s value of ``key`` in a vector ``info``, or None where it has none."""
    mask = infos.get(f"_{key}")
    return infos[key][index] if mask is not None and mask[index] else None


class ConversationRollout:
    """A multi-turn rollout for TRL's ``GRPOTrainer(rollout_func=...)``: one whole conversation per prompt.

    See the module docstring for what it does and returns.

    Args:
        env_id: a text id (``EmpathyGym/Support-v0``, ``SupportChallenging-v0``, ``SupportLLM-v0``, ...).
        system_prompt: the supporter's instructions, the first message the policy sees (default
            :data:`~empathy_gym.policies.llm_agent.SUPPORTER_PROMPT`, the evaluation agent's); None
            for none (templates without a system role).
        max_reply_tokens: most tokens generated per reply (default: the trainer's
            ``max_completion_length``; 256 when called through :meth:`play` without one).
        greedy: decode greedily instead of sampling with the trainer's settings.
        think: the env's ``think`` (``"off"`` or ``"strip"``: ``<think>...</think>`` is removed
            before the user reads a reply and the thinking has its own limit, ``max_think_chars``).
        chat_template_kwargs: extra arguments of the tokenizer's chat template (e.g.
            ``{"enable_thinking": False}``; default: the trainer's ``chat_template_kwargs``).
        **env_kwargs: passed to every sub-env (``difficulty``, ``split`` or ``profiles``,
            ``reward_mode`` (default ``"terminal"`` here), ``max_reply_chars``, ``max_think_chars``,
            ``backend`` and ``llm_options`` for an LLM user, ...). A backend spec string is loaded
            once, here.
    """

    def __init__(self, env_id: str = "EmpathyGym/Support-v0", *, system_prompt: str | None = SUPPORTER_PROMPT,
                 max_reply_tokens: int | None = None, greedy: bool = False, think: str = "off",
                 chat_template_kwargs: Mapping[str, Any] | None = None, **env_kwargs: Any) -> None:
        if max_reply_tokens is not None:
            check_int("max_reply_tokens", max_reply_tokens)
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise TypeError(f"system_prompt must be a str or None, got {type(system_prompt).__name__}")
        env_kwargs.setdefault("reward_mode", "terminal")
        if think != "off":  # "off" is every text env's default (and strategy envs take no think)
            env_kwargs["think"] = think
        if isinstance(env_kwargs.get("backend"), str):
            from empathy_gym.model.llm.backends import backend_from_spec

            env_kwargs["backend"] = backend_from_spec(env_kwargs["backend"])  # one model for every batch size
        self.env_id = env_id
        self.system_prompt = system_prompt
        self.max_reply_tokens = max_reply_tokens
        self.greedy = bool(greedy)
        self.chat_template_kwargs = None if chat_template_kwargs is None else dict(chat_template_kwargs)
        self.env_kwargs = env_kwargs
        self._envs: dict[int, Any] = {}
        self._vector_envs(1)  # fail here, not in the first training step, on a bad id or argument

    # -- TRL's entry point ------------------------------------------------------------------------
    def __call__(self, prompts: Sequence[Any], trainer: Any) -> dict[str, Any]:
        """Play one conversation per prompt with ``trainer``'s model; TRL's ``rollout_func`` contract."""
        _require_trl()
        from trl.models import unwrap_model_for_generation

        if getattr(trainer, "use_vllm", False):
            raise ValueError("ConversationRollout generates with the trainer's model through transformers; "
                             "set use_vllm=False in GRPOConfig")
        tokenizer = getattr(trainer.processing_class, "tokenizer", trainer.processing_class)
        config = copy.deepcopy(trainer.generation_config)
        if self.max_reply_tokens is not None:
            config.max_new_tokens = self.max_reply_tokens
        template_kwargs = (self.chat_template_kwargs if self.chat_template_kwargs is not None
                           else dict(getattr(trainer, "chat_template_kwargs", None) or {}))
        with unwrap_model_for_generation(
                trainer.model_wrapped, trainer.accelerator,
                gather_deepspeed3_params=trainer.args.ds3_gather_for_generation) as model:
            return self.play(prompts, model, tokenizer, generation_config=config,
                             eos_token_ids=trainer.eos_token_ids, chat_template_kwargs=template_kwargs)

    # -- the conversations --------------------------------------------------------------------------
    def play(self, prompts: Sequence[Any], model: Any, tokenizer: Any, *, generation_config: Any = None,
             eos_token_ids: Sequence[int] | None = None,
             chat_template_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Play one conversation per prompt with ``model`` and ``tokenizer``; the dict TRL expects.

        ``generation_config`` defaults to sampling at temperature 1 (greedy with ``greedy=True``)
        with ``max_reply_tokens`` new tokens; ``eos_token_ids`` to the tokenizer's and the model's
        end-of-sequence tokens.
        """
        torch = require("torch", hint=_INSTALL_HINT)
        keys = [EpisodeKey.from_prompt(prompt) for prompt in prompts]
        if not keys:
            raise ValueError("ConversationRollout got no prompts")
        template_kwargs = dict(chat_template_kwargs if chat_template_kwargs is not None
                               else self.chat_template_kwargs or {})
        eos_ids = self._eos_ids(model, tokenizer, eos_token_ids)
        config = self._generation_config(generation_config, tokenizer, eos_ids)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]

        envs = self._vector_envs(len(keys))
        observations = self._reset(envs, keys)
        openings = list(observations["text"])
        prompt_ids = [self._tokens(tokenizer, self._render(tokenizer, self._user(text), True, template_kwargs))
                      for text in openings]
        completion_ids: list[list[int]] = [[] for _ in keys]
        env_mask: list[list[int]] = [[] for _ in keys]
        replies: list[list[str]] = [[] for _ in keys]
        returns = [0.0] * len(keys)
        think_chars: list[int | None] = [None] * len(keys)
        finals: list[dict[str, Any]] = [{} for _ in keys]
        live = list(range(len(keys)))

        was_training = model.training
        model.eval()  # no dropout while generating: a greedy rollout is then a function of the weights
        try:
            while live:
                generated = self._generate(torch, model, [prompt_ids[i] + completion_ids[i] for i in live],
                                           config, pad_id, eos_ids)
                actions: list[str | None] = [None] * len(keys)
                for i, ids in zip(live, generated):
                    text = tokenizer.decode([t for t in ids if t not in eos_ids], skip_special_tokens=True)
                    actions[i] = envs.envs[i].fit_reply(text)
                    replies[i].append(actions[i])
                    completion_ids[i] += ids
                    env_mask[i] += [1] * len(ids)
                observations, rewards, terminated, truncated, infos = envs.step(actions)
                still_live = []
                for i, ids in zip(live, generated):
                    returns[i] += float(rewards[i])
                    removed = _entry(infos, "think_chars", i)
                    if removed is not None:
                        think_chars[i] = (think_chars[i] or 0) + int(removed)
                    if terminated[i] or truncated[i]:
                        finals[i] = {key: _entry(infos, key, i) for key in
                                     ("reason", "final_emotion", "turn", "llm_fallbacks")}
                        continue
                    ended_with_eos = bool(ids) and ids[-1] in eos_ids
                    user_ids = self._user_turn_ids(tokenizer, observations["text"][i],
                                                   ids[-1] if ended_with_eos else None, template_kwargs)
                    completion_ids[i] += user_ids
                    env_mask[i] += [0] * len(user_ids)
                    still_live.append(i)
                live = still_live
        finally:
            model.train(was_training)

        turns = [int(final["turn"]) for final in finals]
        return {
            "prompt_ids": prompt_ids,
            "completion_ids": completion_ids,
            "logprobs": None,
            "env_mask": env_mask,
            "episode_return": returns,
            "final_emotion": [int(final["final_emotion"]) for final in finals],
            "success": [final["reason"] == "resolved" for final in finals],
            "failure": [final["reason"] == "quit" for final in finals],
            "turns": turns,
            "reason": [str(final["reason"]) for final in finals],
            "profile_id": [key.profile_id for key in keys],
            "env_seed": [key.env_seed for key in keys],
            "replies": replies,
            "transcript": [envs.envs[i].transcript for i in range(len(keys))],
            "think_chars": [None if chars is None else chars / max(1, turn) for chars, turn in zip(think_chars, turns)],
            "llm_fallbacks": [None if final["llm_fallbacks"] is None else int(final["llm_fallbacks"])
                              for final in finals],
        }

    def close(self) -> None:
        """Close the vector envs kept for each batch size."""
        for envs in self._envs.values():
            envs.close()
        self._envs.clear()

    # -- helpers --------------------------------------------------------------------------------------
    def _vector_envs(self, count: int) -> Any:
        """The native vector env of ``count`` sub-envs (kept: TRL's batch sizes repeat)."""
        if count not in self._envs:
            envs = gym.make_vec(self.env_id, num_envs=count, vectorization_mode="vector_entry_point",
                                autoreset_mode=AutoresetMode.DISABLED, **self.env_kwargs)
            if not isinstance(envs.single_action_space, spaces.Text):
                envs.close()
                raise ValueError(f"ConversationRollout needs a text env (the policy writes replies); {self.env_id} "
                                 f"takes {envs.single_action_space}: use e.g. EmpathyGym/Support-v0")
            self._envs[count] = envs
        return self._envs[count]

    def _reset(self, envs: Any, keys: Sequence[EpisodeKey]) -> dict[str, Any]:
        """Reset sub-env ``i`` with ``keys[i]``'s seed and profile; the batched observations."""
        known = {profile.id for profile in envs.envs[0].profiles}
        unknown = sorted({key.profile_id for key in keys} - known)
        if unknown:
            raise ValueError(f"the prompts name profiles {unknown[:3]} that this rollout's env does not have "
                             f"({len(known)} profiles): build the dataset from the same split or profiles file "
                             "as the rollout's env (split=..., profiles=...)")
        seeds = [key.env_seed for key in keys]
        observations, _ = envs.reset(seed=seeds)  # every sub-env once, so each has an observation
        for profile_id in dict.fromkeys(key.profile_id for key in keys):
            mask = np.array([key.profile_id == profile_id for key in keys])
            observations, _ = envs.reset(seed=seeds, options={"reset_mask": mask, "profile_id": profile_id})
        return observations

    def _user(self, text: str) -> list[dict[str, str]]:
        system = [] if self.system_prompt is None else [{"role": "system", "content": self.system_prompt}]
        return [*system, {"role": "user", "content": text}]

    @staticmethod
    def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool,
                template_kwargs: Mapping[str, Any]) -> str:
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("the tokenizer has no chat template; the rollout shows the conversation to the policy "
                             "through it (set tokenizer.chat_template)")
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt,
                                             **template_kwargs)

    @staticmethod
    def _tokens(tokenizer: Any, text: str) -> list[int]:
        # The chat template writes the special tokens itself.
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    def _user_turn_ids(self, tokenizer: Any, user_text: str, eos_id: int | None,
                       template_kwargs: Mapping[str, Any]) -> list[int]:
        """The tokens between a reply and the next: the end of the reply's turn, the user's message and
        the generation prompt, as the chat template writes them (less the reply's own end token)."""
        messages = [*self._user(_OPENING_SLOT), {"role": "assistant", "content": _REPLY_SLOT},
                    {"role": "user", "content": user_text}]
        rendered = self._render(tokenizer, messages, True, template_kwargs)
        start = rendered.rfind(_REPLY_SLOT)
        if start < 0 or rendered.find(user_text, start) < 0:
            raise ValueError("the tokenizer's chat template does not write assistant and user messages as given, "
                             "so the rollout cannot find where a user turn starts")
        after = rendered[start + len(_REPLY_SLOT):]
        if eos_id is not None:  # the model ended its turn itself; the template would end it again
            end = tokenizer.decode([eos_id])
            if end and after.lstrip().startswith(end):
                after = after.lstrip()[len(end):]
        return self._tokens(tokenizer, after)

    def _eos_ids(self, model: Any, tokenizer: Any, given: Sequence[int] | None) -> list[int]:
        if given is not None:
            return [int(token) for token in given]
        ids = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        for token in [configured] if isinstance(configured, int) else list(configured or ()):
            if token not in ids:
                ids.append(int(token))
        if not ids:
            raise ValueError("neither the tokenizer nor the model names an end-of-sequence token")
        return ids

    def _generation_config(self, given: Any, tokenizer: Any, eos_ids: list[int]) -> Any:
        transformers = require("transformers", hint=_INSTALL_HINT)
        if given is None:
            config = transformers.GenerationConfig(max_new_tokens=self.max_reply_tokens or 256, do_sample=True,
                                                   temperature=1.0, top_p=1.0, top_k=0)
        else:
            config = copy.deepcopy(given)
        config.eos_token_id = eos_ids
        config.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]
        if self.greedy:
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = config.min_p = None
        return config

    @staticmethod
    def _generate(torch: Any, model: Any, contexts: list[list[int]], config: Any, pad_id: int,
                  eos_ids: list[int]) -> list[list[int]]:
        """One reply per context, generated as one left-padded batch, each cut after its first end token."""
        width = max(len(context) for context in contexts)
        input_ids = torch.full((len(contexts), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(contexts), width), dtype=torch.long)
        for row, context in enumerate(contexts):
            input_ids[row, width - len(context):] = torch.tensor(context, dtype=torch.long)
            attention[row, width - len(context):] = 1
        with torch.no_grad():
            output = model.generate(input_ids=input_ids.to(model.device), attention_mask=attention.to(model.device),
                                    generation_config=config)
        replies = []
        for row in output[:, width:].tolist():
            end = next((n for n, token in enumerate(row) if token in eos_ids), None)
            # A row that ended is padded after its end token; one that did not has only generated tokens.
            replies.append(row if end is None else row[:end + 1])
        return replies
