"""LLM users never crash a run: faults in either call keep one info shape and leave no env half-stepped."""

import itertools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import empathy_gym  # noqa: F401  (registers the ids)
from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv
from empathy_gym.envs.support_vector import EmpathyStrategyVectorEnv, EmpathyVectorEnv
from empathy_gym.evaluation import evaluate
from empathy_gym.model.llm import CallableBackend
from empathy_gym.policies.reference import HeuristicPolicy
from llm_fakes import FaultyModel, FlakyModel, ScriptedModel, assert_same, phase_of

ENV_ID = "EmpathyGym/SupportLLM-v0"
PHASES = ("analysis", "reply")
N = 3
#: The documented entries of info["llm"] and info["llm"]["model"], each with the one type it always has.
LLM_FIELDS = {"analysis": str, "reply": str, "attempts": int, "errors": list, "model": dict}
MODEL_FIELDS = {"read": bool, "change": int, "inner_reaction": str, "reasons": list, "meaning": str,
                "serves_need": str, "clamped": bool}
UNREAD = {"read": False, "change": 0, "inner_reaction": "", "reasons": [], "meaning": "", "serves_need": "unknown",
          "clamped": False}
END_KEYS = {"reason", "profile_id", "hidden_intention", "difficulty", "final_emotion"}


def shape(value):
    """A value's shape: dicts by their keys' shapes, lists by whether they hold only strings, the rest by type.

    ``appraisal`` is left out: it is the parametric reading of the reply, computed whatever the
    backend does, and its strategy keys depend on the reply's words.
    """
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items() if key != "appraisal"}
    if isinstance(value, list):
        return ("list of str", all(isinstance(item, str) for item in value))
    return type(value).__name__


def _vector_env(mode, model, autoreset_mode=AutoresetMode.NEXT_STEP, **kwargs):
    kwargs = {"difficulty": {"max_turns": 6}, **kwargs}
    if mode == "native":
        return gym.make_vec(ENV_ID, num_envs=N, backend=CallableBackend(model), autoreset_mode=autoreset_mode,
                            **kwargs)
    return gym.make_vec(ENV_ID, num_envs=N, vectorization_mode=mode, backend=CallableBackend(model),
                        vector_kwargs={"autoreset_mode": autoreset_mode}, **kwargs)


# -- one env -------------------------------------------------------------------------------------
TURNS = [  # supporter reply -> what the turn's info says (analysis, reply, attempts, errors this turn)
    ("What happened then?", ("ok", "ok", 1, 0)),
    ("fail analysis", ("fallback", "ok", 1, 1)),
    ("It was not your fault.", ("ok", "ok", 1, 0)),
    ("garble analysis", ("fallback", "ok", 2, 0)),
    ("garble once", ("retried", "ok", 2, 0)),
    ("fail reply", ("ok", "fallback", 1, 1)),
    ("empty reply", ("ok", "fallback", 1, 0)),
    ("fail analysis, fail reply", ("fallback", "fallback", 1, 2)),
    ("Tell me more?", ("ok", "ok", 1, 0)),
]


def test_every_info_entry_has_one_shape_whatever_the_backend_did():
    env = EmpathyEnv(user="llm", backend=CallableBackend(FaultyModel()), difficulty={"noise": 0.0, "max_turns": 20})
    env.reset(seed=1)
    shapes, errors, fallbacks = [], 0, 0
    for reply, (analysis, answer, attempts, new_errors) in TURNS:
        _, _, terminated, truncated, info = env.step(reply)
        assert not (terminated or truncated)
        llm = info["llm"]
        assert (llm["analysis"], llm["reply"], llm["attempts"], len(llm["errors"])) == (analysis, answer, attempts,
                                                                                          new_errors)
        assert {key: type(value) for key, value in llm.items()} == LLM_FIELDS
        assert {key: type(value) for key, value in llm["model"].items()} == MODEL_FIELDS
        if analysis == "fallback":
            assert llm["model"] == UNREAD  # the documented marker: same keys, read False, neutral values
        else:
            assert llm["model"]["read"] and llm["model"]["serves_need"] in ("yes", "no")
        errors += new_errors
        fallbacks += (analysis == "fallback") + (answer == "fallback")
        assert (info["llm_errors"], info["llm_fallbacks"]) == (errors, fallbacks)
        assert all(isinstance(error, str) and "TimeoutError" in error for error in llm["errors"])
        shapes.append(shape(info))
    assert all(turn_shape == shapes[0] for turn_shape in shapes)
    assert len(env.transcript) == 1 + 2 * len(TURNS) and all(entry["text"] for entry in env.transcript)


def test_a_fallback_turns_model_entry_is_the_same_with_or_without_a_backend_error():
    # Unreadable twice and failing outright both fall back, and leave the same kind of record.
    infos = []
    for reply in ("garble analysis", "fail analysis"):
        env = EmpathyEnv(user="llm", backend=CallableBackend(FaultyModel()))
        env.reset(seed=2)
        infos.append(env.step(reply)[4])
    assert infos[0]["llm"]["model"] == infos[1]["llm"]["model"] == UNREAD
    assert shape(infos[0]) == shape(infos[1])


def test_an_exception_that_cannot_be_printed_is_still_recorded():
    class Unprintable(Exception):
        def __str__(self):
            raise ValueError("no message")

    def broken(messages):
        raise Unprintable

    env = EmpathyEnv(user="llm", backend=CallableBackend(broken))
    env.reset(seed=0)
    info = env.step("What happened then?")[4]
    assert info["llm"]["analysis"] == "fallback" and info["llm_errors"] == 2
    assert all(error.startswith("Unprintable") for error in info["llm"]["errors"])


def test_a_number_no_float_can_hold_is_clamped_not_raised():
    huge = '{"change": 9' + "0" * 400 + ', "inner_reaction": "Enormous."}'
    env = EmpathyEnv(user="llm", difficulty={"noise": 0.0}, backend=CallableBackend(
        lambda messages: "Fine." if "What do you say next?" in messages[-1]["content"] else huge))
    env.reset(seed=0)
    info = env.step("What happened then?")[4]
    assert info["llm"]["analysis"] == "ok" and info["llm"]["model"]["clamped"] and info["delta"] == 25


# -- vector envs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["native", "sync"])
@pytest.mark.parametrize("phase", PHASES)
def test_a_fault_in_some_sub_envs_leaves_the_others_and_the_info_shape_alone(phase, mode):
    envs = _vector_env(mode, FaultyModel())
    envs.reset(seed=3)
    fault = f"fail {phase}"
    # A later sub-env fails first, then the first one (the order that mixed an int key into the info).
    steps = [("What happened then?", fault, "Okay."), (fault, "It was not your fault.", fault),
             ("Okay.", "Okay.", "Okay.")]
    errors = np.zeros(N, dtype=int)
    for turn, replies in enumerate(steps, start=1):
        observations, rewards, terminated, truncated, infos = envs.step(replies)
        failed = np.array([fault in reply for reply in replies])
        llm = infos["llm"]
        assert set(llm) == set(LLM_FIELDS) | {f"_{key}" for key in LLM_FIELDS}
        model = llm["model"]
        assert set(model) == set(MODEL_FIELDS) | {f"_{key}" for key in MODEL_FIELDS}
        for key in MODEL_FIELDS:
            assert model[key].shape == (N,) and model[f"_{key}"].all()
        assert model["read"].dtype == bool and model["change"].dtype.kind == "i"
        assert list(llm[phase]) == ["fallback" if f else "ok" for f in failed]
        other = next(p for p in PHASES if p != phase)
        assert list(llm[other]) == ["ok"] * N
        assert list(model["read"]) == ([not f for f in failed] if phase == "analysis" else [True] * N)
        errors += failed
        assert list(infos["llm_errors"]) == list(errors)
        # Every sub-env took exactly this turn: nothing half-advanced, the batch agrees with each env.
        for i, env in enumerate(envs.envs):
            transcript = env.unwrapped.transcript
            assert len(transcript) == 1 + 2 * turn and env.unwrapped.user.turn == turn
            assert transcript[-2]["text"] == replies[i] and observations["text"][i] == transcript[-1]["text"]
            assert rewards[i] == pytest.approx(infos["delta"][i] / 100)
        assert not (terminated | truncated).any()


def test_native_sync_and_async_vector_envs_agree_on_a_flaky_backend_in_every_autoreset_mode():
    replies = ("What happened then?", "It was not your fault.", "whatever", "I see.", "garble once")
    for mode in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
        records, models = [], []
        for vectorization in ("native", "sync", "async"):
            model = FlakyModel(period=3)
            envs = _vector_env(vectorization, model, difficulty={"max_turns": 4}, autoreset_mode=mode)
            record = [envs.reset(seed=5)]
            for step in range(12):
                record.append(envs.step(tuple(replies[(step + i) % len(replies)] for i in range(N))))
            envs.close()
            records.append(record)
            models.append(model)
        assert_same(records[0], records[1])
        assert_same(records[0], records[2])  # (the async sub-envs hold copies of the model)
        assert models[0].faults == models[1].faults > 0
        statuses = {status for *_, infos in records[0][1:] if "llm" in infos
                    for status in infos["llm"]["analysis"][infos["llm"]["_analysis"]]}
        assert {"ok", "retried", "fallback"} <= statuses


def test_a_rollout_survives_every_kind_of_batch_failure():
    model = ScriptedModel()
    calls = itertools.count()

    def unreliable(conversations):
        call = next(calls) % 5
        if call == 1:
            raise RuntimeError("CUDA out of memory")
        if call == 2:
            return ["only one answer"]  # too few completions
        if call == 3:
            return [None] * len(conversations)  # not text
        return model.batch(conversations)

    envs = EmpathyVectorEnv(4, user="llm", difficulty={"max_turns": 5},
                            backend=CallableBackend(unreliable, batched=True))
    envs.reset(seed=0)
    ended, errors, fallbacks = 0, 0, 0
    replies = ("What happened then?", "Okay.", "It was not your fault.", "Hm.")
    for _ in range(40):
        _, _, terminated, truncated, infos = envs.step(replies)
        ended += int((terminated | truncated).sum())
        if "llm" not in infos:  # every sub-env was reset this step
            continue
        llm = infos["llm"]
        assert set(llm["model"]) == set(MODEL_FIELDS) | {f"_{key}" for key in MODEL_FIELDS}
        for i in np.flatnonzero(infos["_llm"]):
            assert llm["model"]["read"][i] == (llm["analysis"][i] != "fallback")
            errors += len(llm["errors"][i])
            fallbacks += (llm["analysis"][i] == "fallback") + (llm["reply"][i] == "fallback")
    assert errors > 0 and fallbacks > 0
    assert ended >= 4 * 5  # whole episodes were played and reset (up to 5 turns and a reset step each)


def test_an_evaluation_with_a_backend_that_fails_on_some_calls_completes():
    model = FlakyModel(period=4)
    records, summary = evaluate(HeuristicPolicy(), split="test", difficulty="normal",
                                env_kwargs={"user": "llm", "backend": CallableBackend(model)})
    assert len(records) == summary["episodes"] == 100
    assert model.faults > 100  # many calls failed along the way
    assert all(record.reason in ("resolved", "quit", "max_turns") and record.turns >= 1 for record in records)
    assert 0 <= summary["mean_final_emotion"] <= 100


# -- an interrupted step -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["single", "native"])
@pytest.mark.parametrize("phase", PHASES)
def test_ctrl_c_during_a_model_call_leaves_every_env_as_it_was(phase, mode):
    interrupted, clean = FaultyModel(), FaultyModel()
    clean.interrupts = False
    first = ("What happened then?", "Okay.", "It was not your fault.")
    replies = ("Okay.", f"interrupt {phase}", "It was not your fault.")
    if mode == "single":
        first, replies = first[1], replies[1]
        make = lambda model: EmpathyEnv(user="llm", backend=CallableBackend(model))  # noqa: E731
        sub_envs = lambda env: [env]  # noqa: E731
    else:
        make = lambda model: EmpathyVectorEnv(N, user="llm", backend=CallableBackend(model))  # noqa: E731
        sub_envs = lambda env: env.envs  # noqa: E731
    envs, reference = make(interrupted), make(clean)
    for env in (envs, reference):
        env.reset(seed=4)
        env.step(first)
    before = [(env.transcript, env.user.turn, env.np_random.bit_generator.state) for env in sub_envs(envs)]
    with pytest.raises(KeyboardInterrupt) as caught:
        envs.step(replies)
    # Checked while the traceback (and every frame in it) is still held, as a notebook holds the last one.
    assert caught.tb is not None
    assert [(env.transcript, env.user.turn, env.np_random.bit_generator.state) for env in sub_envs(envs)] == before
    del caught
    # Stepping again gives what an env that was never interrupted gives, on this turn and the next.
    interrupted.interrupts = False
    for _ in range(2):
        assert_same(envs.step(replies), reference.step(replies))
    assert [env.transcript for env in sub_envs(envs)] == [env.transcript for env in sub_envs(reference)]


class InterruptedReplies(ScriptedModel):
    """A ScriptedModel whose reply calls raise KeyboardInterrupt while ``armed``."""

    armed = False

    def __call__(self, messages):
        if self.armed and phase_of(messages) == "reply":
            raise KeyboardInterrupt
        return super().__call__(messages)


@pytest.mark.parametrize("mode", ["single", "native"])
def test_ctrl_c_in_a_strategy_env_also_puts_the_rendering_stream_back(mode):
    # The strategy's reply is rendered from a template before the model is called; an interrupted
    # step must not leave that draw behind, or the retaken step would say something else.
    interrupted, clean = InterruptedReplies(), ScriptedModel()
    if mode == "single":
        envs, reference = (EmpathyStrategyEnv(user="llm", backend=CallableBackend(m)) for m in (interrupted, clean))
        first, action = 0, 2
    else:
        envs, reference = (EmpathyStrategyVectorEnv(N, user="llm", backend=CallableBackend(m))
                           for m in (interrupted, clean))
        first, action = [0, 1, 2], [3, 3, 4]
    for env in (envs, reference):
        env.reset(seed=6)
        env.step(first)
    interrupted.armed = True
    with pytest.raises(KeyboardInterrupt):
        envs.step(action)
    interrupted.armed = False
    assert_same(envs.step(action), reference.step(action))
