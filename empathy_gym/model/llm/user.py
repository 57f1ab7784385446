"""The LLM user: a simulated person played by a language model, behind the parametric user's interface.

One turn, read top to bottom in ``LLMUser._turn`` (which :meth:`LLMUser.respond_steps` runs):

1. **Twin**: a :class:`~empathy_gym.model.parametric.ParametricUser` follows the same
   conversation (moved to the LLM user's emotion and words first). Its turn gives the appraisal
   reported in ``info``, the need the person perceives this turn (the true hidden intention with
   probability ``fidelity``, else a misread one) and, when the model fails, the fallback turn.
2. **Analysis call**: the model reads the agent's reply (quoted data, see
   :mod:`~empathy_gym.model.llm.prompts`) and returns JSON with what the agent meant, whether it
   meets the perceived need, an inner reaction, reason codes and a signed ``change``. It is parsed
   leniently (:mod:`~empathy_gym.model.llm.parsing`); an unreadable answer is asked for again
   ``analysis_retries`` times (default once); if it still cannot be read, or the backend failed,
   the twin's emotion change, reasons and inner thought are used for this turn (a *fallback*).
3. **Emotion arithmetic** (the simulator's, not the model's): the model's ``change`` is settled by
   :func:`~empathy_gym.model.emotion.settle_emotion`, as every user's is: ``change + noise *
   NOISE_SD * N(0,1)``, then the difficulty's ``max_delta`` clamp, then the 0..100 bounds and the
   state letter.
4. **Reply call**: the model writes what the person says next from the new emotion and its inner
   reaction, never naming the hidden need. An empty or failed reply falls back to the twin's words.

Every turn draws the same numbers from the environment's generator (the twin's, one normal for
noise and two seeds for the calls), so with a deterministic backend (greedy decoding, a script)
the same seed and replies give the same transcript.

## When the model fails

A turn always finishes, whatever the backend does; no ``Exception`` it raises or returns reaches the
environment:

* **unreadable analysis** (no ``change`` can be read): asked again with the bad answer shown, up to
  ``analysis_retries`` times (default once), then the turn *falls back*: the twin's emotion change,
  reasons and inner thought are used for this turn, settled from the same emotion;
* **failed call** (the backend raised, timed out, or returned the wrong number of completions or
  something that is not text; :func:`~empathy_gym.model.llm.backends.generate_batch` turns each into
  an ``Exception`` value): not asked again by the user (a backend has its own retries, e.g.
  ``OpenAIBackend(retries=, backoff=)``); a failed analysis falls back as above, a failed or empty
  reply call falls back to the twin's words. The model is used again on the next turn;
* in a batch (the native vector env) each user falls back on its own: one sub-env's failed call
  changes nothing for the others, and a batch that fails as a whole falls back for all of its users.

``info`` says what happened with the same keys and types on every turn (so Gymnasium's vector
envs can batch it): ``info["llm"]`` holds ``analysis`` (``"ok"``, ``"retried"`` or
``"fallback"``), ``reply`` (``"ok"`` or ``"fallback"``), ``attempts`` (analysis calls made),
``errors`` (a list of one-line descriptions of this turn's failed calls, empty when none) and
``model`` (:func:`~empathy_gym.model.llm.parsing.analysis_info`: the analysis used, with ``read``
False and neutral values on a fallback turn, never ``None``); ``info["llm_fallbacks"]`` and
``info["llm_errors"]`` count fallbacks and failed calls so far in the episode.

What is not an ``Exception`` (Ctrl-C's ``KeyboardInterrupt``, ``SystemExit``) still stops the
run, but a turn that does not finish changes nothing: the user, its twin and the generator it was
given are as they were before the turn, so the step can be taken again with the same result.

The turn is a generator that yields :class:`GenerationRequest` objects and receives each one's
completion (or the ``Exception`` that replaced it). :meth:`LLMUser.respond` answers them one at a
time; the native vector env gathers the requests of all its sub-envs and answers each phase with
one backend batch.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from empathy_gym._validation import check_int
from empathy_gym.model.difficulty import Difficulty
from empathy_gym.model.emotion import reaction_for, settle_emotion
from empathy_gym.model.llm import prompts
from empathy_gym.model.llm.backends import Backend, backend_from_spec, check_backend, describe_error, generate_batch
from empathy_gym.model.llm.parsing import Analysis, analysis_info, clean_reply, parse_analysis
from empathy_gym.model.parametric import ParametricUser
from empathy_gym.model.user import Conversation, SimulatedUser, UserTurn
from empathy_gym.profiles import Profile

PHASES = ("analysis", "reply")


@dataclass(frozen=True)
class GenerationRequest:
    """One call a user turn needs: the chat messages, the token budget, a seed and the phase."""

    messages: tuple[dict[str, str], ...]
    max_new_tokens: int
    seed: int
    phase: str  # "analysis" or "reply"


TurnSteps = Generator[GenerationRequest, "str | Exception", UserTurn]


def run_turns(turns: Sequence[TurnSteps], backend: Backend) -> list[UserTurn]:
    """Drive several turns to the end, answering every pending request of one phase with one backend batch.

    All analysis requests (retries included) are answered before any reply request, so N users
    cost one analysis batch, a retry batch only for the users whose answer was unreadable, and one
    reply batch. If anything escapes (Ctrl-C during a batch), every turn still open is closed,
    which puts its user back as it was before the turn.
    """
    results: list[UserTurn | None] = [None] * len(turns)
    pending: dict[int, GenerationRequest] = {}

    def advance(index: int, value: str | Exception | None) -> None:
        try:
            pending[index] = next(turns[index]) if value is None else turns[index].send(value)
        except StopIteration as stop:
            pending.pop(index, None)
            results[index] = stop.value

    try:
        for index in range(len(turns)):
            advance(index, None)
        while pending:
            phase = next(p for p in PHASES if any(request.phase == p for request in pending.values()))
            for budget in sorted({r.max_new_tokens for r in pending.values() if r.phase == phase}):
                chosen = [i for i, r in pending.items() if r.phase == phase and r.max_new_tokens == budget]
                outputs = generate_batch(backend, [list(pending[i].messages) for i in chosen],
                                         max_new_tokens=budget, seeds=[pending[i].seed for i in chosen])
                for index, output in zip(chosen, outputs):
                    advance(index, output)
    except BaseException:
        for turn in turns:
            turn.close()  # a finished or unstarted turn ignores this; an open one undoes itself
        raise
    return results  # type: ignore[return-value]  (every turn has ended)


@dataclass(frozen=True)
class _State(Conversation):
    """The conversation as the LLM user lived it (replaced whole at the end of each turn)."""

    fallbacks: int = 0  # calls of this episode (analyses or replies) that fell back to the twin
    errors: int = 0  # backend failures this episode


class LLMUser(SimulatedUser):
    """A simulated user played by a language model through a :class:`~empathy_gym.model.llm.backends.Backend`.

    Args:
        backend: the model (``TransformersBackend``, ``OpenAIBackend``, ``CallableBackend`` or any
            object with the ``generate`` method).
        analysis_retries: extra analysis calls after an unreadable answer (default 1).
        analysis_tokens: token budget of the analysis call.
        reply_tokens: token budget of the reply call.
        max_change: the largest change, in points, the analysis may ask for; larger numbers are
            clamped to it (the difficulty's ``max_delta`` then applies on top).
    """

    _state: _State | None

    def __init__(self, backend: Backend, *, analysis_retries: int = 1, analysis_tokens: int = 200,
                 reply_tokens: int = 120, max_change: int = 25) -> None:
        check_backend(backend)
        for name, value, low in (("analysis_retries", analysis_retries, 0), ("analysis_tokens", analysis_tokens, 1),
                                 ("reply_tokens", reply_tokens, 1), ("max_change", max_change, 1)):
            check_int(name, value, low)
        self.backend = backend
        self.analysis_retries = analysis_retries
        self.analysis_tokens = analysis_tokens
        self.reply_tokens = reply_tokens
        self.max_change = max_change
        self._twin = ParametricUser()
        self._state = None

    # -- conversation ----------------------------------------------------------------------
    def start(self, profile: Profile, difficulty: Difficulty, rng: np.random.Generator) -> str:
        """Begin a conversation; the opening message is the profile's (no model call at reset)."""
        opening = self._twin.start(profile, difficulty, rng)
        self._state = _State(profile=profile, difficulty=difficulty, emotion=difficulty.initial_emotion, turn=0,
                             user_turns=(opening,), agent_turns=())
        return opening

    def respond(self, reply: str, rng: np.random.Generator) -> UserTurn:
        """React to ``reply``: one analysis call (plus retries), the emotion arithmetic, one reply call."""
        return run_turns([self.respond_steps(reply, rng)], self.backend)[0]

    @classmethod
    def respond_together(cls, users: Sequence[SimulatedUser], replies: Sequence[str],
                         rngs: Sequence[np.random.Generator]) -> list[UserTurn]:
        """Every user's turn, the model calls of the users sharing a backend in one batch per phase."""
        groups: dict[int, list[int]] = {}
        for index, user in enumerate(users):
            groups.setdefault(id(user.backend), []).append(index)
        turns: list[UserTurn | None] = [None] * len(users)
        for members in groups.values():
            steps = [users[i].respond_steps(replies[i], rngs[i]) for i in members]
            for index, turn in zip(members, run_turns(steps, users[members[0]].backend)):
                turns[index] = turn
        return turns  # type: ignore[return-value]  (every index belongs to one group)

    def respond_steps(self, reply: str, rng: np.random.Generator) -> TurnSteps:
        """The turn as a generator of :class:`GenerationRequest` (see the module docstring).

        The user's state changes only when the generator returns; a turn abandoned before that
        (an exception thrown in, or ``close()``) leaves the user, its twin and ``rng``
        as they were.
        """
        state = self._require_state()
        twin_before, rng_before = self._twin.snapshot(), rng.bit_generator.state
        try:
            turn, after = yield from self._turn(state, reply, rng)
        except BaseException:
            self._twin.restore(twin_before)
            rng.bit_generator.state = rng_before
            raise
        self._state = after
        return turn

    def _turn(self, state: _State, reply: str, rng: np.random.Generator) -> Generator[
            GenerationRequest, "str | Exception", tuple[UserTurn, _State]]:
        """One turn's calls and arithmetic; returns the turn and the state after it, committing nothing."""
        self._twin.align(state.emotion, state.user_turns[-1])
        fallback = self._twin.respond(reply, rng)
        noise_draw = float(rng.standard_normal())
        analysis_seed, reply_seed = (int(seed) for seed in rng.integers(2**31 - 1, size=2))
        profile, difficulty = state.profile, state.difficulty
        errors: list[str] = []

        # Analysis, with bounded retries on unreadable answers; a backend failure goes straight to fallback.
        messages = prompts.analysis_messages(
            profile, difficulty, perceived_intention=fallback.perceived_intention, emotion=state.emotion,
            user_turns=state.user_turns, agent_turns=state.agent_turns, reply=reply, max_change=self.max_change)
        analysis: Analysis | None = None
        attempts = 0
        for attempt in range(1 + self.analysis_retries):
            attempts += 1
            output = yield GenerationRequest(tuple(messages), self.analysis_tokens, analysis_seed + attempt, "analysis")
            if isinstance(output, Exception):
                errors.append(describe_error(output))
                break
            analysis = parse_analysis(output, self.max_change)
            if analysis is not None:
                break
            messages = prompts.retry_messages(messages, output)

        if analysis is not None:
            settled = settle_emotion(state.emotion, analysis.change, difficulty, noise_draw)
            emotion, mood = settled.emotion, settled.state
            inner_thought = analysis.inner_reaction or fallback.inner_thought
            reasons = analysis.reasons
            reaction = reaction_for(settled.felt)
        else:  # the parametric twin's turn stands in (same start emotion, same settling)
            emotion, mood, inner_thought, reasons, reaction = (
                fallback.emotion, fallback.state, fallback.inner_thought, fallback.reasons, fallback.reaction)

        output = yield GenerationRequest(
            tuple(prompts.reply_messages(profile, difficulty, emotion=emotion, state=mood, inner_reaction=inner_thought,
                                         user_turns=state.user_turns, agent_turns=state.agent_turns + (reply,))),
            self.reply_tokens, reply_seed, "reply")
        if isinstance(output, Exception):
            errors.append(describe_error(output))
            text = ""
        else:
            text = clean_reply(output, profile.persona.name)
        reply_status = "ok" if text else "fallback"
        text = text or fallback.text

        analysis_status = "fallback" if analysis is None else "retried" if attempts > 1 else "ok"
        fallbacks = state.fallbacks + (analysis is None) + (reply_status == "fallback")
        after = replace(state, emotion=emotion, turn=state.turn + 1, user_turns=state.user_turns + (text,),
                        agent_turns=state.agent_turns + (reply,), fallbacks=fallbacks,
                        errors=state.errors + len(errors))
        # One shape on every turn, whatever the backend did (see the module docstring).
        llm_info = {"analysis": analysis_status, "reply": reply_status, "attempts": attempts, "errors": errors,
                    "model": analysis_info(analysis)}
        turn = UserTurn(
            text=text, emotion=emotion, delta=emotion - state.emotion, state=mood, inner_thought=inner_thought,
            appraisal=fallback.appraisal, reasons=reasons, perceived_intention=fallback.perceived_intention,
            cue="unknown", reaction=reaction,
            extra={"llm": llm_info, "llm_fallbacks": fallbacks, "llm_errors": after.errors})
        return turn, after

    # -- what the environment reads ----------------------------------------------------------
    @property
    def trust(self) -> float:
        """The parametric twin's trust (an estimate: the model keeps no such number)."""
        self._require_state()
        return self._twin.trust


def make_llm_user(backend: Backend | str | None = None, *, analysis_retries: int = 1, analysis_tokens: int = 200,
                  reply_tokens: int = 120, max_change: int = 25) -> LLMUser:
    """The ``llm`` user kind's factory: an :class:`LLMUser` on ``backend`` (a Backend or a spec string)."""
    if backend is None:
        raise ValueError(
            "the LLM user needs a model: pass backend= a TransformersBackend (a local model directory), an "
            "OpenAIBackend (an OpenAI-compatible server), a CallableBackend, or a spec string such as "
            "'transformers:/path/to/model' or 'openai:http://127.0.0.1:8000/v1#model-name'; nothing is downloaded")
    if isinstance(backend, str):
        backend = backend_from_spec(backend)
    return LLMUser(backend, analysis_retries=analysis_retries, analysis_tokens=analysis_tokens,
                   reply_tokens=reply_tokens, max_change=max_change)
