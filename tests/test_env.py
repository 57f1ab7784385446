"""The environment contract of DESIGN.md section 4: API checks, spaces, rewards, episode end, info, errors."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

import empathy_gym
from empathy_gym import Difficulty, EmpathyEnv, EmpathyStrategyEnv, EpisodeEndedError, env_ids
from empathy_gym._text import CHARSET
from empathy_gym.vocabulary import STRATEGIES

IDS = env_ids(backend="parametric")  # the LLM ids need a backend: tests/test_llm_user.py checks them
TEXT_IDS = [i for i in IDS if "Strategy" not in i]
STRATEGY_IDS = [i for i in IDS if "Strategy" in i]


def _action(env, step=0):
    if isinstance(env.action_space, gym.spaces.Discrete):
        return step % env.action_space.n
    return "That sounds really hard. What happened after that?"


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
@pytest.mark.parametrize("env_id", IDS)
def test_check_env_passes_unwrapped_and_through_make(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped)
    check_env(env)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("vector_cls", ["sync", "async"])
def test_vector_envs_run_every_id(env_id, vector_cls):
    fns = [lambda: gym.make(env_id) for _ in range(2)]
    vec = SyncVectorEnv(fns) if vector_cls == "sync" else AsyncVectorEnv(fns, shared_memory=False)
    try:
        obs, _ = vec.reset(seed=3)
        assert len(obs["text"]) == 2 and all(text and not set(text) - set(CHARSET) for text in obs["text"])
        for step in range(12):
            if isinstance(vec.single_action_space, gym.spaces.Discrete):
                actions = np.array([step % 15, (step + 4) % 15])
            else:
                actions = ("I'm listening. What happened then?", "That sounds painful, and it makes sense.")
            obs, reward, terminated, truncated, info = vec.step(actions)
            assert reward.shape == (2,)
            assert obs["emotion"].shape == (2, 1)
    finally:
        vec.close()


def test_issue_example_runs_and_reports_inner_thought():
    env = gym.make("EmpathyGym/Support-v0", difficulty="challenging", render_mode="ansi")
    obs, info = env.reset(seed=7)
    assert obs["text"] and obs["emotion"].shape == (1,)
    obs, reward, terminated, truncated, info = env.step("That sounds exhausting. What happened next?")
    assert isinstance(info["inner_thought"], str) and info["inner_thought"]
    assert 0 <= info["emotion"] <= 100 and info["state"] in "SABCF"
    assert "exhausting" in env.render()


@pytest.mark.parametrize("difficulty", ["simple", 0.3, {"strictness": 0.9, "reticence": 0.2}, Difficulty(noise=0.0)])
def test_every_difficulty_form_is_accepted_by_make(difficulty):
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty=difficulty)
    env.reset(seed=0)
    assert env.unwrapped.difficulty == empathy_gym.make_difficulty(difficulty)


def test_package_prefixed_id_and_register_envs_work():
    env = gym.make("empathy_gym:EmpathyGym/Support-v0")
    assert isinstance(env.unwrapped, EmpathyEnv)
    gym.register_envs(empathy_gym)
    assert set(IDS) <= set(gym.registry)


def test_preset_variants_carry_their_difficulty():
    assert gym.make("EmpathyGym/SupportChallenging-v0").unwrapped.difficulty == empathy_gym.PRESETS["challenging"]
    assert gym.make("EmpathyGym/SupportStrategySimple-v0").unwrapped.difficulty == empathy_gym.PRESETS["simple"]


def test_delta_rewards_sum_to_final_minus_initial_over_100():
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    obs, info = env.reset(seed=11)
    start, total = info["emotion"], 0.0
    for step in range(100):
        obs, reward, terminated, truncated, info = env.step(step % 12)
        total += reward
        if terminated or truncated:
            break
    assert total == pytest.approx((info["final_emotion"] - start) / 100)


def test_terminal_reward_is_zero_until_end_then_final_emotion():
    env = gym.make("EmpathyGym/SupportStrategy-v0", reward_mode="terminal")
    env.reset(seed=5)
    rewards = []
    while True:
        _, reward, terminated, truncated, info = env.step(len(rewards) % 12)
        rewards.append(reward)
        if terminated or truncated:
            break
    assert all(r == 0.0 for r in rewards[:-1])
    assert rewards[-1] == pytest.approx(info["final_emotion"] / 100)


def test_episode_truncates_at_max_turns_with_reason():
    # A clamp of 5 from 50 cannot reach 100 or fall below 10 within 3 turns.
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"max_turns": 3, "max_delta": 5, "initial_emotion": 50})
    env.reset(seed=0)
    results = [env.step(action)[2:] for action in (14, 14, 14)]
    assert [terminated for terminated, _, _ in results] == [False, False, False]
    assert [truncated for _, truncated, _ in results] == [False, False, True]
    assert results[-1][2]["reason"] == "max_turns" and results[-1][2]["turn"] == 3


def test_harmful_moves_make_the_user_quit_with_reason_and_end_info():
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty="challenging")
    env.reset(seed=1)
    for _ in range(20):
        _, _, terminated, truncated, info = env.step(STRATEGIES.index("blame"))
        if terminated or truncated:
            break
    assert terminated and info["reason"] == "quit" and info["emotion"] < 10 and info["state"] == "F"
    assert {"profile_id", "hidden_intention", "difficulty", "final_emotion"} <= set(info)
    assert info["difficulty"] == empathy_gym.PRESETS["challenging"].to_dict()


def test_serving_the_need_resolves_the_user_with_reason():
    env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty="simple", split="test")
    from empathy_gym.policies.reference import OraclePolicy

    oracle = OraclePolicy()
    resolved = 0
    for seed in range(10):
        obs, info = env.reset(seed=seed)
        oracle.reset(obs, info, env)
        while True:
            obs, _, terminated, truncated, info = env.step(oracle.act(obs, info))
            if terminated or truncated:
                break
        resolved += info["reason"] == "resolved" and info["state"] == "S" and info["emotion"] == 100
    assert resolved >= 5


def test_step_info_has_every_documented_key_and_is_fresh():
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    env.reset(seed=2)
    _, _, _, _, first = env.step(0)
    assert {"emotion", "delta", "state", "inner_thought", "appraisal", "reasons", "cue", "turn", "reply",
            "strategy"} <= set(first)
    assert "perceived_intention" not in first  # it would leak the hidden intention
    first["appraisal"]["relevance"] = -1
    _, _, _, _, second = env.step(1)
    assert second["appraisal"] is not first["appraisal"] and second["appraisal"]["relevance"] != -1


@pytest.mark.parametrize("mode", ["exact", "noisy", "hidden"])
def test_emotion_observation_modes(mode):
    env = gym.make("EmpathyGym/SupportStrategy-v0", emotion_obs=mode, emotion_noise=15.0)
    obs, info = env.reset(seed=4)
    if mode == "hidden":
        assert "emotion" not in obs and "emotion" not in env.observation_space.spaces
        return
    gaps = []
    for step in range(8):
        obs, _, terminated, truncated, info = env.step(step % 12)
        assert obs in env.observation_space
        gaps.append(abs(float(obs["emotion"][0]) - info["emotion"]))
        if terminated or truncated:
            break
    if mode == "exact":
        assert max(gaps) == 0
    else:
        assert max(gaps) > 0


def test_noisy_observation_does_not_change_the_transcript():
    transcripts = []
    for mode in ("exact", "noisy"):
        env = gym.make("EmpathyGym/SupportStrategy-v0", emotion_obs=mode)
        env.reset(seed=9)
        for step in range(5):
            env.step(step)
        transcripts.append(env.unwrapped.transcript)
    assert transcripts[0] == transcripts[1]


def test_strategy_env_replies_replayed_in_text_env_give_the_same_transcript():
    strategy_env = gym.make("EmpathyGym/SupportStrategy-v0")
    text_env = gym.make("EmpathyGym/Support-v0")
    strategy_env.reset(seed=21)
    text_env.reset(seed=21)
    for action in (0, 2, 3, 6, 4):
        _, _, t1, u1, info = strategy_env.step(action)
        _, _, t2, u2, _ = text_env.step(info["reply"])
        assert (t1, u1) == (t2, u2)
        if t1 or u1:
            break
    assert strategy_env.unwrapped.transcript == text_env.unwrapped.transcript


def test_reset_difficulty_option_persists_for_later_episodes():
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    env.reset(seed=0, options={"difficulty": "challenging"})
    assert env.unwrapped.difficulty == empathy_gym.PRESETS["challenging"]
    env.reset(seed=1)
    assert env.unwrapped.difficulty == empathy_gym.PRESETS["challenging"]


def test_reset_difficulty_option_reaches_every_vector_sub_env():
    vec = SyncVectorEnv([lambda: gym.make("EmpathyGym/SupportStrategy-v0") for _ in range(3)])
    vec.reset(seed=0, options={"difficulty": {"max_turns": 2}})
    assert all(env.unwrapped.difficulty.max_turns == 2 for env in vec.envs)
    vec.close()


def test_reset_profile_id_option_selects_that_profile():
    env = gym.make("EmpathyGym/SupportStrategy-v0", split="test")
    target = env.unwrapped.profiles[17]
    obs, info = env.reset(seed=0, options={"profile_id": target.id})
    assert info["profile_id"] == target.id and obs["text"] == target.opening_message


def test_seeded_resets_sample_profiles_from_the_split():
    env = gym.make("EmpathyGym/SupportStrategy-v0", split="test")
    ids = {env.reset(seed=seed)[1]["profile_id"] for seed in range(40)}
    assert len(ids) > 25 and all(i.startswith("test-") for i in ids)


def test_render_ansi_shows_transcript_with_emotion_bars_and_human_prints(capsys):
    env = gym.make("EmpathyGym/SupportStrategy-v0", render_mode="ansi")
    env.reset(seed=0)
    env.step(2)
    text = env.render()
    assert text.count("USER  [") == 2 and "AGENT:" in text and "#" in text
    human = gym.make("EmpathyGym/SupportStrategy-v0", render_mode="human")
    human.reset(seed=0)
    human.step(2)
    assert "AGENT:" in capsys.readouterr().out


# -- bad input: a clear error, and the env stays usable ------------------------------------------------

def _assert_still_usable(env, expected_turn):
    _, _, _, _, info = env.step(_action(env.unwrapped))
    assert info["turn"] == expected_turn + 1


@pytest.mark.parametrize("action, error, words", [
    (3, TypeError, ["str", "int"]),
    (None, TypeError, ["str"]),
    ("x" * 2001, ValueError, ["2001", "max_reply_chars=2000"]),
])
def test_bad_text_actions_raise_and_leave_the_env_usable(action, error, words):
    env = EmpathyEnv()
    env.reset(seed=0)
    env.step("I'm here with you.")
    before = env.transcript
    with pytest.raises(error) as raised:
        env.step(action)
    for word in words:
        assert word in str(raised.value)
    assert env.transcript == before
    _assert_still_usable(env, 1)


@pytest.mark.parametrize("action, error, words", [
    (15, ValueError, ["15", "0..14", "open_question"]),
    (-1, ValueError, ["-1", "0..14"]),
    ("reflect_feelings", TypeError, ["integer", "str"]),
    (True, TypeError, ["integer", "bool"]),
    (2.0, TypeError, ["integer", "float"]),
])
def test_bad_strategy_actions_raise_and_leave_the_env_usable(action, error, words):
    env = EmpathyStrategyEnv()
    env.reset(seed=0)
    env.step(1)
    before = env.transcript
    with pytest.raises(error) as raised:
        env.step(action)
    for word in words:
        assert word in str(raised.value)
    assert env.transcript == before
    _assert_still_usable(env, 1)


def test_numpy_integer_actions_are_accepted():
    env = EmpathyStrategyEnv()
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.int64(2))
    assert info["strategy"] == "reflect_feelings"
    _, _, _, _, info = env.step(np.array(3))
    assert info["strategy"] == "validate_blamelessness"


def test_stepping_a_finished_episode_raises_until_reset():
    env = EmpathyStrategyEnv(difficulty={"max_turns": 1})
    env.reset(seed=0)
    env.step(0)
    with pytest.raises(EpisodeEndedError, match="reset"):
        env.step(0)
    env.reset(seed=1)
    env.step(0)


def test_step_before_reset_raises():
    with pytest.raises(RuntimeError, match="reset"):
        EmpathyStrategyEnv().step(0)


@pytest.mark.parametrize("options, words", [
    ({"difficulty": "impossible"}, ["impossible", "challenging"]),
    ({"difficulty": {"patience": 1}}, ["patience", "strictness"]),
    ({"profile_id": "nobody"}, ["nobody"]),
    ({"speed": 2}, ["speed", "difficulty", "profile_id"]),
])
def test_bad_reset_options_raise_and_keep_the_current_episode(options, words):
    env = EmpathyStrategyEnv()
    env.reset(seed=0)
    env.step(2)
    before, difficulty = env.transcript, env.difficulty
    with pytest.raises(ValueError) as raised:
        env.reset(seed=1, options=options)
    for word in words:
        assert word in str(raised.value)
    assert env.transcript == before and env.difficulty == difficulty
    _assert_still_usable(env, 1)


@pytest.mark.parametrize("kwargs, words", [
    ({"reward_mode": "sparse"}, ["reward_mode", "delta", "terminal"]),
    ({"emotion_obs": "blurry"}, ["emotion_obs", "exact", "noisy", "hidden"]),
    ({"render_mode": "rgb_array"}, ["render_mode", "ansi", "human"]),
    ({"split": "validation"}, ["validation", "train", "test", "ood"]),
    ({"difficulty": {"noise": 3}}, ["noise", "[0, 1]"]),
    ({"emotion_noise": -1}, ["emotion_noise"]),
    ({"max_reply_chars": 0}, ["max_reply_chars"]),
])
def test_bad_constructor_arguments_raise_value_error(kwargs, words):
    with pytest.raises(ValueError) as raised:
        EmpathyEnv(**kwargs)
    for word in words:
        assert word in str(raised.value)


def test_unicode_replies_are_folded_into_the_charset():
    env = EmpathyEnv()
    env.reset(seed=0)
    _, _, _, _, info = env.step("That\u2019s so hard \u2014 I\u2019m sorry \U0001F622")
    assert info["reply"] == "That's so hard - I'm sorry"


def test_custom_profiles_can_be_passed_as_objects():
    chosen = empathy_gym.load_profiles("ood")[:3]
    env = gym.make("EmpathyGym/SupportStrategy-v0", profiles=chosen)
    ids = {env.reset(seed=s)[1]["profile_id"] for s in range(20)}
    assert ids <= {p.id for p in chosen}


def test_envs_pickle_mid_episode_and_continue_identically():
    import pickle

    env = gym.make("EmpathyGym/SupportStrategy-v0").unwrapped
    env.reset(seed=4)
    env.step(0)
    clone = pickle.loads(pickle.dumps(env))
    for action in (2, 3, 1):
        assert env.step(action)[4] == clone.step(action)[4]
    assert env.transcript == clone.transcript


def test_a_failed_reset_does_not_disturb_the_running_episode():
    def play(fail):
        env = EmpathyStrategyEnv()
        env.reset(seed=0)
        env.step(2)
        if fail:
            for options in ({"profile_id": "nobody"}, {"difficulty": {"max_turns": 0}}, {"profile_id": ["x"]}):
                with pytest.raises(ValueError):
                    env.reset(seed=1, options=options)
        return [env.step(a)[4] for a in (0, 3, 1)], env.difficulty
    assert play(fail=True) == play(fail=False)


def test_reset_difficulty_mapping_changes_only_the_named_axes_and_none_keeps_it():
    env = gym.make("EmpathyGym/SupportStrategyChallenging-v0")
    env.reset(seed=0, options={"difficulty": {"max_turns": 5}})
    assert env.unwrapped.difficulty == empathy_gym.PRESETS["challenging"].replace(max_turns=5)
    env.reset(seed=0, options={"difficulty": None})
    assert env.unwrapped.difficulty == empathy_gym.PRESETS["challenging"].replace(max_turns=5)


def test_custom_profile_objects_are_validated_like_files():
    from dataclasses import replace

    good = empathy_gym.load_profiles("test")[0]
    with pytest.raises(empathy_gym.ProfileError, match="hidden_intention"):
        EmpathyEnv(profiles=[replace(good, hidden_intention="cuddles")])
    with pytest.raises(ValueError, match="share the id"):
        EmpathyEnv(profiles=[good, good])


def test_human_render_prints_each_line_once(capsys):
    env = gym.make("EmpathyGym/SupportStrategy-v0", render_mode="human")
    env.reset(seed=0)
    for action in (0, 2, 1):
        env.step(action)
    out = capsys.readouterr().out
    assert out.count("AGENT:") == 3 and out.count("== ") == 1


def test_sanitised_reply_never_exceeds_max_reply_chars():
    env = EmpathyEnv(max_reply_chars=50)
    env.reset(seed=0)
    info = env.step("\ufb03" * 50)[4]  # each ligature folds into three letters
    assert len(info["reply"]) <= 50


@pytest.mark.parametrize("options", [["difficulty"], "difficulty", ("difficulty", "simple")])
def test_reset_options_that_are_not_a_dict_are_refused_by_name(options):
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    with pytest.raises(ValueError, match=r"reset options must be a dict such as \{'difficulty': 'challenging'\}, "
                                         r"got .*allowed keys: difficulty, profile_id"):
        env.reset(options=options)
