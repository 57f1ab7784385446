"""Backends that turn chat conversations into text: a local transformers model, an OpenAI-compatible server, a callable.

Every backend has one method::

    backend.generate(conversations, *, max_new_tokens, seeds) -> list[str | Exception]

``conversations`` is a batch of chat message lists (``{"role": "system" | "user" | "assistant",
"content": str}``), ``seeds`` one integer per conversation (drawn from the environment's
``np_random``, so sampling backends can be made reproducible). The result holds one completion per
conversation, in order; a backend may put an ``Exception`` in place of a completion that failed
on its own (an HTTP request that kept failing) and may raise for a failure of the whole batch.
:func:`generate_batch` wraps any backend so that the simulated user never sees an exception: it
gets each failure as a value, falls back and carries on.

* :class:`TransformersBackend`: a local model directory (or a loaded model and tokenizer), the
  tokenizer's chat template when it has one, left-padded batched generation, greedy decoding by
  default or seeded sampling, CPU or CUDA. transformers is imported lazily; nothing is downloaded.
* :class:`OpenAIBackend`: ``POST {base_url}/chat/completions`` with the standard library (urllib),
  the key read from an environment variable, a timeout, bounded retries with exponential backoff,
  and one thread per request of a batch (up to ``concurrency``).
* :class:`CallableBackend`: any Python function, per conversation or per batch.

:func:`backend_from_spec` builds one from a command-line string such as
``transformers:/models/qwen`` or ``openai:http://127.0.0.1:8000/v1#my-model``.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Real
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from empathy_gym._validation import check_int

Message = Mapping[str, str]
Conversation = Sequence[Message]

INSTALL_HINT = 'pip install "empathy_gym[llm]"'
ROLES = ("system", "user", "assistant")
SPEC_KINDS = ("transformers", "openai")


class BackendError(RuntimeError):
    """A generation call failed (the server kept failing, timed out, or answered nonsense)."""


@runtime_checkable
class Backend(Protocol):
    """What the simulated user (and the LLM agent) needs from a language model."""

    def generate(self, conversations: Sequence[Conversation], *, max_new_tokens: int,
                 seeds: Sequence[int]) -> list[str | Exception]: ...


def generate_batch(backend: Backend, conversations: Sequence[Conversation], *, max_new_tokens: int,
                   seeds: Sequence[int]) -> list[str | Exception]:
    """Call ``backend`` and never raise: a failed batch, a wrong-length answer or a non-text item
    comes back as an ``Exception`` value in the place of each completion it affects."""
    if not conversations:
        return []
    try:
        outputs = list(backend.generate(conversations, max_new_tokens=max_new_tokens, seeds=list(seeds)))
    except Exception as error:  # noqa: BLE001 - any backend failure becomes a per-turn fallback
        return [error] * len(conversations)
    if len(outputs) != len(conversations):
        error = BackendError(f"{type(backend).__name__}.generate returned {len(outputs)} completions "
                             f"for {len(conversations)} conversations")
        return [error] * len(conversations)
    return [item if isinstance(item, (str, Exception)) else
            BackendError(f"{type(backend).__name__}.generate returned a {type(item).__name__}, not a str")
            for item in outputs]


def describe_error(error: Exception) -> str:
    """A short one-line description of a failure for ``info`` (type and message, cut to 200 chars)."""
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - an exception whose message cannot be built is still recorded
        message = "(its message could not be read)"
    text = f"{type(error).__name__}: {message}".replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."


def check_backend(backend: Any) -> None:
    """Raise ``TypeError`` unless ``backend`` has the :class:`Backend` method."""
    if not callable(getattr(backend, "generate", None)):
        raise TypeError(f"backend must have a generate(conversations, *, max_new_tokens, seeds) method, got "
                        f"{type(backend).__name__}; see empathy_gym.model.llm.backends")


def _check_temperature(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 5.0:
        raise ValueError(f"temperature must be a number in [0, 5] (0: greedy decoding), got {value!r}")
    return float(value)


# -- any Python callable ---------------------------------------------------------------------------
class CallableBackend:
    """A backend from a Python function.

    ``fn(messages) -> str`` is called once per conversation, or, with ``batched=True``,
    ``fn(conversations) -> list[str]`` once per batch. With ``takes_seed=True`` it also receives
    ``seed=`` (an int per conversation, or the list of seeds when batched).
    """

    def __init__(self, fn: Callable[..., Any], *, batched: bool = False, takes_seed: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"CallableBackend needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.batched = bool(batched)
        self.takes_seed = bool(takes_seed)

    def generate(self, conversations: Sequence[Conversation], *, max_new_tokens: int,
                 seeds: Sequence[int]) -> list[str | Exception]:
        if self.batched:
            batch = [list(conversation) for conversation in conversations]
            return list(self.fn(batch, seed=list(seeds)) if self.takes_seed else self.fn(batch))
        outputs: list[str | Exception] = []
        for conversation, seed in zip(conversations, seeds):
            try:
                messages = list(conversation)
                outputs.append(self.fn(messages, seed=seed) if self.takes_seed else self.fn(messages))
            except Exception as error:  # noqa: BLE001 - one failed conversation does not sink the batch
                outputs.append(error)
        return outputs


# -- local transformers model ----------------------------------------------------------------------
def _import_transformers():
    try:
        import torch
        import transformers
    except ImportError as error:
        raise ImportError(f"TransformersBackend needs torch and transformers: {INSTALL_HINT} ({error})") from None
    return torch, transformers


class TransformersBackend:
    """Generate with a local causal language model through transformers.

    Args:
        model: a local model directory (``config.json``, weights and tokenizer files, as written by
            ``save_pretrained``), or an already-loaded ``PreTrainedModel``. Nothing is ever
            downloaded: a path that is not a local directory is an error.
        tokenizer: the tokenizer when ``model`` is a loaded model (default: loaded from the directory).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default: CUDA when available, else CPU
            (a loaded model stays where it is unless ``device`` is given).
        temperature: 0 (default) for greedy decoding, which makes the same prompt give the same
            text; above 0 samples, seeded from the batch's seeds (then a batch gives the same
            texts each time, but a conversation sampled alone or in another batch differs).
        top_p: nucleus sampling threshold when sampling.
        max_batch_size: split larger batches into chunks of this many conversations.
        dtype: a torch dtype (or its name, e.g. ``"bfloat16"``) for loading from a directory.

    Conversations are rendered with the tokenizer's chat template when it has one, else as
    ``System: ... / User: ... / Assistant:`` lines; batches are left-padded so every prompt ends
    where generation starts.
    """

    def __init__(self, model: str | os.PathLike | Any, tokenizer: Any = None, *, device: str | None = None,
                 temperature: float = 0.0, top_p: float = 1.0, max_batch_size: int | None = None,
                 dtype: Any = None) -> None:
        torch, transformers = _import_transformers()
        self._torch = torch
        self.temperature = _check_temperature(temperature)
        if isinstance(top_p, bool) or not isinstance(top_p, Real) or not 0.0 < float(top_p) <= 1.0:
            raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")
        self.top_p = float(top_p)
        self.max_batch_size = None if max_batch_size is None else check_int("max_batch_size", max_batch_size)
        loaded_here = isinstance(model, (str, os.PathLike))
        if loaded_here:
            path = Path(model).expanduser()
            if not path.is_dir():
                raise FileNotFoundError(
                    f"no local model directory at {str(path)!r}: point TransformersBackend at a folder holding "
                    "config.json, the weights and the tokenizer files (one written by save_pretrained, or fetched "
                    "beforehand with `hf download NAME --local-dir DIR`); empathy_gym never downloads models")
            load: dict[str, Any] = {"local_files_only": True}
            if dtype is not None:
                load["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) else dtype
            tokenizer = tokenizer or transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = transformers.AutoModelForCausalLM.from_pretrained(path, **load)
        elif tokenizer is None:
            raise ValueError("TransformersBackend got a loaded model but no tokenizer; pass tokenizer=")
        if device is None:
            device = ("cuda" if torch.cuda.is_available() else "cpu") if loaded_here else str(model.device)
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if self._pad_id is None:
            raise ValueError("the tokenizer has neither a pad token nor an end-of-sequence token to pad with")

    def render(self, conversation: Conversation) -> str:
        """The prompt text of one conversation, ending where the assistant's answer starts."""
        messages = [{"role": message["role"], "content": message["content"]} for message in conversation]
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        lines = [f"{message['role'].capitalize()}: {message['content']}" for message in messages]
        return "\n\n".join(lines) + "\n\nAssistant:"

    def generate(self, conversations: Sequence[Conversation], *, max_new_tokens: int,
                 seeds: Sequence[int]) -> list[str | Exception]:
        check_int("max_new_tokens", max_new_tokens)
        size = self.max_batch_size or max(1, len(conversations))
        outputs: list[str | Exception] = []
        for start in range(0, len(conversations), size):
            outputs.extend(self._generate_chunk(conversations[start:start + size], max_new_tokens,
                                                seeds[start:start + size]))
        return outputs

    def _generate_chunk(self, conversations: Sequence[Conversation], max_new_tokens: int,
                        seeds: Sequence[int]) -> list[str]:
        torch = self._torch
        prompts = [self.render(conversation) for conversation in conversations]
        # Chat templates already hold the special tokens; a plain prompt gets the tokenizer's defaults.
        add_special = not getattr(self.tokenizer, "chat_template", None)
        encoded = [self.tokenizer(prompt, add_special_tokens=add_special)["input_ids"] for prompt in prompts]
        width = max(len(ids) for ids in encoded)
        input_ids = torch.full((len(encoded), width), self._pad_id, dtype=torch.long)
        attention = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, ids in enumerate(encoded):  # left padding: every prompt ends at the last column
            input_ids[row, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
            attention[row, width - len(ids):] = 1
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": self._pad_id,
                                   "do_sample": self.temperature > 0}
        if self.temperature > 0:
            options.update(temperature=self.temperature, top_p=self.top_p)
        else:
            options.update(temperature=None, top_p=None, top_k=None)
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            # Sampling is seeded from the batch's seeds without touching the caller's global RNG state.
            torch.manual_seed(int(np.random.SeedSequence([int(seed) for seed in seeds]).generate_state(1)[0]))
            generated = self.model.generate(input_ids=input_ids.to(self.device),
                                            attention_mask=attention.to(self.device), **options)
        new_tokens = generated[:, width:].cpu()
        return [self.tokenizer.decode(row, skip_special_tokens=True) for row in new_tokens]


# -- OpenAI-compatible server ----------------------------------------------------------------------
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAIBackend:
    """Generate through an OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, llama.cpp, OpenAI...).

    Args:
        base_url: the API root, e.g. ``"http://127.0.0.1:8000/v1"``.
        model: the model name the server expects.
        api_key_env: the environment variable holding the key (default ``OPENAI_API_KEY``); when
            it is unset no ``Authorization`` header is sent (local servers rarely need one).
        timeout: seconds to wait for one response.
        retries: extra attempts after a failed request (connection error, timeout, HTTP 408, 409,
            425, 429 or 5xx, or an answer that is not a chat completion); other HTTP errors fail at once.
        backoff: seconds before the first retry, doubled for each later one.
        temperature: 0 (default) asks for greedy decoding; each request also carries its ``seed``.
        concurrency: most requests in flight at once for one batch (one thread each).
    """

    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY", timeout: float = 60.0,
                 retries: int = 2, backoff: float = 1.0, temperature: float = 0.0, concurrency: int = 16) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL such as http://127.0.0.1:8000/v1, "
                             f"got {base_url!r}")
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be the non-empty name the server knows the model by, got {model!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, Real) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
        if isinstance(backoff, bool) or not isinstance(backoff, Real) or backoff < 0:
            raise ValueError(f"backoff must be a number of seconds >= 0, got {backoff!r}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.temperature = _check_temperature(temperature)
        self.concurrency = check_int("concurrency", concurrency)

    def generate(self, conversations: Sequence[Conversation], *, max_new_tokens: int,
                 seeds: Sequence[int]) -> list[str | Exception]:
        check_int("max_new_tokens", max_new_tokens)
        jobs = list(zip(conversations, seeds))
        if len(jobs) == 1:
            return [self._complete(*jobs[0], max_new_tokens)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
            return list(pool.map(lambda job: self._complete(*job, max_new_tokens), jobs))

    def _complete(self, conversation: Conversation, seed: int, max_new_tokens: int) -> str | Exception:
        """One chat completion with retries; the last failure is returned, not raised."""
        body = json.dumps({
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in conversation],
            "max_tokens": max_new_tokens,
            "temperature": self.temperature,
            "seed": int(seed),
        }).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        failure: Exception = BackendError("no attempt made")
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _completion_text(response.read())
            except urllib.error.HTTPError as error:
                detail = error.read()[:200].decode("utf-8", "replace")
                failure = BackendError(f"HTTP {error.code} from {self.url}: {detail}")
                if error.code not in RETRY_STATUS:
                    return failure
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                reason = getattr(error, "reason", error)
                failure = BackendError(f"request to {self.url} failed: {type(reason).__name__}: {reason}")
            except BackendError as error:  # a 200 answer that is not a chat completion
                failure = error
        return failure


def _completion_text(raw: bytes) -> str:
    try:
        payload = json.loads(raw)
        content = payload["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise BackendError(f"the server's answer is not a chat completion ({type(error).__name__}): "
                           f"{raw[:120]!r}") from None
    if not isinstance(content, str):
        raise BackendError(f"the chat completion's content is {type(content).__name__}, not text")
    return content


# -- specs -----------------------------------------------------------------------------------------
def backend_from_spec(spec: str, **options: Any) -> Backend:
    """Build a backend from a command-line spec.

    * ``transformers:PATH``: :class:`TransformersBackend` on a local model directory;
    * ``openai:BASE_URL#MODEL``: :class:`OpenAIBackend`, e.g. ``openai:http://127.0.0.1:8000/v1#qwen2.5-7b``.

    ``options`` go to the backend's constructor (e.g. ``temperature=0.7``, ``device="cuda"``).
    """
    kind, separator, target = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    if not separator or kind not in SPEC_KINDS or not target:
        raise ValueError(f"backend spec must be 'transformers:PATH' or 'openai:BASE_URL#MODEL', got {spec!r}")
    if kind == "transformers":
        return TransformersBackend(target, **options)
    base_url, hash_sign, model = target.rpartition("#")
    if not hash_sign or not base_url or not model:
        raise ValueError(f"an openai backend spec names the model after '#': 'openai:BASE_URL#MODEL', got {spec!r}")
    return OpenAIBackend(base_url, model, **options)
