"""A request as a scripted upstream received it, with format-aware views for assertions."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    output: str  # text content flattened; structured content is JSON-encoded


@dataclass
class RecordedRequest:
    format: str
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-case names; every header, keys included (tests check forwarding)
    raw_body: bytes = b""
    body: Any = None  # parsed JSON, or None when the body was empty or not JSON
    answer: Any = field(default=None, repr=False)  # the Reply / ErrorReply that was served
    outcome: str | None = None  # streams: "completed", "client disconnected" or "dropped mid-stream"
    finished: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def wait_finished(self, timeout: float = 10.0) -> str | None:
        """Waits until the server is done with this request (a stream may outlive the client); returns
        the outcome."""
        if not self.finished.wait(timeout):
            raise AssertionError(f"the upstream was still serving {self.path} after {timeout}s")
        return self.outcome

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def tool_results(self) -> list[ToolResult]:
        """Every tool result in the conversation, in order, whatever the format."""
        if not isinstance(self.body, dict):
            return []
        if self.format == "anthropic":
            return _anthropic_tool_results(self.body)
        if self.format == "chat":
            return _chat_tool_results(self.body)
        return _responses_tool_results(self.body)

    def tool_call_ids(self) -> list[str]:
        """Ids of the assistant tool calls echoed back in the conversation history."""
        if not isinstance(self.body, dict):
            return []
        if self.format == "anthropic":
            return [b["id"] for m in self.body.get("messages", []) if m.get("role") == "assistant"
                    for b in _blocks(m.get("content")) if b.get("type") == "tool_use"]
        if self.format == "chat":
            return [c["id"] for m in self.body.get("messages", []) if m.get("role") == "assistant"
                    for c in m.get("tool_calls") or []]
        return [i["call_id"] for i in _items(self.body) if i.get("type") in ("function_call", "custom_tool_call")]

    def tool_names(self) -> list[str]:
        """Names of the tools offered in the request."""
        tools = self.body.get("tools") if isinstance(self.body, dict) else None
        names = []
        for tool in tools or []:
            function = tool.get("function") if self.format == "chat" else None
            names.append((function or tool).get("name", ""))
        return names


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _flatten(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and "text" in p for p in content):
        return "".join(p["text"] for p in content)
    return json.dumps(content)


def _anthropic_tool_results(body: dict[str, Any]) -> list[ToolResult]:
    return [ToolResult(b["tool_use_id"], _flatten(b.get("content")))
            for m in body.get("messages", []) if m.get("role") == "user"
            for b in _blocks(m.get("content")) if b.get("type") == "tool_result"]


def _chat_tool_results(body: dict[str, Any]) -> list[ToolResult]:
    return [ToolResult(m["tool_call_id"], _flatten(m.get("content")))
            for m in body.get("messages", []) if m.get("role") == "tool"]


def _responses_tool_results(body: dict[str, Any]) -> list[ToolResult]:
    return [ToolResult(i["call_id"], _flatten(i.get("output")))
            for i in _items(body) if i.get("type") in ("function_call_output", "custom_tool_call_output")]
