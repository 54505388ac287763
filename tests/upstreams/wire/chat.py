"""OpenAI Chat Completions: `POST /v1/chat/completions` (types: openai.types.chat.ChatCompletion, ...Chunk).

Thinking is rendered the way DeepSeek-style providers do it, as `reasoning_content`; Chat has no
signature, so a Thinking block's signature is not sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ..recorded import RecordedRequest
from ..script import Reply, Text, Thinking, ToolCall, chunks, fresh_id
from .sse import frame

ENDPOINT = "/v1/chat/completions"

_FINISH = {"end": "stop", "tool_use": "tool_calls", "max_tokens": "length"}
_ERRORS = {400: ("invalid_request_error", None), 401: ("invalid_request_error", "invalid_api_key"),
           403: ("permission_error", None), 404: ("invalid_request_error", "model_not_found"),
           429: ("requests", "rate_limit_exceeded")}


def _model(reply: Reply, request: RecordedRequest) -> str:
    return reply.model or request.model or "scripted-model"


def _usage(reply: Reply) -> dict[str, Any]:
    u = reply.usage
    # Chat's prompt_tokens counts cached input too; Usage.input_tokens is the uncached part (Anthropic's).
    prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
    return {"prompt_tokens": prompt, "completion_tokens": u.output_tokens,
            "total_tokens": prompt + u.output_tokens,
            "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens},
            "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens}}


def body(reply: Reply, request: RecordedRequest) -> dict[str, Any]:
    texts = [b.text for b in reply.blocks if isinstance(b, Text)]
    thoughts = [b.text for b in reply.blocks if isinstance(b, Thinking)]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None,
                               "refusal": None}
    if thoughts:
        message["reasoning_content"] = "".join(thoughts)
    if reply.tool_calls:
        message["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments_json}, **(c.chat_extra or {})}
                                 for c in reply.tool_calls]
    return {"id": fresh_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
            "model": _model(reply, request),
            "choices": [{"index": 0, "message": message, "finish_reason": _FINISH[reply.stop_reason],
                         "logprobs": None}],
            "usage": _usage(reply)}


def events(reply: Reply, request: RecordedRequest) -> Iterator[bytes]:
    base = {"id": fresh_id("chatcmpl"), "object": "chat.completion.chunk", "created": int(time.time()),
            "model": _model(reply, request)}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return frame(dict(base, choices=[choice]))

    yield chunk({"role": "assistant", "content": ""})
    call_index = 0
    for block in reply.function_blocks():
        if isinstance(block, Text):
            yield from (chunk({"content": c}) for c in chunks(block.text, reply.chunk_size))
        elif isinstance(block, Thinking):
            yield from (chunk({"reasoning_content": c}) for c in chunks(block.text, reply.chunk_size))
        else:
            yield from _call_chunks(chunk, call_index, block, reply.chunk_size)
            call_index += 1
    yield chunk({}, _FINISH[reply.stop_reason])
    options = request.body.get("stream_options") if isinstance(request.body, dict) else None
    if isinstance(options, dict) and options.get("include_usage"):
        yield frame(dict(base, choices=[], usage=_usage(reply)))
    yield frame("[DONE]")


def _call_chunks(chunk: Any, index: int, call: ToolCall, size: int) -> Iterator[bytes]:
    # Like OpenAI: the first delta names the call with empty arguments, later deltas carry only the index.
    yield chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                 "function": {"name": call.name, "arguments": ""}, **(call.chat_extra or {})}]})
    for piece in chunks(call.arguments_json, size):
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})


def _error(status: int, message: str) -> dict[str, Any]:
    kind, code = _ERRORS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_body(status: int, message: str) -> dict[str, Any]:
    return _error(status, message)


def error_event(status: int, message: str) -> bytes:
    return frame(_error(status, message))
