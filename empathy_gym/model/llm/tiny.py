"""A tiny chat model with random weights, built in memory: for tests, benchmarks and offline examples.

It writes gibberish (words ``w0``, ``w1``, ...), so the LLM user falls back to the parametric
appraisal on every turn; what it exercises is the machinery: the chat template, tokenisation,
left-padded batched generation, retries and fallbacks. Nothing is downloaded: the tokenizer is a
word-level one made with the ``tokenizers`` library and the model a small Llama from a config.

With ``vocabulary=`` its words are real ones instead (:func:`supporter_words`: the words of the
strategy templates), so its random replies are word salad that the parametric user reads
differently from one reply to the next: enough for a policy-gradient test or an offline training
example to see rewards that vary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from empathy_gym.model.llm.backends import _import_transformers
from empathy_gym.model.rendering import load_templates

CHAT_TEMPLATE = ("{% for m in messages %}<s> {{ m['role'] }} : {{ m['content'] }} </s> {% endfor %}"
                 "{% if add_generation_prompt %}<s> assistant : {% endif %}")


def supporter_words(limit: int | None = None) -> list[str]:
    """The words of the strategy templates, most frequent first (``limit``: the first so many).

    The templates' slots (``{topic}``, ``{other}``, ...) are left out, and each spelling is a word of
    its own (``You`` and ``you``): the tiny tokenizer matches words exactly.
    """
    counts = Counter(word for templates in load_templates().values() for template in templates
                     for word in re.findall(r"[A-Za-z]+", re.sub(r"\{[a-z_]+\}", " ", template)))
    return [word for word, _ in counts.most_common(limit)]


def tiny_random_chat_model(*, layers: int = 2, hidden: int = 32, words: int = 200, seed: int = 0,
                           vocabulary: Sequence[str] | None = None) -> tuple[Any, Any]:
    """A ``(model, tokenizer)`` pair: a ``layers``-layer Llama of width ``hidden`` with random weights
    (seeded), and a word-level tokenizer with a chat template over ``words`` made-up words, or over
    the words of ``vocabulary`` (letters and digits only: the tokenizer splits at punctuation)."""
    torch, transformers = _import_transformers()
    from tokenizers import Tokenizer, models, pre_tokenizers

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    fixed = list(".,!?:{}\"'-") + ["system", "user", "assistant"]
    if vocabulary is None:
        lexicon = [f"w{i}" for i in range(words)]
    else:
        lexicon = list(dict.fromkeys(vocabulary))  # in order, each word once
        bad = [word for word in lexicon if not isinstance(word, str) or not word.isalnum()]
        if not lexicon or bad:
            raise ValueError(f"vocabulary must be a non-empty list of words of letters and digits, got "
                             f"{bad[:3] if bad else 'no words'}")
        lexicon = [word for word in lexicon if word not in fixed]
    tokens = specials + lexicon + fixed
    vocab = {token: index for index, token in enumerate(tokens)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>",
                                                     eos_token="</s>", unk_token="<unk>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = transformers.LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                                      num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=2,
                                      max_position_embeddings=8192, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(config).eval()
    return model, tokenizer
