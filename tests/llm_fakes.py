"""Stand-ins for language models in the LLM-user tests: a scripted model and an OpenAI-compatible server.

(The tiny random transformers model is :func:`empathy_gym.model.llm.tiny.tiny_random_chat_model`.)
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

REPLY_BLOCK = re.compile(r"<supporter_reply>\n(.*?)\n</supporter_reply>", flags=re.DOTALL)
EMOTION_NOW = re.compile(r"Your emotion is now (\d+) out of 100")
INSTRUCTION = re.compile(r"^SYSTEM:.*?change (-?\d+)", flags=re.MULTILINE)
SUPPORTER_LINE = re.compile(r'^supporter: (".*")$', flags=re.MULTILINE)


def phase_of(messages) -> str:
    last = messages[-1]["content"]
    if "What do you say next?" in last:
        return "reply"
    return "analysis"


class ScriptedModel:
    """A deterministic stand-in for a chat model that plays the simulated user's two calls.

    Analysis: reads the supporter's reply from its quoted block and scores it by keywords
    ("not your fault" +12, a question +4, "whatever" -30, else +2). Like a gullible model, it
    obeys any line of the prompt that starts with ``SYSTEM:`` and says ``change N``, so a test can
    show that the agent's words never reach the prompt as such a line. ``analysis_outputs`` replaces
    the answers of the first analysis calls (for malformed output); reply: ``"I hear you (N)."`` with
    the emotion N the prompt gives.
    """

    def __init__(self, analysis_outputs=()):
        self.analysis_outputs = list(analysis_outputs)
        self.calls = {"analysis": 0, "reply": 0}
        self.batches: list[int] = []

    def __call__(self, messages) -> str:
        phase = phase_of(messages)
        self.calls[phase] += 1
        if phase == "reply":
            return f"I hear you ({EMOTION_NOW.search(messages[-1]['content']).group(1)})."
        if self.analysis_outputs:
            return self.analysis_outputs.pop(0)
        text = "\n".join(message["content"] for message in messages)
        obeyed = INSTRUCTION.search(text)
        if obeyed:
            return json.dumps({"change": int(obeyed.group(1)), "inner_reaction": "Told what to feel."})
        reply = latest_supporter_reply(messages).lower()
        change = 12 if "not your fault" in reply else 4 if "?" in reply else -30 if "whatever" in reply else 2
        return json.dumps({"meaning": "a reply", "serves_need": change > 5, "change": change,
                           "inner_reaction": f"That moved me by {change}.", "reasons": ["served_need"]})

    def batch(self, conversations):
        self.batches.append(len(conversations))
        return [self(messages) for messages in conversations]


def latest_supporter_reply(messages) -> str:
    """The supporter reply a call is about: the quoted reply of an analysis, the last supporter line of a reply call."""
    text = "\n".join(message["content"] for message in messages)
    block = REPLY_BLOCK.search(text)
    if block is not None:
        return json.loads(block.group(1))
    return json.loads(SUPPORTER_LINE.findall(text)[-1])


class FaultyModel(ScriptedModel):
    """A ScriptedModel whose calls go wrong on cue, chosen by words in the supporter's latest reply.

    ``fail analysis`` / ``fail reply``: that call raises ``TimeoutError``; ``garble analysis``: every
    analysis attempt answers prose with no change in it; ``garble once``: the first attempt does,
    the retry is answered; ``empty reply``: the reply call answers nothing but thinking;
    ``interrupt analysis`` / ``interrupt reply``: that call raises ``KeyboardInterrupt`` while
    ``interrupts`` is True (Ctrl-C during a model call). Any other reply is scored as ScriptedModel
    scores it, so a fault depends only on the conversation, never on how calls are batched.
    """

    def __init__(self):
        super().__init__()
        self.interrupts = True
        self.faults = 0

    def __call__(self, messages) -> str:
        phase, said = phase_of(messages), latest_supporter_reply(messages)
        if self.interrupts and f"interrupt {phase}" in said:
            raise KeyboardInterrupt
        if f"fail {phase}" in said:
            self.faults += 1
            raise TimeoutError(f"the {phase} call timed out")
        if phase == "analysis" and ("garble analysis" in said or ("garble once" in said and len(messages) == 2)):
            self.faults += 1
            return "I would rather not put a number on it."
        if phase == "reply" and "empty reply" in said:
            self.faults += 1
            return "<think>nothing to say</think>"
        return super().__call__(messages)


class FlakyModel(ScriptedModel):
    """A ScriptedModel that fails about one call in ``period``, chosen by a checksum of the call's messages.

    A chosen call raises ``TimeoutError``, answers prose with no change in it, or answers nothing,
    in turn by the checksum, so the same conversation fails the same way in any batch or process.
    """

    def __init__(self, period=4):
        super().__init__()
        self.period = period
        self.faults = 0

    def __call__(self, messages) -> str:
        checksum = zlib.crc32(json.dumps(messages, sort_keys=True).encode())
        if checksum % self.period:
            return super().__call__(messages)
        self.faults += 1
        kind = checksum // self.period % 3
        if kind == 0:
            raise TimeoutError("the model took too long")
        return "No comment." if kind == 1 else ""


class FakeOpenAIServer:
    """An OpenAI-compatible /v1/chat/completions server on 127.0.0.1, in a thread, answering with a ScriptedModel.

    ``faults`` is a list consumed one per request: ``"500"`` or ``"400"`` answers with that status, ``"slow"`` sleeps past
    the client's timeout before answering, ``"malformed"`` sends a 200 whose body is not JSON,
    ``None`` answers normally. Every request body is kept in ``requests``.
    """

    def __init__(self, model=None, faults=(), slow_seconds=1.0):
        self.model = model or ScriptedModel()
        self.faults = list(faults)
        self.slow_seconds = slow_seconds
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append({"path": self.path, "body": body,
                                            "authorization": self.headers.get("Authorization")})
                    fault = server.faults.pop(0) if server.faults else None
                if fault in ("400", "500"):
                    self._send(int(fault), b'{"error": "boom"}')
                    return
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                if fault == "malformed":
                    self._send(200, b"{not json")
                    return
                content = server.model(body["messages"])
                self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())

            def _send(self, code, payload):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def assert_same(a, b):
    """Assert two nested step results (dicts, tuples, lists, arrays, scalars) are equal throughout."""
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b
