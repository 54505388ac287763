"""OpenAI Chat Completions (`POST /v1/chat/completions`) <-> the hub.

Also the dialect of most other providers (DeepSeek, Qwen, GLM, Kimi, OpenRouter, vLLM, Ollama), whose
reasoning arrives as `reasoning_content` on the assistant message and must be sent back on the turn after
a tool call.
"""

from __future__ import annotations

import time
from typing import Any

from .. import hub, reasoning
from ..fieldmaps import CHAT_TO_STOP, CHAT_TO_TOOL_CHOICE, STOP_TO_CHAT, TOOL_CHOICE_TO_CHAT
from ..ids import response_id
from ..losses import LossCollector, join_path
from ..tools import clean_schema
from ._common import Emit, clamp_max_tokens, data_url, optional, parse_data_url, split_extra

FORMAT = "chat"

_REQUEST_KEYS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed",
    "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort",
    "response_format", "user", "safety_identifier", "metadata", "verbosity",
})
_RESPONSE_KEYS = frozenset({"id", "object", "created", "model", "choices", "usage"})
# Response keys that describe the serving side, not the answer: kept for chat clients only.
_RESPONSE_QUIET_KEYS = frozenset({"system_fingerprint", "service_tier"})
_USAGE_KEYS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                         "completion_tokens_details"})
# Where providers put reasoning text on an assistant message; the first is the common one.
REASONING_KEYS = ("reasoning_content", "reasoning")
PLACEHOLDER_FOR_HOISTED = "[the tool returned attachments; they follow in the next user message]"


# --- reading -------------------------------------------------------------------------------------------

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
    extra = split_extra(part, known)
    if extra:
        out["extra"] = extra
    out["path"] = path
    return out


def _content_to_parts(content: Any, path: str) -> tuple[list[hub.Part], bool]:
    if isinstance(content, str):
        return [{"type": "text", "text": content, "path": path}], True
    if isinstance(content, list):
        return [content_part_to_hub(p, join_path(path, i)) for i, p in enumerate(content)
                if isinstance(p, dict)], False
    return [], False


def _tool_call_to_hub(call: dict[str, Any], path: str) -> hub.Part:
    if call.get("type") == "custom":
        custom = call.get("custom") or {}
        part: hub.Part = {"type": "tool_call", "id": call.get("id", ""), "name": custom.get("name", ""),
                          "custom_input": custom.get("input", ""), "kind": "custom"}
        known = {"id", "type", "custom"}
    else:
        function = call.get("function") or {}
        part = {"type": "tool_call", "id": call.get("id", ""), "name": function.get("name", ""),
                "arguments": function.get("arguments") or "", "kind": "function"}
        known = {"id", "type", "function"}
    extra = split_extra(call, known)
    if extra:
        part["quiet"] = extra  # streaming leftovers such as `index`
    part["path"] = path
    return part


def _assistant_to_hub(msg: dict[str, Any], path: str) -> hub.Message:
    parts: list[hub.Part] = []
    known = {"role", "content", "tool_calls", "refusal", *REASONING_KEYS}
    for key in REASONING_KEYS:
        if isinstance(msg.get(key), str):
            text = msg[key]
            parts.append({"type": "reasoning", "text": text, "summary": [], "origin": FORMAT,
                          "raw": {"reasoning_content": text}, "key": key, "path": join_path(path, key)})
            break
    content = msg.get("content")
    text_parts, is_string = _content_to_parts(content, join_path(path, "content"))
    parts.extend(text_parts)
    if isinstance(msg.get("refusal"), str):
        parts.append({"type": "refusal", "text": msg["refusal"], "path": join_path(path, "refusal")})
    for i, call in enumerate(msg.get("tool_calls") or []):
        parts.append(_tool_call_to_hub(call, join_path(join_path(path, "tool_calls"), i)))
    quiet = {k: msg[k] for k in ("refusal",) if k in msg and msg[k] is None}
    return hub.Message(role="assistant", content=parts, content_is_string=is_string, path=path,
                       extra=split_extra(msg, known), quiet=quiet, null_content=content is None)


def _tool_message_to_part(msg: dict[str, Any], path: str) -> hub.Part:
    part: hub.Part = {"type": "tool_result", "tool_call_id": msg.get("tool_call_id", ""), "kind": "function",
                      "path": path}
    content = msg.get("content")
    if isinstance(content, list):
        part["content"] = [content_part_to_hub(p, join_path(join_path(path, "content"), i))
                           for i, p in enumerate(content)]
    else:
        part["content"] = content if isinstance(content, str) else ""
        part["content_is_string"] = True
    extra = split_extra(msg, {"role", "tool_call_id", "content"})
    if extra:
        part["extra"] = extra
    return part


def request_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Request:
    req = hub.Request(source=FORMAT, model=body.get("model"))
    for i, msg in enumerate(body.get("messages") or []):
        path = f"messages[{i}]"
        role = msg.get("role", "user")
        if role == "tool":
            part = _tool_message_to_part(msg, path)
            previous = req.messages[-1] if req.messages else None
            # Consecutive tool messages answer one assistant turn: one hub user message of tool results.
            if previous is not None and previous.content and all(
                    p["type"] == "tool_result" for p in previous.content) and previous.role == "user":
                previous.content.append(part)
            else:
                req.messages.append(hub.Message(role="user", content=[part], path=path))
        elif role == "assistant":
            req.messages.append(_assistant_to_hub(msg, path))
        else:
            parts, is_string = _content_to_parts(msg.get("content"), join_path(path, "content"))
            req.messages.append(hub.Message(role=role, content=parts, content_is_string=is_string, path=path,
                                            extra=split_extra(msg, {"role", "content"})))
    for key in ("max_completion_tokens", "max_tokens"):
        if body.get(key) is not None:
            req.max_tokens, req.max_tokens_key = body[key], key
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.seed = body.get("seed")
    stop = body.get("stop")
    if isinstance(stop, str):
        req.stop, req.stop_is_string = [stop], True
    elif isinstance(stop, list):
        req.stop = list(stop)
    req.stream = body.get("stream")
    stream_options = body.get("stream_options")
    if isinstance(stream_options, dict):
        req.stream_include_usage = stream_options.get("include_usage")
        rest = split_extra(stream_options, {"include_usage"})
        if rest:
            req.extra["stream_options"] = rest
    if "tools" in body:
        req.tools = [_tool_to_hub(t, f"tools[{i}]") for i, t in enumerate(body["tools"] or [])]
    req.tool_choice = _tool_choice_to_hub(body.get("tool_choice"))
    req.parallel_tool_calls = body.get("parallel_tool_calls")
    if body.get("reasoning_effort") is not None:
        req.reasoning = hub.Reasoning(effort=body["reasoning_effort"], path="reasoning_effort")
    fmt = body.get("response_format")
    if isinstance(fmt, dict):
        schema = fmt.get("json_schema") or {}
        req.output_format = hub.OutputFormat(
            type=fmt.get("type", "text"), schema=schema.get("schema"), name=schema.get("name"),
            strict=schema.get("strict"), description=schema.get("description"), path="response_format",
            extra=split_extra(schema, {"schema", "name", "strict", "description"}))
    for key in ("user", "safety_identifier"):
        if body.get(key) is not None:
            if req.user is None:
                req.user, req.user_key = body[key], key
            else:
                req.extra[key] = body[key]
    req.metadata = body.get("metadata")
    req.verbosity = body.get("verbosity")
    req.extra.update(split_extra(body, _REQUEST_KEYS))
    return req


def _tool_to_hub(tool: dict[str, Any], path: str) -> hub.Tool:
    kind = tool.get("type")
    if kind == "function":
        fn = tool.get("function") or {}
        return hub.Tool(kind="function", name=fn.get("name", ""), description=fn.get("description"),
                        parameters=fn.get("parameters"), parameters_path=f"{path}.function.parameters",
                        strict=fn.get("strict"), path=path,
                        extra=split_extra(fn, {"name", "description", "parameters", "strict"}))
    if kind == "custom":
        custom = tool.get("custom") or {}
        fmt = custom.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "grammar":
            grammar = fmt.get("grammar") or {}
            fmt = {"type": "grammar", "syntax": grammar.get("syntax"), "definition": grammar.get("definition")}
        return hub.Tool(kind="custom", name=custom.get("name", ""), description=custom.get("description"),
                        format=fmt, path=path, extra=split_extra(custom, {"name", "description", "format"}))
    return hub.Tool(kind="server", name=str(kind), raw=tool, raw_format=FORMAT, path=path)


def _tool_choice_to_hub(choice: Any) -> hub.ToolChoice | None:
    if isinstance(choice, str):
        return hub.ToolChoice(mode=CHAT_TO_TOOL_CHOICE.get(choice, choice))
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            return hub.ToolChoice(mode="tool", name=(choice.get(kind) or {}).get("name"), kind=kind)
        if kind == "allowed_tools":
            allowed = choice.get("allowed_tools") or {}
            mode = "any" if allowed.get("mode") == "required" else "auto"
            return hub.ToolChoice(mode=mode, extra={"allowed_tools": allowed})
    return None


def response_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Response:
    choices = body.get("choices") or []
    for i in range(1, len(choices)):
        losses.dropped(f"choices[{i}]", "only the first choice is translated")
    choice = choices[0] if choices else {}
    message = choice.get("message") or {}
    answer = _assistant_to_hub(message, "choices[0].message")
    content = answer.content
    annotations = message.get("annotations")
    if annotations:
        text_parts = [p for p in content if p["type"] == "text"]
        if text_parts:
            text_parts[-1]["citations"] = [a.get("url_citation", a) for a in annotations]
            text_parts[-1]["citations_format"] = "url"
    usage_body = body.get("usage") or {}
    cached = (usage_body.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is None:
        cached = usage_body.get("prompt_cache_hit_tokens")  # DeepSeek
    cached = cached or 0
    usage = hub.Usage(
        input_tokens=max((usage_body.get("prompt_tokens") or 0) - cached, 0),
        output_tokens=usage_body.get("completion_tokens") or 0,
        cache_read_tokens=cached,
        reasoning_tokens=(usage_body.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0,
        extra=split_extra(usage_body, _USAGE_KEYS),
    )
    finish = choice.get("finish_reason")
    return hub.Response(
        source=FORMAT, id=body.get("id"), model=body.get("model"), content=content,
        stop_reason=CHAT_TO_STOP.get(finish, finish) if finish else None, usage=usage, created=body.get("created"),
        extra=split_extra(body, _RESPONSE_KEYS | _RESPONSE_QUIET_KEYS),
        quiet={k: body[k] for k in _RESPONSE_QUIET_KEYS if k in body},
        message_quiet=answer.quiet | {"__present__": sorted(k for k in ("refusal",) if k in message)},
    )


# --- writing -------------------------------------------------------------------------------------------

def part_to_content(part: hub.Part, emit: Emit) -> dict[str, Any] | None:
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
        filename = part.get("filename") or part.get("title")
        optional(file, "filename", filename)
        if not filename:
            file["filename"] = "document.pdf"
        for key in ("title", "context"):
            if key == "title" and "filename" not in part:
                continue  # the title became the filename
            if key in part and not emit.same_format:
                emit.losses.dropped(join_path(path, key), f"chat file parts have no {key}")
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


def _parts(parts: list[hub.Part], emit: Emit) -> list[dict[str, Any]]:
    return [c for c in (part_to_content(p, emit) for p in parts) if c is not None]


def _plain_text(parts: list[hub.Part], emit: Emit, path: str) -> str:
    """Text parts as one string for roles many providers accept only strings for; other parts reported."""
    texts = []
    for part in parts:
        if part["type"] == "text":
            texts.append(part["text"])
            emit.cache_control({}, part, part.get("path", path))
        else:
            emit.losses.dropped(part.get("path", path), f"chat takes only text here, not {part['type']!r}")
    return "\n\n".join(t for t in texts if t)


def _user_like(message: hub.Message, emit: Emit) -> dict[str, Any] | None:
    """A user, system or developer message."""
    content: Any
    if message.content_is_string and len(message.content) == 1:
        content = message.content[0]["text"]
    elif emit.same_format:
        content = _parts(message.content, emit)
    elif message.role in ("system", "developer"):
        content = _plain_text(message.content, emit, message.path)
        if not content:
            emit.losses.dropped(message.path, "empty system message")
            return None
    else:
        content = _parts(message.content, emit)
        if not content:
            return None
    out = {"role": message.role, "content": content}
    emit.restore_extra(out, message.extra, message.path, message.quiet)
    return out


def tool_results_to_messages(message: hub.Message, emit: Emit) -> list[dict[str, Any]]:
    """A hub user message with tool results: one `tool` message per result, then a user message with
    whatever else the turn held, images and documents from the results hoisted into it (chat tool
    messages take text only)."""
    out: list[dict[str, Any]] = []
    hoisted: list[dict[str, Any]] = []
    rest: list[hub.Part] = []
    for part in message.content:
        if part["type"] != "tool_result":
            rest.append(part)
            continue
        path = part.get("path", message.path)
        content = part.get("content")
        tool_content: Any
        if isinstance(content, str):
            tool_content = content
        elif emit.same_format:
            tool_content = _parts(content or [], emit)
        else:
            texts = [p["text"] for p in content or [] if p["type"] == "text"]
            media = [p for p in content or [] if p["type"] in ("image", "document")]
            for p in content or []:
                if p["type"] not in ("text", "image", "document"):
                    emit.losses.dropped(p.get("path", path), f"chat tool results cannot hold {p['type']!r}")
            if media:
                hoisted.append({"type": "text", "text": f"Attachments returned by tool call {part['tool_call_id']}:"})
                hoisted.extend(_parts(media, emit))
                if not texts:
                    texts = [PLACEHOLDER_FOR_HOISTED]
            tool_content = "\n\n".join(texts)
        if part.get("is_error") and not emit.same_format:
            emit.losses.dropped(join_path(path, "is_error"), "chat tool messages have no error flag")
        emit.cache_control({}, part, path)
        tool_msg = {"role": "tool", "tool_call_id": part["tool_call_id"], "content": tool_content}
        emit.restore_extra(tool_msg, part.get("extra"), path, part.get("quiet"))
        out.append(tool_msg)
    if hoisted or rest:
        user = _parts(rest, emit)
        if hoisted or user:
            out.append({"role": "user", "content": hoisted + user})
    return out


def _reasoning_text(part: hub.Part, emit: Emit) -> str | None:
    state = reasoning.opaque_state_of(part)
    if state is not None and state[0] == FORMAT:
        return state[1].get("reasoning_content", "")
    text = part.get("text") or "\n\n".join(part.get("summary") or [])
    if part.get("origin") != FORMAT:
        emit.losses.dropped(part.get("path", ""), f"the {part.get('origin')} reasoning signature has no place "
                                                  "in chat; only the reasoning text is carried")
    return text or None


def _assistant(message: hub.Message, emit: Emit, echo_reasoning: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant"}
    texts: list[hub.Part] = []
    reasoning_texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.content:
        kind = part["type"]
        if kind == "reasoning" and not echo_reasoning:
            emit.losses.dropped(part.get("path", message.path),
                                "reasoning of an earlier turn is not sent back to chat providers")
        elif kind == "reasoning":
            text = _reasoning_text(part, emit)
            if text is not None:
                reasoning_texts.append(text)
                out.setdefault("_reasoning_key", part.get("key", "reasoning_content"))
        elif kind == "tool_call":
            calls.append(_tool_call(part, emit))
        elif kind == "refusal":
            out["refusal"] = part.get("text", "")
        else:
            texts.append(part)
    key = out.pop("_reasoning_key", None)
    if key:
        out[key] = "\n\n".join(reasoning_texts)
    if message.null_content:
        out["content"] = None
    elif message.content_is_string and len(texts) == 1 and texts[0]["type"] == "text":
        out["content"] = texts[0]["text"]
    elif emit.same_format:
        out["content"] = _parts(texts, emit)
    else:
        content = _plain_text(texts, emit, message.path)
        out["content"] = content if content or not calls else None
    if calls:
        out["tool_calls"] = calls
    emit.restore_extra(out, message.extra, message.path, message.quiet)
    return out


def _tool_call(part: hub.Part, emit: Emit) -> dict[str, Any]:
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


def _current_turn_start(messages: list[hub.Message]) -> int:
    """Index of the last user message that is not only tool results: where the current turn begins.

    DeepSeek-style providers need the reasoning of the current turn's tool loop sent back (and Kimi that of
    every tool-calling message), while some refuse reasoning of earlier plain answers; the
    ``chat_reasoning_echo`` option (``tool_turns``, ``all``, ``none``) chooses."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "user" and any(p["type"] != "tool_result" for p in message.content):
            return index
    return 0


def _messages(req: hub.Request, emit: Emit) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if req.system:
        content = _plain_text(req.system, emit, "system")
        if content:
            out.append({"role": "system", "content": content})
    current_turn = _current_turn_start(req.messages)
    policy = emit.options.get("chat_reasoning_echo", "tool_turns")
    for index, message in enumerate(req.messages):
        if message.role == "assistant":
            echo = emit.same_format or policy == "all" or (policy == "tool_turns" and (
                index >= current_turn or hub.has_tool_calls(message.content)))
            converted = _assistant(message, emit, echo)
            previous = out[-1] if out else None
            if previous is not None and previous["role"] == "assistant" and not emit.same_format:
                merge_assistant(previous, converted)
            else:
                out.append(converted)
        elif message.role == "user" and any(p["type"] == "tool_result" for p in message.content):
            out.extend(tool_results_to_messages(message, emit))
        else:
            converted_user = _user_like(message, emit)
            if converted_user is not None:
                out.append(converted_user)
    return out


def merge_assistant(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Responses items arrive one per message; chat wants reasoning, text and calls of a turn together."""
    for key in REASONING_KEYS:
        if key in other:
            into[key] = "\n\n".join(t for t in (into.get(key), other[key]) if t)
    if other.get("content"):
        into["content"] = "\n\n".join(t for t in (into.get("content"), other["content"]) if t)
    if "tool_calls" in other:
        into["tool_calls"] = into.get("tool_calls", []) + other["tool_calls"]
        into.setdefault("content", None)
    for key, value in other.items():
        into.setdefault(key, value)


def request_from_hub(req: hub.Request, emit: Emit) -> dict[str, Any]:
    body: dict[str, Any] = {}
    optional(body, "model", req.model)
    body["messages"] = _messages(req, emit)
    if req.max_tokens is not None:
        key = req.max_tokens_key if emit.same_format else emit.options.get("chat_max_tokens_key", "max_tokens")
        body[key or "max_tokens"] = clamp_max_tokens(req.max_tokens, emit, req.max_tokens_key or "max_tokens")
    optional(body, "temperature", req.temperature)
    optional(body, "top_p", req.top_p)
    if req.top_k is not None:
        emit.losses.dropped("top_k", "chat has no top_k")
    if req.stop is not None:
        body["stop"] = req.stop[0] if req.stop_is_string and len(req.stop) == 1 else req.stop
    optional(body, "seed", req.seed)
    _tools(req, emit, body)
    _reasoning(req, emit, body)
    _output(req, emit, body)
    if req.user is not None:
        key = req.user_key if emit.same_format else "user"
        body[key or "user"] = req.user
    optional(body, "metadata", req.metadata)
    optional(body, "verbosity", req.verbosity)
    if req.stream is not None:
        body["stream"] = req.stream
    if emit.same_format:
        if req.stream_include_usage is not None:
            body["stream_options"] = {"include_usage": req.stream_include_usage}
    elif req.stream:
        # Always ask for the usage chunk: the client's format may require usage even if chat does not.
        body["stream_options"] = {"include_usage": True}
    extra = dict(req.extra)
    stream_extra = extra.pop("stream_options", None)
    if stream_extra and emit.same_format:
        body.setdefault("stream_options", {}).update(stream_extra)
    for key in extra.pop("output_config", None) or {}:
        emit.losses.dropped(f"output_config.{key}", f"no equivalent in {emit.target}")
    emit.restore_extra(body, extra, "")
    return body


def _tools(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    if req.tools is not None:
        tools = []
        for tool in req.tools:
            converted = _tool_from_hub(tool, emit)
            if converted is not None:
                tools.append(converted)
        if tools or emit.same_format:
            body["tools"] = tools
    choice = req.tool_choice
    if choice is not None and (body.get("tools") or emit.same_format):
        if choice.mode == "tool":
            kind = choice.kind if choice.kind in ("function", "custom") else "function"
            body["tool_choice"] = {"type": kind, kind: {"name": choice.name}}
        elif "allowed_tools" in choice.extra and emit.same_format:
            body["tool_choice"] = {"type": "allowed_tools", "allowed_tools": choice.extra["allowed_tools"]}
        else:
            body["tool_choice"] = TOOL_CHOICE_TO_CHAT.get(choice.mode, "auto")
            emit.restore_extra({}, choice.extra, choice.path)
    if req.parallel_tool_calls is not None and (body.get("tools") or emit.same_format):
        body["parallel_tool_calls"] = req.parallel_tool_calls


def _tool_from_hub(tool: hub.Tool, emit: Emit) -> dict[str, Any] | None:
    if tool.kind == "server":
        if tool.raw_format == FORMAT:
            return tool.raw
        emit.losses.dropped(tool.path, f"chat has no server tools like {(tool.raw or {}).get('type')!r}")
        return None
    if tool.cache_control is not None:
        emit.cache_control({}, {"cache_control": tool.cache_control}, tool.path)
    if tool.defer_loading is not None and not emit.same_format:
        emit.losses.dropped(join_path(tool.path, "defer_loading"), "chat loads every tool up front")
    if tool.kind == "custom":
        custom: dict[str, Any] = {"name": tool.name}
        optional(custom, "description", tool.description)
        fmt = tool.format
        if isinstance(fmt, dict) and fmt.get("type") == "grammar":
            fmt = {"type": "grammar", "grammar": {"syntax": fmt.get("syntax"), "definition": fmt.get("definition")}}
        optional(custom, "format", fmt)
        emit.restore_extra(custom, tool.extra, tool.path, tool.quiet)
        return {"type": "custom", "custom": custom}
    parameters = tool.parameters
    if not emit.same_format:
        parameters = clean_schema(parameters, FORMAT, tool.parameters_path or tool.path, emit.losses)
    function: dict[str, Any] = {"name": tool.name}
    optional(function, "description", tool.description)
    optional(function, "parameters", parameters)
    optional(function, "strict", tool.strict)
    emit.restore_extra(function, tool.extra, tool.path, tool.quiet)
    return {"type": "function", "function": function}


def _reasoning(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    effort = reasoning_effort(req, emit)
    optional(body, "reasoning_effort", effort)


def reasoning_effort(req: hub.Request, emit: Emit) -> str | None:
    """The OpenAI reasoning effort a hub request asks for, from an effort or a thinking budget."""
    settings = req.reasoning
    if settings is not None and settings.effort is not None:
        return settings.effort
    if req.effort is not None:
        return req.effort
    if settings is None or settings.mode is None:
        return None
    if settings.mode == "enabled" and settings.budget_tokens is not None:
        return reasoning.budget_to_effort(settings.budget_tokens)
    if settings.mode == "disabled":
        emit.losses.dropped(settings.path, f"{emit.target} has no portable way to turn reasoning off")
    elif settings.mode != "enabled":
        emit.losses.dropped(settings.path, f"{emit.target} has no {settings.mode!r} thinking; provider default used")
    return None


def _output(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    fmt = req.output_format
    if fmt is None:
        return
    if fmt.type != "json_schema":
        body["response_format"] = {"type": fmt.type}
        return
    schema: dict[str, Any] = {}
    if fmt.name is None:
        emit.losses.synthesized(join_path(fmt.path, "name"), "chat json_schema needs a name")
    schema["name"] = fmt.name or "output"
    optional(schema, "description", fmt.description)
    schema["schema"] = fmt.schema or {}
    optional(schema, "strict", fmt.strict)
    emit.restore_extra(schema, fmt.extra, fmt.path)
    body["response_format"] = {"type": "json_schema", "json_schema": schema}


def response_from_hub(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    out = _response_message(resp, emit)
    stop = resp.stop_reason
    has_calls = "tool_calls" in out
    if stop == "tool_use" and not has_calls:
        stop = "end_turn"
    elif has_calls and stop in ("end_turn", "stop_sequence", "pause_turn", None):
        stop = "tool_use"
    body: dict[str, Any] = {
        "id": resp.id if emit.same_format and resp.id else response_id(resp.id, FORMAT),
        "object": "chat.completion",
        "created": resp.created if resp.created is not None else int(time.time()),
        "model": emit.context.client_model or resp.model or "",
        "choices": [{"index": 0, "message": out,
                     "finish_reason": STOP_TO_CHAT.get(stop, stop) if stop else None, "logprobs": None}],
        "usage": usage_from_hub(resp.usage or hub.Usage(), emit),
    }
    emit.restore_extra(body, resp.extra, "", resp.quiet)
    return body


def _response_message(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant"}
    texts: list[str] = []
    reasoning_texts: list[str] = []
    calls: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for part in resp.content:
        kind = part["type"]
        path = part.get("path", "")
        if kind == "text":
            texts.append(part["text"])
            annotations.extend(_annotations(part, emit))
        elif kind == "reasoning":
            text = part.get("text") or "\n\n".join(part.get("summary") or [])
            if part.get("origin") != FORMAT:
                emit.losses.dropped(path, f"chat has no place for {part.get('origin')} reasoning state; "
                                          "only its text is carried")
            if text:
                reasoning_texts.append(text)
        elif kind == "tool_call":
            calls.append(_tool_call(part, emit))
        elif kind == "refusal":
            out["refusal"] = part.get("text", "")
        else:
            label = part["block"].get("type") if kind == "opaque" else kind
            emit.losses.dropped(path, f"a chat message cannot hold {label!r}")
    out["content"] = "".join(texts) if texts or not calls else None
    keep_absent = emit.same_format and "refusal" not in resp.message_quiet.get("__present__", ["refusal"])
    if "refusal" not in out and not keep_absent:
        out["refusal"] = None
    if reasoning_texts:
        out["reasoning_content"] = "\n\n".join(reasoning_texts)
    if calls:
        out["tool_calls"] = calls
    if annotations:
        out["annotations"] = annotations
    return out


def _annotations(part: hub.Part, emit: Emit) -> list[dict[str, Any]]:
    out = []
    for citation in part.get("citations") or []:
        url = citation.get("url")
        if not url:
            emit.losses.dropped(join_path(part.get("path", ""), "citations"), "chat cites only URLs")
            continue
        out.append({"type": "url_citation", "url_citation": {
            "url": url, "title": citation.get("title") or "",
            "start_index": citation.get("start_index", 0),
            "end_index": citation.get("end_index", len(part["text"]))}})
    return out


def usage_from_hub(usage: hub.Usage, emit: Emit) -> dict[str, Any]:
    prompt = usage.prompt_tokens
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
    if usage.cache_write_tokens and not emit.same_format:
        emit.losses.coerced("usage.cache_creation_input_tokens", "chat has no cache-write count; "
                                                                 "counted in prompt_tokens")
    emit.restore_extra(out, usage.extra, "usage")
    return out
