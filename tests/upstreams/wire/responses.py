"""OpenAI Responses: `POST /v1/responses` (types: openai.types.responses.Response, ResponseStreamEvent).

A Thinking block becomes a `reasoning` item: its text is the summary and its signature the
`encrypted_content`, which (as the real API does) is only sent when the request's `include` asks for
`reasoning.encrypted_content`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ..recorded import RecordedRequest
from ..script import CustomToolCall, Reply, Text, Thinking, ToolCall, chunks, fresh_id
from .sse import frame

ENDPOINT = "/v1/responses"

_ERRORS = {400: ("invalid_request_error", None), 401: ("invalid_request_error", "invalid_api_key"),
           404: ("invalid_request_error", "model_not_found"), 429: ("requests", "rate_limit_exceeded")}


def _usage(reply: Reply) -> dict[str, Any]:
    u = reply.usage
    total_input = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
    return {"input_tokens": total_input,
            "input_tokens_details": {"cached_tokens": u.cache_read_tokens, "cache_write_tokens": u.cache_write_tokens},
            "output_tokens": u.output_tokens,
            "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": total_input + u.output_tokens}


def _wants_encrypted_reasoning(request: RecordedRequest) -> bool:
    include = request.body.get("include") if isinstance(request.body, dict) else None
    return isinstance(include, list) and "reasoning.encrypted_content" in include


class _Shape:
    """The response envelope and the finished output items for one reply (ids fixed once)."""

    def __init__(self, reply: Reply, request: RecordedRequest) -> None:
        self.reply = reply
        self.request = request
        self.id = fresh_id("resp")
        self.created_at = int(time.time())
        self.encrypted = _wants_encrypted_reasoning(request)
        self.items = [self._item(b) for b in reply.blocks]

    def _item(self, block: Text | Thinking | ToolCall | CustomToolCall) -> dict[str, Any]:
        if isinstance(block, Text):
            part = {"type": "output_text", "text": block.text, "annotations": [], "logprobs": []}
            return {"type": "message", "id": fresh_id("msg"), "status": "completed", "role": "assistant",
                    "content": [part]}
        if isinstance(block, Thinking):
            return {"type": "reasoning", "id": fresh_id("rs"),
                    "summary": [{"type": "summary_text", "text": block.text}] if block.text else [],
                    "encrypted_content": block.signature if self.encrypted else None}
        if isinstance(block, CustomToolCall):
            return {"type": "custom_tool_call", "id": fresh_id("ctc"), "call_id": block.id, "name": block.name,
                    "input": block.input, "status": "completed"}
        return {"type": "function_call", "id": fresh_id("fc"), "call_id": block.id, "name": block.name,
                "arguments": block.arguments_json, "status": "completed"}

    def envelope(self, status: str, output: list[dict[str, Any]], usage: Any) -> dict[str, Any]:
        body = self.request.body if isinstance(self.request.body, dict) else {}
        incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
        return {"id": self.id, "object": "response", "created_at": self.created_at, "status": status,
                "model": self.reply.model or self.request.model or "scripted-model",
                "output": output, "usage": usage, "error": None, "incomplete_details": incomplete,
                "instructions": body.get("instructions"), "metadata": {},
                "parallel_tool_calls": body.get("parallel_tool_calls", True),
                "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools", []),
                "temperature": None, "top_p": None, "store": body.get("store", True),
                "text": {"format": {"type": "text"}}, "reasoning": body.get("reasoning")}

    @property
    def final_status(self) -> str:
        return "incomplete" if self.reply.stop_reason == "max_tokens" else "completed"


def body(reply: Reply, request: RecordedRequest) -> dict[str, Any]:
    shape = _Shape(reply, request)
    return shape.envelope(shape.final_status, shape.items, _usage(reply))


def events(reply: Reply, request: RecordedRequest) -> Iterator[bytes]:
    shape = _Shape(reply, request)
    sequence = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal sequence
        payload = {"type": kind, "sequence_number": sequence, **fields}
        sequence += 1
        return frame(payload, kind)

    yield event("response.created", response=shape.envelope("in_progress", [], None))
    yield event("response.in_progress", response=shape.envelope("in_progress", [], None))
    for index, (block, item) in enumerate(zip(reply.blocks, shape.items, strict=True)):
        yield from _item_events(event, index, block, item, reply.chunk_size)
    final = shape.final_status
    yield event(f"response.{final}", response=shape.envelope(final, shape.items, _usage(reply)))


def _item_events(event: Any, index: int, block: Text | Thinking | ToolCall | CustomToolCall, item: dict[str, Any],
                 size: int) -> Iterator[bytes]:
    at = {"item_id": item["id"], "output_index": index}
    if isinstance(block, Text):
        yield event("response.output_item.added", output_index=index, item=dict(item, status="in_progress", content=[]))
        empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        yield event("response.content_part.added", **at, content_index=0, part=empty)
        for piece in chunks(block.text, size):
            yield event("response.output_text.delta", **at, content_index=0, delta=piece, logprobs=[])
        yield event("response.output_text.done", **at, content_index=0, text=block.text, logprobs=[])
        yield event("response.content_part.done", **at, content_index=0, part=item["content"][0])
    elif isinstance(block, Thinking):
        yield event("response.output_item.added", output_index=index, item=dict(item, summary=[]))
        if block.text:
            empty = {"type": "summary_text", "text": ""}
            yield event("response.reasoning_summary_part.added", **at, summary_index=0, part=empty)
            for piece in chunks(block.text, size):
                yield event("response.reasoning_summary_text.delta", **at, summary_index=0, delta=piece)
            yield event("response.reasoning_summary_text.done", **at, summary_index=0, text=block.text)
            yield event("response.reasoning_summary_part.done", **at, summary_index=0, part=item["summary"][0])
    elif isinstance(block, CustomToolCall):
        yield event("response.output_item.added", output_index=index, item=dict(item, input="", status="in_progress"))
        for piece in chunks(block.input, size):
            yield event("response.custom_tool_call_input.delta", **at, delta=piece)
        yield event("response.custom_tool_call_input.done", **at, input=block.input)
    else:
        yield event("response.output_item.added", output_index=index,
                    item=dict(item, arguments="", status="in_progress"))
        for piece in chunks(block.arguments_json, size):
            yield event("response.function_call_arguments.delta", **at, delta=piece)
        yield event("response.function_call_arguments.done", **at, arguments=block.arguments_json)
    yield event("response.output_item.done", output_index=index, item=item)


def _error(status: int, message: str) -> dict[str, Any]:
    kind, code = _ERRORS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_body(status: int, message: str) -> dict[str, Any]:
    return _error(status, message)


def error_event(status: int, message: str) -> bytes:
    # The stream's own error event (ResponseErrorEvent); it is the first event, so sequence 0.
    kind, code = _ERRORS.get(status, ("server_error", "server_error"))
    return frame({"type": "error", "code": code or kind, "message": message, "param": None,
                  "sequence_number": 0}, "error")
