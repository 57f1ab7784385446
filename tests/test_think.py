"""Think-then-say: with think="strip" the user never sees <think>...</think>, and info reports its length."""

import pytest

from empathy_gym.envs.support import EmpathyEnv
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
