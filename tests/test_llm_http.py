"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1: retries, timeouts, bad answers, batches."""

import socket

import pytest

from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.envs.support_vector import EmpathyVectorEnv
from empathy_gym.model.llm import BackendError, OpenAIBackend, backend_from_spec
from llm_fakes import FakeOpenAIServer

FAST = {"timeout": 0.3, "backoff": 0.01}


def _step(server, retries=2, **options):
    env = EmpathyEnv(user="llm", difficulty={"noise": 0.0},
                     backend=OpenAIBackend(server.base_url, "scripted", retries=retries, **FAST, **options))
    env.reset(seed=0)
    return env, env.step("It was not your fault.")[4]


def test_requests_follow_the_chat_completions_api(monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    with FakeOpenAIServer() as server:
        env, info = _step(server, api_key_env="TEST_LLM_KEY")
    assert info["delta"] == 12 and info["llm"]["reply"] == "ok" and env.transcript[-1]["text"] == "I hear you (52)."
    analysis, reply = server.requests
    assert analysis["path"] == "/v1/chat/completions" and analysis["authorization"] == "Bearer sk-test"
    assert analysis["body"]["model"] == "scripted" and analysis["body"]["temperature"] == 0.0
    assert analysis["body"]["max_tokens"] == 200 and isinstance(analysis["body"]["seed"], int)
    assert [m["role"] for m in analysis["body"]["messages"]] == ["system", "user"]


@pytest.mark.parametrize("fault", ["500", "slow", "malformed"])
def test_a_failed_request_is_retried_and_the_turn_recovers(fault):
    with FakeOpenAIServer(faults=[fault]) as server:
        _, info = _step(server)
    assert info["llm"]["analysis"] == "ok" and info["llm_errors"] == 0 and info["delta"] == 12
    assert len(server.requests) == 3  # the failed analysis request, its retry, the reply


@pytest.mark.parametrize("fault, message", [("500", "HTTP 500"), ("slow", "timed out"),
                                            ("malformed", "not a chat completion")])
def test_when_retries_run_out_the_turn_falls_back_and_the_episode_goes_on(fault, message):
    with FakeOpenAIServer(faults=[fault] * 2) as server:
        env, info = _step(server, retries=0)
        assert info["llm"]["analysis"] == "fallback" and info["llm"]["reply"] == "fallback"
        assert info["llm_errors"] == 2 and all(message in error for error in info["llm"]["errors"])
        assert len(env.transcript) == 3 and env.transcript[-1]["text"]
        info = env.step("What happened then?")[4]  # the server answers again
    assert info["llm"]["analysis"] == "ok" and info["llm_errors"] == 2


def test_client_errors_are_not_retried_and_an_unreachable_server_does_not_crash():
    conversation = [[{"role": "user", "content": "hi"}]]
    with FakeOpenAIServer(faults=["400"]) as server:
        [result] = OpenAIBackend(server.base_url, "m", retries=3, **FAST).generate(conversation, max_new_tokens=4,
                                                                                  seeds=[0])
    assert isinstance(result, BackendError) and "HTTP 400" in str(result) and len(server.requests) == 1
    with socket.socket() as probe:  # a port with nothing listening once the socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [result] = OpenAIBackend(f"http://127.0.0.1:{port}/v1", "m", retries=1, **FAST).generate(
        conversation, max_new_tokens=4, seeds=[0])
    assert isinstance(result, BackendError) and "failed" in str(result)


def test_a_batch_is_sent_as_concurrent_requests_in_order():
    with FakeOpenAIServer() as server:
        envs = EmpathyVectorEnv(6, user="llm", difficulty={"noise": 0.0},
                                backend=backend_from_spec(f"openai:{server.base_url}#scripted", **FAST))
        envs.reset(seed=0)
        replies = ("It was not your fault.", "whatever", "Okay.") * 2
        _, rewards, _, _, infos = envs.step(replies)
    assert list(rewards) == pytest.approx([0.12, -0.25, 0.02] * 2)
    assert len(server.requests) == 12 and list(infos["llm_errors"]) == [0] * 6


def test_failed_requests_in_a_batch_fall_back_for_their_own_sub_envs_only():
    # The first two requests to arrive (analysis calls: the reply batch waits for the analyses) get HTTP 500.
    with FakeOpenAIServer(faults=["500", "500"]) as server:
        envs = EmpathyVectorEnv(6, user="llm", difficulty={"noise": 0.0},
                                backend=OpenAIBackend(server.base_url, "scripted", retries=0, **FAST))
        envs.reset(seed=0)
        _, rewards, _, _, infos = envs.step(("It was not your fault.",) * 6)
    read = infos["llm"]["model"]["read"]
    assert read.dtype == bool and int(read.sum()) == 4
    assert list(infos["llm"]["analysis"]) == ["ok" if ok else "fallback" for ok in read]
    assert list(infos["llm_errors"]) == [0 if ok else 1 for ok in read]
    assert all("HTTP 500" in errors[0] for errors in infos["llm"]["errors"][~read])
    assert list(rewards[read]) == pytest.approx([0.12] * 4) and list(infos["llm"]["reply"]) == ["ok"] * 6
    assert len(server.requests) == 12


@pytest.mark.parametrize("spec", ["openai:http://127.0.0.1:8000/v1", "openai:#m", "http://x#m", "vllm:x"])
def test_bad_specs_say_what_is_allowed(spec):
    with pytest.raises(ValueError, match="openai:BASE_URL#MODEL"):
        backend_from_spec(spec)
