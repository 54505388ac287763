"""Responses content parts and items <-> hub parts and messages."""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...ids import derived_id
from ...losses import LossCollector, join_path
from .._common import (
    Emit,
    data_url,
    document_filename,
    finish_part,
    optional,
    parse_data_url,
    read_content,
    report_absent_result_content,
    report_document_extras,
    report_joined,
    split_extra,
    url_citation,
)

FORMAT = "responses"


_ITEM_QUIET_KEYS = ("id", "status", "type")
_MESSAGE_ITEM_KEYS = frozenset({"role", "content", *_ITEM_QUIET_KEYS})
# What each content part type maps; made once rather than for every part read.
_TEXT_PART_KEYS = frozenset({"type", "text", "annotations", "logprobs"})


def content_part_to_hub(part: dict[str, Any], path: str) -> hub.Part:
    kind = part.get("type")
    out: hub.Part
    quiet: dict[str, Any] = {}
    if kind in ("input_text", "output_text"):
        out = {"type": "text", "text": part.get("text", "")}
        known = _TEXT_PART_KEYS
        if part.get("annotations"):
            out["citations"] = part["annotations"]
            out["citations_format"] = FORMAT
        if "annotations" in part or "logprobs" in part:  # output text only: input text has neither
            quiet = {k: part[k] for k in ("annotations", "logprobs") if k in part and not part[k]}
    elif kind == "input_image":
        url = part.get("image_url")
        parsed = parse_data_url(url) if isinstance(url, str) else None
        if parsed:
            source = {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
        elif url:
            source = {"kind": "url", "url": url}
        else:
            source = {"kind": "file", "file_id": part.get("file_id", "")}
        out = {"type": "image", "source": source}
        optional(out, "detail", part.get("detail"))
        known = {"type", "image_url", "file_id", "detail"}
    elif kind == "input_file":
        parsed = parse_data_url(part.get("file_data", "")) if "file_data" in part else None
        if parsed:
            source = {"kind": "base64", "media_type": parsed[0], "data": parsed[1]}
        elif "file_url" in part:
            source = {"kind": "url", "url": part["file_url"]}
        elif "file_id" in part:
            source = {"kind": "file", "file_id": part["file_id"]}
        else:
            source = {"kind": "base64", "media_type": None, "data": part.get("file_data", "")}
        out = {"type": "document", "source": source}
        optional(out, "filename", part.get("filename"))
        known = {"type", "file_data", "file_url", "file_id", "filename"}
    elif kind == "refusal":
        out = {"type": "refusal", "text": part.get("refusal", "")}
        known = {"type", "refusal"}
    else:
        return {"type": "opaque", "format": FORMAT, "block": part, "path": path}
    if quiet:
        out["quiet"] = quiet
    return finish_part(out, part, known, path)


def content_to_parts(content: Any, path: str) -> tuple[list[hub.Part], bool]:
    return read_content(content, path, content_part_to_hub)


def item_to_part(item: dict[str, Any], path: str) -> hub.Part:
    """A function call, custom call or reasoning item as a hub part."""
    kind = item.get("type")
    quiet = {k: item[k] for k in _ITEM_QUIET_KEYS if k in item and k != "type"}
    part: hub.Part
    if kind == "reasoning":
        summary = [s.get("text", "") for s in item.get("summary") or [] if isinstance(s, dict)]
        content = [c.get("text", "") for c in item.get("content") or [] if isinstance(c, dict)]
        return {"type": "reasoning", "text": "\n\n".join(content), "summary": summary, "origin": FORMAT,
                "raw": item, "path": path}
    if kind == "custom_tool_call":
        part = {"type": "tool_call", "id": item.get("call_id", ""), "name": item.get("name", ""),
                "custom_input": item.get("input", ""), "kind": "custom"}
        known = {"type", "call_id", "name", "input", "namespace", *quiet}
    else:
        part = {"type": "tool_call", "id": item.get("call_id", ""), "name": item.get("name", ""),
                "arguments": item.get("arguments") or "", "kind": "function"}
        known = {"type", "call_id", "name", "arguments", "namespace", *quiet}
    optional(part, "namespace", item.get("namespace"))
    if quiet:
        part["quiet"] = quiet
    extra = split_extra(item, known)
    if extra:
        part["extra"] = extra
    part["original"] = item
    part["path"] = path
    return part


def _output_item_to_part(item: dict[str, Any], path: str) -> hub.Part:
    part: hub.Part = {"type": "tool_result", "tool_call_id": item.get("call_id", ""),
                      "kind": "custom" if item.get("type") == "custom_tool_call_output" else "function", "path": path}
    output = item.get("output")
    if isinstance(output, list):
        part["content"] = [content_part_to_hub(p, join_path(join_path(path, "output"), i))
                           for i, p in enumerate(output)]
    else:
        part["content"] = output if isinstance(output, str) else ""
        part["content_is_string"] = True
    quiet = {k: item[k] for k in _ITEM_QUIET_KEYS if k in item and k != "type"}
    if quiet:
        part["quiet"] = quiet
    extra = split_extra(item, {"type", "call_id", "output", *quiet})
    if extra:
        part["extra"] = extra
    return part


def item_to_message(item: dict[str, Any], path: str) -> hub.Message:
    """One input item as a hub message (which keeps the item itself for writing Responses again)."""
    kind = item.get("type", "message")
    if kind == "message":
        parts, is_string = content_to_parts(item.get("content"), join_path(path, "content"))
        quiet = {k: item[k] for k in _ITEM_QUIET_KEYS if k in item}
        message = hub.Message(item.get("role", "user"), parts, is_string, path, split_extra(item, _MESSAGE_ITEM_KEYS))
        message.quiet = quiet
    elif kind in ("function_call_output", "custom_tool_call_output"):
        message = hub.Message("user", [_output_item_to_part(item, path)], False, path)
    elif kind in ("function_call", "custom_tool_call", "reasoning"):
        message = hub.Message("assistant", [item_to_part(item, path)], False, path)
    else:
        role = "user" if kind.endswith("_output") else "assistant"
        message = hub.Message(role, [{"type": "opaque", "format": FORMAT, "block": item, "path": path}], False, path)
    message.original = item
    return message


def part_to_content(part: hub.Part, role: str, emit: Emit) -> dict[str, Any] | None:
    if emit.same_format and "original" in part:
        return part["original"]
    path = part.get("path", "")
    kind = part["type"]
    out: dict[str, Any]
    if kind == "text":
        if role == "assistant":
            out = {"type": "output_text", "text": part["text"], "annotations": _annotations(part, emit)}
        else:
            out = {"type": "input_text", "text": part["text"]}
            if part.get("citations") and not emit.same_format:
                emit.losses.dropped(join_path(path, "citations"), "responses input text carries no citations")
    elif kind == "image":
        source = part["source"]
        out = {"type": "input_image", "detail": part.get("detail", "auto")}
        if source.get("kind") == "base64":
            out["image_url"] = data_url(source.get("media_type"), source.get("data", ""))
        elif source.get("kind") == "url":
            out["image_url"] = source.get("url", "")
        elif source.get("kind") == "file":
            out["file_id"] = source.get("file_id", "")
        else:
            emit.losses.dropped(path, f"responses images cannot come from a {source.get('kind')} source")
            return None
        if emit.same_format and "detail" not in part:
            del out["detail"]
    elif kind == "document":
        source = part["source"]
        out = {"type": "input_file"}
        if source.get("kind") == "base64":
            out["file_data"] = data_url(source.get("media_type"), source.get("data", ""))
        elif source.get("kind") == "url":
            out["file_url"] = source.get("url", "")
        elif source.get("kind") == "file":
            out["file_id"] = source.get("file_id", "")
        elif source.get("kind") == "text":
            emit.losses.coerced(path, "responses has no text documents; the document is given as text")
            return {"type": "input_text", "text": source.get("data", "")}
        else:
            emit.losses.dropped(path, f"responses files cannot come from a {source.get('kind')} source")
            return None
        optional(out, "filename", document_filename(part, emit, path, "file_data" in out))
        report_document_extras(part, emit, path, "responses files")
    elif kind == "refusal":
        out = {"type": "refusal", "refusal": part.get("text", "")}
    elif kind == "opaque" and part.get("format") == FORMAT:
        return part["block"]
    else:
        label = part["block"].get("type") if kind == "opaque" else kind
        emit.losses.dropped(path, f"responses message content cannot hold {label!r}")
        return None
    emit.cache_control(out, part, path)
    emit.restore_extra(out, part.get("extra"), path, part.get("quiet"))
    return out


def _annotations(part: hub.Part, emit: Emit) -> list[dict[str, Any]]:
    path = join_path(part.get("path", ""), "citations")
    annotations = (responses_annotation(citation, part.get("citations_format"), len(part["text"]), path,
                                        emit.losses) for citation in part.get("citations") or [])
    return [annotation for annotation in annotations if annotation is not None]


def responses_annotation(citation: dict[str, Any], format: str | None, text_length: int, path: str,
                         losses: LossCollector) -> dict[str, Any] | None:
    """An ``output_text`` annotation for one citation (answers and streams alike): a Responses annotation as
    it came, another format's URL citation as ``url_citation``; None (reported) for what Responses cannot
    cite."""
    if format == FORMAT:
        return citation
    fields = url_citation(citation, text_length)
    if fields is None:
        losses.dropped(path, "responses cites only URLs and files")
        return None
    return {"type": "url_citation", **fields}


def reasoning_item(part: hub.Part, emit: Emit, item_id: str | None = None) -> dict[str, Any] | None:
    """The reasoning item for a hub reasoning part: its own when it came from Responses, else (for a client) one
    carrying the part in an envelope, with ``item_id`` as its id (by default one derived from the envelope)."""
    state = reasoning.opaque_state_of(part)
    if state is not None and state[0] == FORMAT:
        return state[1]
    text = part.get("text") or "\n\n".join(part.get("summary") or [])
    if emit.direction == "response":
        raw = part.get("raw") or {"reasoning_content": text}
        origin = part.get("origin", "chat")
        envelope = reasoning.wrap(origin, raw)  # serialised and encoded once, for the id and the state alike
        if item_id is None:
            item_id = derived_id("rs_", envelope)
        item: dict[str, Any] = {"type": "reasoning", "id": item_id,
                                "summary": [{"type": "summary_text", "text": text}] if text else []}
        item["encrypted_content"] = envelope
        return item
    emit.losses.dropped(part.get("path", ""), f"reasoning from {part.get('origin')} cannot be replayed to responses")
    return None


def call_item(part: hub.Part, emit: Emit) -> dict[str, Any]:
    if emit.same_format and "original" in part:
        return part["original"]
    item: dict[str, Any]
    if part.get("kind") == "custom":
        item = {"type": "custom_tool_call", "call_id": part["id"], "name": part["name"],
                "input": part.get("custom_input", "")}
    else:
        item = {"type": "function_call", "call_id": part["id"], "name": part["name"],
                "arguments": part["arguments"] if emit.same_format and isinstance(part.get("arguments"), str)
                else hub.tool_call_arguments(part)}
    optional(item, "namespace", part.get("namespace"))
    emit.cache_control({}, part, part.get("path", ""))
    emit.restore_extra(item, part.get("extra"), part.get("path", ""), part.get("quiet"))
    return item


def _output_item(part: hub.Part, emit: Emit) -> dict[str, Any]:
    path = part.get("path", "")
    kind = "custom_tool_call_output" if part.get("kind") == "custom" else "function_call_output"
    content = part.get("content")
    output: Any
    if isinstance(content, str):
        output = content
        report_absent_result_content(part, emit, path, "responses tool outputs")
    else:
        output = [c for c in (part_to_content(p, "user", emit) for p in content or []) if c is not None]
    if part.get("is_error") and not emit.same_format:
        emit.losses.dropped(join_path(path, "is_error"), "responses tool outputs have no error flag")
    emit.cache_control({}, part, path)
    item = {"type": kind, "call_id": part["tool_call_id"], "output": output}
    emit.restore_extra(item, part.get("extra"), path, part.get("quiet"))
    return item


def message_items(message: hub.Message, emit: Emit) -> list[dict[str, Any]]:
    """The items one hub message becomes: a run of content parts is one message item, every call,
    output and reasoning part its own item, in the order of the parts."""
    items: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if not run:
            return
        content: Any = list(run)
        if message.role == "assistant" and not emit.same_format and all(c["type"] == "output_text" for c in run):
            # An assistant message without an item id must use the short form, which takes a string.
            content = "".join(c["text"] for c in run)
            report_joined([p for p in message.content if p["type"] == "text"], emit, message.path)
            for c in run:
                if c["annotations"]:
                    emit.losses.dropped(message.path, "citations of earlier answers are not sent back")
        item: dict[str, Any] = {"type": "message", "role": message.role, "content": content}
        if emit.same_format and "type" not in message.quiet:
            del item["type"]  # the client wrote the short form; give it back as written
        emit.restore_extra(item, message.extra, message.path, message.quiet)
        items.append(item)
        run.clear()

    if message.content_is_string and len(message.content) == 1 and (message.role != "assistant" or
                                                                     emit.same_format):
        item = {"role": message.role, "content": message.content[0]["text"]}
        if not emit.same_format:
            item = {"type": "message", **item}
        emit.restore_extra(item, message.extra, message.path, message.quiet)
        return [item]
    _report_refusal_fields(message, emit)
    for part in message.content:
        kind = part["type"]
        if kind == "tool_call":
            flush()
            items.append(call_item(part, emit))
        elif kind == "tool_result":
            flush()
            items.append(_output_item(part, emit))
        elif kind == "reasoning":
            flush()
            replayed = reasoning_item(part, emit)
            if replayed is not None:
                items.append(replayed)
        elif kind == "opaque" and part.get("format") == FORMAT and "role" not in part["block"]:
            flush()
            items.append(part["block"])
        else:
            converted = part_to_content(part, message.role, emit)
            if converted is not None:
                run.append(converted)
    flush()
    if not items and not emit.same_format:
        emit.losses.dropped(message.path, "a message with no content: responses has no item to hold it")
    if message.extra and not any(item.get("role") == message.role for item in items):
        # No message item carries the message's own fields (an assistant turn of calls only): report them.
        emit.restore_extra({}, message.extra, message.path)
    return items


def _report_refusal_fields(message: hub.Message, emit: Emit) -> None:
    """A refusal the source kept in a field of its own (chat's `refusal`) is one more part here: beside
    other refusal parts, nothing says any longer which one the field held."""
    if emit.same_format or len(message.content) < 2:
        return  # nothing to report, and most messages are one part
    refusals = [p for p in message.content if p["type"] == "refusal"]
    if len(refusals) < 2 or emit.same_format:
        return
    for part in refusals:
        if part.get("as_field"):
            emit.losses.coerced(part.get("path", message.path),
                                "responses holds refusals as message parts only; beside other refusal parts "
                                "it no longer reads as a field of its own")
