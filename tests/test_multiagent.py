"""The PettingZoo environments: API conformance, reward modes, equivalence with the single-agent envs."""

import subprocess
import sys
import types
import warnings
from functools import partial
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pettingzoo = pytest.importorskip("pettingzoo")
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, parallel_seed_test, seed_test  # noqa: E402

import empathy_gym  # noqa: E402,F401
from empathy_gym.envs.multiagent import SingleSeatEnv, support_group_v0, supporter_seeker_v0  # noqa: E402
from empathy_gym.model.expression import AS_PROFILE, EXPRESSIONS, Expression  # noqa: E402
from empathy_gym.model.oracle import OracleSupporter  # noqa: E402
from empathy_gym.policies.reference import ConstantPolicy, HeuristicPolicy, OraclePolicy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

SUPPORTER_SEEKER_MODES = [
    *({"action_mode": mode, "seeker_reward": reward}
      for mode in ("strategy", "text") for reward in ("cooperative", "adversarial", "regret")),
    {"action_mode": "strategy", "seeker_policy": "parametric"},
    {"action_mode": "text", "seeker_policy": "parametric"},
    {"seeker_reward": "regret", "supporter_policy": "heuristic"},
]
GROUP_MODES = [{"action_mode": mode, "seeker_policy": seekers, "n_seekers": n}
               for mode in ("strategy", "text") for seekers, n in (("parametric", 3), (None, 2), (None, 4))]
CASES = ([(supporter_seeker_v0, kwargs) for kwargs in SUPPORTER_SEEKER_MODES]
         + [(support_group_v0, kwargs) for kwargs in GROUP_MODES])


def _kwargs(kwargs):
    """Policy names in the parameter lists stand for fresh policy objects (one per env)."""
    return {key: HeuristicPolicy() if value == "heuristic" else value for key, value in kwargs.items()}


def _case_id(case):
    module, kwargs = case
    return module.__name__.rsplit(".", 1)[1] + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.fixture(params=CASES, ids=[_case_id(case) for case in CASES])
def case(request):
    return request.param


# -- PettingZoo's own tests -------------------------------------------------------------------------
def test_api_test_passes(case):
    module, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(module.env(**_kwargs(kwargs)), num_cycles=30)


def test_parallel_api_test_passes(case):
    module, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel_api_test(module.parallel_env(**_kwargs(kwargs)), num_cycles=30)


def test_seed_tests_pass(case):
    module, kwargs = case
    seed_test(lambda: module.env(**_kwargs(kwargs)), num_cycles=30)
    parallel_seed_test(lambda: module.parallel_env(**_kwargs(kwargs)), num_cycles=30)


def test_max_cycles_test_passes(case):
    module, kwargs = case
    # A clamp of 5 points per turn (and at most 3 points of waiting) keeps every person between 20
    # and 60 for the test's 4 cycles, so random actions cannot end the episode before max_cycles.
    bounded = {**_kwargs(kwargs), "difficulty": {"max_delta": 5}}
    max_cycles_test(types.SimpleNamespace(env=lambda **kw: module.env(**bounded, **kw),
                                          parallel_env=lambda **kw: module.parallel_env(**bounded, **kw)))


def test_registered_with_pettingzoo_in_both_forms():
    for name, module in (("supporter_seeker_v0", supporter_seeker_v0), ("support_group_v0", support_group_v0)):
        parallel = pettingzoo.make("parallel", f"EmpathyGym/{name}")
        aec = pettingzoo.make("aec", f"EmpathyGym/{name}")
        assert isinstance(parallel, type(module.parallel_env()))
        assert isinstance(aec, pettingzoo.AECEnv)
        assert aec.unwrapped.metadata["name"] == name


def test_importing_empathy_gym_registers_with_pettingzoo_but_imports_no_multiagent_module():
    # PettingZoo's registry costs milliseconds; the multi-agent modules load only when made.
    code = ("import sys, empathy_gym; assert not [m for m in sys.modules if m.startswith('empathy_gym.envs.multiagent')]; "
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_spaces_are_the_same_object_every_call():
    env = supporter_seeker_v0.parallel_env()
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
    assert "observation" not in env.observation_space("seeker").spaces


# -- reward modes --------------------------------------------------------------------------------------
def _play(env, supporter, seeker, seed):
    """One parallel episode; returns the list of per-step (rewards, infos)."""
    observations, infos = env.reset(seed=seed)
    steps = []
    while env.agents:
        actions = {}
        if "supporter" in env.agents:
            actions["supporter"] = supporter(observations["supporter"])
        if "seeker" in env.agents:
            actions["seeker"] = seeker(observations["seeker"])
        observations, rewards, terminations, truncations, infos = env.step(actions)
        steps.append((rewards, infos))
    return steps


def test_adversarial_rewards_sum_to_zero_every_step():
    rng = np.random.default_rng(0)
    for reward_mode in ("delta", "terminal"):
        env = supporter_seeker_v0.parallel_env(seeker_reward="adversarial", reward_mode=reward_mode)
        steps = [step for seed in range(5)
                 for step in _play(env, lambda _: int(rng.integers(15)), lambda _: int(rng.integers(18)), seed)]
        assert any(rewards["supporter"] != 0 for rewards, _ in steps)
        assert all(rewards["supporter"] + rewards["seeker"] == 0.0 for rewards, _ in steps)


def test_cooperative_seeker_reward_follows_its_emotion():
    rng = np.random.default_rng(1)
    env = supporter_seeker_v0.parallel_env(seeker_reward="cooperative", reward_mode="terminal")
    for seed in range(5):
        observations, _ = env.reset(seed=seed)
        emotion = float(observations["seeker"]["emotion"][0])
        while env.agents:
            observations, rewards, *_ , infos = env.step({"supporter": int(rng.integers(15)),
                                                          "seeker": int(rng.integers(18))})
            new_emotion = float(observations["seeker"]["emotion"][0])
            assert rewards["seeker"] == pytest.approx((new_emotion - emotion) / 100)
            assert infos["seeker"]["emotion"] == new_emotion
            emotion = new_emotion


def test_regret_is_exactly_zero_when_the_oracle_plays_the_supporter_seat():
    rng = np.random.default_rng(2)
    # The oracle as the learnable seat's actions ...
    env = supporter_seeker_v0.parallel_env(seeker_reward="regret")
    oracle = OracleSupporter()
    for seed in range(8):
        env.reset(seed=seed)
        oracle.start(env.user)
        steps = []
        while env.agents:
            _, rewards, *_ = env.step({"supporter": oracle.act(), "seeker": int(rng.integers(18))})
            steps.append(rewards["seeker"])
        assert steps and all(reward == 0.0 for reward in steps)
        assert env.oracle_transcript == env.transcript
    # ... and as a built-in seat.
    env = supporter_seeker_v0.parallel_env(seeker_reward="regret", supporter_policy=OraclePolicy())
    for seed in range(4):
        steps = _play(env, None, lambda _: int(rng.integers(18)), seed)
        assert all(rewards["seeker"] == 0.0 for rewards, _ in steps)


def test_regret_return_is_the_oracles_final_emotion_minus_the_supporters():
    env = supporter_seeker_v0.parallel_env(seeker_reward="regret")
    blame = ConstantPolicy("blame").action
    for seed in range(4):
        steps = _play(env, lambda _: blame, lambda _: AS_PROFILE, seed)
        regret = sum(rewards["seeker"] for rewards, _ in steps)
        final = steps[-1][1]["seeker"]
        assert regret == pytest.approx((final["oracle_emotion"] - final["emotion"]) / 100)
        assert regret > 0  # blaming the person is far worse than the oracle
        oracle_end = env.oracle_transcript[-1]["emotion"]
        assert oracle_end == final["oracle_emotion"]


def test_max_cycles_truncates_and_the_shadow_stops_at_the_same_budget():
    env = supporter_seeker_v0.parallel_env(seeker_reward="regret", max_cycles=3, difficulty={"max_delta": 5})
    steps = _play(env, lambda _: 2, lambda _: AS_PROFILE, 0)
    assert len(steps) == 3
    assert steps[-1][1]["supporter"]["reason"] == "max_cycles"
    assert len(env.oracle_transcript) == len(env.transcript)


# -- equivalence with the single-agent environments ---------------------------------------------------
STRATEGY_ACTIONS = [0, 2, 3, 1, 7, 2, 4, 0, 3, 2]
TEXT_REPLIES = ["That sounds really hard. What happened?", "You feel let down, and that makes sense.",
                "It was not your fault.", "What would help most right now?", "I hear how tired you are."] * 2


def _single_agent_transcript(env_id, actions, seed):
    env = gym.make(env_id, difficulty="normal")
    env.reset(seed=seed)
    for action in actions:
        *_, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    return env.unwrapped.transcript


@pytest.mark.parametrize("mode, env_id, actions", [("strategy", "EmpathyGym/SupportStrategy-v0", STRATEGY_ACTIONS),
                                                   ("text", "EmpathyGym/Support-v0", TEXT_REPLIES)])
@pytest.mark.parametrize("seed", [0, 11, 42])
def test_parametric_seeker_and_one_seeker_group_give_the_single_agent_transcript(mode, env_id, actions, seed):
    expected = _single_agent_transcript(env_id, actions, seed)
    assert len(expected) > 3

    for kwargs, seeker_action in (({"seeker_policy": "parametric"}, {}), ({}, {"seeker": AS_PROFILE})):
        pair = supporter_seeker_v0.parallel_env(action_mode=mode, **kwargs)
        pair.reset(seed=seed)
        for action in actions:
            pair.step({"supporter": action, **seeker_action})
            if not pair.agents:
                break
        assert pair.transcript == expected

    group = support_group_v0.parallel_env(action_mode=mode, n_seekers=1)
    group.reset(seed=seed)
    for action in actions:
        group.step({"supporter": [0, action] if mode == "strategy" else {"addressee": 0, "text": action}})
        if not group.agents:
            break
    assert group.transcript_of(0) == expected


# -- the seeker's expression -------------------------------------------------------------------------
def _user_lines(expression, seed=3, turns=6):
    env = supporter_seeker_v0.parallel_env(seeker_policy=None, difficulty="normal")
    env.reset(seed=seed)
    emotions, cues = [], []
    for _ in range(turns):
        _, _, _, _, infos = env.step({"supporter": 0, "seeker": EXPRESSIONS.index(expression)})
        emotions.append(infos["seeker"]["emotion"])
        cues.append(infos["seeker"]["cue"])
        if not env.agents:
            break
    return [entry["text"] for entry in env.transcript if entry["speaker"] == "user"], emotions, cues


def test_the_seekers_expression_changes_words_not_this_turns_emotion():
    plain_lines, plain_emotions, _ = _user_lines(Expression())
    for expression in EXPRESSIONS:
        lines, emotions, _ = _user_lines(expression, turns=1)
        assert emotions[0] == plain_emotions[0]
        if expression.push_back:
            assert lines[1] != plain_lines[1]


def test_hinting_more_gives_more_cues_than_hinting_less():
    counts = {}
    for hint in ("less", "more"):
        counts[hint] = sum(cue != "none" for seed in range(12)
                           for cue in _user_lines(Expression(hint=hint), seed=seed, turns=4)[2])
    assert counts["more"] > counts["less"] + 5


def test_push_back_adds_a_line_from_the_push_back_bank():
    from empathy_gym.data import read_json

    bank = read_json("utterances.json")["push_backs"]
    lines, _, _ = _user_lines(Expression(push_back=True), turns=3)
    phrases = [line.split("{")[0].strip().lower()[:12] for register in bank.values() for line in register]
    assert any(phrase in line.lower() for line in lines[1:] for phrase in phrases)


def test_a_bad_seeker_action_changes_nothing():
    env = supporter_seeker_v0.parallel_env()
    env.reset(seed=0)
    before = env.transcript
    with pytest.raises(ValueError, match="0..17"):
        env.step({"supporter": 2, "seeker": 18})
    with pytest.raises(ValueError, match="live agents"):
        env.step({"supporter": 2})
    assert env.transcript == before and env.user.turn == 0


def test_both_seats_built_in_is_an_error():
    with pytest.raises(ValueError, match="at least one seat"):
        supporter_seeker_v0.parallel_env(supporter_policy=HeuristicPolicy(), seeker_policy="parametric")
    with pytest.raises(ValueError, match="seeker_reward"):
        supporter_seeker_v0.parallel_env(seeker_reward="spiteful")
    with pytest.raises(ValueError, match="supporter_policy"):
        supporter_seeker_v0.parallel_env(supporter_policy="oracle")


# -- the group ------------------------------------------------------------------------------------------
def test_group_seekers_are_different_people_and_waiting_costs_patience_by_characteristic():
    env = support_group_v0.parallel_env(n_seekers=4)
    env.reset(seed=5)
    users = env.users
    assert len({user.profile.id for user in users}) == 4
    before = [user.emotion for user in users]
    drift = {"negative": 3, "avoidant": 2, "passive": 1}
    _, rewards, _, _, infos = env.step({"supporter": [0, 2]})
    for k in range(1, 4):
        assert users[k].emotion == before[k] - drift[users[k].profile.persona.main_characteristic]
    assert rewards["supporter"] == pytest.approx(np.mean(infos["supporter"]["deltas"]) / 100)


def test_group_addressing_someone_who_left_wastes_the_turn():
    env = support_group_v0.parallel_env(n_seekers=2, difficulty={"initial_emotion": 12})
    env.reset(seed=0)
    # Blame seeker 0 until they leave; seeker 1 waits and may leave too.
    while env.agents and env._present[0]:
        env.step({"supporter": [0, 14]})
    if env.agents:
        emotions = [user.emotion for user in env.users]
        _, _, _, _, infos = env.step({"supporter": [0, 2]})
        assert infos["supporter"]["wasted"] and env.users[0].emotion == emotions[0]


def test_group_ansi_render_shows_one_emotion_bar_per_person():
    env = support_group_v0.parallel_env(n_seekers=3, render_mode="ansi")
    env.reset(seed=1)
    env.step({"supporter": [1, 0]})
    text = env.render()
    turn = text.split("SUPPORTER to", 1)[1]
    assert turn.count("] ") >= 3 and turn.count("[" + "#") + turn.count("[.") == 3


def test_supporter_seeker_ansi_render_shows_the_conversation():
    env = supporter_seeker_v0.parallel_env(render_mode="ansi")
    env.reset(seed=1)
    env.step({"supporter": 1, "seeker": AS_PROFILE})
    text = env.render()
    assert "AGENT:" in text and text.count("USER  [") == 2


# -- the single-seat view --------------------------------------------------------------------------------
def test_single_seat_view_is_a_gymnasium_env_for_the_one_learnable_seat():
    from gymnasium.utils.env_checker import check_env

    view = SingleSeatEnv(supporter_seeker_v0.parallel_env(seeker_reward="regret", supporter_policy=HeuristicPolicy()))
    assert view.agent == "seeker"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(view, skip_render_check=True)
    with pytest.raises(ValueError, match="exactly one learnable seat"):
        SingleSeatEnv(supporter_seeker_v0.parallel_env())


def test_unknown_reset_options_warn_and_known_ones_apply():
    env = supporter_seeker_v0.parallel_env()
    with pytest.warns(UserWarning, match="unknown reset option"):
        env.reset(seed=0, options={"dificulty": 1})
    env.reset(seed=0, options={"difficulty": "challenging"})
    assert env.user.difficulty.reticence == 1.0


def test_import_empathy_gym_alone_registers_the_pettingzoo_ids():
    import subprocess
    import sys

    code = ("import warnings; warnings.simplefilter('error'); import empathy_gym, pettingzoo, sys; "
            "env = pettingzoo.make('parallel', 'EmpathyGym/supporter_seeker_v0'); "
            "print('empathy_gym.envs.multiagent' in sys.modules, type(env).__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "SupporterSeekerEnv"


def test_pettingzoo_api_probe_option_is_ignored_without_a_warning_and_typos_still_warn():
    import warnings

    from pettingzoo.test import parallel_api_test

    from empathy_gym.envs.multiagent import supporter_seeker_v0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel_api_test(supporter_seeker_v0.parallel_env(), num_cycles=20)
    assert not [w for w in caught if "unknown reset option" in str(w.message)]
    with pytest.warns(UserWarning, match=r"ignoring unknown reset option\(s\) \['dificulty'\]"):
        supporter_seeker_v0.parallel_env().reset(seed=0, options={"dificulty": "simple"})
