"""Strict protocol checkers for the three stream formats.

The official SDKs accept truncated streams, a missing ``message_stop``, a missing ``[DONE]`` or a missing
``response.output_item.done``; real clients do not (Codex builds its answer from ``output_item.done``).
These checkers reject every such stream. They parse with httpx-sse's decoder, not ours, so a bug in our
SSE codec cannot hide itself.

Each ``check_*`` takes the whole client stream as bytes (and ``json_arguments=False`` to accept tool
arguments that are not JSON, for upstreams whose content itself is damaged), raises ``ProtocolError`` on the first violation and
otherwise returns a summary (the parsed events and what they add up to) for further assertions.
"""

from __future__ import annotations

import json
from typing import Any

from httpx_sse._decoders import SSEDecoder as _HttpxSSEDecoder
from httpx_sse._decoders import SSELineDecoder


class ProtocolError(AssertionError):
    pass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ProtocolError(message)


def parse_sse(stream: bytes) -> list[tuple[str | None, str]]:
    """(event name or None, data) pairs, via httpx-sse."""
    lines = SSELineDecoder()
    decoder = _HttpxSSEDecoder()
    events: list[tuple[str | None, str]] = []
    text = stream.decode("utf-8")
    for line in [*lines.decode(text), *lines.flush(), ""]:
        sse = decoder.decode(line)
        if sse is not None and (sse.data or sse.event != "message"):
            events.append((None if sse.event == "message" else sse.event, sse.data))
    _require(stream.endswith(b"\n\n") or not stream, "the stream does not end with a complete frame")
    return events


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"{what} is not JSON: {text!r}") from exc
    _require(isinstance(value, dict), f"{what} is not a JSON object: {text!r}")
    return value


def _arguments_object(text: str, what: str) -> dict[str, Any]:
    return _json_object(text or "{}", what)


# --- Anthropic --------------------------------------------------------------------------------------------

ANTHROPIC_STOPS = {
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
}
ANTHROPIC_DELTA_BLOCKS = {
    "text_delta": {"text"},
    "citations_delta": {"text"},
    "input_json_delta": {"tool_use", "server_tool_use"},
    "thinking_delta": {"thinking"},
    "signature_delta": {"thinking"},
}


def check_anthropic(stream: bytes, json_arguments: bool = True) -> dict[str, Any]:
    events = parse_sse(stream)
    message: dict[str, Any] | None = None
    blocks: list[dict[str, Any]] = []
    open_index: int | None = None
    partial: dict[int, list[str]] = {}
    stop_reason = None
    usage: dict[str, Any] = {}
    terminal = None
    for name, data in events:
        _require(terminal is None, f"event {name!r} after the terminal {terminal!r}")
        _require(data != "[DONE]", "[DONE] in an Anthropic stream")
        _require(name is not None, f"an Anthropic event without its event: line: {data[:80]!r}")
        payload = _json_object(data, f"{name} data")
        _require(payload.get("type") == name, f"event line {name!r} but data type {payload.get('type')!r}")
        if name == "ping":
            continue
        if name == "error":
            _require(
                isinstance(payload.get("error"), dict) and payload["error"].get("message"),
                "error event without error.message",
            )
            terminal = "error"
            continue
        if name == "message_start":
            _require(message is None, "a second message_start")
            message = payload["message"]
            _require(
                message.get("role") == "assistant" and message.get("content") == [],
                "message_start must carry an empty assistant message",
            )
            _require(
                isinstance(message.get("usage", {}).get("input_tokens"), int), "message_start without usage"
            )
            usage.update(message["usage"])
            continue
        _require(message is not None, f"{name} before message_start")
        if name == "content_block_start":
            _require(open_index is None, f"block {payload['index']} started while block {open_index} is open")
            _require(
                payload["index"] == len(blocks), f"block index {payload['index']}, expected {len(blocks)}"
            )
            _require(stop_reason is None, "content_block_start after message_delta")
            _require(isinstance(payload["content_block"].get("type"), str), "content_block without a type")
            blocks.append(dict(payload["content_block"]))
            open_index = payload["index"]
            partial[open_index] = []
        elif name == "content_block_delta":
            index = payload["index"]
            _require(index == open_index, f"delta to block {index}, but the open block is {open_index}")
            dtype = payload["delta"]["type"]
            block = blocks[index]
            _require(
                block["type"] in ANTHROPIC_DELTA_BLOCKS.get(dtype, ()),
                f"{dtype} sent to a {block['type']} block",
            )
            if dtype == "text_delta":
                block["text"] += payload["delta"]["text"]
            elif dtype == "thinking_delta":
                block["thinking"] += payload["delta"]["thinking"]
            elif dtype == "signature_delta":
                block["signature"] = block.get("signature", "") + payload["delta"]["signature"]
            elif dtype == "citations_delta":
                citation = payload["delta"].get("citation")
                _require(
                    isinstance(citation, dict) and isinstance(citation.get("type"), str),
                    "citations_delta without a typed citation",
                )
                block.setdefault("citations", []).append(citation)
            elif dtype == "input_json_delta":
                _require(isinstance(payload["delta"]["partial_json"], str), "partial_json is not a string")
                partial[index].append(payload["delta"]["partial_json"])
        elif name == "content_block_stop":
            _require(
                payload["index"] == open_index, f"stop for block {payload['index']}, open is {open_index}"
            )
            block = blocks[open_index]
            if block["type"] in ("tool_use", "server_tool_use"):
                block["partial_json"] = "".join(partial[open_index])
            open_index = None
        elif name == "message_delta":
            _require(open_index is None, "message_delta with a block still open")
            _require(stop_reason is None, "a second message_delta")
            stop_reason = payload["delta"].get("stop_reason")
            _require(stop_reason in ANTHROPIC_STOPS, f"stop_reason {stop_reason!r}")
            _require(
                isinstance(payload.get("usage", {}).get("output_tokens"), int), "message_delta without usage"
            )
            usage.update({k: v for k, v in payload["usage"].items() if v is not None})
        elif name == "message_stop":
            _require(stop_reason is not None, "message_stop without message_delta")
            terminal = "message_stop"
        else:
            raise ProtocolError(f"unknown Anthropic event {name!r}")
    _require(terminal is not None, "the Anthropic stream has neither message_stop nor error")
    for block in blocks:
        if block["type"] in ("tool_use", "server_tool_use") and "partial_json" in block:
            text = block.pop("partial_json")
            # Arguments cut by max_tokens are incomplete JSON, as the real API sends them.
            if stop_reason != "max_tokens" and json_arguments:
                block["input"] = (
                    _arguments_object(text, f"tool_use {block.get('name')} input") if text else {}
                )
    if terminal == "message_stop":
        has_tool = any(b["type"] == "tool_use" for b in blocks)
        _require(
            (stop_reason == "tool_use") == has_tool or (stop_reason == "max_tokens" and has_tool),
            f"stop_reason {stop_reason!r} with tool_use blocks: {has_tool}",
        )
    return {
        "events": events,
        "blocks": blocks,
        "stop_reason": stop_reason,
        "usage": usage,
        "terminal": terminal,
        "message": message,
    }


# --- Chat -------------------------------------------------------------------------------------------------

CHAT_FINISH = {"stop", "length", "tool_calls", "content_filter", "function_call"}


def check_chat(
    stream: bytes, expect_usage: bool | None = None, json_arguments: bool = True
) -> dict[str, Any]:
    events = parse_sse(stream)
    _require(bool(events) and events[-1][1] == "[DONE]", "the chat stream does not end with [DONE]")
    chunk_id = None
    role_seen = False
    finish_reason = None
    usage = None
    error = None
    content: list[str] = []
    reasoning: list[str] = []
    refusal: list[str] = []
    calls: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] | None = None
    for position, (name, data) in enumerate(events):
        _require(name is None, f"event: line {name!r} in a chat stream")
        if data == "[DONE]":
            _require(position == len(events) - 1, "data after [DONE]")
            continue
        _require(error is None, "a chunk after the error chunk")
        chunk = _json_object(data, "chunk")
        if "error" in chunk:
            _require(
                isinstance(chunk["error"], dict) and chunk["error"].get("message"),
                "error chunk without message",
            )
            error = chunk["error"]
            continue
        _require(chunk.get("object") == "chat.completion.chunk", f"object {chunk.get('object')!r}")
        _require(chunk_id in (None, chunk["id"]), "chunk id changed mid-stream")
        chunk_id = chunk["id"]
        if chunk.get("usage") is not None:
            _require(usage is None, "two usage chunks")
            _require(chunk["choices"] == [], "the usage chunk must have no choices")
            _require(finish_reason is not None, "usage chunk before the finish_reason")
            usage = chunk["usage"]
            continue
        _require(usage is None, "a chunk after the usage chunk")
        for choice in chunk["choices"]:
            _require(choice["index"] == 0, "a second choice")
            _require(finish_reason is None, "a delta after the finish_reason")
            delta = choice["delta"]
            if not role_seen:
                _require(delta.get("role") == "assistant", "the first delta must carry role assistant")
                role_seen = True
            else:
                _require("role" not in delta, "role repeated after the first delta")
            if delta.get("content"):
                content.append(delta["content"])
            if delta.get("reasoning_content"):
                reasoning.append(delta["reasoning_content"])
            if delta.get("refusal"):
                refusal.append(delta["refusal"])
            if "annotations" in delta:
                # The SDK accumulator cannot merge annotation lists (they have no `index`) from two chunks.
                _require(annotations is None, "annotations in more than one delta")
                annotations = delta["annotations"]
                _require(isinstance(annotations, list) and bool(annotations), "an empty annotations list")
                for annotation in annotations:
                    cited = annotation.get("url_citation") or {}
                    _require(
                        annotation.get("type") == "url_citation"
                        and isinstance(cited.get("url"), str)
                        and isinstance(cited.get("title"), str)
                        and isinstance(cited.get("start_index"), int)
                        and isinstance(cited.get("end_index"), int),
                        f"not a url_citation annotation: {annotation!r}",
                    )
            tool_calls = delta.get("tool_calls")
            if tool_calls is not None:
                _require(len(tool_calls) > 0, "an empty tool_calls list")
            for call in tool_calls or ():
                index = call["index"]
                if index == len(calls):
                    _require(
                        bool(call.get("id"))
                        and call.get("type") == "function"
                        and bool(call.get("function", {}).get("name")),
                        f"tool call {index} opened without id, type and name",
                    )
                    calls.append(
                        {
                            "id": call["id"],
                            "name": call["function"]["name"],
                            "arguments": call["function"].get("arguments") or "",
                        }
                    )
                else:
                    _require(index == len(calls) - 1, f"tool call index {index} is not the open call")
                    _require(
                        "id" not in call and "name" not in call.get("function", {}),
                        f"tool call {index} repeats its id or name",
                    )
                    fragment = call["function"].get("arguments") or ""
                    _require(isinstance(fragment, str), "tool call arguments are not a string")
                    calls[index]["arguments"] += fragment
            if choice.get("finish_reason") is not None:
                finish_reason = choice["finish_reason"]
                _require(finish_reason in CHAT_FINISH, f"finish_reason {finish_reason!r}")
    if error is None:
        _require(finish_reason is not None, "the chat stream has no finish_reason")
        if finish_reason != "length":
            _require(
                (finish_reason == "tool_calls") == bool(calls),
                f"finish_reason {finish_reason} with {len(calls)} calls",
            )
            for call in calls if json_arguments else ():
                call["input"] = _arguments_object(call["arguments"], f"tool call {call['name']} arguments")
        if expect_usage is not None:
            _require((usage is not None) == expect_usage, f"usage chunk present: {usage is not None}")
    return {
        "events": events,
        "content": "".join(content),
        "reasoning": "".join(reasoning),
        "refusal": "".join(refusal),
        "annotations": annotations or [],
        "tool_calls": calls,
        "finish_reason": finish_reason,
        "usage": usage,
        "error": error,
    }


# --- Responses --------------------------------------------------------------------------------------------

RESPONSES_TERMINALS = {"response.completed", "response.incomplete", "response.failed"}
# Hosted tool calls whose text the API streams: delta event -> item type; done event -> (item type, field).
HOSTED_TEXT_DELTAS = {
    "response.code_interpreter_call_code.delta": "code_interpreter_call",
    "response.mcp_call_arguments.delta": "mcp_call",
}
HOSTED_TEXT_DONES = {
    "response.code_interpreter_call_code.done": ("code_interpreter_call", "code"),
    "response.mcp_call_arguments.done": ("mcp_call", "arguments"),
}
HOSTED_TEXT_FIELDS = dict(HOSTED_TEXT_DONES.values())


def check_responses(stream: bytes, json_arguments: bool = True) -> dict[str, Any]:
    events = parse_sse(stream)
    seq = 0
    items: list[dict[str, Any]] = []
    done_items: list[dict[str, Any]] = []
    open_item: dict[str, Any] | None = None
    open_part: dict[str, Any] | None = None
    text: list[str] = []
    arguments: list[str] = []
    summary_text: list[str] = []
    terminal = None
    final = None
    for position, (name, data) in enumerate(events):
        _require(data != "[DONE]", "[DONE] in a Responses stream")
        _require(terminal is None, f"{name} after {terminal}")
        _require(name is not None, "a Responses event without its event: line")
        payload = _json_object(data, name)
        _require(payload.get("type") == name, f"event line {name!r} but data type {payload.get('type')!r}")
        _require(
            payload.get("sequence_number") == seq,
            f"sequence_number {payload.get('sequence_number')}, expected {seq}",
        )
        seq += 1
        if position == 0:
            _require(name == "response.created", "the first event must be response.created")
            continue
        if position == 1 and name != "response.failed":
            _require(name == "response.in_progress", "the second event must be response.in_progress")
            continue
        if name in RESPONSES_TERMINALS:
            # A failure may cut an item short, as the real API does; a success may not.
            _require(
                open_item is None or name == "response.failed",
                f"{name} with item {open_item and open_item['id']} still open",
            )
            final = payload["response"]
            terminal = name
            continue
        if "output_index" in payload and open_item is not None:
            _require(
                payload["output_index"] == len(done_items), f"{name} output_index {payload['output_index']}"
            )
        if "item_id" in payload:
            _require(
                open_item is not None and payload["item_id"] == open_item["id"],
                f"{name} for an item not open",
            )
        if name == "response.output_item.added":
            _require(open_item is None, "an item added while another is open")
            _require(
                payload["output_index"] == len(items),
                f"output_index {payload['output_index']}, expected {len(items)}",
            )
            item = payload["item"]
            _require(
                bool(item.get("id")) and all(item["id"] != i["id"] for i in items),
                "missing or repeated item id",
            )
            items.append(item)
            open_item = dict(item, content=[], summary=[])
            arguments = []
        elif name == "response.content_part.added":
            _require(open_part is None, "a content part added while another is open")
            _require(payload["content_index"] == len(open_item["content"]), "content_index not contiguous")
            open_part = dict(payload["part"])
            if open_part["type"] == "output_text":
                _require(
                    open_part.get("annotations") == [], "an output_text part must start without annotations"
                )
                open_part["annotations"] = []
            text = []
        elif name in (
            "response.output_text.delta",
            "response.refusal.delta",
            "response.reasoning_text.delta",
        ):
            _require(
                open_part is not None and payload["content_index"] == len(open_item["content"]),
                f"{name} outside its part",
            )
            expected = {
                "response.output_text.delta": "output_text",
                "response.refusal.delta": "refusal",
                "response.reasoning_text.delta": "reasoning_text",
            }[name]
            _require(open_part["type"] == expected, f"{name} sent to a {open_part['type']} part")
            text.append(payload["delta"])
        elif name == "response.output_text.annotation.added":
            _require(
                open_part is not None
                and open_part["type"] == "output_text"
                and payload["content_index"] == len(open_item["content"]),
                "annotation outside an open output_text part",
            )
            _require(
                payload["annotation_index"] == len(open_part["annotations"]),
                f"annotation_index {payload['annotation_index']}, expected {len(open_part['annotations'])}",
            )
            _require(isinstance(payload["annotation"].get("type"), str), "annotation without a type")
            open_part["annotations"].append(payload["annotation"])
        elif name in ("response.output_text.done", "response.refusal.done", "response.reasoning_text.done"):
            key = "refusal" if name == "response.refusal.done" else "text"
            _require(payload[key] == "".join(text), f"{name} text differs from its deltas")
        elif name == "response.content_part.done":
            _require(open_part is not None, "content_part.done without an open part")
            key = "refusal" if open_part["type"] == "refusal" else "text"
            _require(payload["part"].get(key) == "".join(text), "content_part.done differs from its deltas")
            if open_part["type"] == "output_text":
                _require(
                    payload["part"].get("annotations") == open_part["annotations"],
                    "content_part.done annotations differ from the annotations added",
                )
            open_item["content"].append(payload["part"])
            open_part = None
        elif name == "response.reasoning_summary_part.added":
            _require(payload["summary_index"] == len(open_item["summary"]), "summary_index not contiguous")
            summary_text = []
        elif name == "response.reasoning_summary_text.delta":
            summary_text.append(payload["delta"])
        elif name == "response.reasoning_summary_text.done":
            _require(payload["text"] == "".join(summary_text), "summary text differs from its deltas")
        elif name == "response.reasoning_summary_part.done":
            open_item["summary"].append(payload["part"])
        elif name in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            arguments.append(payload["delta"])
        elif name == "response.function_call_arguments.done":
            _require(payload["arguments"] == "".join(arguments), "arguments.done differs from its deltas")
            open_item["arguments_done"] = payload["arguments"]
        elif name == "response.custom_tool_call_input.done":
            _require(payload["input"] == "".join(arguments), "custom input done differs from its deltas")
        elif name in HOSTED_TEXT_DELTAS:
            _require(open_item["type"] == HOSTED_TEXT_DELTAS[name], f"{name} for a {open_item['type']} item")
            arguments.append(payload["delta"])
        elif name in HOSTED_TEXT_DONES:
            kind, field = HOSTED_TEXT_DONES[name]
            _require(open_item["type"] == kind, f"{name} for a {open_item['type']} item")
            _require(payload[field] == "".join(arguments), f"{name} differs from its deltas")
            open_item["text_done"] = payload[field]
        elif name == "response.output_item.done":
            _require(open_part is None, "output_item.done with a content part open")
            item = payload["item"]
            _require(
                item["id"] == open_item["id"] and item["type"] == open_item["type"],
                "output_item.done for another item",
            )
            if item["type"] == "message":
                _require(
                    item["content"] == open_item["content"], "message item content differs from its parts"
                )
            elif item["type"] == "function_call":
                _require(
                    item["arguments"] == "".join(arguments), "function_call item arguments differ from deltas"
                )
                _require(
                    open_item.get("arguments_done") == item["arguments"],
                    "function_call without arguments.done",
                )
            elif item["type"] == "custom_tool_call":
                _require(item["input"] == "".join(arguments), "custom_tool_call input differs from deltas")
            elif item["type"] == "reasoning":
                _require(item["summary"] == open_item["summary"], "reasoning summary differs from its parts")
            elif item["type"] in HOSTED_TEXT_FIELDS and "text_done" in open_item:
                field = HOSTED_TEXT_FIELDS[item["type"]]
                _require((item.get(field) or "") == open_item["text_done"], f"{item['type']} {field} differs from its deltas")
            done_items.append(item)
            open_item = None
    _require(terminal is not None, "the Responses stream has no response.completed/incomplete/failed")
    if terminal != "response.failed":
        _require(
            final["output"] == done_items, "the final response.output differs from the output_item.done items"
        )
        _require(len(done_items) == len(items), "an item was added but never done")
        usage = final.get("usage") or {}
        _require(
            isinstance(usage.get("input_tokens"), int) and isinstance(usage.get("output_tokens"), int),
            "the final response has no usage",
        )
        expected_status = "completed" if terminal == "response.completed" else "incomplete"
        if terminal == "response.completed" and json_arguments:
            # Arguments cut by max_output_tokens are incomplete JSON; only complete responses must parse.
            for item in done_items:
                if item["type"] == "function_call":
                    _arguments_object(item["arguments"], f"function_call {item['name']} arguments")
        _require(final["status"] == expected_status, f"final status {final['status']} for {terminal}")
    else:
        _require(
            final["status"] == "failed" and final.get("error", {}).get("message"),
            "failed response without error",
        )
    return {"events": events, "items": done_items, "terminal": terminal, "response": final}


CHECKERS = {"anthropic": check_anthropic, "chat": check_chat, "responses": check_responses}
