"""Anthropic Messages: `POST /v1/messages` (types: anthropic.types.Message, RawMessageStreamEvent)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..recorded import RecordedRequest
from ..script import Reply, Text, Thinking, ToolCall, chunks, fresh_id
from .sse import frame

ENDPOINT = "/v1/messages"

_STOP = {"end": "end_turn", "tool_use": "tool_use", "max_tokens": "max_tokens"}
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                429: "rate_limit_error", 500: "api_error", 504: "timeout_error", 529: "overloaded_error"}


def _model(reply: Reply, request: RecordedRequest) -> str:
    return reply.model or request.model or "scripted-model"


def _usage(reply: Reply) -> dict[str, Any]:
    u = reply.usage
    return {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
            "cache_creation_input_tokens": u.cache_write_tokens, "cache_read_input_tokens": u.cache_read_tokens}


def _block(block: Text | Thinking | ToolCall) -> dict[str, Any]:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    if isinstance(block, Thinking):
        return {"type": "thinking", "thinking": block.text, "signature": block.signature}
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": _input(block)}


def _input(call: ToolCall) -> Any:
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        return json.loads(call.arguments)
    except ValueError:  # deliberately broken arguments only survive in the streamed form
        return {}


def body(reply: Reply, request: RecordedRequest) -> dict[str, Any]:
    return {"id": fresh_id("msg"), "type": "message", "role": "assistant", "model": _model(reply, request),
            "content": [_block(b) for b in reply.function_blocks()], "stop_reason": _STOP[reply.stop_reason],
            "stop_sequence": None, "usage": _usage(reply)}


def events(reply: Reply, request: RecordedRequest) -> Iterator[bytes]:
    start_usage = dict(_usage(reply), output_tokens=1)
    message = {"id": fresh_id("msg"), "type": "message", "role": "assistant", "model": _model(reply, request),
               "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}
    yield frame({"type": "message_start", "message": message}, "message_start")
    yield frame({"type": "ping"}, "ping")
    for index, block in enumerate(reply.function_blocks()):
        yield from _block_events(index, block, reply.chunk_size)
    final_usage = {"output_tokens": reply.usage.output_tokens}
    yield frame({"type": "message_delta", "delta": {"stop_reason": _STOP[reply.stop_reason], "stop_sequence": None},
                 "usage": final_usage}, "message_delta")
    yield frame({"type": "message_stop"}, "message_stop")


def _block_events(index: int, block: Text | Thinking | ToolCall, size: int) -> Iterator[bytes]:
    def delta(d: dict[str, Any]) -> bytes:
        return frame({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta")

    if isinstance(block, Text):
        start: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [delta({"type": "text_delta", "text": c}) for c in chunks(block.text, size)]
    elif isinstance(block, Thinking):
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [delta({"type": "thinking_delta", "thinking": c}) for c in chunks(block.text, size)]
        deltas.append(delta({"type": "signature_delta", "signature": block.signature}))
    else:
        start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
        # The real API opens with an empty partial_json; clients must cope, so we do it too.
        deltas = [delta({"type": "input_json_delta", "partial_json": c})
                  for c in ["", *chunks(block.arguments_json, size)]]
    yield frame({"type": "content_block_start", "index": index, "content_block": start}, "content_block_start")
    yield from deltas
    yield frame({"type": "content_block_stop", "index": index}, "content_block_stop")


def _error(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def error_body(status: int, message: str) -> dict[str, Any]:
    return dict(_error(status, message), request_id=fresh_id("req"))


def error_event(status: int, message: str) -> bytes:
    return frame(_error(status, message), "error")
