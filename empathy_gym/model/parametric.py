"""The parametric simulated user: a small, documented model of a person whose emotion is the reward.

One turn, read top to bottom in :meth:`ParametricUser.respond`:

1. **Appraise** the reply (:mod:`empathy_gym.model.appraisal`): strategy weights ``w`` (the share
   of the reply doing each supportive move) and quality signals.
2. **Perceive**: with probability ``fidelity`` the person judges the reply against their true
   hidden intention; otherwise against a misread one (drawn uniformly from the other seven).
3. **Gain** (points)::

       serve = sum(w * serves[perceived] * trust_gate * fatigue)
       kind  = sum(w * kindness * untargeted * fatigue) * (1 - strictness)
       gain  = (SERVE_GAIN * serve + KIND_GAIN * kind) * quality * focus * characteristic.gain

   ``trust_gate`` lowers the credit of advice-like moves (suggestion, analysis, others'
   perspective, inviting reflection) until trust is built by listening; ``fatigue`` =
   ``FATIGUE ** usage`` gives diminishing returns for moves used recently; ``quality`` is near 1
   for a clean reply and falls with garbling, pasting the user's words, manipulation, keyword
   stuffing, walls of text and repetition; ``focus`` rewards replies that refer to what the person
   said.
4. **Loss** (points), scaled by fragility (``0.5 + fragility``) and ``characteristic.loss``:
   moves that work against the perceived need (``AVERSIVE_LOSS``, softened by trust: a misfit
   from someone who has listened stings less, ``1 - AVERSIVE_TRUST_RELIEF * trust``), harmful
   moves (minimising, changing the subject, blaming), and penalties for each quality signal (the
   garbled share counts only above ``TYPO_TOLERANCE``: people make typos).
5. **Drift**: a turn that neither meets the need nor feels kind costs a little patience
   (``UNMET_NEED_DRIFT * characteristic.drift * max(0, 1 - 2 * serve - 2 * kind * (1 -
   strictness))``): being met or treated kindly keeps it.
6. **Settle** (:func:`~empathy_gym.model.emotion.settle_emotion`, shared by every kind of user):
   noise ``noise * NOISE_SD * N(0, 1)``, then the ``max_delta`` clamp; the score is kept in 0..100
   and rounded to an integer.
7. **Trust and fatigue** update; the person then **speaks**: a reaction to the reply, possibly the
   next beat of their story (likelier after an open question) and possibly a cue about the hidden
   need, explicit or implicit, with a probability that falls with reticence and rises after good
   questions. ``inner_thought`` says in one sentence why the emotion moved.

Two hooks serve the multi-agent environments and change nothing when unused: an optional
:class:`~empathy_gym.model.expression.Expression` passed to :meth:`ParametricUser.respond` (a
learning seeker's choice of how much to hint, how openly to show feeling and whether to push back;
it shapes the words, not this turn's emotion change), and :meth:`ParametricUser.wait` (a turn in a group in which
the person is not addressed and loses a little patience, without randomness).

All randomness comes from the generator passed to :meth:`start` and :meth:`respond` (the env's
``np_random``). The dynamics draw the same six numbers from it every turn; what the user says is
drawn from a separate speech stream seeded from it at :meth:`start`. So the same seed and replies
give the same transcript in any process, and two policies played with one seed face the same
misreadings and noise however differently the user phrased their answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from empathy_gym.data import read_json
from empathy_gym.model.appraisal import DEFAULT_READER, MOVE_READINGS, named_reader
from empathy_gym.model.difficulty import Difficulty
from empathy_gym.model.emotion import QUITS_BELOW, RESOLVED_AT, clip_emotion, reaction_for, settle_emotion
from empathy_gym.model.expression import Expression
from empathy_gym.model.reading import Appraisal, DialogueContext, Reader
from empathy_gym.model.user import Conversation, SimulatedUser, UserTurn
from empathy_gym.model.utterance import TurnOutcome, UtteranceGenerator
from empathy_gym.profiles import Profile
from empathy_gym.vocabulary import CHARACTERISTICS, HARMFUL_STRATEGIES, INTENTIONS, STRATEGIES

# Gains, in emotion points, of a reply that is wholly one clean move.
SERVE_GAIN = 15.0  # a move that meets the perceived need
KIND_GAIN = 15.0  # a kind but untargeted move, before strictness withholds its share
# Losses, in points at fragility 0.5, before the characteristic's multiplier.
AVERSIVE_LOSS = 5.0  # a move that works against the perceived need
HARMFUL_LOSS = 14.0  # minimising, changing the subject, blaming
QUALITY_LOSS = {  # per unit of each appraisal signal
    "repetition": 8.0,
    "echo": 10.0,
    "garbled": 14.0,
    "hostility": 18.0,
    "injection": 20.0,
    "stuffing": 10.0,
    "verbosity": 6.0,
}
EMPTY_LOSS = 4.0  # saying nothing at all
UNMET_NEED_DRIFT = 1.0  # patience lost on a turn that neither meets the need nor is kind
# A move that works against the need stings less from someone who has listened: its loss is
# multiplied by 1 - AVERSIVE_TRUST_RELIEF * trust.
AVERSIVE_TRUST_RELIEF = 0.7
# People write with typos: a garbled share up to this is read past (it costs nothing); above it the
# garbling counts from zero.
TYPO_TOLERANCE = 0.1
REPETITION_ONSET = 0.5  # similarity to an earlier reply above which it counts as repeating
# Diminishing returns: credit is multiplied by FATIGUE ** usage, where usage of a move decays by
# FATIGUE_RECOVERY each turn and grows by its weight in every reply.
FATIGUE = 0.7
FATIGUE_RECOVERY = 0.6
# Trust gates advice-like moves: their credit is multiplied by min(1, TRUST_FLOOR + trust).
TRUST_FLOOR = 0.35
TRUST_GAIN = 0.4  # trust gained per turn of pure listening, before the characteristic's rate
TRUST_LOSS = 0.3  # trust lost per unit of harm or misconduct
TOO_SOON_GATE = 0.75  # below this gate, advice-like moves feel premature
# Cues about the hidden need and story progress.
CUE_BASE, CUE_PER_QUESTION = 0.3, 0.5
STORY_BASE, STORY_PER_QUESTION = 0.45, 0.45
# Patience lost, in points before the characteristic's drift multiplier, by a person who waits a
# turn without being spoken to (group support).
WAITING_DRIFT = 2.0


@dataclass(frozen=True)
class UserModelTables:
    """The user-model tables of ``user_model.json`` as arrays indexed like STRATEGIES/INTENTIONS."""

    serves: np.ndarray  # (intentions, strategies) bool
    hurts: np.ndarray  # (intentions, strategies) bool
    kindness: np.ndarray  # (strategies,)
    harmful: Sequence[float]  # (strategies,) bool
    trust_building: np.ndarray  # (strategies,)
    needs_trust: np.ndarray  # (strategies,) bool
    characteristics: dict[str, dict[str, float]]
    gerunds: tuple[str, ...]


@lru_cache(maxsize=1)
def user_model_tables() -> UserModelTables:
    """The validated tables of ``user_model.json`` (which moves serve or hurt each need, and more)."""
    model = read_json("user_model.json")
    _check_user_model(model)
    index = {name: i for i, name in enumerate(STRATEGIES)}
    serves = np.zeros((len(INTENTIONS), len(STRATEGIES)), dtype=bool)
    hurts = np.zeros_like(serves)
    for row, intention in enumerate(INTENTIONS):
        serves[row, [index[s] for s in model["intentions"][intention]["serves"]]] = True
        hurts[row, [index[s] for s in model["intentions"][intention]["hurts"]]] = True
    harmful = np.array([s in HARMFUL_STRATEGIES for s in STRATEGIES])
    strategies = read_json("strategies.json")
    return UserModelTables(
        serves=serves,
        hurts=hurts,
        kindness=np.array([model["kindness"][s] for s in STRATEGIES]),
        harmful=harmful,
        trust_building=np.array([model["trust_building"].get(s, 0.0) for s in STRATEGIES]),
        needs_trust=np.array([s in model["needs_trust"] for s in STRATEGIES]),
        characteristics={c: model["characteristics"][c] for c in CHARACTERISTICS},
        gerunds=tuple(strategies[s]["gerund"] for s in STRATEGIES),
    )


_CHARACTERISTIC_KEYS = ("gain", "loss", "drift", "initial_trust", "trust_rate", "cue_rate", "expressiveness")


def _check_user_model(model: dict) -> None:
    """Fail loudly, naming the key, if the user-model tables are incomplete or inconsistent."""
    def fail(where: str, problem: str) -> None:
        raise ValueError(f"user_model.json: {where}: {problem}")

    for intention in INTENTIONS:
        spec = model.get("intentions", {}).get(intention)
        if spec is None:
            fail(f"intentions.{intention}", "missing")
        for key in ("serves", "hurts"):
            unknown = sorted(set(spec.get(key, ())) - set(STRATEGIES))
            if unknown or not spec.get(key):
                fail(f"intentions.{intention}.{key}", f"needs strategies from {', '.join(STRATEGIES)}; got {unknown or 'none'}")
        if set(spec["serves"]) & set(spec["hurts"]):
            fail(f"intentions.{intention}", "a strategy cannot both serve and hurt")
    for strategy in STRATEGIES:
        value = model.get("kindness", {}).get(strategy)
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            fail(f"kindness.{strategy}", f"expected a number in [0, 1], got {value!r}")
    for key in ("trust_building", "needs_trust"):
        names = [k for k in model.get(key, ()) if k != "about"]
        if set(names) - set(STRATEGIES):
            fail(key, f"unknown strategies {sorted(set(names) - set(STRATEGIES))}")
    for characteristic in CHARACTERISTICS:
        spec = model.get("characteristics", {}).get(characteristic, {})
        missing = [k for k in _CHARACTERISTIC_KEYS if not isinstance(spec.get(k), (int, float))]
        if missing:
            fail(f"characteristics.{characteristic}", f"missing numbers {missing}")


@dataclass(frozen=True)
class _State(Conversation):
    """The conversation plus what the parametric person keeps of it (replaced whole, never half-updated)."""

    trust: float
    usage: np.ndarray  # recent use of each strategy (fatigue)
    story_position: int
    topic_words: frozenset[str] = field(default_factory=frozenset)


class ParametricUser(SimulatedUser):
    """A seeded, offline simulated user driven by :class:`~empathy_gym.profiles.Profile` and :class:`Difficulty`.

    Call :meth:`start` to begin a conversation and :meth:`respond` once per agent reply. The user
    does not decide when the episode ends; the environment does, from ``emotion`` and the turn
    budget.

    Args:
        reader: how the person reads a reply: a :class:`~empathy_gym.model.reading.Reader`, or the
            name of one of the appraiser's readings (``"learned"``, the default: the learned move
            and coherence models, :mod:`empathy_gym.model.move_model` and
            :mod:`empathy_gym.model.coherence`; ``"cues"``: the cue patterns alone, the reading of
            versions before 0.2).
    """

    supports_expression = True
    _state: _State | None

    def __init__(self, reader: Reader | str | None = None) -> None:
        if isinstance(reader, str):
            reader = named_reader(reader)
        elif reader is not None and not isinstance(reader, Reader):
            raise TypeError(f"reader must have an appraise(reply, context) method or be one of "
                            f"{', '.join(map(repr, MOVE_READINGS))}, got {type(reader).__name__}")
        self._tables = user_model_tables()
        self._reader: Reader = reader if reader is not None else named_reader(DEFAULT_READER)
        self._utterances = _shared_utterances()
        self._state = None
        self._speech_rng = np.random.default_rng(0)  # reseeded by every start()

    # -- conversation ----------------------------------------------------------------------
    def start(self, profile: Profile, difficulty: Difficulty, rng: np.random.Generator) -> str:
        """Begin a conversation with ``profile`` at ``difficulty``; returns the opening message."""
        character = self._tables.characteristics[profile.persona.main_characteristic]
        opening = self._utterances.opening(profile)
        self._speech_rng = np.random.default_rng(int(rng.integers(2**63 - 1)))
        self._state = _State(
            profile=profile,
            difficulty=difficulty,
            emotion=difficulty.initial_emotion,
            trust=float(character["initial_trust"]),
            usage=np.zeros(len(STRATEGIES)),
            story_position=0,
            turn=0,
            user_turns=(opening,),
            agent_turns=(),
            topic_words=_topic_words(profile),
        )
        return opening

    @property
    def trust(self) -> float:
        """How far the person trusts the supporter (0..1): it gates advice-like moves."""
        return self._require_state().trust

    def align(self, emotion: int, last_user_turn: str) -> None:
        """Take over an emotion and a last utterance decided outside this model.

        The LLM user runs a parametric twin beside the model (for the appraisal in ``info``, the
        fidelity draw and the fallback turn); before each turn it moves the twin to the emotion and
        the words of the conversation that actually happened. The parametric user never calls this.
        """
        state = self._require_state()
        if isinstance(emotion, bool) or not isinstance(emotion, int) or not 0 <= emotion <= 100:
            raise ValueError(f"emotion must be an integer in 0..100, got {emotion!r}")
        self._state = replace(state, emotion=emotion, user_turns=state.user_turns[:-1] + (last_user_turn,))

    def snapshot(self) -> tuple[_State | None, dict]:
        """Everything a turn changes (the conversation and the speech stream), for :meth:`restore`.

        The LLM user takes one before its twin's turn and restores it when its own turn does not
        finish (Ctrl-C during a model call), so the twin never runs a turn ahead of the model.
        """
        return self._state, self._speech_rng.bit_generator.state

    def restore(self, snapshot: tuple[_State | None, dict]) -> None:
        """Go back to a :meth:`snapshot` taken in this conversation."""
        self._state, speech = snapshot
        self._speech_rng.bit_generator.state = speech

    def appraise(self, reply: str) -> Appraisal:
        """How the user would read ``reply`` now (no state change, no randomness)."""
        state = self._require_state()
        return self._reader.appraise(reply, DialogueContext(state.user_turns, state.agent_turns, state.topic_words))

    def respond(self, reply: str, rng: np.random.Generator, expression: Expression | None = None) -> UserTurn:
        """React to the agent's ``reply``: move the emotion, then say something back.

        ``expression`` (multi-agent seeker seats) changes how the person speaks this turn: how
        likely and how plain a cue is, how openly feeling shows, and an optional push-back line
        (:mod:`empathy_gym.model.expression`). It does not enter this turn's emotion change. ``None`` or
        ``Expression()`` is the profile's own way of speaking, with the same random draws.
        """
        if expression is not None and not isinstance(expression, Expression):
            raise TypeError(f"expression must be an Expression or None, got {type(expression).__name__}")
        begun = self._begin_turn(reply, rng)
        return self._finish_turn(begun, _move_shares([self], [begun]), 0, expression)

    @classmethod
    def respond_together(cls, users: Sequence[SimulatedUser], replies: Sequence[str],
                         rngs: Sequence[np.random.Generator]) -> list[UserTurn]:
        """The turns of several parametric users at once, equal to :meth:`respond` on each in turn.

        Each user reads its reply and draws its numbers; the arithmetic over the moves (fatigue, the
        trust gate, the shares that serve, hurt or are kind, the new fatigue) runs for all of them in
        one numpy pass over ``(users, strategies)`` arrays; then each user settles its emotion and
        speaks. A subclass that overrides :meth:`respond` is answered by its own :meth:`respond`.
        """
        if not all(isinstance(user, ParametricUser) and type(user).respond is ParametricUser.respond
                   for user in users):
            return super().respond_together(users, replies, rngs)
        begun = [user._begin_turn(reply, rng) for user, reply, rng in zip(users, replies, rngs)]
        shares = _move_shares(users, begun)
        return [user._finish_turn(turn, shares, i, None) for i, (user, turn) in enumerate(zip(users, begun))]

    def _begin_turn(self, reply: str, rng: np.random.Generator) -> _BegunTurn:
        """Read ``reply`` and draw the dynamics' numbers (the first part of a turn; nothing changes)."""
        state = self._require_state()
        appraisal = self.appraise(reply)
        # The dynamics' draws: always these six, in this order, so the stream stays aligned.
        fidelity_draw, misread_draw, story_draw, cue_draw, explicit_draw = rng.random(5)
        noise_draw = rng.standard_normal()
        true_row = INTENTIONS.index(state.profile.hidden_intention)
        perceived_row = true_row
        if fidelity_draw >= state.difficulty.fidelity:
            others = [row for row in range(len(INTENTIONS)) if row != true_row]
            perceived_row = others[int(misread_draw * len(others))]
        return _BegunTurn(reply, state, appraisal, true_row, perceived_row, float(story_draw), float(cue_draw),
                          float(explicit_draw), float(noise_draw))

    def _finish_turn(self, begun: _BegunTurn, shares: _MoveShares, i: int, expression: Expression | None) -> UserTurn:
        """Settle the emotion of a begun turn from its row ``i`` of ``shares``, speak and commit."""
        state, appraisal, reply = begun.state, begun.appraisal, begun.reply
        tables = self._tables
        difficulty = state.difficulty
        profile = state.profile
        character = tables.characteristics[profile.persona.main_characteristic]
        true_row, perceived_row = begun.true_row, begun.perceived_row

        # Gain: targeted credit plus strictness-weighted credit for generic kindness.
        serve_share = float(shares.serve[i])
        kind_share = float(shares.kind[i])
        repeating = max(0.0, (appraisal.repetition - REPETITION_ONSET) / (1.0 - REPETITION_ONSET))
        garbled = max(0.0, (appraisal.garbled - TYPO_TOLERANCE) / (1.0 - TYPO_TOLERANCE))
        quality = (
            (1.0 - garbled) * (1.0 - appraisal.echo) * (1.0 - appraisal.injection)
            * (1.0 - appraisal.stuffing) * (1.0 - appraisal.hostility) * (1.0 - 0.6 * appraisal.verbosity)
            * (1.0 - repeating)
        )
        focus = 0.6 + 0.4 * appraisal.relevance
        serve_gain = SERVE_GAIN * serve_share * quality * focus * character["gain"]
        kind_gain = KIND_GAIN * kind_share * (1.0 - difficulty.strictness) * quality * focus * character["gain"]

        # Loss: moves against the need, harmful moves and misconduct, scaled by fragility.
        severity = (0.5 + difficulty.fragility) * character["loss"]
        against = float(shares.against[i])
        aversive_loss = AVERSIVE_LOSS * against * severity * (1.0 - AVERSIVE_TRUST_RELIEF * state.trust)
        harmful_share = float(shares.harmful[i])
        harmful_loss = HARMFUL_LOSS * harmful_share * severity
        signals = {
            "repetition": repeating,
            "echo": appraisal.echo,
            "garbled": garbled,
            "hostility": appraisal.hostility,
            "injection": appraisal.injection,
            "stuffing": appraisal.stuffing,
            "verbosity": appraisal.verbosity,
        }
        misconduct = {name: QUALITY_LOSS[name] * value * severity for name, value in signals.items()}
        empty = appraisal.n_words == 0
        empty_loss = EMPTY_LOSS * severity if empty else 0.0
        kept_patience = 2.0 * serve_share + 2.0 * kind_share * (1.0 - difficulty.strictness)
        drift = UNMET_NEED_DRIFT * character["drift"] * max(0.0, 1.0 - kept_patience)

        change = (serve_gain + kind_gain - aversive_loss - harmful_loss - sum(misconduct.values())
                  - empty_loss - drift)
        settled = settle_emotion(state.emotion, change, difficulty, begun.noise_draw)
        emotion, delta, mood = settled.emotion, settled.delta, settled.state

        # Trust grows with listening and falls with harm and misconduct.
        listening = float(shares.listening[i]) * quality
        harm = harmful_share + 0.5 * against + appraisal.hostility + appraisal.injection + garbled
        trust = min(max(state.trust + TRUST_GAIN * character["trust_rate"] * listening - TRUST_LOSS * harm, 0.0), 1.0)
        usage = shares.usage[i]

        reasons = self._reasons(
            appraisal, serve_gain, kind_gain, aversive_loss, harmful_loss, misconduct, empty_loss,
            shares, i, difficulty, perceived_row != true_row, focus)

        # Speech: story progress and cues come more readily after genuine questions.
        ended = emotion >= RESOLVED_AT or emotion < QUITS_BELOW
        story_beat = None
        if (not ended and state.story_position < len(profile.story)
                and begun.story_draw < STORY_BASE + STORY_PER_QUESTION * appraisal.question):
            story_beat = state.story_position
        openness = 1.0 - difficulty.reticence
        cue_probability = openness * (CUE_BASE + CUE_PER_QUESTION * appraisal.question) * character["cue_rate"]
        explicit_threshold = openness
        expressiveness = openness * character["expressiveness"]
        if expression is not None:
            cue_probability = expression.cue_probability(cue_probability)
            explicit_threshold = expression.explicit_threshold(openness)
            expressiveness = expression.expressiveness(expressiveness)
        cue = "none"
        if not ended and begun.cue_draw < cue_probability:
            cue = "explicit" if begun.explicit_draw < explicit_threshold else "implicit"
        reaction = _reaction(settled.felt, appraisal)
        outcome = TurnOutcome(
            delta=delta,
            emotion=emotion,
            state=mood,
            reaction=reaction,
            cue=cue,
            cue_intention=profile.hidden_intention,
            story_beat=story_beat,
            expressiveness=expressiveness,
            turn=state.turn + 1,
            push_back=expression is not None and expression.push_back,
        )
        text = self._utterances.reply(profile, outcome, self._speech_rng)
        dominant = appraisal.dominant_strategy
        thought = self._utterances.inner_thought(
            reasons,
            profile=profile,
            perceived_intention=INTENTIONS[perceived_row],
            strategy_phrase=tables.gerunds[dominant] if dominant is not None else "saying that",
            rng=self._speech_rng,
        )

        # Commit the whole new state at once.
        self._state = _State(
            profile=profile,
            difficulty=difficulty,
            emotion=emotion,
            trust=trust,
            usage=usage,
            story_position=state.story_position + (story_beat is not None),
            turn=state.turn + 1,
            user_turns=state.user_turns + (text,),
            agent_turns=state.agent_turns + (reply,),
            topic_words=state.topic_words,
        )
        return UserTurn(
            text=text,
            emotion=emotion,
            delta=delta,
            state=mood,
            inner_thought=thought,
            appraisal=appraisal,
            reasons=reasons,
            perceived_intention=INTENTIONS[perceived_row],
            cue=cue,
            reaction=reaction,
        )

    def wait(self) -> int:
        """A turn in which nobody speaks to the person (group support); returns the change of emotion.

        Waiting costs patience: the emotion falls by ``WAITING_DRIFT`` points times the main
        characteristic's drift multiplier, rounded (negative 3, avoidant 2, passive 1), and is kept in
        0..100. No randomness is drawn and the turn counter does not move (it counts replies).
        """
        state = self._require_state()
        character = self._tables.characteristics[state.profile.persona.main_characteristic]
        emotion = clip_emotion(state.emotion - round(WAITING_DRIFT * character["drift"]))
        delta = emotion - state.emotion
        self._state = replace(state, emotion=emotion)
        return delta

    # -- helpers ---------------------------------------------------------------------------
    def _reasons(
        self,
        appraisal: Appraisal,
        serve_gain: float,
        kind_gain: float,
        aversive_loss: float,
        harmful_loss: float,
        misconduct: dict[str, float],
        empty_loss: float,
        shares: _MoveShares,
        i: int,
        difficulty: Difficulty,
        misread: bool,
        focus: float,
    ) -> tuple[str, ...]:
        """The two REASONS codes of largest weight: points a cause moved the emotion this turn or,
        for what-if causes (not_what_i_need, too_soon, misread, irrelevant), points it withheld."""
        weights: dict[str, float] = {
            "served_need": serve_gain,
            "aversive": aversive_loss,
            "harmful": harmful_loss,
            "empty": empty_loss,
            "repetitive": misconduct["repetition"],
            "parroted": misconduct["echo"],
            "garbled": misconduct["garbled"],
            "hostile": misconduct["hostility"],
            "manipulative": misconduct["injection"],
            "keyword_salad": misconduct["stuffing"],
            "too_long": misconduct["verbosity"],
        }
        untargeted_share = float(shares.untargeted[i])
        if kind_gain >= 1.0:
            weights["kind_but_generic"] = kind_gain
        elif untargeted_share > 0.3:
            # Credit a lenient user would have given, withheld by strictness.
            weights["not_what_i_need"] = KIND_GAIN * untargeted_share * difficulty.strictness
        premature = float(shares.premature[i])
        if premature > 0.2:
            weights["too_soon"] = SERVE_GAIN * premature * (1.0 - float(shares.lowest_gate[i]))
        if misread:
            truly_serving = float(shares.truly_serving[i])
            if truly_serving > 0.3:
                weights["misread"] = SERVE_GAIN * truly_serving
        # Credit lost because the reply ignored what the person said.
        weights["irrelevant"] = (serve_gain + kind_gain) * (1.0 - focus) / focus if appraisal.relevance < 0.1 else 0.0
        ranked = sorted(((value, name) for name, value in weights.items() if value > 0.5), key=lambda item: -item[0])
        # A reply that moved nothing at all simply was not what this person needed.
        return tuple(name for _, name in ranked[:2]) or ("not_what_i_need",)


@dataclass(frozen=True)
class _BegunTurn:
    """A turn read and drawn, not yet settled: what :meth:`ParametricUser._finish_turn` needs."""

    reply: str
    state: _State
    appraisal: Appraisal
    true_row: int
    perceived_row: int
    story_draw: float
    cue_draw: float
    explicit_draw: float
    noise_draw: float


@dataclass(frozen=True)
class _MoveShares:
    """The arithmetic over the moves for a batch of users: one value (or usage row) per user."""

    serve: Sequence[float]  # share of the reply meeting the perceived need, gated by trust, with fatigue
    kind: Sequence[float]  # share that is kind but untargeted, with fatigue
    against: Sequence[float]  # share working against the perceived need
    harmful: Sequence[float]  # share of harmful moves
    listening: Sequence[float]  # trust-building share (before quality)
    untargeted: Sequence[float]  # share neither serving, hurting nor harmful
    premature: Sequence[float]  # share of serving moves still gated as too soon
    lowest_gate: Sequence[float]  # the smallest trust gate
    truly_serving: Sequence[float]  # share meeting the true need
    usage: Sequence[np.ndarray]  # per user: the fatigue state after this turn


def _move_shares(users: Sequence[ParametricUser], begun: Sequence[_BegunTurn]) -> _MoveShares:
    """:class:`_MoveShares` for ``users``: one user with 1-D arrays, several in one numpy pass over
    ``(users, strategies)`` arrays (row sums equal the one-user sums bit for bit)."""
    tables = users[0]._tables
    if len(begun) == 1:
        turn = begun[0]
        w, trust = turn.appraisal.strategy_weights, turn.state.trust
        serves, hurts = tables.serves[turn.perceived_row], tables.hurts[turn.perceived_row]
        fatigue = FATIGUE ** turn.state.usage
        gate = np.where(tables.needs_trust, min(1.0, TRUST_FLOOR + trust), 1.0)
        untargeted = ~(serves | hurts | tables.harmful)
        return _MoveShares(
            serve=((w * serves * gate * fatigue).sum(),),
            kind=((w * tables.kindness * untargeted * fatigue).sum(),),
            against=((w * hurts).sum(),),
            harmful=((w * tables.harmful).sum(),),
            listening=((w * tables.trust_building).sum(),),
            untargeted=((w * untargeted).sum(),),
            premature=((w * (gate < TOO_SOON_GATE) * serves).sum(),),
            lowest_gate=(gate.min(),),
            truly_serving=((w * tables.serves[turn.true_row]).sum(),),
            usage=(turn.state.usage * FATIGUE_RECOVERY + w,),
        )
    weights = np.stack([turn.appraisal.strategy_weights for turn in begun])
    usage = np.stack([turn.state.usage for turn in begun])
    perceived = [turn.perceived_row for turn in begun]
    trust = np.array([turn.state.trust for turn in begun])
    serves, hurts = tables.serves[perceived], tables.hurts[perceived]
    fatigue = FATIGUE ** usage
    gate = np.where(tables.needs_trust, np.minimum(1.0, TRUST_FLOOR + trust)[:, None], 1.0)
    untargeted = ~(serves | hurts | tables.harmful)
    return _MoveShares(
        serve=(weights * serves * gate * fatigue).sum(axis=1),
        kind=(weights * tables.kindness * untargeted * fatigue).sum(axis=1),
        against=(weights * hurts).sum(axis=1),
        harmful=(weights * tables.harmful).sum(axis=1),
        listening=(weights * tables.trust_building).sum(axis=1),
        untargeted=(weights * untargeted).sum(axis=1),
        premature=(weights * (gate < TOO_SOON_GATE) * serves).sum(axis=1),
        lowest_gate=gate.min(axis=1),
        truly_serving=(weights * tables.serves[[turn.true_row for turn in begun]]).sum(axis=1),
        usage=usage * FATIGUE_RECOVERY + weights,
    )


def _reaction(felt: float, appraisal: Appraisal) -> str:
    if appraisal.injection > 0.5 or appraisal.garbled > 0.5:
        return "confused"
    return reaction_for(felt)


def _topic_words(profile: Profile) -> frozenset[str]:
    """Lower-case content words of what the user says openly about their situation."""
    words: set[str] = set()
    for text in (profile.topic, profile.other, *profile.feelings):
        words.update(word.strip(".,!?;:'\"()").lower() for word in text.split())
    return frozenset(word for word in words if len(word) > 2 and word not in {"the", "and", "with"})



@lru_cache(maxsize=1)
def _shared_utterances() -> UtteranceGenerator:
    return UtteranceGenerator()

