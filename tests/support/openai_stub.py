"""A local HTTP server that speaks OpenAI's API: the stand-in for a remote LLM provider.

It is the one allowed mock (a remote third party): the HTTP backend under test talks to it
over real HTTP with its real client. Replies are deterministic functions of the request:

- `/v1/completions`: "echo: <prompt>" (cut at the first stop sequence);
- `/v1/chat/completions`: with tools offered and "weather in <City>" in the last user
  message, a `get_weather` tool call with {"city": "<City>"}; otherwise "You said: <last
  message>";
- model "missing-model" → 404, model "broken-model" → 500, a wrong API key → 401;
- model "sloppy-model" answers every chat with a tool call whose arguments are not JSON.

`requests` keeps every request body, in order, so a test can see what was sent and count
how often the "model" was asked.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "sk-test-local"


class OpenAIStub:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append((self.path, body))
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    return self._send(401, {"error": {"message": "Incorrect API key provided"}})
                model = body.get("model")
                if model == "missing-model":
                    message = f"The model `{model}` does not exist"
                    return self._send(404, {"error": {"message": message}})
                if model == "broken-model":
                    return self._send(500, {"error": {"message": "upstream overloaded"}})
                if self.path == "/v1/completions":
                    return self._send(200, _completion(body))
                if self.path == "/v1/chat/completions":
                    return self._send(200, _chat(body))
                return self._send(404, {"error": {"message": f"no route {self.path}"}})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _cut(text: str, stop: list[str]) -> tuple[str, str]:
    hits = [text.find(s) for s in stop if s in text]
    return (text[: min(hits)], "stop") if hits else (text, "stop")


def _usage(text: str) -> dict:
    return {"prompt_tokens": 7, "completion_tokens": len(text.split()), "total_tokens": 0}


def _completion(body: dict) -> dict:
    text, finish = _cut("echo: " + body["prompt"], body.get("stop", []))
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "model": body["model"],
        "choices": [{"index": 0, "text": text, "finish_reason": finish}],
        "usage": _usage(text),
    }


def _chat(body: dict) -> dict:
    last = body["messages"][-1]
    if body["model"] == "sloppy-model":
        call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "x=1"}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return {"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
    city = re.search(r"weather in (\w+)", last.get("content", ""))
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if city and "get_weather" in tools:
        arguments = json.dumps({"city": city.group(1)})
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_stub_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": arguments},
                }
            ],
        }
        finish, text = "tool_calls", arguments
    else:
        text = "You said: " + last.get("content", "")
        message = {"role": "assistant", "content": text}
        finish = "stop"
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(text),
    }
