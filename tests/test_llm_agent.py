"""LLM agents through the reference-policy interface, specs, and `empathy-gym play --user llm`."""

import io

import gymnasium as gym
import pytest

import empathy_gym  # noqa: F401
from empathy_gym.cli import main
from empathy_gym.evaluation import play_episode
from empathy_gym.model.llm import BackendError, CallableBackend
from empathy_gym.policies.llm_agent import LLMAgent, agent_from_spec
from llm_fakes import FakeOpenAIServer, ScriptedModel


def test_an_llm_agent_plays_an_episode_with_play_episode():
    seen = []

    def supporter(messages):
        seen.append(messages)
        return "<think>They need to hear it.</think>It was not your fault."

    env = gym.make("EmpathyGym/SupportLLM-v0", backend=CallableBackend(ScriptedModel()), difficulty={"noise": 0.0})
    agent = LLMAgent(CallableBackend(supporter))
    record = play_episode(env, agent, seed=0)
    assert set(record.actions) == {"It was not your fault."}  # thinking removed before the reply is sent
    assert record.reason == "resolved" and record.final_emotion == 100  # +12 a turn from 40
    roles = [message["role"] for message in agent.messages]
    assert roles == ["system"] + ["user", "assistant"] * record.turns
    assert agent.messages[3]["content"] == "I hear you (52)." and seen[0][1]["content"] == env.unwrapped.transcript[0]["text"]


def test_agent_failures_raise_and_specs_build_agents():
    agent = LLMAgent(CallableBackend(lambda messages: 1 / 0))
    agent.reset({"text": "hello"}, {})
    with pytest.raises(BackendError, match="ZeroDivisionError"):
        agent.act({"text": "hello"}, {})
    with FakeOpenAIServer(model=lambda messages: "How are you holding up?") as server:
        agent = agent_from_spec(f"openai:{server.base_url}#supporter", timeout=2.0)
        agent.reset({"text": "I had a rough day."}, {})
        assert agent.act({"text": "I had a rough day."}, {}) == "How are you holding up?"
    assert server.requests[0]["body"]["model"] == "supporter"
    with pytest.raises(ValueError, match="backend spec"):
        agent_from_spec("gpt4")


def test_play_with_an_llm_user_over_http(capsys):
    with FakeOpenAIServer() as server:
        assert main(["play", "--user", "llm", "--user-backend", f"openai:{server.base_url}#scripted",
                     "--policy", "oracle", "--difficulty", "simple"]) == 0
    out = capsys.readouterr().out
    assert "I hear you (" in out and "the hidden intention was:" in out and len(server.requests) >= 2


def test_play_typed_replies_with_an_llm_user(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("It was not your fault.\n\n"))
    with FakeOpenAIServer() as server:
        assert main(["play", "--user", "llm", "--user-backend", f"openai:{server.base_url}#scripted"]) == 0
    assert "AGENT: It was not your fault." in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["play", "--user", "llm"],
    ["play", "--user-backend", "openai:http://127.0.0.1:1/v1#m"],
    ["play", "--user", "llm", "--user-backend", "nonsense"],
    ["play", "--user", "llm", "--user-backend", "transformers:/no/such/model/dir"],
])
def test_bad_llm_user_arguments_are_usage_errors(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own refusals exit; the command's checks return 2
        code = exit_info.code
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and len(err.strip().splitlines()) == 1


def test_evaluate_an_llm_agent_from_the_command_line(tmp_path, capsys):
    import json

    with FakeOpenAIServer(model=lambda messages: "That sounds really hard. What happened?") as server:
        assert main(["evaluate", "--agent", f"openai:{server.base_url}#supporter", "--splits", "ood",
                     "--settings", "normal", "--json", str(tmp_path / "report.json")]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    cell = report["cells"]["ood/normal"]
    assert report["env_id"] == "EmpathyGym/Support-v0" and cell["episodes"] == 80
    assert cell["mean_entropy"] is None and sum(cell["strategy_distribution"].values()) == pytest.approx(1.0)
    assert len(server.requests) == round(cell["mean_turns"] * 80)  # one call per turn
