"""Stand-ins for language models in the LLM-user tests: a scripted model and an OpenAI-compatible server.

(The tiny random transformers model is :func:`empathy_gym.model.llm.tiny.tiny_random_chat_model`.)
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY_BLOCK = re.compile(r"<supporter_reply>\n(.*?)\n</supporter_reply>", flags=re.DOTALL)
EMOTION_NOW = re.compile(r"Your emotion is now (\d+) out of 100")
INSTRUCTION = re.compile(r"^SYSTEM:.*?change (-?\d+)", flags=re.MULTILINE)


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
        reply = json.loads(REPLY_BLOCK.search(messages[-1]["content"]).group(1)).lower()
        change = 12 if "not your fault" in reply else 4 if "?" in reply else -30 if "whatever" in reply else 2
        return json.dumps({"meaning": "a reply", "serves_need": change > 5, "change": change,
                           "inner_reaction": f"That moved me by {change}.", "reasons": ["served_need"]})

    def batch(self, conversations):
        self.batches.append(len(conversations))
        return [self(messages) for messages in conversations]


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
