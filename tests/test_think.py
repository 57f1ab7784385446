"""Think-then-say: with think="strip" the user never sees <think>...</think>, and info reports its length."""

import pytest
from gymnasium.utils.env_checker import check_env

from empathy_gym._text import fit_reply, strip_thinking
from empathy_gym.envs.support import EmpathyEnv, ThinkingReply
from empathy_gym.model.llm import CallableBackend
from llm_fakes import ScriptedModel


def _play(replies, **kwargs):
    env = EmpathyEnv(**kwargs)
    env.reset(seed=4)
    infos = [env.step(reply)[4] for reply in replies]
    return env.transcript, infos


def test_thinking_is_stripped_before_the_parametric_user_reads_the_reply():
    said = ["That sounds exhausting.", "What happened after that?"]
    thought = ["<think>They seem tired; reflect it.</think>That sounds exhausting.",
               "<THINK>ask</THINK> What happened after that?"]
    plain, plain_infos = _play(said)
    stripped, infos = _play(thought, think="strip")
    assert stripped == plain
    blocks = ["<think>They seem tired; reflect it.</think>", "<THINK>ask</THINK>"]
    assert [info["think_chars"] for info in infos] == [len(block) for block in blocks]
    assert [info["emotion"] for info in infos] == [info["emotion"] for info in plain_infos]
    assert all("think_chars" not in info for info in plain_infos)


@pytest.mark.parametrize("reply", ["<think>I should say something kind</think>", "<think>cut off mid-thought"])
def test_a_reply_that_is_only_thinking_counts_as_empty(reply):
    empty, empty_infos = _play([""])
    only, infos = _play([reply], think="strip")
    assert only == empty and infos[0]["emotion"] == empty_infos[0]["emotion"]
    assert infos[0]["reply"] == "" and infos[0]["think_chars"] == len(reply)


def test_thinking_is_off_by_default_and_the_llm_user_gets_stripped_replies_too():
    default, _ = _play(["<think>x</think>Hello."])
    assert default[1]["text"] == "<think>x</think>Hello."
    seen = []
    model = ScriptedModel()
    _play(["<think>secret plan</think>Hello."], think="strip", user="llm",
          backend=CallableBackend(lambda m: seen.append(m) or model(m)))
    assert all("secret plan" not in message["content"] for messages in seen for message in messages)
    with pytest.raises(ValueError, match="think must be one of"):
        EmpathyEnv(think="hide")


def test_with_think_strip_the_reply_limit_is_for_the_visible_reply_and_thinking_has_its_own():
    long_thought = "<think>" + "Let me weigh what they said. " * 200 + "</think>"  # 5,815 characters
    env = EmpathyEnv(think="strip", max_reply_chars=100, max_think_chars=6000)
    env.reset(seed=1)
    info = env.step(long_thought + "That sounds exhausting.")[4]
    assert info["reply"] == "That sounds exhausting." and info["think_chars"] == len(long_thought)
    with pytest.raises(ValueError, match="visible reply .* 101 characters.*max_reply_chars=100"):
        env.step("<think>short</think>" + "x" * 101)
    with pytest.raises(ValueError, match="thinking .* max_think_chars=6000"):
        env.step("<think>" + "y" * 6000 + "</think>Hi.")
    plain = EmpathyEnv(max_reply_chars=100)
    plain.reset(seed=1)
    with pytest.raises(ValueError, match="max_reply_chars=100"):
        plain.step(long_thought + "Hi.")  # without think="strip" the thinking is part of the reply


def test_the_thinking_reply_space_holds_and_samples_only_replies_within_both_limits():
    space = ThinkingReply(max_reply_chars=30, max_think_chars=60, seed=3)
    assert space.max_length == 90
    assert space.contains("<think>" + "a" * 40 + "</think>" + "b" * 30)
    assert not space.contains("b" * 31) and not space.contains("<think>" + "a" * 50 + "</think>")
    samples = [space.sample() for _ in range(200)]
    assert all(space.contains(sample) for sample in samples)
    assert any(sample.startswith("<think>") for sample in samples) and any(len(sample) > 30 for sample in samples)
    assert space == ThinkingReply(30, 60) and space != ThinkingReply(60, 30)
    env = EmpathyEnv(think="strip")
    assert isinstance(env.action_space, ThinkingReply) and env.action_space.max_length == 2000 + 16000
    check_env(env, skip_render_check=True)


@pytest.mark.parametrize("text, think_limit", [
    ("<think>" + "t" * 500 + "</think>" + "v" * 80, 100),
    ("plan " * 40 + "</think>" + "v" * 80, 100),  # the template opened the block in the prompt
    ("<think>cut off " + "t" * 500, 100),
    ("v" * 80, 100),
    ("v" * 80, None),
])
def test_fit_reply_cuts_each_part_to_its_limit_and_keeps_what_fits(text, think_limit):
    fitted = fit_reply(text, 50, think_limit)
    if think_limit is None:
        assert fitted == text[:50]
        return
    said, thinking = strip_thinking(fitted)
    assert len(said) <= 50 and thinking <= think_limit
    assert said == strip_thinking(text)[0][:50]
    env = EmpathyEnv(think="strip", max_reply_chars=50, max_think_chars=think_limit)
    env.reset(seed=0)
    assert env.fit_reply(text) == fitted
    env.step(fitted)  # accepted
    short = "<think>ok</think>Fine."
    assert fit_reply(short, 50, think_limit) == short
