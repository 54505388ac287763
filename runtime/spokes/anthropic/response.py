"""Anthropic `Message` answers <-> the hub."""

from __future__ import annotations

from typing import Any

from ... import hub
from ...fieldmaps import ANTHROPIC_TO_STOP, STOP_TO_ANTHROPIC
from ...ids import response_id
from ...losses import LossCollector
from .._common import Emit, own_stop, report_stop, split_extra
from .content import FORMAT, block_to_part, parts_to_blocks

_RESPONSE_KEYS = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})


_USAGE_KEYS = frozenset({"input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"})


def response_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Response:
    content = [block_to_part(b, f"content[{i}]") for i, b in enumerate(body.get("content") or [])]
    usage_body = body.get("usage") or {}
    usage = hub.Usage()
    usage.input_tokens = usage_body.get("input_tokens") or 0
    usage.output_tokens = usage_body.get("output_tokens") or 0
    usage.cache_read_tokens = usage_body.get("cache_read_input_tokens") or 0
    usage.cache_write_tokens = usage_body.get("cache_creation_input_tokens") or 0
    usage.extra = split_extra(usage_body, _USAGE_KEYS)
    usage.original = usage_body
    stop = body.get("stop_reason")
    resp = hub.Response(FORMAT, body.get("id"), body.get("model"), content)
    resp.stop_reason = ANTHROPIC_TO_STOP.get(stop, stop) if stop else None
    resp.stop_sequence = body.get("stop_sequence")
    resp.usage = usage
    resp.extra = split_extra(body, _RESPONSE_KEYS)
    return resp


def response_from_hub(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    content = parts_to_blocks(resp.content, emit)
    _report_joined_message_items(resp.content, emit)
    stop, own = own_stop(resp.stop_reason, emit.same_format)
    has_calls = _has_tool_use(content)
    if stop == "tool_use" and not has_calls:
        emit.losses.coerced("stop_reason", "tool_use without a tool call; end_turn used")
        stop = "end_turn"
    elif has_calls and stop in ("end_turn", "stop_sequence", None):
        stop = "tool_use"
    if own is not None and stop is None:
        stop = "end_turn"  # Anthropic clients know a fixed set of stop reasons (reported below)
    written_stop = STOP_TO_ANTHROPIC.get(stop, stop) if stop else None
    report_stop(own or stop, ANTHROPIC_TO_STOP.get(written_stop, written_stop), emit)
    body: dict[str, Any] = {
        "id": resp.id if emit.same_format and resp.id else response_id(resp.id, FORMAT),
        "type": "message",
        "role": "assistant",
        "model": emit.context.client_model or resp.model or "",
        "content": content,
        "stop_reason": written_stop,
        "stop_sequence": resp.stop_sequence,
        "usage": usage_from_hub(resp.usage or hub.Usage(), emit),
    }
    emit.restore_extra(body, resp.extra, "")
    return body


def _has_tool_use(blocks: list[dict[str, Any]]) -> bool:
    # A plain loop: any() over a generator costs more than the scan itself for an answer's few blocks.
    for block in blocks:
        if block.get("type") == "tool_use":
            return True
    return False


def _report_joined_message_items(parts: list[hub.Part], emit: Emit) -> None:
    """Adjacent Responses message items become one run of text blocks, which reads back as one item: report
    each item that joins the one before it."""
    if emit.same_format:
        return
    previous = None
    for part in parts:
        item = part.get("item")
        if part["type"] not in ("text", "refusal") or item is None:
            previous = None
            continue
        if previous is not None and item["index"] != previous:
            emit.losses.coerced(f"output[{item['index']}]", "anthropic answers have no message items; "
                                                           "it joins the message before it")
        previous = item["index"]


# Where the OpenAI formats count reasoning tokens, for loss reports on the answer.
REASONING_TOKEN_PATHS = {"chat": "usage.completion_tokens_details.reasoning_tokens",
                         "responses": "usage.output_tokens_details.reasoning_tokens"}


def usage_from_hub(usage: hub.Usage, emit: Emit) -> dict[str, Any]:
    if usage.reasoning_tokens and not emit.same_format:
        emit.losses.coerced(REASONING_TOKEN_PATHS.get(emit.source, "usage"),
                            "anthropic counts reasoning tokens in output_tokens without saying how many")
    if emit.same_format and usage.original is not None:
        return usage.original
    out = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
    }
    emit.restore_extra(out, usage.extra, "usage")
    return out
