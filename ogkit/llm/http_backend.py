"""The LLM-proxy node role: an OpenAI-compatible HTTP endpoint behind 0xF4's LLM functions.

Configured by a base URL (e.g. `http://127.0.0.1:8000`; `/v1/...` is appended) and an API
key, from `OGKIT_LLM_URL` / `OGKIT_LLM_API_KEY`. Uses `requests`. Every failure (cannot
connect, timeout, error status, a body that is not OpenAI-shaped) is a
`ModelExecutionError` with a readable reason, which the precompile turns into a revert.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from precompiles.host import LLMResult, ModelExecutionError
from precompiles.inference.llm_types import ChatMessage, ToolCall

URL_ENV = "OGKIT_LLM_URL"
API_KEY_ENV = "OGKIT_LLM_API_KEY"
DEFAULT_TIMEOUT_S = 60.0


class OpenAIHttpBackend:
    def __init__(self, base_url: str, api_key: str = "", timeout_s: float = DEFAULT_TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[: -len("/v1")]
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._session = requests.Session()

    @classmethod
    def from_env(cls) -> OpenAIHttpBackend | None:
        """The endpoint `OGKIT_LLM_URL` names, or None when it is not set."""
        url = os.environ.get(URL_ENV)
        return cls(url, os.environ.get(API_KEY_ENV, "")) if url else None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = f"{self.base_url}{path}"
        try:
            reply = self._session.post(url, json=body, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ModelExecutionError(
                f"LLM endpoint {self.base_url} unreachable: {type(exc).__name__}"
            ) from None
        if reply.status_code != 200:
            raise ModelExecutionError(
                f"LLM endpoint returned HTTP {reply.status_code}: {_error_text(reply)}"
            )
        try:
            data = reply.json()
        except ValueError:
            raise ModelExecutionError("LLM endpoint returned a body that is not JSON") from None
        if not isinstance(data, dict) or not data.get("choices"):
            raise ModelExecutionError("LLM endpoint returned no choices")
        return data

    def complete(self, body: dict[str, Any]) -> LLMResult:
        data = self._post("/v1/completions", body)
        try:
            choice = data["choices"][0]
            text = str(choice["text"])
            finish = str(choice.get("finish_reason") or "stop")
        except (KeyError, TypeError, IndexError):
            raise ModelExecutionError("LLM endpoint returned a malformed completion") from None
        return LLMResult(finish, ChatMessage("assistant", text), _tokens(data, text))

    def chat(self, body: dict[str, Any]) -> LLMResult:
        data = self._post("/v1/chat/completions", body)
        try:
            choice = data["choices"][0]
            message = choice["message"]
            content = message.get("content") or ""
            calls = tuple(
                ToolCall(str(c.get("id", "")), str(c["function"]["name"]), _arguments(c))
                for c in message.get("tool_calls") or ()
            )
            finish = str(choice.get("finish_reason") or ("tool_calls" if calls else "stop"))
            role = str(message.get("role") or "assistant")
        except (KeyError, TypeError, IndexError, AttributeError):
            raise ModelExecutionError("LLM endpoint returned a malformed chat reply") from None
        return LLMResult(
            finish, ChatMessage(role, str(content), tool_calls=calls), _tokens(data, content)
        )


def _arguments(call: dict[str, Any]) -> str:
    arguments = call["function"].get("arguments", "")
    return arguments if isinstance(arguments, str) else str(arguments)


def _tokens(data: dict[str, Any], text: str) -> int:
    """`usage.completion_tokens`, else ~4 bytes a token (some servers send no usage)."""
    usage = data.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        return max(0, usage["completion_tokens"])
    return -(-len(text.encode("utf-8")) // 4)


def _error_text(reply: requests.Response) -> str:
    try:
        error = reply.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:200]
    except (ValueError, AttributeError):
        pass
    return (reply.text or reply.reason or "")[:200]
