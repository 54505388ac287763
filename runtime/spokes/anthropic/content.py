"""Anthropic content blocks <-> hub parts, in requests and answers alike."""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...losses import join_path
from .._common import Emit, finish_part, optional, read_content

FORMAT = "anthropic"

# What each block type maps; made once rather than for every block read.
_TEXT_KEYS = frozenset({"type", "text", "cache_control", "citations"})
_MEDIA_KEYS = frozenset({"type", "source", "cache_control", "title", "context", "citations"})
_TOOL_USE_KEYS = frozenset({"type", "id", "name", "input", "cache_control"})
_TOOL_RESULT_KEYS = frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"})


def _source_to_hub(source: dict[str, Any]) -> dict[str, Any]:
    kind = source.get("type")
    out: dict[str, Any] = {"kind": kind}
    if kind in ("base64", "text"):
        out["media_type"] = source.get("media_type")
        out["data"] = source.get("data", "")
    elif kind == "url":
        out["url"] = source.get("url", "")
    elif kind == "file":
        out["file_id"] = source.get("file_id", "")
    else:
        out["raw"] = source
    return out


def block_to_part(block: dict[str, Any], path: str) -> hub.Part:
    """One Anthropic content block as a hub part."""
    kind = block.get("type")
    part: hub.Part
    if kind == "text":
        part = {"type": "text", "text": block.get("text", "")}
        known = _TEXT_KEYS
        if "citations" in block:
            part["citations"] = block["citations"]
            part["citations_format"] = FORMAT
    elif kind in ("image", "document"):
        part = {"type": kind, "source": _source_to_hub(block.get("source") or {})}
        known = _MEDIA_KEYS
        for key in ("title", "context"):
            if key in block:
                part[key] = block[key]
        if "citations" in block:
            part["citations_config"] = block["citations"]
    elif kind in ("thinking", "redacted_thinking"):
        part = {
            "type": "reasoning",
            "text": block.get("thinking", ""),
            "summary": [],
            "origin": FORMAT,
            "raw": block,
        }
        known = set(block)
    elif kind == "tool_use":
        part = {"type": "tool_call", "id": block.get("id", ""), "name": block.get("name", ""),
                "input": block.get("input") if isinstance(block.get("input"), dict) else {},
                "kind": "function"}
        known = _TOOL_USE_KEYS
    elif kind == "tool_result":
        content = block.get("content")
        part = {"type": "tool_result", "tool_call_id": block.get("tool_use_id", ""), "kind": "function"}
        if isinstance(content, list):
            part["content"] = [block_to_part(b, join_path(join_path(path, "content"), i))
                               for i, b in enumerate(content)]
        else:
            part["content"] = content if content is not None else ""
            part["content_is_string"] = content is not None
        if "is_error" in block:
            part["is_error"] = block["is_error"]
        known = _TOOL_RESULT_KEYS
    else:
        # Server tool blocks and anything newer: only Anthropic understands them.
        return {"type": "opaque", "format": FORMAT, "block": block, "path": path}
    if "cache_control" in block:
        part["cache_control"] = block["cache_control"]
    return finish_part(part, block, known, path)


def content_to_parts(content: Any, path: str) -> tuple[list[hub.Part], bool]:
    return read_content(content, path, block_to_part)


def _source_from_hub(source: dict[str, Any], emit: Emit, path: str) -> dict[str, Any] | None:
    kind = source.get("kind")
    if kind in ("base64", "text"):
        return {"type": kind, "media_type": source.get("media_type"), "data": source.get("data", "")}
    if kind == "url":
        return {"type": "url", "url": source.get("url", "")}
    if kind == "file":
        return {"type": "file", "file_id": source.get("file_id", "")}
    if isinstance(source.get("raw"), dict) and emit.same_format:
        return source["raw"]
    emit.losses.dropped(path, f"anthropic has no source of kind {kind!r}")
    return None


def _reasoning_block(part: hub.Part, emit: Emit, path: str) -> dict[str, Any] | None:
    state = reasoning.opaque_state_of(part)
    if state is not None and state[0] == FORMAT:
        return state[1]
    if emit.same_format and isinstance(part.get("raw"), dict):
        return part["raw"]
    text = part.get("text") or "\n\n".join(part.get("summary") or [])
    if emit.direction == "response":
        # The client only has to hand this back; the envelope lets us restore the original next turn.
        raw = part.get("raw") or {"reasoning_content": text}
        return {"type": "thinking", "thinking": text, "signature": reasoning.wrap(part.get("origin", "chat"), raw)}
    emit.losses.dropped(path, f"reasoning from {part.get('origin')} carries no signature anthropic can verify")
    return None


def part_to_block(part: hub.Part, emit: Emit) -> dict[str, Any] | None:
    """One hub part as an Anthropic content block, or None when anthropic cannot take it (reported)."""
    if emit.same_format and "original" in part:
        return part["original"]
    path = part.get("path", "")
    kind = part["type"]
    block: dict[str, Any]
    if kind == "text":
        if not part["text"] and not emit.same_format:
            return None  # anthropic rejects empty text blocks, and nothing is lost by leaving one out
        block = {"type": "text", "text": part["text"]}
        if "citations" in part:
            if part.get("citations_format") == FORMAT:
                block["citations"] = part["citations"]
            elif part["citations"]:
                emit.losses.dropped(join_path(path, "citations"), "anthropic citations need source locations")
    elif kind in ("image", "document"):
        source = _source_from_hub(part["source"], emit, join_path(path, "source"))
        if source is None:
            return None
        block = {"type": kind, "source": source}
        for key in ("title", "context"):
            optional(block, key, part.get(key))
        if kind == "document" and "filename" in part and "title" not in part:
            block["title"] = part["filename"]
        if "citations_config" in part:
            block["citations"] = part["citations_config"]
        if part.get("detail") not in (None, "auto"):
            emit.losses.dropped(part.get("detail_path", join_path(path, "detail")), "anthropic has no image detail setting")
    elif kind == "reasoning":
        return _reasoning_block(part, emit, path)
    elif kind == "tool_call":
        tool_input = hub.tool_call_input(part)
        if "_raw_arguments" in tool_input:
            emit.losses.coerced(join_path(path, "arguments"), "arguments were not a JSON object")
        block = {"type": "tool_use", "id": part["id"], "name": part["name"], "input": tool_input}
    elif kind == "tool_result":
        block = {"type": "tool_result", "tool_use_id": part["tool_call_id"]}
        content = part.get("content")
        if isinstance(content, list):
            blocks = [b for b in (part_to_block(p, emit) for p in content) if b is not None]
            block["content"] = blocks
        elif content or part.get("content_is_string"):
            block["content"] = content or ""
        optional(block, "is_error", part.get("is_error"))
    elif kind == "refusal":
        emit.losses.coerced(path, "anthropic has no refusal block; the refusal is given as text")
        block = {"type": "text", "text": part.get("text") or "(refused)"}
    elif kind == "opaque":
        if part.get("format") == FORMAT:
            return part["block"]
        emit.losses.dropped(path, f"a {part.get('format')} block of type {part['block'].get('type')!r} "
                                  "has no anthropic equivalent")
        return None
    else:
        emit.losses.dropped(path, f"unknown hub part {kind!r}")
        return None
    emit.cache_control(block, part, path)
    emit.restore_extra(block, part.get("extra"), path, part.get("quiet"))
    return block


def parts_to_blocks(parts: list[hub.Part], emit: Emit) -> list[dict[str, Any]]:
    blocks = []
    for part in parts:  # a plain loop: a generator inside a comprehension costs more per part
        block = part_to_block(part, emit)
        if block is not None:
            blocks.append(block)
    return blocks
