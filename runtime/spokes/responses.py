"""The OpenAI Responses API (`POST /v1/responses`) <-> the hub.

Responses input is a flat list of items (messages, function calls, their outputs, reasoning).  Each item
becomes one hub message, so that writing Responses again gives the same items in the same order; the
other spokes merge consecutive messages of one role into a turn.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from .. import hub, reasoning
from ..fieldmaps import (
    RESPONSES_INCOMPLETE_TO_STOP,
    RESPONSES_TO_TOOL_CHOICE,
    STOP_TO_RESPONSES,
    TOOL_CHOICE_TO_RESPONSES,
)
from ..ids import derived_id, response_id
from ..losses import LossCollector, join_path
from ..tools import clean_schema
from ._common import Emit, clamp_max_tokens, data_url, optional, parse_data_url, split_extra
from .chat import reasoning_effort

FORMAT = "responses"
# OpenAI refuses user identifiers longer than this.
USER_ID_MAX = 64

_REQUEST_KEYS = frozenset({
    "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "stream", "tools",
    "tool_choice", "parallel_tool_calls", "reasoning", "text", "user", "safety_identifier", "metadata",
})
_ITEM_QUIET_KEYS = ("id", "status", "type")
_RESPONSE_KEYS = frozenset({"id", "object", "created_at", "model", "output", "status", "incomplete_details",
                            "usage", "error"})
_USAGE_KEYS = frozenset({"input_tokens", "output_tokens", "total_tokens", "input_tokens_details",
                         "output_tokens_details"})
_OUTPUT_ITEMS = {"function_call", "custom_tool_call", "reasoning"}


# --- reading -------------------------------------------------------------------------------------------

def content_part_to_hub(part: dict[str, Any], path: str) -> hub.Part:
    kind = part.get("type")
    out: hub.Part
    quiet: dict[str, Any] = {}
    if kind in ("input_text", "output_text"):
        out = {"type": "text", "text": part.get("text", "")}
        known = {"type", "text", "annotations", "logprobs"}
        if part.get("annotations"):
            out["citations"] = part["annotations"]
            out["citations_format"] = FORMAT
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
    extra = split_extra(part, known)
    if extra:
        out["extra"] = extra
    if quiet:
        out["quiet"] = quiet
    out["path"] = path
    return out


def _content_to_parts(content: Any, path: str) -> tuple[list[hub.Part], bool]:
    if isinstance(content, str):
        return [{"type": "text", "text": content, "path": path}], True
    if isinstance(content, list):
        return [content_part_to_hub(p, join_path(path, i)) for i, p in enumerate(content)
                if isinstance(p, dict)], False
    return [], False


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
    kind = item.get("type", "message")
    if kind == "message":
        parts, is_string = _content_to_parts(item.get("content"), join_path(path, "content"))
        quiet = {k: item[k] for k in _ITEM_QUIET_KEYS if k in item}
        return hub.Message(role=item.get("role", "user"), content=parts, content_is_string=is_string, path=path,
                           extra=split_extra(item, {"role", "content", *_ITEM_QUIET_KEYS}), quiet=quiet)
    if kind in ("function_call_output", "custom_tool_call_output"):
        return hub.Message(role="user", content=[_output_item_to_part(item, path)], path=path)
    if kind in ("function_call", "custom_tool_call", "reasoning"):
        return hub.Message(role="assistant", content=[item_to_part(item, path)], path=path)
    role = "user" if kind.endswith("_output") else "assistant"
    return hub.Message(role=role, content=[{"type": "opaque", "format": FORMAT, "block": item, "path": path}],
                       path=path)


def request_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Request:
    req = hub.Request(source=FORMAT, model=body.get("model"))
    if body.get("instructions") is not None:
        req.system = [{"type": "text", "text": body["instructions"], "path": "instructions"}]
        req.system_is_string = True
    items = body.get("input")
    if isinstance(items, str):
        req.messages.append(hub.Message(role="user", content=[{"type": "text", "text": items, "path": "input"}],
                                        content_is_string=True, path="input"))
    else:
        for i, item in enumerate(items or []):
            if isinstance(item, dict):
                req.messages.append(item_to_message(item, f"input[{i}]"))
    req.max_tokens = body.get("max_output_tokens")
    req.max_tokens_key = "max_output_tokens"
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.stream = body.get("stream")
    if "tools" in body:
        req.tools = []
        for i, tool in enumerate(body["tools"] or []):
            req.tools.extend(_tool_to_hub(tool, f"tools[{i}]"))
    req.tool_choice = _tool_choice_to_hub(body.get("tool_choice"))
    req.parallel_tool_calls = body.get("parallel_tool_calls")
    settings = body.get("reasoning")
    if isinstance(settings, dict):
        req.reasoning = hub.Reasoning(effort=settings.get("effort"), summary=settings.get("summary"),
                                      path="reasoning", extra=split_extra(settings, {"effort", "summary"}))
    text = body.get("text")
    if isinstance(text, dict):
        fmt = text.get("format")
        if isinstance(fmt, dict):
            req.output_format = hub.OutputFormat(
                type=fmt.get("type", "text"), schema=fmt.get("schema"), name=fmt.get("name"),
                strict=fmt.get("strict"), description=fmt.get("description"), path="text.format",
                extra=split_extra(fmt, {"type", "schema", "name", "strict", "description"}))
        req.verbosity = text.get("verbosity")
        rest = split_extra(text, {"format", "verbosity"})
        if rest:
            req.extra["text"] = rest
    for key in ("safety_identifier", "user"):
        if body.get(key) is not None:
            if req.user is None:
                req.user, req.user_key = body[key], key
            else:
                req.extra[key] = body[key]
    req.metadata = body.get("metadata")
    req.extra.update(split_extra(body, _REQUEST_KEYS))
    return req


def _tool_to_hub(tool: dict[str, Any], path: str) -> list[hub.Tool]:
    kind = tool.get("type")
    if kind == "function":
        return [hub.Tool(kind="function", name=tool.get("name", ""), description=tool.get("description"),
                         parameters=tool.get("parameters"), parameters_path=join_path(path, "parameters"),
                         strict=tool.get("strict"),
                         defer_loading=tool.get("defer_loading"), path=path,
                         extra=split_extra(tool, {"type", "name", "description", "parameters", "strict",
                                                  "defer_loading"}))]
    if kind == "custom":
        return [hub.Tool(kind="custom", name=tool.get("name", ""), description=tool.get("description"),
                         format=tool.get("format"), defer_loading=tool.get("defer_loading"), path=path,
                         extra=split_extra(tool, {"type", "name", "description", "format", "defer_loading"}))]
    if kind == "namespace":
        inner: list[hub.Tool] = []
        for i, sub in enumerate(tool.get("tools") or []):
            for converted in _tool_to_hub(sub, join_path(join_path(path, "tools"), i)):
                converted.namespace = tool.get("name")
                converted.namespace_description = tool.get("description")
                inner.append(converted)
        return inner
    return [hub.Tool(kind="server", name=str(kind), raw=tool, raw_format=FORMAT, path=path)]


def _tool_choice_to_hub(choice: Any) -> hub.ToolChoice | None:
    if isinstance(choice, str):
        return hub.ToolChoice(mode=RESPONSES_TO_TOOL_CHOICE.get(choice, choice))
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            return hub.ToolChoice(mode="tool", name=choice.get("name"), kind=kind)
        if kind == "allowed_tools":
            return hub.ToolChoice(mode="any" if choice.get("mode") == "required" else "auto",
                                  extra={"allowed_tools": choice})
        return hub.ToolChoice(mode="auto", extra={"hosted_tool": choice})
    return None


def response_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Response:
    content: list[hub.Part] = []
    for i, item in enumerate(body.get("output") or []):
        path = f"output[{i}]"
        kind = item.get("type")
        if kind == "message":
            parts, _ = _content_to_parts(item.get("content"), join_path(path, "content"))
            for part in parts:
                part["item"] = {k: item[k] for k in ("id", "status") if k in item} | {"index": i}
            content.extend(parts)
        elif kind in _OUTPUT_ITEMS:
            content.append(item_to_part(item, path))
        else:
            content.append({"type": "opaque", "format": FORMAT, "block": item, "path": path})
    usage_body = body.get("usage") or {}
    details = usage_body.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") or 0
    written = details.get("cache_write_tokens") or 0
    usage = hub.Usage(
        input_tokens=max((usage_body.get("input_tokens") or 0) - cached - written, 0),
        output_tokens=usage_body.get("output_tokens") or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=(usage_body.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
        extra=split_extra(usage_body, _USAGE_KEYS),
    )
    status = body.get("status")
    reason = (body.get("incomplete_details") or {}).get("reason")
    if status == "incomplete":
        stop = RESPONSES_INCOMPLETE_TO_STOP.get(reason, "max_tokens")
    elif status == "failed":
        stop = "error"
    elif any(p["type"] == "tool_call" for p in content):
        stop = "tool_use"
    elif any(p["type"] == "refusal" for p in content):
        stop = "refusal"
    else:
        stop = "end_turn" if status in ("completed", None) else status
    quiet = split_extra(body, _RESPONSE_KEYS)
    for key in ("status", "incomplete_details", "error", "object"):
        if key in body:
            quiet[key] = body[key]
    return hub.Response(source=FORMAT, id=body.get("id"), model=body.get("model"), content=content,
                        stop_reason=stop, usage=usage, created=body.get("created_at"), quiet=quiet)


# --- writing -------------------------------------------------------------------------------------------

def part_to_content(part: hub.Part, role: str, emit: Emit) -> dict[str, Any] | None:
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
        filename = part.get("filename") or part.get("title")
        if filename is None and "file_data" in out and not emit.same_format:
            filename = "document.pdf"
        optional(out, "filename", filename)
        for key in ("title", "context"):
            if key == "title" and "filename" not in part:
                continue  # the title became the filename
            if key in part and not emit.same_format:
                emit.losses.dropped(join_path(path, key), f"responses files have no {key}")
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
    citations = part.get("citations") or []
    if part.get("citations_format") == FORMAT:
        return citations
    out = []
    for citation in citations:
        url = citation.get("url")
        if not url:
            emit.losses.dropped(join_path(part.get("path", ""), "citations"), "responses cites only URLs and files")
            continue
        out.append({"type": "url_citation", "url": url, "title": citation.get("title") or "",
                    "start_index": citation.get("start_index", 0),
                    "end_index": citation.get("end_index", len(part["text"]))})
    return out


def _reasoning_item(part: hub.Part, emit: Emit) -> dict[str, Any] | None:
    state = reasoning.opaque_state_of(part)
    if state is not None and state[0] == FORMAT:
        return state[1]
    text = part.get("text") or "\n\n".join(part.get("summary") or [])
    if emit.direction == "response":
        raw = part.get("raw") or {"reasoning_content": text}
        origin = part.get("origin", "chat")
        item: dict[str, Any] = {"type": "reasoning", "id": derived_id("rs_", reasoning.wrap(origin, raw)),
                                "summary": [{"type": "summary_text", "text": text}] if text else []}
        item["encrypted_content"] = reasoning.wrap(origin, raw)
        return item
    emit.losses.dropped(part.get("path", ""), f"reasoning from {part.get('origin')} cannot be replayed to responses")
    return None


def _call_item(part: hub.Part, emit: Emit) -> dict[str, Any]:
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
    else:
        output = [c for c in (part_to_content(p, "user", emit) for p in content or []) if c is not None]
    if part.get("is_error") and not emit.same_format:
        emit.losses.dropped(join_path(path, "is_error"), "responses tool outputs have no error flag")
    emit.cache_control({}, part, path)
    item = {"type": kind, "call_id": part["tool_call_id"], "output": output}
    emit.restore_extra(item, part.get("extra"), path, part.get("quiet"))
    return item


def _message_items(message: hub.Message, emit: Emit) -> list[dict[str, Any]]:
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
    for part in message.content:
        kind = part["type"]
        if kind == "tool_call":
            flush()
            items.append(_call_item(part, emit))
        elif kind == "tool_result":
            flush()
            items.append(_output_item(part, emit))
        elif kind == "reasoning":
            flush()
            reasoning_item = _reasoning_item(part, emit)
            if reasoning_item is not None:
                items.append(reasoning_item)
        elif kind == "opaque" and part.get("format") == FORMAT and "role" not in part["block"]:
            flush()
            items.append(part["block"])
        else:
            converted = part_to_content(part, message.role, emit)
            if converted is not None:
                run.append(converted)
    flush()
    return items


def request_from_hub(req: hub.Request, emit: Emit) -> dict[str, Any]:
    body: dict[str, Any] = {}
    optional(body, "model", req.model)
    if req.system:
        texts = []
        for part in req.system:
            if part["type"] == "text":
                texts.append(part["text"])
                emit.cache_control({}, part, part.get("path", "system"))
            else:
                emit.losses.dropped(part.get("path", "system"), "responses instructions are text only")
        body["instructions"] = "\n\n".join(texts)
    if emit.same_format and len(req.messages) == 1 and req.messages[0].path == "input":
        body["input"] = req.messages[0].content[0]["text"]
    else:
        items: list[dict[str, Any]] = []
        for message in req.messages:
            if message.role in ("system", "developer") and not message.content and not emit.same_format:
                emit.losses.dropped(message.path, "empty system message")
                continue
            items.extend(_message_items(message, emit))
        body["input"] = items
    if req.max_tokens is not None:
        body["max_output_tokens"] = clamp_max_tokens(req.max_tokens, emit, req.max_tokens_key or "max_tokens")
    optional(body, "temperature", req.temperature)
    optional(body, "top_p", req.top_p)
    for key, value in (("top_k", req.top_k), ("stop", req.stop), ("seed", req.seed)):
        if value is not None:
            emit.losses.dropped(key if key != "stop" else "stop_sequences" if req.source == "anthropic" else "stop",
                                f"responses has no {key}")
    _tools(req, emit, body)
    _reasoning(req, emit, body)
    _text(req, emit, body)
    if req.user is not None:
        key = req.user_key if emit.same_format else "safety_identifier"
        user = req.user if emit.same_format else safety_identifier(req.user, emit, req.user_key or "user")
        body[key or "safety_identifier"] = user
    optional(body, "metadata", req.metadata)
    if req.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = req.parallel_tool_calls
    optional(body, "stream", req.stream)
    if req.stream_include_usage is not None and not emit.same_format and not req.stream_include_usage:
        emit.losses.dropped("stream_options.include_usage", "responses streams always report usage")
    extra = dict(req.extra)
    text_extra = extra.pop("text", None)
    if text_extra and emit.same_format:
        body.setdefault("text", {}).update(text_extra)
    for key in extra.pop("output_config", None) or {}:
        emit.losses.dropped(f"output_config.{key}", f"no equivalent in {emit.target}")
    emit.restore_extra(body, extra, "")
    return body


def safety_identifier(user: str, emit: Emit, path: str) -> str:
    """An end-user id OpenAI accepts: ids longer than it allows are hashed (stable, so still useful)."""
    if len(user) <= USER_ID_MAX:
        return user
    emit.losses.coerced(path, f"longer than {USER_ID_MAX} characters; hashed")
    return "sha256:" + hashlib.sha256(user.encode()).hexdigest()[: USER_ID_MAX - 7]


def _tools(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    if req.tools is not None:
        tools: list[dict[str, Any]] = []
        namespace: dict[str, Any] | None = None
        for tool in req.tools:
            converted = _tool_from_hub(tool, emit)
            if converted is None:
                continue
            if tool.namespace:
                if namespace is None or namespace["name"] != tool.namespace:
                    namespace = {"type": "namespace", "name": tool.namespace,
                                 "description": tool.namespace_description or "", "tools": []}
                    tools.append(namespace)
                namespace["tools"].append(converted)
            else:
                namespace = None
                tools.append(converted)
        body["tools"] = tools
    choice = req.tool_choice
    if choice is not None:
        if choice.mode == "tool":
            body["tool_choice"] = {"type": choice.kind if choice.kind in ("function", "custom") else "function",
                                   "name": choice.name}
        elif emit.same_format and choice.extra:
            body["tool_choice"] = next(iter(choice.extra.values()))
        else:
            body["tool_choice"] = TOOL_CHOICE_TO_RESPONSES.get(choice.mode, "auto")
            emit.restore_extra({}, choice.extra, choice.path)


def _tool_from_hub(tool: hub.Tool, emit: Emit) -> dict[str, Any] | None:
    if tool.kind == "server":
        return _server_tool(tool, emit)
    if tool.cache_control is not None:
        emit.cache_control({}, {"cache_control": tool.cache_control}, tool.path)
    out: dict[str, Any] = {"type": tool.kind, "name": tool.name}
    optional(out, "description", tool.description)
    if tool.kind == "custom":
        optional(out, "format", tool.format)
    else:
        parameters = tool.parameters
        if not emit.same_format:
            parameters = clean_schema(parameters, FORMAT, tool.parameters_path or tool.path, emit.losses)
        optional(out, "parameters", parameters)
        strict = tool.strict
        if strict is None and not emit.same_format:
            strict = False  # the other formats' tools are not strict; Responses would try to make them so
        optional(out, "strict", strict)
    optional(out, "defer_loading", tool.defer_loading)
    emit.restore_extra(out, tool.extra, tool.path, tool.quiet)
    return out


def _server_tool(tool: hub.Tool, emit: Emit) -> dict[str, Any] | None:
    raw = tool.raw or {}
    if tool.raw_format == FORMAT:
        return raw
    if tool.raw_format == "anthropic" and str(raw.get("type", "")).startswith("web_search_"):
        out: dict[str, Any] = {"type": "web_search"}
        if raw.get("allowed_domains"):
            out["filters"] = {"allowed_domains": raw["allowed_domains"]}
        location = raw.get("user_location")
        if isinstance(location, dict):
            out["user_location"] = {"type": "approximate", **{k: v for k, v in location.items() if k != "type"}}
        for key in raw.keys() - {"type", "name", "allowed_domains", "user_location"}:
            emit.losses.dropped(join_path(tool.path, key), "responses web search has no such setting")
        return out
    emit.losses.dropped(tool.path, f"responses has no server tool like {tool.raw_format} {raw.get('type')!r}")
    return None


def _reasoning(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    settings = req.reasoning
    out: dict[str, Any] = {}
    optional(out, "effort", reasoning_effort(req, emit))
    if settings is not None:
        summary = settings.summary
        if summary is None and not emit.same_format and settings.mode in ("enabled", "adaptive") \
                and settings.display != "omitted":
            summary = "auto"
            emit.losses.synthesized(settings.path, "reasoning.summary auto, so the thinking is shown as before")
        optional(out, "summary", summary)
        emit.restore_extra(out, settings.extra, settings.path)
    if out or (settings is not None and emit.same_format):
        body["reasoning"] = out
    if out and not emit.same_format and req.reasoning is not None and req.reasoning.mode != "disabled":
        # Stateless replay of reasoning needs the encrypted state back in every response.
        body["include"] = ["reasoning.encrypted_content"]
        body["store"] = False
        emit.losses.synthesized(settings.path if settings else "reasoning",
                                "include reasoning.encrypted_content and store false, to replay reasoning")


def _text(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    text: dict[str, Any] = {}
    fmt = req.output_format
    if fmt is not None:
        out: dict[str, Any] = {"type": fmt.type}
        if fmt.type == "json_schema":
            if fmt.name is None:
                emit.losses.synthesized(join_path(fmt.path, "name"), "responses json_schema needs a name")
            out["name"] = fmt.name or "output"
            optional(out, "description", fmt.description)
            out["schema"] = fmt.schema or {}
            optional(out, "strict", fmt.strict)
        emit.restore_extra(out, fmt.extra, fmt.path)
        text["format"] = out
    optional(text, "verbosity", req.verbosity)
    if text:
        body["text"] = text


def response_from_hub(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    message: dict[str, Any] | None = None
    message_index = None
    for part in resp.content:
        kind = part["type"]
        if kind == "text" and not part["text"] and not emit.same_format:
            continue
        if kind in ("text", "refusal"):
            item_info = part.get("item", {}) if emit.same_format else {}
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
            item = _reasoning_item(part, emit)
            if item is not None:
                output.append(item)
        elif kind == "tool_call":
            item = _call_item(part, emit)
            quiet = part.get("quiet") or {}
            item.setdefault("id", quiet.get("id") or derived_id("fc_" if part.get("kind") != "custom" else "ctc_",
                                                                part["id"]))
            item.setdefault("status", "completed")
            output.append(item)
        elif kind == "opaque" and part.get("format") == FORMAT:
            output.append(part["block"])
        else:
            label = part["block"].get("type") if kind == "opaque" else kind
            emit.losses.dropped(part.get("path", ""), f"responses output cannot hold {label!r}")
    status, reason = STOP_TO_RESPONSES.get(resp.stop_reason or "end_turn", ("completed", None))
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
    emit.restore_extra(body, resp.extra, "")
    return body


def usage_from_hub(usage: hub.Usage, emit: Emit) -> dict[str, Any]:
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
