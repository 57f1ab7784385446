"""The native vector envs of the parametric ids: SyncVectorEnv's results, Gymnasium's autoreset, one-pass infos."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import empathy_gym  # noqa: F401
from empathy_gym.envs import EmpathyEnv, EmpathyStrategyEnv, env_ids
from empathy_gym.envs.support_vector import EmpathyStrategyVectorEnv, EmpathyVectorEnv, merge_infos

REPLIES = ("What happened then?", "It was not your fault.", "whatever", "I see.", "You are an idiot.",
           "That sounds exhausting. What part of it weighs on you most?")
N = 6


def _actions(envs, step):
    if isinstance(envs.single_action_space, gym.spaces.Discrete):
        return np.array([(3 * step + 5 * i) % 15 for i in range(envs.num_envs)])
    return tuple(REPLIES[(step + i) % len(REPLIES)] for i in range(envs.num_envs))


def _run(envs, steps=30, seed=7):
    record = [envs.reset(seed=seed)]
    for step in range(steps):
        record.append(envs.step(_actions(envs, step)))
    return record


def _assert_same(a, b, path="record"):
    if isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            _assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), path
        for n, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{n}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, path
        if a.dtype == object:
            for n, (x, y) in enumerate(zip(a, b)):
                _assert_same(x, y, f"{path}[{n}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("env_id", env_ids(backend="parametric"))
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_make_vec_gives_the_native_env_with_sync_vector_envs_results(env_id, mode):
    kwargs = {"difficulty": {"max_turns": 5}, "emotion_obs": "noisy"}
    native = gym.make_vec(env_id, num_envs=N, autoreset_mode=mode, **kwargs)
    strategy = "Strategy" in env_id
    assert type(native.unwrapped) is (EmpathyStrategyVectorEnv if strategy else EmpathyVectorEnv)
    sync = gym.make_vec(env_id, num_envs=N, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode},
                        **kwargs)
    native_record, sync_record = _run(native), _run(sync)
    _assert_same(native_record, sync_record)
    assert [env.transcript for env in native.unwrapped.envs] == [env.unwrapped.transcript for env in sync.envs]
    ends = sum(int(np.sum(terminated | truncated)) for _, _, terminated, truncated, _ in native_record[1:])
    assert ends >= 2 * N  # episodes ended and were reset along the way
    if mode == AutoresetMode.SAME_STEP:
        assert any("final_info" in record[4] for record in native_record[1:])


def test_disabled_autoreset_resets_only_the_masked_sub_envs_as_sync_does():
    runs = []
    for envs in (EmpathyStrategyVectorEnv(3, autoreset_mode=AutoresetMode.DISABLED, difficulty={"max_turns": 2}),
                 SyncVectorEnv([lambda: EmpathyStrategyEnv(difficulty={"max_turns": 2})] * 3,
                               autoreset_mode=AutoresetMode.DISABLED)):
        record = [envs.reset(seed=1), envs.step(np.array([0, 1, 2])), envs.step(np.array([3, 4, 5]))]
        if isinstance(envs, EmpathyVectorEnv):
            with pytest.raises(RuntimeError, match="reset_mask"):
                envs.step(np.array([0, 0, 0]))
        record.append(envs.reset(options={"reset_mask": np.array([True, False, True])}))
        runs.append(record)
    _assert_same(runs[0], runs[1])


@pytest.mark.parametrize("env_class", [EmpathyVectorEnv, EmpathyStrategyVectorEnv])
def test_disabled_autoreset_leaves_an_ended_sub_env_given_none_as_it_is(env_class):
    # Sub-env 1 has a 1-turn budget, the others 3: after the first step it has ended and is left out.
    envs = env_class(3, autoreset_mode=AutoresetMode.DISABLED, difficulty={"max_turns": 3})
    envs.reset(seed=5)
    envs.reset(seed=[5, 6, 7], options={"reset_mask": np.array([False, True, False]), "difficulty": {"max_turns": 1}})
    text = env_class is EmpathyVectorEnv
    first = ["What happened then?"] * 3 if text else [0, 0, 0]
    _, _, terminated, truncated, _ = envs.step(first)
    assert (terminated | truncated).tolist() == [False, True, False]
    ended = envs.envs[1].transcript
    later = [first[0], None, first[0]]
    for _ in range(2):
        _, rewards, terminated, truncated, infos = envs.step(later)
        assert rewards[1] == 0.0 and (terminated[1] or truncated[1])
        assert not any(mask[1] for key, mask in infos.items() if key.startswith("_"))
    assert envs.envs[1].transcript == ended  # never stepped again
    assert all(len(envs.envs[i].transcript) == 7 for i in (0, 2))  # opening + 3 turns of reply and answer
    with pytest.raises(RuntimeError, match="pass None as their action"):
        envs.step(later)  # sub-envs 0 and 2 have ended too and are given a reply
    envs.step([None, None, None])  # all ended, all left alone


def test_a_none_action_for_a_running_sub_env_is_an_error():
    envs = EmpathyVectorEnv(2, autoreset_mode=AutoresetMode.DISABLED)
    envs.reset(seed=0)
    with pytest.raises(TypeError, match="action must be a str"):
        envs.step(["Hello.", None])


def test_a_bad_strategy_leaves_every_sub_env_unchanged():
    native = EmpathyStrategyVectorEnv(3)
    sync = SyncVectorEnv([lambda: EmpathyStrategyEnv()] * 3)
    native.reset(seed=4)
    sync.reset(seed=4)
    with pytest.raises(ValueError, match="out of range"):
        native.step(np.array([1, 2, 99]))
    # Rendering draws random numbers: had sub-envs 0 and 1 rendered before the error, they would now differ.
    _assert_same(native.step(np.array([1, 2, 3])), sync.step(np.array([1, 2, 3])))


def _sequential(infos, num_envs):
    """What VectorEnv._add_info gives when the infos are added one by one."""
    helper = SyncVectorEnv([lambda: EmpathyEnv()])
    helper.num_envs = num_envs
    merged = {}
    for i, info in infos:
        merged = helper._add_info(merged, info, i)
    return merged


def test_merge_infos_equals_adding_them_one_by_one_for_every_kind_of_value():
    infos = [
        (0, {"a": 1, "b": None, "c": np.array([1.5, 2.0]), "nest": {"x": 1.0, "y": "p"}, "flag": True}),
        (2, {"a": 2.7, "b": "text", "nest": {"y": "q", "z": np.int64(3)}, "d": [1, 2], "final_obs": {"t": 1}}),
        (1, {"c": np.array([0.5, 1.0]), "nest": {"x": 2.5}, "flag": False, "a": 3}),
        (2, {"e": np.float32(0.25)}),
    ]
    _assert_same(merge_infos(infos, 4), _sequential(infos, 4))
    assert merge_infos(infos, 4)["a"].tolist() == [1, 3, 2, 0]  # typed by the first value: 2.7 is cut to 2
    assert merge_infos([], 3) == {}


def test_merge_infos_refuses_a_key_that_is_a_dict_only_sometimes():
    with pytest.raises(ValueError, match="'k'"):
        merge_infos([(0, {"k": {"x": 1}}), (1, {"k": 2})], 2)


@pytest.mark.parametrize("env_id", env_ids())
def test_async_vector_env_gives_the_sync_observations_for_every_id(env_id):
    """Gymnasium's shared memory garbles Text ("aaaa..."); the envs' SharedText space carries it intact."""
    from empathy_gym.model.llm.backends import CallableBackend
    from llm_fakes import ScriptedModel

    kwargs = {"backend": CallableBackend(ScriptedModel())} if "LLM" in env_id else {}
    records = {}
    for mode in ("sync", "async"):
        envs = gym.make_vec(env_id, num_envs=3, vectorization_mode=mode, **kwargs)
        try:
            records[mode] = [(step[0], step[1]) if len(step) == 2 else step[:4] for step in _run(envs, steps=12)]
        finally:
            envs.close()
    assert not records["async"][0][0]["text"][0].startswith("aaaa")
    _assert_same(records["async"], records["sync"])
