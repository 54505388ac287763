"""Chat message content and assistant messages <-> hub parts."""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...losses import join_path
from .._common import (
    Emit,
    data_url,
    document_filename,
    finish_part,
    optional,
    parse_data_url,
    read_content,
    report_document_extras,
    report_joined,
    split_extra,
)
from . import provider_state

FORMAT = "chat"


# Where providers put reasoning text on an assistant message; the first is the common one.
REASONING_KEYS = ("reasoning_content", "reasoning")

# Assistant message fields whose empty string says nothing: no part is made of one (an empty thinking block
# or an invented refusal text would be content the model never wrote). Chat gets the field back; another
# format reports it. A stream cannot tell such a field from a missing one, and reports it the same way.
EMPTY_SAYS_NOTHING = (*REASONING_KEYS, "refusal")
_EMPTY_SAYS_NOTHING_SET = frozenset(EMPTY_SAYS_NOTHING)


def says_something(value: Any) -> bool:
    """Whether a field's value holds anything a reader could miss: null and empty values do not."""
    return value is not None and value != "" and value != [] and value != {}


def empty_fields(msg: dict[str, Any]) -> list[str]:
    """The fields of ``msg`` that hold an empty string with nothing to say."""
    if _EMPTY_SAYS_NOTHING_SET.isdisjoint(msg):  # most messages have none of these fields
        return []
    return [key for key in EMPTY_SAYS_NOTHING if msg.get(key) == ""]


def content_part_to_hub(part: dict[str, Any], path: str) -> hub.Part:
    kind = part.get("type")
    out: hub.Part
    if kind == "text":
        out = {"type": "text", "text": part.get("text", "")}
        known = {"type", "text", "cache_control"}
        if "cache_control" in part:
            out["cache_control"] = part["cache_control"]
    elif kind == "image_url":
        image = part.get("image_url") or {}
        url = image.get("url", "")
        parsed = parse_data_url(url)
        source = ({"kind": "base64", "media_type": parsed[0], "data": parsed[1]} if parsed
                  else {"kind": "url", "url": url})
        out = {"type": "image", "source": source}
        if "detail" in image:
            out["detail"] = image["detail"]
            out["detail_path"] = f"{path}.image_url.detail"
        known = {"type", "image_url"}
    elif kind == "file":
        file = part.get("file") or {}
        parsed = parse_data_url(file.get("file_data", "")) if "file_data" in file else None
        if parsed:
            source = {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
        elif "file_id" in file:
            source = {"kind": "file", "file_id": file["file_id"]}
        else:
            source = {"kind": "base64", "media_type": None, "data": file.get("file_data", "")}
        out = {"type": "document", "source": source}
        if "filename" in file:
            out["filename"] = file["filename"]
        known = {"type", "file"}
    elif kind == "refusal":
        out = {"type": "refusal", "text": part.get("refusal", "")}
        known = {"type", "refusal"}
    else:
        return {"type": "opaque", "format": FORMAT, "block": part, "path": path}
    return finish_part(out, part, known, path)


def content_to_parts(content: Any, path: str) -> tuple[list[hub.Part], bool]:
    return read_content(content, path, content_part_to_hub)


def _tool_call_to_hub(call: dict[str, Any], path: str) -> hub.Part:
    if call.get("type") == "custom":
        custom = call.get("custom") or {}
        part: hub.Part = {"type": "tool_call", "id": call.get("id", ""), "name": custom.get("name", ""),
                          "custom_input": custom.get("input", ""), "kind": "custom"}
    else:
        function = call.get("function") or {}
        part = {"type": "tool_call", "id": call.get("id", ""), "name": function.get("name", ""),
                "arguments": function.get("arguments") or "", "kind": "function"}
    if "index" in call:
        part["quiet"] = {"index": call["index"]}  # a streaming leftover; any other field is provider state
    part["original"] = call
    part["path"] = path
    return part


_ASSISTANT_KEYS = frozenset({"role", "content", "tool_calls", "refusal", *REASONING_KEYS, provider_state.DETAILS})


def assistant_to_hub(msg: dict[str, Any], path: str) -> hub.Message:
    parts = []
    known = _ASSISTANT_KEYS
    for key in REASONING_KEYS:
        if isinstance(msg.get(key), str) and msg[key]:
            text = msg[key]
            parts.append({"type": "reasoning", "text": text, "summary": [], "origin": FORMAT,
                          "raw": {key: text}, "key": key, "path": join_path(path, key)})
            break
    content = msg.get("content")
    text_parts, is_string = content_to_parts(content, join_path(path, "content"))
    parts.extend(text_parts)
    if isinstance(msg.get("refusal"), str) and msg["refusal"]:
        parts.append({"type": "refusal", "text": msg["refusal"], "as_field": True,
                      "path": join_path(path, "refusal")})
    call_extras = {}
    for i, call in enumerate(msg.get("tool_calls") or []):
        parts.append(_tool_call_to_hub(call, join_path(join_path(path, "tool_calls"), i)))
        extras = provider_state.call_extras(call) if isinstance(call, dict) else {}
        if extras:
            call_extras[str(call.get("id", ""))] = extras
    details = msg.get(provider_state.DETAILS)
    if not (isinstance(details, list) and details):
        if details is not None:
            known = known - {provider_state.DETAILS}  # not a list: an unknown value, carried or reported as one
        details = []
    if details or call_extras:
        parts.append(provider_state.state_part(details, call_extras, path))
    extra = split_extra(msg, known)
    for key in empty_fields(msg):
        extra[key] = ""
    if content == [] and parts:
        # An empty list beside a refusal or tool calls: chat gets it back; elsewhere it reads back as null.
        extra["content"] = []
    if "refusal" in msg and msg["refusal"] is None:
        # "No refusal", said out loud: chat gets it back; another format has no refusal field (reported).
        extra["refusal"] = None
    message = hub.Message("assistant", parts, is_string, path, extra)
    message.null_content = content is None
    message.original = msg
    return message


def part_to_content(part: hub.Part, emit: Emit) -> dict[str, Any] | None:
    if emit.same_format and "original" in part:
        return part["original"]
    path = part.get("path", "")
    kind = part["type"]
    out: dict[str, Any]
    if kind == "text":
        out = {"type": "text", "text": part["text"]}
        if part.get("citations") and not emit.same_format:
            emit.losses.dropped(join_path(path, "citations"), "chat requests carry no citations")
    elif kind == "image":
        source = part["source"]
        if source.get("kind") == "base64":
            url = data_url(source.get("media_type"), source.get("data", ""))
        elif source.get("kind") == "url":
            url = source.get("url", "")
        else:
            emit.losses.dropped(path, f"chat images are URLs; a {source.get('kind')} source cannot be sent")
            return None
        image: dict[str, Any] = {"url": url}
        optional(image, "detail", part.get("detail"))
        out = {"type": "image_url", "image_url": image}
    elif kind == "document":
        source = part["source"]
        file: dict[str, Any] = {}
        if source.get("kind") == "base64":
            file["file_data"] = data_url(source.get("media_type"), source.get("data", ""))
        elif source.get("kind") == "file":
            file["file_id"] = source.get("file_id", "")
        elif source.get("kind") == "text":
            emit.losses.coerced(path, "chat has no text documents; the document is given as text")
            return {"type": "text", "text": source.get("data", "")}
        else:
            emit.losses.dropped(path, f"chat file parts cannot carry a {source.get('kind')} document")
            return None
        optional(file, "filename", document_filename(part, emit, path, "file_data" in file))
        report_document_extras(part, emit, path, "chat file parts")
        out = {"type": "file", "file": file}
    elif kind == "refusal":
        out = {"type": "refusal", "refusal": part.get("text", "")}
    elif kind == "opaque" and part.get("format") == FORMAT:
        return part["block"]
    else:
        label = part["block"].get("type") if kind == "opaque" else kind
        emit.losses.dropped(path, f"chat message content cannot hold {label!r}")
        return None
    emit.cache_control(out, part, path)
    emit.restore_extra(out, part.get("extra"), path, part.get("quiet"))
    return out


def parts_to_content(parts: list[hub.Part], emit: Emit) -> list[dict[str, Any]]:
    return [c for c in (part_to_content(p, emit) for p in parts) if c is not None]


def assistant_content_parts(parts: list[hub.Part], emit: Emit, path: str) -> list[dict[str, Any]]:
    """Text and refusal parts in their order: all a chat assistant message's content holds; others reported."""
    out = []
    for part in parts:
        if part["type"] not in ("text", "refusal"):
            emit.losses.dropped(part.get("path", path), f"chat assistant content cannot hold {part['type']!r}")
            continue
        converted = part_to_content(part, emit)
        if converted is not None:
            out.append(converted)
    return out


def plain_text(parts: list[hub.Part], emit: Emit, path: str) -> str:
    """Text parts as one string for roles many providers accept only strings for; other parts reported."""
    texts = []
    for part in parts:
        if part["type"] == "text":
            texts.append(part["text"])
            if part.get("cache_control") is not None:  # most parts have none: spare the call
                emit.cache_control({}, part, part.get("path", path))
        else:
            emit.losses.dropped(part.get("path", path), f"chat takes only text here, not {part['type']!r}")
    report_joined(parts, emit, path)
    return "\n\n".join(filter(None, texts))  # the non-empty ones


def text_content(parts: list[hub.Part], emit: Emit, path: str) -> str | list[dict[str, Any]]:
    """Text parts as a string, or as text parts when they carry cache hints the options keep."""
    if emit.options.get("keep_cache_control") and any("cache_control" in p for p in parts):
        return [c for c in (part_to_content(p, emit) for p in parts if p.get("text") != "") if c is not None]
    return plain_text(parts, emit, path)


def reasoning_text_of(part: hub.Part, emit: Emit) -> str | None:
    state = reasoning.opaque_state_of(part)
    if state is not None and state[0] == FORMAT:
        return next((v for k, v in state[1].items() if k in REASONING_KEYS and isinstance(v, str)), "")
    text = part.get("text") or "\n\n".join(part.get("summary") or [])
    if part.get("origin") != FORMAT:
        emit.losses.dropped(part.get("path", ""), f"the {part.get('origin')} reasoning signature has no place "
                                                  "in chat; only the reasoning text is carried")
    return text or None


def tool_call_to_chat(part: hub.Part, emit: Emit) -> dict[str, Any]:
    if emit.same_format and "original" in part:
        return part["original"]
    call: dict[str, Any]
    if part.get("kind") == "custom":
        call = {"id": part["id"], "type": "custom", "custom": {"name": part["name"],
                                                               "input": part.get("custom_input", "")}}
    else:
        call = {"id": part["id"], "type": "function",
                "function": {"name": part["name"], "arguments": _arguments(part, emit)}}
    emit.cache_control({}, part, part.get("path", ""))
    emit.restore_extra(call, part.get("extra"), part.get("path", ""), part.get("quiet"))
    return call


def _arguments(part: hub.Part, emit: Emit) -> str:
    """Arguments as JSON text; the client's own text when it gets its own format back."""
    if emit.same_format and isinstance(part.get("arguments"), str):
        return part["arguments"]
    return hub.tool_call_arguments(part)
