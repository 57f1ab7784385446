"""Appraisal: how the simulated user reads one agent reply (strategy weights and quality signals).

The appraiser is a fixed, deterministic reading of free text; strategy-mode replies are rendered
from templates (:mod:`empathy_gym.model.rendering`) and read by the very same code, so text agents
and strategy agents face one model. Nothing here draws random numbers.

Reading a reply, step by step (data in ``strategies.json`` and ``lexicon.json``):

1. **Normalise**: sanitise into the printable charset, lower-case, keep abbreviations such as
   "Dr." from ending a sentence, and expand contractions ("wasn't" -> "was not", "I'd been" ->
   "I had been") so cue patterns need one spelling only. Split into sentences at ``.``, ``!``,
   ``?`` and line breaks.
2. **Strategy weights**: every strategy has weighted cue patterns. In each sentence a strategy
   scores the summed weights of its patterns that match there (a pattern counts once per
   sentence). The sentence contributes ``scores / max(sum(scores), 1)``: a clear single move gives
   weight ~1 to that move, several moves in one sentence share it, and a sentence with only a faint
   cue gives partial weight. ``strategy_weights`` is the sum of the contributions divided by the
   number of sentence units, where a sentence of more than 35 words counts as several units and
   sentences without cues count too. So padding dilutes the weights, and a sentence repeated word
   for word inside one reply contributes only once (repeating a phrase earns nothing).
3. **Quality signals**, each in [0, 1]:

   * ``relevance``: content words (not stopwords, lightly stemmed) of the reply that lie outside
     text copied from the user and that the user said (last turn weight 1, earlier turns 0.6) or
     that name the profile's public facts (``topic_words``, 0.8): ``1 - exp(-sum of weights)``.
   * ``echo``: share of the reply's words inside word 5-grams found verbatim in a user turn, with
     n-grams never spanning punctuation on either side. A quoted fragment of 2-4 words is not echo;
     nor is naming the topic (a 5-gram with at most one word besides topic words and glue words
     like "the", or two when it holds two topic words) or a stock phrase made only of stopwords
     ("I do not know what").
   * ``repetition``: the larger of the Jaccard similarity of word trigrams with any earlier agent
     reply (identical replies give 1) and the share of the reply's trigrams that repeat an earlier
     trigram of the same reply.
   * ``garbled``: mean noise over whitespace-separated chunks. A word is clean when it is a common
     word, in the lexicon or said in the conversation (also after stripping common suffixes or
     collapsing stretched letters); an unknown word that looks like English counts 0.5; a word with
     no vowel, a run of five consonants, an unusual vowel ratio, a letter pair never seen in the
     word list, digits mixed into letters or stray symbols counts 1, as do chunks of symbol noise.
     An unknown all-capitals word of 2-5 letters ("HR") counts 0.25.
   * ``hostility`` and ``injection``: summed weights of the distinct lexicon patterns found,
     capped at 1 (one clear insult or one clear instruction to the simulator saturates). A
     hostility match preceded within three words by a negation ("nobody thinks you are an
     idiot") is ignored, and so is any match inside it ("idiot").
   * ``stuffing``: empathy keywords piled up without sentence structure: the larger of keyword
     density (per word, at least 8 words assumed), runs of consecutive keywords, each strengthened
     by a lack of function words, and many distinct strategy cues crammed into one short sentence.
   * ``verbosity``: 0 up to 80 words, rising linearly to 1 at 250 words.
   * ``question``: share of sentence units that invite the person to say more (an open question
     or an invitation counts 1, another wh-question 0.75, a closed question 0.4, a "go on" 0.5,
     anything under three words at most 0.5).

Cue patterns may use four macros that are expanded once at load: ``{FEELING}``,
``{FEELING_NOUN}`` and ``{FEELING_CAUSE}`` (alternations of the lexicon's word lists) and
``{NOT_SELF}`` (a set of look-behinds that keep "you/I/it/this ... might have" from reading as a
guess about another person). Patterns are lower-case and get word boundaries at both ends.

Cues, hostility and injection patterns are matched in one pass over the reply's words, through the
index of :mod:`empathy_gym.model.pattern_index`. The reading is split in two: everything a reply says on its own (words,
cues, strategy weights, question share, hostility, injection, stuffing, verbosity, its unknown
words) is cached per text, and only echo, relevance, repetition and the garbled share of its
unknown words are worked out against the conversation, whose user-side data is cached per turn and
built one turn at a time. A new 25-word reply is read in about 0.1 ms on a typical CPU, a reply
read before (same text, same conversation) in about 5 microseconds.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from empathy_gym._text import sanitize
from empathy_gym.data import read_json
from empathy_gym._validation import check_choice
from empathy_gym.model.coherence import CoherenceModel, shipped_coherence_weights
from empathy_gym.model.move_model import MoveModel, sentence_features, shipped_move_model
from empathy_gym.model.pattern_index import Match, PatternIndex
from empathy_gym.model.reading import Appraisal, DialogueContext
from empathy_gym.vocabulary import STRATEGIES



# -- constants of the reading ----------------------------------------------------------------
#: Readings kept per appraiser: a strategy run renders some tens of thousands of distinct replies
#: (random strategies on the train profiles: about 17,500 in 50,000 steps), each read once and
#: then looked up; every user turn is read once more by the renderer and the context.
REPLY_CACHE = 32_768
SENTENCE_CACHE = 32_768
_STEM_MEMO = 200_000  # tokens whose content stem an appraiser remembers
SENTENCE_UNIT_WORDS = 35  # a longer sentence counts as several sentences when weights are shared
VERBOSITY_START, VERBOSITY_FULL = 80, 250  # words
ECHO_NGRAM = 5
_COLD_HISTORY_TURNS = 50  # a longer uncached history is built turn by turn (see _analyse_history)
RELEVANCE_WEIGHTS = {"last_turn": 1.0, "earlier_turn": 0.6, "topic": 0.8}
ACRONYM_NOISE = 0.25  # an unknown all-capitals word of 2-5 letters
STUFFING_MIN_WORDS = 8  # keyword density is taken over at least this many words
CROWDED_SENTENCE_WORDS = 20  # a sentence this short doing 3+ strong moves is crammed
STRONG_CUE = 0.8
NEGATORS = frozenset({"not", "never", "no", "nobody", "none", "neither", "nor", "nothing"})
NEGATION_WINDOW = 3
#: Short function words that may join topic words inside the topic's own name.
_GLUE = frozenset({"the", "a", "an", "of", "at", "with", "in", "on", "for", "to", "from", "and", "by", "over",
                   "about", "after", "before", "s"})
WH_WORDS = frozenset({"what", "how", "why", "when", "where", "who", "which"})

#: How the strategy weights are read: from the cue patterns alone, or by the learned move model.
MOVE_READINGS = ("cues", "learned")
#: The reading a simulated user gets when none is named: the learned move and coherence models.
DEFAULT_READER = "learned"
#: The coherence model's probability of language at or below which a sentence counts as fragments,
#: and at or above which it does not count at all (learned reading).
FRAGMENT_FULL, FRAGMENT_ONSET = 0.05, 0.25
#: Sentences shorter than this (in words) are never judged as fragments: people write "okay fair
#: enough" and "but did you?", and a glued salad needs more words than that to pack in its cues.
FRAGMENT_MIN_WORDS = 4
#: A move the model gives less probability than this in a sentence is not read there at all (a reply
#: is read as making no move when nothing clears it).
MOVE_FLOOR = 0.1
#: A sentence that asks hands the turn to the person, so it is usually the reply's main move: it
#: weighs this much more than a statement of the same length (learned reading).
ASKING_WEIGHT = 1.5
_HOSTILITY, _INJECTION = -1, -2  # pattern labels besides the strategy indices
_STRATEGIES_FILE = "strategies.json"
_LEXICON_FILE = "lexicon.json"
_LEXICON_LISTS = ("stopwords", "common_words", "feelings", "feeling_nouns", "feeling_causes",
                  "empathy_keywords", "abbreviations")
_LEXICON_PATTERNS = ("hostility", "injection")
_NOT_SELF_WORDS = ("you", "i", "we", "it", "this", "that", "things", "everything", "there", "what", "one",
                   "anyone", "nobody", "someone", "everyone", "who", "which", "yourself", "nothing", "all")

_WORD = re.compile(r"[a-z0-9]+")
_MACRO = re.compile(r"\{(?:FEELING|FEELING_NOUN|FEELING_CAUSE|NOT_SELF)\}")
_RAW_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")
_SEGMENT_BREAK = re.compile(r"[.,;:!?\"()\[\]\n]+")
_ACRONYM = re.compile(r"^[A-Z]{2,5}s?$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"')\]])\s+|\n+")
_EDGE_PUNCT = ".,!?;:\"'()[]{}*-"
_CHUNK_SPLIT = re.compile(r"[-/&.,:+;!?\"()]+")
_CHUNK_ALLOWED = re.compile(r"^[a-z0-9'\-/&.,:+%$#;!?\"()]+$")
_ALNUM_UNIT = re.compile(r"^(?:\d+(?:st|nd|rd|th|s|am|pm|k|m|h|min|km|kg|x)?|[a-z]+\d{1,2})$")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
_SYMBOL_NOISE = frozenset("#$%^*~|\\<>{}[]_=+@`")

# Contractions, expanded in order on lower-cased text. Each pattern comes with a literal that any
# match contains, so a pattern whose literal is absent is skipped without running it.
_CONTRACTIONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (literal, re.compile(pattern), replacement)
    for literal, pattern, replacement in (
        ("can't", r"\bcan't\b", "can not"),
        ("cannot", r"\bcannot\b", "can not"),
        ("won't", r"\bwon't\b", "will not"),
        ("shan't", r"\bshan't\b", "shall not"),
        ("ain't", r"\bain't\b", "is not"),
        ("n't", r"n't\b", " not"),
        ("let's", r"\blet's\b", "let us"),
        ("i'm", r"\bi'm\b", "i am"),
        ("'re", r"'re\b", " are"),
        ("'ve", r"'ve\b", " have"),
        ("'ll", r"'ll\b", " will"),
        ("'d ", r"'d (been|had|done|gone|seen|known|made|taken|given|got|gotten|[a-z]+ed)\b", r" had \1"),
        ("'d", r"'d\b", " would"),
        ("'s ", r"\b(it|that|what|there|here|he|she|who|where|how|everything|nothing|something|someone|everyone|when|why)"
         r"'s (been|got|gotten|had)\b", r"\1 has \2"),
        ("'s", r"\b(it|that|what|there|here|he|she|who|where|how|everything|nothing|something|someone|everyone|when|why)'s\b",
         r"\1 is"),
        ("gonna", r"\bgonna\b", "going to"),
        ("wanna", r"\bwanna\b", "want to"),
        ("gotta", r"\bgotta\b", "got to"),
        ("kinda", r"\bkinda\b", "kind of"),
    )
)


#: Contractions typed without their apostrophe (chat style: "dont", "im", "thats") and chat
#: shorthand with one reading ("u", "idk"), expanded like the spelled forms. Words that are also
#: ordinary words ("its", "ill", "were", "well", "id", "lets", "shed") are left alone.
_BARE_CONTRACTIONS: dict[str, str] = {
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "can not", "couldnt": "could not",
    "wouldnt": "would not", "shouldnt": "should not", "wont": "will not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "werent": "were not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
    "aint": "is not", "im": "i am", "ive": "i have", "youre": "you are", "youve": "you have", "youll": "you will",
    "youd": "you would", "theyre": "they are", "theyve": "they have", "theyll": "they will", "weve": "we have",
    "thats": "that is", "whats": "what is", "theres": "there is", "hes": "he is", "shes": "she is",
    "wheres": "where is", "whos": "who is", "hows": "how is", "everythings": "everything is",
    # chat shorthand that stands for one reading only
    "u": "you", "idk": "i do not know", "tbh": "to be honest", "cuz": "because", "coz": "because",
    "bc": "because", "ppl": "people", "pls": "please", "plz": "please", "rn": "right now",
}
_BARE_CONTRACTION = re.compile(r"\b(" + "|".join(_BARE_CONTRACTIONS) + r")\b")


def _expand_bare(match: re.Match[str]) -> str:
    return _BARE_CONTRACTIONS[match.group(1)]


_UNCLEAN = re.compile(r"[^ -~\n]|  ")


def _already_clean(text: str) -> bool:
    """Whether ``sanitize(text) == text`` without running it (printable, single spaces, stripped)."""
    return text.isascii() and not _UNCLEAN.search(text) and text == text.strip()


def _clip(value: float) -> float:
    return 0.0 if value <= 0.0 else 1.0 if value >= 1.0 else float(value)


def _stem(word: str) -> str:
    """A crude, symmetric suffix stripper, so "layoffs" meets "layoff" and "fighting" meets "fight"."""
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 5 and word.endswith("ly"):
        return word[:-2]
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# -- data loading ---------------------------------------------------------------------------------
def _fail(message: str) -> None:
    raise ValueError(message)


def _check_pattern_list(items: Any, where: str) -> list[tuple[str, float]]:
    if not isinstance(items, list) or not items:
        _fail(f"{where}: expected a non-empty list of {{'pattern': str, 'weight': number}}")
    result = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"pattern", "weight"}:
            _fail(f"{where}[{i}]: expected an object with exactly 'pattern' and 'weight', got {item!r:.80}")
        pattern, weight = item["pattern"], item["weight"]
        if not isinstance(pattern, str) or not pattern or re.search(r"(?<!\\)[A-Z]", _MACRO.sub("", pattern)):
            _fail(f"{where}[{i}].pattern: expected a non-empty lower-case regular expression, got {pattern!r:.80}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 < weight <= 5.0:
            _fail(f"{where}[{i}].weight: expected a number in (0, 5], got {weight!r}")
        result.append((pattern, float(weight)))
    return result


def load_lexicon() -> dict[str, Any]:
    """The validated contents of ``lexicon.json`` (a fresh object)."""
    lexicon = read_json(_LEXICON_FILE)
    if not isinstance(lexicon, dict):
        _fail(f"{_LEXICON_FILE}: expected an object")
    for key in _LEXICON_LISTS:
        words = lexicon.get(key)
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
            _fail(f"{_LEXICON_FILE}: '{key}' must be a non-empty list of strings")
    for key in _LEXICON_PATTERNS:
        lexicon[key] = _check_pattern_list(lexicon.get(key), f"{_LEXICON_FILE}: {key}")
    return lexicon


def load_strategy_cues() -> dict[str, list[tuple[str, float]]]:
    """The cue patterns of every strategy in ``strategies.json``, validated, keyed by name."""
    data = read_json(_STRATEGIES_FILE)
    if not isinstance(data, dict):
        _fail(f"{_STRATEGIES_FILE}: expected an object keyed by strategy name")
    missing = [name for name in STRATEGIES if name not in data]
    unknown = sorted(set(data) - set(STRATEGIES))
    if missing or unknown:
        _fail(f"{_STRATEGIES_FILE}: strategies must be exactly {', '.join(STRATEGIES)}; "
              f"missing {missing}, unknown {unknown}")
    cues = {}
    for name in STRATEGIES:
        spec = data[name]
        if not isinstance(spec, dict):
            _fail(f"{_STRATEGIES_FILE}: {name}: expected an object")
        cues[name] = _check_pattern_list(spec.get("cues"), f"{_STRATEGIES_FILE}: {name}.cues")
    return cues


def _alternation(words: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) + ")"


# -- per-text analysis, cached because every user turn is read again on every later turn ----------
@dataclass(frozen=True)
class _ContextData:
    """What the appraiser needs from the user's side of the conversation (cached per context)."""

    ngrams: frozenset[tuple[str, ...]]  # word 5-grams of every user turn, within clauses
    vocabulary: frozenset[str]  # every word the user said, plus the topic words
    relevance_weights: dict[str, float]  # content stem -> how much mentioning it counts
    topic_words: frozenset[str]  # the context's topic words as given
    topic_stems: frozenset[str]


@dataclass(frozen=True)
class _TurnData:
    tokens: tuple[str, ...]
    stems: tuple[str, ...]  # content-word stems, in order of first appearance
    ngrams: frozenset[tuple[str, ...]]  # word 5-grams within one clause
    vocabulary: frozenset[str]


@dataclass(frozen=True)
class _HistoryData:
    """The union of some user turns' data (cached per tuple of turns, built one turn at a time)."""

    ngrams: frozenset[tuple[str, ...]]
    vocabulary: frozenset[str]
    stems: frozenset[str]


@dataclass(frozen=True)
class _ReplyData:
    """What the appraiser reads from a reply on its own, before looking at the conversation."""

    tokens: tuple[str, ...]  # normalised words
    sentences: tuple[str, ...]  # normalised sentences
    sentence_cues: tuple[dict[int, float], ...]  # per sentence: strategy index -> summed weight of its cues
    segment_of_token: tuple[int, ...]  # clause index of every token (echo n-grams stay inside one)
    content: tuple[tuple[int, str], ...]  # (token index, stem) of the content words, in order
    shingles: frozenset[tuple[str, ...]]  # word trigrams, for repetition against earlier replies
    self_repetition: float  # share of the reply's trigrams repeating an earlier one of the same reply
    fragmented: float  # learned reading only: how far the reply is glued fragments rather than language
    n_chunks: int  # whitespace-separated chunks
    unknown_chunks: tuple[tuple[str, str, str], ...]  # (raw, lower-case, core) of chunks not in the lexicon
    weights: np.ndarray
    question: float
    sentence_words: tuple[tuple[str, ...], ...]  # the words of each sentence
    crowding: float  # the worst crowding of strong cues in one short sentence (stuffing)
    hostility: float
    injection: float
    stuffing: float
    verbosity: float
    n_words: int


class Appraiser:
    """Reads agent replies as the simulated user does. Load once, call :meth:`appraise` per reply.

    ``keyed=False`` finds the cue patterns by scanning each in full instead of through the word
    index of :class:`~empathy_gym.model.pattern_index.PatternIndex`: the same reading, slower (it
    is what happens where the standard library's regex parser is unavailable).
    """

    def __init__(self, *, keyed: bool = True, moves: str | MoveModel = "cues") -> None:
        if isinstance(moves, str):
            check_choice("moves", moves, MOVE_READINGS)
        elif not isinstance(moves, MoveModel):
            raise TypeError(f"moves must be one of {', '.join(map(repr, MOVE_READINGS))} or a MoveModel, "
                            f"got {type(moves).__name__}")
        self._config = (keyed, moves)
        self._move_model: MoveModel | None = (
            shipped_move_model() if moves == "learned" else moves if isinstance(moves, MoveModel) else None)
        self._sentence_moves = lru_cache(maxsize=SENTENCE_CACHE)(self._read_sentence_moves)
        lexicon = load_lexicon()
        self._coherence = (CoherenceModel(shipped_coherence_weights(), frozenset(lexicon["stopwords"]))
                           if self._move_model is not None else None)
        # A learned reading starts from the cue reading of the same text (tokens, cues, signals), which
        # the process's cue appraiser caches: the renderer's checks and the learned read share it.
        self._cue_reading: Appraiser | None = None
        if self._coherence is not None:
            self._sentence_language = lru_cache(maxsize=SENTENCE_CACHE)(self._coherence.language_probability)
            self._cue_reading = _appraiser_with(keyed, "cues")
        cues = load_strategy_cues()
        self._stopwords = frozenset(lexicon["stopwords"])
        self._keywords = frozenset(lexicon["empathy_keywords"])
        self._abbreviations = frozenset(lexicon["abbreviations"])
        self._abbreviation = re.compile(r"\b(" + "|".join(map(re.escape, lexicon["abbreviations"])) + r")\.")
        self._known = frozenset(
            word for key in ("common_words", "stopwords", "feelings", "feeling_nouns", "feeling_causes",
                             "empathy_keywords", "abbreviations") for word in lexicon[key])
        self._known_bigrams = frozenset(
            word[i:i + 2] for word in self._known for i in range(len(word) - 1) if word[i:i + 2].isalpha())
        macros = {
            "{FEELING}": _alternation(lexicon["feelings"]),
            "{FEELING_NOUN}": _alternation(lexicon["feeling_nouns"]),
            "{FEELING_CAUSE}": _alternation(lexicon["feeling_causes"]),
            "{NOT_SELF}": "".join(f"(?<!\\b{w} )" for w in _NOT_SELF_WORDS),
        }
        cue_patterns = []
        for label, name in enumerate(STRATEGIES):
            for pattern, weight in cues[name]:
                for macro, expansion in macros.items():
                    pattern = pattern.replace(macro, expansion)
                cue_patterns.append((pattern, weight, label))
        # One pattern set for strategy cues, hostility and injection: a single pass over the words
        # (compiled once per process: a learned reading uses its cue reading's).
        self._patterns = self._cue_reading._patterns if self._cue_reading is not None else PatternIndex(
            cue_patterns
            + [(p, w, _HOSTILITY) for p, w in lexicon["hostility"]]
            + [(p, w, _INJECTION) for p, w in lexicon["injection"]],
            f"{_STRATEGIES_FILE} cues / {_LEXICON_FILE} patterns",
            keyed=keyed,
        )
        self._open_question = STRATEGIES.index("open_question")
        self._invite = STRATEGIES.index("invite_reflection")
        self._listening = STRATEGIES.index("minimal_listening")
        self._stems: dict[str, str | None] = {}
        self._turn_data = lru_cache(maxsize=4096)(self._analyse_turn)
        self._reply_data = lru_cache(maxsize=REPLY_CACHE)(
            self._read_reply if self._cue_reading is None else self._read_reply_learned)
        self._history_data = lru_cache(maxsize=1024)(self._analyse_history)
        self._topic_stems = lru_cache(maxsize=1024)(self._analyse_topic)
        self._topic_vocabulary = lru_cache(maxsize=1024)(self._analyse_topic_vocabulary)
        self._context_data = lru_cache(maxsize=256)(self._analyse_context)

    def __reduce__(self):
        # Its per-instance caches cannot be pickled; an unpickled env shares the process's appraiser.
        if self._config == (True, "cues"):
            return (shared_appraiser, ())
        return (_appraiser_with, self._config)

    # -- public ---------------------------------------------------------------------------
    def appraise(self, reply: str, context: DialogueContext) -> Appraisal:
        """Read ``reply`` given what the user said and heard so far (deterministic, side-effect free)."""
        data = self._reply_data(str(reply))
        user = self._context_data(context.user_turns, context.topic_words)
        copied = self._copied_positions(data.tokens, data.segment_of_token, user)
        return Appraisal(
            strategy_weights=data.weights,
            relevance=self._relevance(data.content, copied, user),
            repetition=self._repetition(data, context.agent_turns),
            echo=self._echo_share(data, copied),
            garbled=max(self._garbled(data, user), data.fragmented),
            hostility=data.hostility,
            injection=data.injection,
            stuffing=data.stuffing,
            verbosity=data.verbosity,
            question=data.question,
            n_words=data.n_words,
        )

    def echo(self, reply: str, context: DialogueContext) -> float:
        """``appraise(reply, context).echo`` alone, without the other context-dependent signals."""
        data = self._reply_data(str(reply))
        user = self._context_data(context.user_turns, context.topic_words)
        return self._echo_share(data, self._copied_positions(data.tokens, data.segment_of_token, user))

    @staticmethod
    def _echo_share(data: _ReplyData, copied: set[int]) -> float:
        return len(copied) / len(data.tokens) if data.tokens else 0.0

    def sentence_cues(self, text: str) -> list[tuple[str, dict[int, float]]]:
        """Every sentence of ``text`` as the appraiser reads it (normalised), with its cue scores."""
        data = self._reply_data(str(text))
        return [(sentence, dict(cues)) for sentence, cues in zip(data.sentences, data.sentence_cues)]

    def makes_a_move(self, text: str) -> bool:
        """Whether ``text`` carries any strategy cue, hostility or injection (whatever the context)."""
        data = self._reply_data(str(text))
        return bool(np.any(data.weights > 0.0)) or data.hostility > 0.0 or data.injection > 0.0

    def _read_reply(self, reply: str) -> _ReplyData:
        """Everything about ``reply`` that does not depend on the conversation (cached per text)."""
        # sanitize() is a per-character pass; most replies are already clean.
        clean = reply if _already_clean(reply) else sanitize(reply)
        n_words = len(_RAW_WORD.findall(clean))
        text = self.normalise(clean)
        sentences = self._sentences(text)
        cue_text = "\n".join(sentences)
        offsets, position = [], 0
        for sentence in sentences:
            offsets.append(position)
            position += len(sentence) + 1
        located = [(m.group(), m.start()) for m in _WORD.finditer(cue_text)]
        tokens = [word for word, _ in located]
        token_starts = [start for _, start in located]
        sentence_of_token = [bisect_right(offsets, start) - 1 for start in token_starts]
        words_of: list[list[str]] = [[] for _ in sentences]  # the words of each sentence
        for token, s in zip(tokens, sentence_of_token):
            words_of[s].append(token)

        # Per sentence: strategy index -> summed weight of its distinct cues found there.
        scores: list[dict[int, float]] = [{} for _ in sentences]
        seen: set[tuple[int, int]] = set()
        hostile: list[Match] = []
        injected: list[Match] = []
        labels, pattern_weights = self._patterns.labels, self._patterns.weights
        for match in self._patterns.find(cue_text, located):
            label = labels[match.entry]
            if label == _HOSTILITY:
                hostile.append(match)
            elif label == _INJECTION:
                injected.append(match)
            else:
                s = bisect_right(offsets, match.start) - 1
                if (s, match.entry) not in seen:
                    seen.add((s, match.entry))
                    scores[s][label] = scores[s].get(label, 0.0) + pattern_weights[match.entry]

        weights, question, crowding = self._share_out(sentences, scores, words_of)
        breaks = [m.start() for m in _SEGMENT_BREAK.finditer(cue_text)]
        mine = self._shingles(tokens)
        # Share of the reply's own trigrams that repeat an earlier one (from 6 words on: the distinct
        # trigrams are the shingles, out of len - 2 in all).
        self_repetition = 1.0 - len(mine) / (len(tokens) - 2) if len(tokens) >= 6 else 0.0
        # Garbled: a chunk that is a known word is clean in any conversation; keep the others.
        chunks = clean.lower().split()
        cores = [chunk.strip(_EDGE_PUNCT) for chunk in chunks]
        unknown = tuple((raw, chunk, core) for raw, chunk, core in zip(clean.split(), chunks, cores)
                        if core not in self._known)
        return _ReplyData(
            tokens=tuple(tokens),
            sentences=tuple(sentences),
            sentence_cues=tuple(scores),
            segment_of_token=tuple(bisect_right(breaks, start) for start in token_starts),
            content=tuple((i, stem) for i, stem in enumerate(map(self._content_stem, tokens)) if stem is not None),
            shingles=frozenset(mine),
            self_repetition=self_repetition,
            fragmented=0.0,
            n_chunks=len(chunks),
            unknown_chunks=unknown,
            weights=weights,
            question=question,
            sentence_words=tuple(map(tuple, words_of)),
            crowding=crowding,
            hostility=self._pattern_signal(hostile, cue_text, located, negatable=True),
            injection=self._pattern_signal(injected, cue_text, located, negatable=False),
            stuffing=self._stuffing(tokens, crowding),
            verbosity=_clip((n_words - VERBOSITY_START) / (VERBOSITY_FULL - VERBOSITY_START)),
            n_words=n_words,
        )

    def _read_reply_learned(self, reply: str) -> _ReplyData:
        """The learned reading of ``reply``: its cue reading with the moves, question share and
        fragments read by the move and coherence models (cached per text)."""
        data = self._cue_reading._reply_data(reply)
        sentences, scores, words_of = data.sentences, data.sentence_cues, data.sentence_words
        weights, question = self._learned_share_out(sentences, scores, words_of)
        return replace(data, weights=weights, question=question, fragmented=self._fragmented(sentences, words_of))

    def normalise(self, text: str) -> str:
        """Lower-case ``text`` and expand contractions, the form cue patterns are written against."""
        text = text.lower()
        text = self._abbreviation.sub(r"\1", text)
        if "'" in text or "nna" in text or "tta" in text or "nda" in text or "cannot" in text:
            for literal, pattern, replacement in _CONTRACTIONS:
                if literal in text:
                    text = pattern.sub(replacement, text)
        return _BARE_CONTRACTION.sub(_expand_bare, text)

    # -- steps ---------------------------------------------------------------------------
    @staticmethod
    def _sentences(text: str) -> list[str]:
        pieces = (piece.strip() for piece in _SENTENCE_BREAK.split(text))
        return [piece for piece in pieces if _WORD.search(piece)]

    def _share_out(
        self,
        sentences: list[str],
        scores: list[dict[int, float]],
        words_of: list[list[str]],
    ) -> tuple[np.ndarray, float, float]:
        """Strategy weights, the question share and the worst crowding of moves in one sentence."""
        totals = [0.0] * len(STRATEGIES)
        units = 0
        question = 0.0
        crowding = 0.0
        seen: set[tuple[str, ...]] = set()
        for s, sentence in enumerate(sentences):
            n = len(words_of[s])
            units += max(1, math.ceil(n / SENTENCE_UNIT_WORDS))
            key = tuple(words_of[s])
            if key in seen:
                continue  # the same sentence again adds length, not substance
            seen.add(key)
            row = scores[s]
            total = sum(row.values())
            for label, score in row.items():
                totals[label] += score / max(total, 1.0)
            question += self._question_value(sentence, row, words_of[s])
            if n <= CROWDED_SENTENCE_WORDS:
                strong = sum(score >= STRONG_CUE for score in row.values())
                crowding = max(crowding, _clip((strong - 2) / 2))
        weights = np.array(totals) / max(units, 1)
        weights.setflags(write=False)
        return weights, _clip(question / units) if units else 0.0, crowding

    def _learned_share_out(self, sentences: list[str], scores: list[dict[int, float]],
                           words_of: Sequence[Sequence[str]]) -> tuple[np.ndarray, float]:
        """Strategy weights and the question share from the move model, one sentence at a time.

        Each sentence weighs the square root of its length in words (so a short acknowledgement
        before the main move weighs less than the move), times ``ASKING_WEIGHT`` when it asks;
        its move probabilities (the ``none`` class left out) are shared out by that weight over the
        whole reply, so sentences that make no move dilute the others, and a sentence said again adds
        weight but no moves. When the model carries a salience per move (how much each counts as the
        main move of a reply that mixes several), the shares are re-weighted by it at the same total.
        """
        totals = np.zeros(len(STRATEGIES))
        question = mass = 0.0
        seen: set[tuple[str, ...]] = set()
        for s, sentence in enumerate(sentences):
            weight = math.sqrt(max(1, len(words_of[s])))
            if sentence.rstrip(" \"')").endswith("?"):
                weight *= ASKING_WEIGHT
            mass += weight
            key = tuple(words_of[s])
            if key in seen:
                continue
            seen.add(key)
            moves = self._sentence_moves(sentence, tuple(sorted(scores[s].items())))
            totals += weight * moves[:len(STRATEGIES)]
            question += weight * max(self._question_value(sentence, scores[s], words_of[s]),
                                     self._learned_question_value(sentence, moves, words_of[s]))
        weights = totals / mass if mass else totals
        salience = self._move_model.salience
        if salience is not None and weights.sum() > 0.0:
            # A reply that mixes moves is read by its main one: the moves are re-weighted by how much
            # each counts as a reply's main move, keeping the reply's total (a one-move reply is unchanged).
            weighted = weights * salience[:len(STRATEGIES)]
            weights = weighted * (weights.sum() / weighted.sum())
        weights.setflags(write=False)
        return weights, _clip(question / mass) if mass else 0.0

    def _fragmented(self, sentences: list[str], words_of: list[list[str]]) -> float:
        """The length-weighted share of sentences that read as glued fragments (coherence model).

        A sentence whose probability of being language is ``FRAGMENT_FULL`` or less counts fully,
        one at ``FRAGMENT_ONSET`` or more not at all (real sentences score well above it); one of
        fewer than ``FRAGMENT_MIN_WORDS`` words is not judged.
        """
        total = share = 0.0
        for sentence, words in zip(sentences, words_of):
            weight = math.sqrt(max(1, len(words)))
            total += weight
            if len(words) < FRAGMENT_MIN_WORDS:
                continue  # "okay fair enough", "but did you?": too short to tell a fragment from a terse reply
            language = self._sentence_language(sentence)
            share += weight * _clip((FRAGMENT_ONSET - language) / (FRAGMENT_ONSET - FRAGMENT_FULL))
        return share / total if total else 0.0

    def _read_sentence_moves(self, sentence: str, cue_scores: tuple[tuple[int, float], ...]) -> np.ndarray:
        """The move model's probabilities for one sentence, those below ``MOVE_FLOOR`` set to 0 (noise)."""
        moves = self._move_model.probabilities(sentence_features(sentence, dict(cue_scores)))
        moves[moves < MOVE_FLOOR] = 0.0
        moves.setflags(write=False)
        return moves

    def _learned_question_value(self, sentence: str, moves: np.ndarray, words: list[str]) -> float:
        asks = sentence.rstrip(" \"')").endswith("?")
        value = (moves[self._open_question] + moves[self._invite] * (1.0 if asks else 0.5)
                 + 0.5 * moves[self._listening])
        return min(float(value), 0.5) if len(words) < 3 else float(value)

    def _question_value(self, sentence: str, row: dict[int, float], words: list[str]) -> float:
        asks = sentence.rstrip(" \"')").endswith("?")
        if row.get(self._open_question, 0.0) >= 1.0:
            value = 1.0
        elif asks and row.get(self._invite, 0.0) >= 1.0:
            value = 1.0
        elif asks and words and words[0] in WH_WORDS:
            value = 0.75
        elif asks:
            value = 0.4
        elif row.get(self._listening, 0.0) >= 1.0:
            value = 0.5
        else:
            value = 0.0
        return min(value, 0.5) if len(words) < 3 else value

    def _analyse_turn(self, turn: str) -> _TurnData:
        text = self.normalise(sanitize(turn))
        tokens = tuple(_WORD.findall(text))
        stems = tuple(dict.fromkeys(stem for stem in map(self._content_stem, tokens) if stem is not None))
        ngrams: set[tuple[str, ...]] = set()
        for segment in _SEGMENT_BREAK.split(text):
            words = _WORD.findall(segment)
            ngrams.update(tuple(words[i:i + ECHO_NGRAM]) for i in range(len(words) - ECHO_NGRAM + 1))
        return _TurnData(tokens, stems, frozenset(ngrams), frozenset(tokens))

    def _analyse_history(self, user_turns: tuple[str, ...]) -> _HistoryData:
        # Built from the history one turn shorter, which the previous appraisal has cached. A long
        # history read cold is built up from its start, so the recursion stays one level deep.
        if len(user_turns) > _COLD_HISTORY_TURNS:
            for length in range(1, len(user_turns)):
                self._history_data(user_turns[:length])
        last = self._turn_data(user_turns[-1])
        if len(user_turns) == 1:
            return _HistoryData(last.ngrams, last.vocabulary, frozenset(last.stems))
        before = self._history_data(user_turns[:-1])
        return _HistoryData(before.ngrams | last.ngrams, before.vocabulary | last.vocabulary,
                            before.stems | frozenset(last.stems))

    def _analyse_context(self, user_turns: tuple[str, ...], topic_words: frozenset[str]) -> _ContextData:
        topic_stems = self._topic_stems(topic_words)
        topic_vocabulary = self._topic_vocabulary(topic_words)
        if not user_turns:
            return _ContextData(ngrams=frozenset(), vocabulary=topic_vocabulary,
                                relevance_weights=dict.fromkeys(topic_stems, RELEVANCE_WEIGHTS["topic"]),
                                topic_words=topic_words, topic_stems=topic_stems)
        history = self._history_data(user_turns)
        # A stem weighs by the best place it occurs: the last turn, then the topic, then earlier turns.
        weights = dict.fromkeys(self._history_data(user_turns[:-1]).stems if len(user_turns) > 1 else (),
                                RELEVANCE_WEIGHTS["earlier_turn"])
        weights.update(dict.fromkeys(topic_stems, RELEVANCE_WEIGHTS["topic"]))
        weights.update(dict.fromkeys(self._turn_data(user_turns[-1]).stems, RELEVANCE_WEIGHTS["last_turn"]))
        return _ContextData(
            ngrams=history.ngrams,
            vocabulary=topic_vocabulary | history.vocabulary,
            relevance_weights=weights,
            topic_words=topic_words,
            topic_stems=topic_stems,
        )

    def _analyse_topic(self, topic_words: frozenset[str]) -> frozenset[str]:
        return frozenset(_stem(w) for word in topic_words for w in _WORD.findall(word.lower()))

    def _analyse_topic_vocabulary(self, topic_words: frozenset[str]) -> frozenset[str]:
        return frozenset(w for word in topic_words for w in _WORD.findall(word.lower()))

    def _is_content(self, token: str) -> bool:
        return len(token) >= 3 and token.isalpha() and token not in self._stopwords

    def _content_stem(self, token: str) -> str | None:
        """The stem of a content word, None for any other token (remembered per token)."""
        memo = self._stems
        if token in memo:
            return memo[token]
        stem = _stem(token) if self._is_content(token) else None
        if len(memo) < _STEM_MEMO:
            memo[token] = stem
        return stem

    def _copied_positions(self, tokens: list[str], segment_of_token: list[int], user: _ContextData) -> set[int]:
        """Positions of reply tokens inside 5-grams pasted from a user turn.

        N-grams never span punctuation, on either side: five words that only line up across a
        sentence or clause break ("...with Kyle. It's not...") were not copied as a phrase.
        """
        copied: set[int] = set()
        if len(tokens) < ECHO_NGRAM or not user.ngrams:
            return copied
        topic, topic_words = user.topic_stems, user.topic_words
        for i in range(len(tokens) - ECHO_NGRAM + 1):
            if segment_of_token[i] != segment_of_token[i + ECHO_NGRAM - 1]:
                continue
            gram = tuple(tokens[i:i + ECHO_NGRAM])
            if gram not in user.ngrams:
                continue
            # Naming the topic is not pasting: a 5-gram with at most one word outside the topic's
            # own words ("since the layoff at the studio"), or two when it holds two topic words
            # ("the layoff has been"), is excused, as is a stock phrase made only of function
            # words ("I do not know what"). Anything else is copied.
            if not any(self._is_content(t) for t in gram):
                continue
            on_topic = sum(t not in _GLUE and (t in topic_words or _stem(t) in topic) for t in gram)
            glue = sum(t in _GLUE or t.isdigit() or t in self._abbreviations for t in gram)
            outside = ECHO_NGRAM - on_topic - glue
            if outside <= 1 or (outside <= 2 and on_topic >= 2):
                continue
            copied.update(range(i, i + ECHO_NGRAM))
        return copied

    def _relevance(self, content: tuple[tuple[int, str], ...], copied: set[int], user: _ContextData) -> float:
        theirs = user.relevance_weights
        if not theirs:
            return 0.0
        total = 0.0
        counted: set[str] = set()
        for i, stem in content:
            if i in copied:
                continue
            if stem in theirs and stem not in counted:
                counted.add(stem)
                total += theirs[stem]
        return _clip(1.0 - math.exp(-total))

    @staticmethod
    def _shingles(tokens: Sequence[str]) -> set[tuple[str, ...]]:
        if len(tokens) < 3:
            return {tuple(tokens)} if tokens else set()
        return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}

    def _repetition(self, data: _ReplyData, agent_turns: tuple[str, ...]) -> float:
        mine = data.shingles
        if not mine:
            return 0.0
        best = 0.0
        for turn in agent_turns:
            theirs = self._reply_data(turn).shingles  # read when it was said, so usually cached
            if theirs:
                best = max(best, len(mine & theirs) / len(mine | theirs))
        return _clip(max(best, data.self_repetition))

    def _garbled(self, data: _ReplyData, user: _ContextData) -> float:
        if not data.n_chunks:
            return 0.0
        context: list[frozenset[str]] = [user.vocabulary]
        noise = 0.0
        for raw_chunk, chunk, core in data.unknown_chunks:
            if any(core in words for words in context):
                continue  # a word said in this conversation
            if _ACRONYM.match(raw_chunk.strip(_EDGE_PUNCT)):
                noise += ACRONYM_NOISE  # "HR", "CEO": short capitalised words are usually real
                continue
            noise += self._chunk_noise(chunk, context)
        return _clip(noise / data.n_chunks)

    def _chunk_noise(self, chunk: str, context: list[frozenset[str]]) -> float:
        core = chunk.strip(_EDGE_PUNCT)
        if not core:
            if set(chunk) <= {"."} or len(chunk) <= 3 and not (_SYMBOL_NOISE & set(chunk)):
                return 0.0
            return 1.0
        # Money, percentages and hashtags are ordinary; other symbols inside a word are noise.
        bare = core.lstrip("$#").rstrip("%")
        if not bare or not _CHUNK_ALLOWED.match(core) or _SYMBOL_NOISE.intersection(bare):
            return 1.0
        core = bare
        worst = 0.0
        for piece in _CHUNK_SPLIT.split(core):
            if not piece:
                continue
            if piece.isdigit():
                continue
            piece = piece.strip("'")
            if "'" in piece and piece.replace("'", "").isalpha():
                worst = max(worst, self._word_noise(piece, context))
                continue
            if not piece:
                continue
            if not piece.isalpha():
                if not _ALNUM_UNIT.match(piece):
                    return 1.0
                continue
            worst = max(worst, self._word_noise(piece, context))
            if worst >= 1.0:
                break
        return worst

    def _is_known(self, word: str, context: list[frozenset[str]]) -> bool:
        if word in self._known or any(word in words for words in context):
            return True
        for candidate in self._base_forms(word):
            if candidate in self._known or any(candidate in words for words in context):
                return True
        return False

    @staticmethod
    @lru_cache(maxsize=8192)
    def _base_forms(word: str) -> tuple[str, ...]:
        forms: list[str] = []
        for prefix in ("un", "re", "dis", "over", "mis", "non", "pre", "out", "under", "self"):
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                forms.append(word[len(prefix):])
        stems = [word] + forms
        for base in stems:
            for suffix, replacement in (
                ("iest", "y"), ("ier", "y"), ("ies", "y"), ("ied", "y"), ("ily", "y"), ("iness", "y"),
                ("ness", ""), ("ment", ""), ("ments", ""), ("fully", ""), ("ful", ""), ("less", ""),
                ("able", ""), ("able", "e"), ("ably", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
                ("d", ""), ("es", ""), ("s", ""), ("ly", ""), ("er", ""), ("er", "e"), ("ers", ""), ("est", ""),
                ("ist", ""), ("ism", ""), ("ity", ""), ("ity", "e"), ("ation", "e"), ("ation", ""), ("ize", ""),
                ("ise", ""), ("al", ""), ("ally", ""), ("ish", ""), ("y", ""),
            ):
                if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                    root = base[: len(base) - len(suffix)] + replacement
                    forms.append(root)
                    if len(root) >= 3 and root[-1] == root[-2] and replacement == "":
                        forms.append(root[:-1])  # "stopped" -> "stopp" -> "stop"
        return tuple(forms)

    def _word_noise(self, word: str, context: list[frozenset[str]]) -> float:
        if "'" in word:
            if word in self._known:
                return 0.0
            word = word.split("'")[0]
            if not word:
                return 0.0
        if len(word) == 1:
            return 0.0 if word in ("a", "i") else 1.0
        if len(word) > 20:  # before the stretch rule, which would read "aaaa..." as "a"
            return 1.0
        if self._is_known(word, context):
            return 0.0
        stretched = _STRETCH.search(word)
        if stretched:
            for form in (_STRETCH.sub(r"\1\1", word), _STRETCH.sub(r"\1", word)):
                if self._is_known(form, context):
                    return 0.0
            return 1.0
        vowels = sum(ch in "aeiouy" for ch in word)
        if len(word) > 20 or vowels == 0 or _CONSONANT_RUN.search(word):
            return 1.0
        if len(word) >= 4 and not 0.2 <= vowels / len(word) <= 0.8:
            return 1.0
        if any(word[i:i + 2] not in self._known_bigrams for i in range(len(word) - 1)):
            return 1.0
        return 0.5  # looks like English, but nobody here has used it

    def _pattern_signal(
        self, matches: list[Match], text: str, located: list[tuple[str, int]], *, negatable: bool
    ) -> float:
        """Summed weights of the distinct patterns found, capped at 1."""
        if not matches:
            return 0.0
        total = 0.0
        counted: set[int] = set()
        starts = [start for _, start in located]
        lines = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"] if negatable else []
        negated: list[Match] = []
        for match in sorted(matches, key=lambda m: (m.start, -m.end, m.entry)):
            if match.entry in counted:
                continue
            if negatable:
                # "Nobody thinks you are an idiot": the negation covers the whole insult, so a
                # pattern matching inside a negated match ("idiot") is negated too.
                if any(outer.start <= match.start and match.end <= outer.end for outer in negated):
                    continue
                first = bisect_right(starts, match.start - 1)
                line_start = lines[bisect_right(lines, match.start) - 1]
                before = [w for w, s in located[max(0, first - NEGATION_WINDOW):first] if s >= line_start]
                if NEGATORS.intersection(before):
                    negated.append(match)
                    continue
            counted.add(match.entry)
            total += self._patterns.weights[match.entry]
        return _clip(total)

    def _stuffing(self, tokens: list[str], crowding: float) -> float:
        if not tokens:
            return 0.0
        keywords = self._keywords
        n_keywords = 0
        n_structure = 0
        run = longest = 0
        for token in tokens:
            if token in keywords:
                n_keywords += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
                if token in self._stopwords:
                    n_structure += 1
        density = _clip((n_keywords / max(len(tokens), STUFFING_MIN_WORDS) - 0.2) / 0.3)
        unstructured = _clip((0.3 - n_structure / len(tokens)) / 0.25)
        runs = _clip((longest - 2) / 3)
        return _clip(max(density * (0.6 + 0.4 * unstructured), runs * (0.5 + 0.5 * unstructured), 0.9 * crowding))


def _appraiser_with(keyed: bool, moves: str | MoveModel) -> Appraiser:
    """The appraiser of a configuration: one per process for a named one (copies of envs share it)."""
    return _named_appraiser(keyed, moves) if isinstance(moves, str) else Appraiser(keyed=keyed, moves=moves)


@lru_cache(maxsize=None)
def _named_appraiser(keyed: bool, moves: str) -> Appraiser:
    return shared_appraiser() if (keyed, moves) == (True, "cues") else Appraiser(keyed=keyed, moves=moves)


def named_reader(name: str) -> Appraiser:
    """The process's appraiser reading moves by ``name`` (one of :data:`MOVE_READINGS`), shared by every user."""
    check_choice("reader", name, MOVE_READINGS)
    return _named_appraiser(True, name)


@lru_cache(maxsize=1)
def shared_appraiser() -> Appraiser:
    """One Appraiser per process: it holds only compiled read-only data, so users and renderers share it."""
    return Appraiser()
