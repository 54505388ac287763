"""A whole answer replayed as its own format's event stream.

Some providers answer a streaming request with one JSON body (an OpenAI-compatible server that ignores
``stream``, a gateway that buffers), and a Python caller holding a complete answer (a cache, a recording)
may need it as a stream. ``response_as_stream`` writes the events the API itself would have sent for that
answer, in its order, each text, thinking, summary and argument string as a single delta, so that the
format's accumulators (the official SDKs' included) rebuild the same answer. Fields the writers do not know
travel where the API puts the object they belong to: on the message, block, item or part as it starts and
as it is done.

    stream = response_as_stream(message, "anthropic")   # bytes: event: message_start ... message_stop
"""

from __future__ import annotations

from typing import Any

import orjson


def is_whole_answer(body: Any, fmt: str) -> bool:
    """Whether a JSON body is a complete answer of `fmt` (rather than an error or anything else)."""
    if not isinstance(body, dict):
        return False
    if fmt == "anthropic":
        return body.get("type") == "message" and isinstance(body.get("content"), list)
    if fmt == "chat":
        choices = body.get("choices")
        return isinstance(choices, list) and bool(choices) and all(isinstance(c, dict) for c in choices)
    if fmt == "responses":
        return body.get("object") == "response" and isinstance(body.get("output"), list)
    raise ValueError(f"unknown format {fmt!r}")


def response_as_stream(response: dict[str, Any], fmt: str, *, include_usage: bool = True) -> bytes:
    """`response`, a complete answer in `fmt`, as that format's SSE stream. `include_usage` (chat only): end
    with the usage chunk a client asking ``stream_options.include_usage`` gets, when the answer has usage."""
    if not is_whole_answer(response, fmt):
        raise ValueError(f"not a complete {fmt} answer")
    try:
        if fmt == "anthropic":
            return _anthropic(response)
        if fmt == "chat":
            return _chat(response, include_usage)
        return _responses(response)
    except (AttributeError, KeyError, TypeError) as exc:  # a field of the wrong type in a provider's answer
        raise ValueError(f"a malformed {fmt} answer: {type(exc).__name__}: {exc}") from None


# --- Anthropic Messages ------------------------------------------------------------------------------------

def _event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _anthropic(message: dict[str, Any]) -> bytes:
    usage = message.get("usage") if isinstance(message.get("usage"), dict) else {}
    usage = {"input_tokens": 0, "output_tokens": 0, **usage}
    start = dict(message, content=[], stop_reason=None, stop_sequence=None, usage=usage)
    out = [_event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        out += _anthropic_block(index, block if isinstance(block, dict) else {"type": "text", "text": ""})
    delta = {"stop_reason": message.get("stop_reason"), "stop_sequence": message.get("stop_sequence")}
    out.append(_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    out.append(_event("message_stop", {"type": "message_stop"}))
    return b"".join(out)


def _anthropic_block(index: int, block: dict[str, Any]) -> list[bytes]:
    kind = block.get("type")
    deltas: list[dict[str, Any]] = []
    if kind == "text":
        start = dict(block, text="")
        if isinstance(block.get("citations"), list):
            start["citations"] = []  # each comes in a citations_delta
        deltas += ({"type": "citations_delta", "citation": c} for c in block.get("citations") or ())
        if block.get("text"):
            deltas.append({"type": "text_delta", "text": block["text"]})
    elif kind == "thinking":
        start = dict(block, thinking="", signature="")
        if block.get("thinking"):
            deltas.append({"type": "thinking_delta", "thinking": block["thinking"]})
        if block.get("signature"):
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind in ("tool_use", "server_tool_use"):
        start = dict(block, input={})
        deltas.append({"type": "input_json_delta", "partial_json": orjson.dumps(block.get("input", {})).decode()})
    else:  # redacted thinking, tool results of server tools, and what comes: whole in their start, as the API
        start = block
    out = [_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})]
    out += (_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas)
    out.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    return out


# --- Chat Completions --------------------------------------------------------------------------------------

# A message's fields that a chunk's delta carries as pieces of their own, in a model's order of writing.
_CHAT_PIECES = ("reasoning_content", "reasoning", "content", "refusal", "annotations", "function_call")


def _chat(completion: dict[str, Any], include_usage: bool) -> bytes:
    head = {key: value for key, value in completion.items() if key not in ("choices", "usage", "object")}
    head["object"] = "chat.completion.chunk"
    out: list[bytes] = []

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> None:
        out.append(b"data: " + orjson.dumps({**head, "choices": choices, **extra}) + b"\n\n")

    for position, choice in enumerate(completion["choices"]):
        index = choice.get("index", position)
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        # The first delta names the role, with whatever the message has beyond the fields streamed below.
        first = {key: value for key, value in message.items() if key not in (*_CHAT_PIECES, "tool_calls")}
        first["role"] = message.get("role") or "assistant"
        pieces = []
        for key in _CHAT_PIECES:
            value = message.get(key)
            if value:
                pieces.append({key: value})
            elif key in message and key != "annotations":  # null or "" stays so, rather than no field
                first[key] = value
        chunk([{"index": index, "delta": first, "finish_reason": None}])
        for delta in pieces:
            chunk([{"index": index, "delta": delta, "finish_reason": None}])
        for call_index, call in enumerate(message.get("tool_calls") or ()):
            # Whole, a custom tool's call included (the API documents no streamed form of one in chat).
            call = dict(call, index=call_index) if isinstance(call, dict) else {"index": call_index}
            chunk([{"index": index, "delta": {"tool_calls": [call]}, "finish_reason": None}])
        last = {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
        if "logprobs" in choice:
            last["logprobs"] = choice["logprobs"]
        chunk([last])
    if include_usage and completion.get("usage") is not None:
        chunk([], usage=completion["usage"])
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


# --- Responses ---------------------------------------------------------------------------------------------

_TERMINAL = {"incomplete": "response.incomplete", "failed": "response.failed"}


class _Sequence:
    """Responses events, numbered as they are written."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.number = 0

    def emit(self, name: str, payload: dict[str, Any]) -> None:
        payload = {"type": name, **payload, "sequence_number": self.number}
        self.number += 1
        self.out.append(_event(name, payload))


def _responses(response: dict[str, Any]) -> bytes:
    events = _Sequence()
    opening = dict(response, status="in_progress", output=[], usage=None, error=None, incomplete_details=None)
    if "completed_at" in opening:
        opening["completed_at"] = None
    events.emit("response.created", {"response": opening})
    events.emit("response.in_progress", {"response": opening})
    for output_index, item in enumerate(response["output"]):
        if isinstance(item, dict):
            _responses_item(events, output_index, item)
    events.emit(_TERMINAL.get(response.get("status"), "response.completed"), {"response": response})
    return b"".join(events.out)


def _responses_item(events: _Sequence, output_index: int, item: dict[str, Any]) -> None:
    kind = item.get("type")
    where = {"item_id": item.get("id"), "output_index": output_index}
    added = dict(item, status="in_progress") if "status" in item else dict(item)
    if kind == "message":
        added["content"] = []
    elif kind == "reasoning":
        added["summary"] = []
        added.pop("encrypted_content", None)  # the API sends it with the item done
        if "content" in added:
            added["content"] = []
    elif kind == "function_call":
        added["arguments"] = ""
    elif kind == "custom_tool_call":
        added["input"] = ""
    elif kind in _TOOL_TEXT and _TOOL_TEXT[kind][0] in added:
        added[_TOOL_TEXT[kind][0]] = ""
    events.emit("response.output_item.added", {"output_index": output_index, "item": added})
    if kind == "message":
        for content_index, part in enumerate(item.get("content") or ()):
            _message_part(events, {**where, "content_index": content_index}, part)
    elif kind == "reasoning":
        for summary_index, part in enumerate(item.get("summary") or ()):
            _summary_part(events, {**where, "summary_index": summary_index}, part)
        for content_index, part in enumerate(item.get("content") or ()):
            _message_part(events, {**where, "content_index": content_index}, part)
    elif kind == "function_call":
        arguments = item.get("arguments") or ""
        if arguments:
            events.emit("response.function_call_arguments.delta", {**where, "delta": arguments})
        events.emit("response.function_call_arguments.done", {**where, "arguments": arguments})
    elif kind == "custom_tool_call":
        text = item.get("input") or ""
        if text:
            events.emit("response.custom_tool_call_input.delta", {**where, "delta": text})
        events.emit("response.custom_tool_call_input.done", {**where, "input": text})
    elif kind in _TOOL_PHASES:
        _hosted_call(events, where, kind, item)
    events.emit("response.output_item.done", {"output_index": output_index, "item": item})


# The progress events the API sends for a call of one of its own tools, between the item's added and done: the
# phases before its streamed text (if it has any), and those after it.
_TOOL_PHASES = {
    "web_search_call": (("response.web_search_call.in_progress", "response.web_search_call.searching"),
                        ("response.web_search_call.completed",)),
    "file_search_call": (("response.file_search_call.in_progress", "response.file_search_call.searching"),
                         ("response.file_search_call.completed",)),
    "code_interpreter_call": (("response.code_interpreter_call.in_progress",),
                              ("response.code_interpreter_call.interpreting",
                               "response.code_interpreter_call.completed")),
    "image_generation_call": (("response.image_generation_call.in_progress",
                               "response.image_generation_call.generating"),
                              ("response.image_generation_call.completed",)),
    "mcp_call": (("response.mcp_call.in_progress",), ("response.mcp_call.completed",)),
    "mcp_list_tools": (("response.mcp_list_tools.in_progress",), ("response.mcp_list_tools.completed",)),
}
# A hosted call's text that the API streams in pieces: its field, and its delta and done events.
_TOOL_TEXT = {
    "code_interpreter_call": ("code", "response.code_interpreter_call_code.delta",
                              "response.code_interpreter_call_code.done"),
    "mcp_call": ("arguments", "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done"),
}
# MCP calls and listings that failed end with their own event instead of the completed one.
_TOOL_FAILED = {"mcp_call": "response.mcp_call.failed", "mcp_list_tools": "response.mcp_list_tools.failed"}


def _hosted_call(events: _Sequence, where: dict[str, Any], kind: str, item: dict[str, Any]) -> None:
    before, after = _TOOL_PHASES[kind]
    for phase in before:
        events.emit(phase, dict(where))
    if kind in _TOOL_TEXT:
        field, delta_event, done_event = _TOOL_TEXT[kind]
        text = item.get(field)
        text = text if isinstance(text, str) else ""
        if text:
            events.emit(delta_event, {**where, "delta": text})
        events.emit(done_event, {**where, field: text})
    if kind in _TOOL_FAILED and (item.get("status") == "failed" or item.get("error")):
        after = (_TOOL_FAILED[kind],)
    for phase in after:
        events.emit(phase, dict(where))


# Each streamed part type: the field its text is in, and its delta and done events.
_PART_TEXT = {
    "output_text": ("text", "response.output_text.delta", "response.output_text.done"),
    "refusal": ("refusal", "response.refusal.delta", "response.refusal.done"),
    "reasoning_text": ("text", "response.reasoning_text.delta", "response.reasoning_text.done"),
}


def _message_part(events: _Sequence, where: dict[str, Any], part: Any) -> None:
    if not isinstance(part, dict):
        return
    streamed = _PART_TEXT.get(part.get("type"))
    if streamed is None:  # a part type the API does not stream in pieces: added and done whole
        events.emit("response.content_part.added", {**where, "part": part})
        events.emit("response.content_part.done", {**where, "part": part})
        return
    field, delta_event, done_event = streamed
    empty = dict(part, **{field: ""})
    text_part = part.get("type") == "output_text"
    if text_part:
        empty["annotations"] = []
    events.emit("response.content_part.added", {**where, "part": empty})
    if text_part:
        for annotation_index, annotation in enumerate(part.get("annotations") or ()):
            events.emit("response.output_text.annotation.added",
                        {**where, "annotation_index": annotation_index, "annotation": annotation})
    text = part.get(field) or ""
    logprobs = {"logprobs": part.get("logprobs") or []} if text_part else {}
    if text:
        events.emit(delta_event, {**where, "delta": text, **logprobs})
    events.emit(done_event, {**where, field: text, **logprobs})
    events.emit("response.content_part.done", {**where, "part": part})


def _summary_part(events: _Sequence, where: dict[str, Any], part: Any) -> None:
    if not isinstance(part, dict):
        return
    text = part.get("text") or ""
    events.emit("response.reasoning_summary_part.added", {**where, "part": dict(part, text="")})
    if text:
        events.emit("response.reasoning_summary_text.delta", {**where, "delta": text})
    events.emit("response.reasoning_summary_text.done", {**where, "text": text})
    events.emit("response.reasoning_summary_part.done", {**where, "part": part})
