"""Responses `Response` answers <-> the hub."""

from __future__ import annotations

import time
from typing import Any

from ... import hub, reasoning
from ...fieldmaps import (
    RESPONSES_INCOMPLETE_TO_STOP,
    STOP_TO_RESPONSES,
)
from ...ids import derived_id, response_id
from ...losses import LossCollector
from .._common import Emit, report_stop, split_extra
from .content import FORMAT, call_item, content_to_parts, item_to_part, part_to_content, reasoning_item

_RESPONSE_KEYS = frozenset({"id", "object", "created_at", "model", "output", "status", "incomplete_details",
                            "usage", "error"})


_USAGE_KEYS = frozenset({"input_tokens", "output_tokens", "total_tokens", "input_tokens_details",
                         "output_tokens_details"})


# The usage details objects, and the counts in each that the hub has a field for.
_USAGE_DETAIL_KEYS = (("input_tokens_details", frozenset({"cached_tokens", "cache_write_tokens"})),
                      ("output_tokens_details", frozenset({"reasoning_tokens"})))


_OUTPUT_ITEMS = {"function_call", "custom_tool_call", "reasoning"}


# Keys of an output message item the other formats have a place for (or need not keep).
_MESSAGE_ITEM_KEYS = frozenset({"type", "id", "status", "role", "content"})


def response_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Response:
    content: list[hub.Part] = []
    unmapped: list[str] = []
    for i, item in enumerate(body.get("output") or []):
        path = f"output[{i}]"
        kind = item.get("type")
        if kind == "message":
            parts, _ = content_to_parts(item.get("content"), f"{path}.content")
            for part in parts:
                part["item"] = {k: item[k] for k in ("id", "status") if k in item} | {"index": i, "original": item}
            unmapped += [f"{path}.{key}" for key in item if key not in _MESSAGE_ITEM_KEYS]
            content.extend(parts)
        elif kind in _OUTPUT_ITEMS:
            content.append(item_to_part(item, path))
        else:
            content.append({"type": "opaque", "format": FORMAT, "block": item, "path": path})
    usage_body = body.get("usage") or {}
    details = usage_body.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") or 0
    written = details.get("cache_write_tokens") or 0
    usage = hub.Usage()
    usage.input_tokens = max((usage_body.get("input_tokens") or 0) - cached - written, 0)
    usage.output_tokens = usage_body.get("output_tokens") or 0
    usage.cache_read_tokens = cached
    usage.cache_write_tokens = written
    usage.reasoning_tokens = (usage_body.get("output_tokens_details") or {}).get("reasoning_tokens") or 0
    usage.extra = split_extra(usage_body, _USAGE_KEYS)
    usage.original = usage_body
    status = body.get("status")
    reason = (body.get("incomplete_details") or {}).get("reason")
    if status == "incomplete":
        stop = RESPONSES_INCOMPLETE_TO_STOP.get(reason, "max_tokens")
        if reason is not None and reason not in RESPONSES_INCOMPLETE_TO_STOP:
            unmapped.append("incomplete_details.reason")
    elif status == "failed":
        stop = "error"
    elif hub.has_part(content, "tool_call"):
        stop = "tool_use"
    elif hub.has_part(content, "refusal"):
        stop = "refusal"
    else:
        stop = "end_turn"
        if status not in ("completed", None):  # cancelled, queued, or one no table knows: read as finished
            unmapped.append("status")
    quiet = split_extra(body, _RESPONSE_KEYS)
    for key in ("status", "incomplete_details", "error", "object"):
        if key in body:
            quiet[key] = body[key]
    resp = hub.Response(FORMAT, body.get("id"), body.get("model"), content)
    resp.stop_reason = stop
    if isinstance(body.get("usage"), dict):
        resp.usage = usage
    resp.created = body.get("created_at")
    resp.quiet = quiet
    resp.original_keys = tuple(body)
    resp.unmapped = unmapped + [f"usage.{group}.{key}" for group, known in _USAGE_DETAIL_KEYS
                                for key in (usage_body.get(group) or {}) if key not in known]
    return resp


def response_from_hub(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    message: dict[str, Any] | None = None
    message_index = None
    for part in resp.content:
        kind = part["type"]
        if kind == "text" and not part["text"] and not emit.same_format:
            emit.losses.dropped(part.get("path", ""), "an empty text: a Responses answer has no empty output_text")
            continue
        if kind in ("text", "refusal"):
            item_info = part.get("item", {}) if emit.same_format else {}
            if "original" in item_info:
                if item_info["index"] != message_index:
                    message_index = item_info["index"]
                    output.append(item_info["original"])
                continue
            if message is None or item_info.get("index", message_index) != message_index:
                message_index = item_info.get("index")
                seed = f"{resp.id}:{len(output)}"
                message = {"type": "message", "id": item_info.get("id") or derived_id("msg_", seed),
                           "status": item_info.get("status", "completed"), "role": "assistant", "content": []}
                output.append(message)
            content = part_to_content(part, "assistant", emit)
            if content is not None:
                if content["type"] == "output_text" and "logprobs" not in content:
                    content["logprobs"] = []
                message["content"].append(content)
            continue
        message = None
        if kind == "reasoning":
            own = reasoning.opaque_state_of(part)
            item_id = None
            if own is None or own[0] != FORMAT:
                # Seeded by position like messages: a stream must name the item before its reasoning exists, and
                # both paths have to give the client the same id. (Given to reasoning_item, which would otherwise
                # hash the reasoning for an id only to have it replaced.)
                item_id = derived_id("rs_", f"{resp.id}:{len(output)}")
            item = reasoning_item(part, emit, item_id)
            if item is not None:
                output.append(item)
        elif kind == "tool_call":
            item = call_item(part, emit)
            if not (emit.same_format and "original" in part):
                quiet = part.get("quiet") or {}
                item.setdefault("id", quiet.get("id") or derived_id(
                    "fc_" if part.get("kind") != "custom" else "ctc_", part["id"]))
                item.setdefault("status", "completed")
            output.append(item)
        elif kind == "opaque" and part.get("format") == FORMAT:
            output.append(part["block"])
        else:
            label = part["block"].get("type") if kind == "opaque" else kind
            emit.losses.dropped(part.get("path", ""), f"responses output cannot hold {label!r}")
    status, reason = STOP_TO_RESPONSES.get(resp.stop_reason or "end_turn", ("completed", None))
    report_stop(resp.stop_reason, read_back_stop(status, reason, output), emit, resp.stop_sequence)
    body: dict[str, Any] = {
        "id": resp.id if emit.same_format and resp.id else response_id(resp.id, FORMAT),
        "object": "response",
        "created_at": resp.created if resp.created is not None else int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "model": emit.context.client_model or resp.model or "",
        "output": output,
        "usage": usage_from_hub(resp.usage or hub.Usage(), emit),
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
    if emit.same_format:
        body.update(resp.quiet)
        if resp.original_keys is not None:
            # Required-by-the-SDK defaults are for other formats' answers; this one says what it has.
            body = {key: body[key] for key in resp.original_keys if key in body}
    emit.restore_extra(body, resp.extra, "")
    return body


def read_back_stop(status: str, reason: str | None, output: list[dict[str, Any]]) -> str:
    """The hub stop reason a Responses client would read from what we write (see response_to_hub)."""
    if status == "incomplete":
        return RESPONSES_INCOMPLETE_TO_STOP.get(reason or "", "max_tokens")
    if status == "failed":
        return "error"
    # Plain loops: any() over a generator costs more than the scan itself for an answer's few items.
    for item in output:
        if item.get("type") in ("function_call", "custom_tool_call"):
            return "tool_use"
    for item in output:
        if item.get("type") == "message":
            for content in item.get("content", []):
                if content.get("type") == "refusal":
                    return "refusal"
    return "end_turn"


def usage_from_hub(usage: hub.Usage, emit: Emit) -> dict[str, Any]:
    if emit.same_format and usage.original is not None:
        return usage.original
    prompt = usage.prompt_tokens
    out = {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens,
                                 "cache_write_tokens": usage.cache_write_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }
    emit.restore_extra(out, usage.extra, "usage")
    return out
