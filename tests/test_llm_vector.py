"""The native vector env: batched model calls, the same transcripts as SyncVectorEnv, Gymnasium's autoreset."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import empathy_gym  # noqa: F401
from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.envs.support_vector import EmpathyVectorEnv
from empathy_gym.model.llm import CallableBackend
from llm_fakes import ScriptedModel, assert_same

REPLIES = ("What happened then?", "It was not your fault.", "whatever", "I see.")
N = 4


def _run(envs, steps=14):
    record = [envs.reset(seed=7)]
    for step in range(steps):
        record.append(envs.step(tuple(REPLIES[(step + i) % len(REPLIES)] for i in range(envs.num_envs))))
    return record


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_native_vector_env_matches_sync_vector_env_and_batches_each_phase(mode):
    kwargs = {"difficulty": {"max_turns": 4}, "user": "llm"}
    native_model, sync_model = ScriptedModel(), ScriptedModel()
    native = gym.make_vec("EmpathyGym/SupportLLM-v0", num_envs=N, autoreset_mode=mode,
                          backend=CallableBackend(native_model.batch, batched=True), **kwargs)
    assert isinstance(native, EmpathyVectorEnv)
    sync_backend = CallableBackend(sync_model.batch, batched=True)
    sync = SyncVectorEnv([lambda: EmpathyEnv(backend=sync_backend, **kwargs) for _ in range(N)], autoreset_mode=mode)
    native_record, sync_record = _run(native), _run(sync)
    assert_same(native_record, sync_record)
    assert [native.envs[i].transcript for i in range(N)] == [sync.envs[i].transcript for i in range(N)]
    ends = sum(int(np.sum(terminated | truncated)) for _, _, terminated, truncated, _ in native_record[1:])
    assert ends >= N  # episodes ended and were reset along the way
    assert set(sync_model.batches) == {1} and max(native_model.batches) == N
    assert sum(native_model.batches) == sum(sync_model.batches)  # the same calls, fewer batches
    assert len(native_model.batches) < len(sync_model.batches) / 2


def test_a_bad_action_leaves_every_sub_env_unchanged():
    envs = EmpathyVectorEnv(3, user="llm", backend=CallableBackend(ScriptedModel()))
    envs.reset(seed=0)
    before = [env.transcript for env in envs.envs]
    with pytest.raises(ValueError, match="max_reply_chars"):
        envs.step(("Fine.", "Fine.", "x" * 3000))
    assert [env.transcript for env in envs.envs] == before
    envs.step(("Fine.",) * 3)
    assert all(len(env.transcript) == 3 for env in envs.envs)


def test_parametric_users_step_one_by_one_with_the_same_results():
    native = EmpathyVectorEnv(2)
    sync = SyncVectorEnv([lambda: EmpathyEnv() for _ in range(2)])
    assert_same(_run(native, 6), _run(sync, 6))


def test_a_backend_spec_string_gives_one_shared_backend_and_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="num_envs"):
        EmpathyVectorEnv(0)
    with pytest.raises(ValueError, match="backend spec"):
        EmpathyVectorEnv(2, user="llm", backend="llama:/nowhere")
