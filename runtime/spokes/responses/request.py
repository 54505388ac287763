"""Responses API requests (`POST /v1/responses`) <-> the hub."""

from __future__ import annotations

import hashlib
from typing import Any

from ... import hub
from ...fieldmaps import (
    RESPONSES_TO_TOOL_CHOICE,
    TOOL_CHOICE_TO_RESPONSES,
)
from ...losses import LossCollector, join_path
from ...reasoning import requested_effort
from ...tools import clean_schema
from .._common import (
    OPENAI_USER_KEYS,
    USER_KEY_DEFAULTS,
    Emit,
    clamp_max_tokens,
    optional,
    report_joined,
    split_extra,
)
from .content import FORMAT, item_to_message, message_items

# OpenAI refuses user identifiers longer than this.
USER_ID_MAX = 64


_REQUEST_KEYS = frozenset({
    "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "stream", "tools",
    "tool_choice", "parallel_tool_calls", "reasoning", "text", "user", "safety_identifier", "metadata",
})


def request_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Request:
    req = hub.Request(FORMAT, body.get("model"))
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
        req.reasoning = reasoning = hub.Reasoning()
        reasoning.effort = settings.get("effort")
        reasoning.summary = settings.get("summary")
        reasoning.path = "reasoning"
        reasoning.extra = split_extra(settings, _REASONING_KEYS)
    text = body.get("text")
    if isinstance(text, dict):
        fmt = text.get("format")
        if isinstance(fmt, dict):
            req.output_format = hub.OutputFormat(
                type=fmt.get("type", "text"), schema=fmt.get("schema"), name=fmt.get("name"),
                strict=fmt.get("strict"), description=fmt.get("description"), path="text.format",
                original=fmt,
                extra=split_extra(fmt, {"type", "schema", "name", "strict", "description"}))
        req.verbosity = text.get("verbosity")
        # Kept even when empty, so the same format gets back exactly what it sent.
        req.extra["text"] = split_extra(text, {"format", "verbosity"})
    for key in ("safety_identifier", "user"):
        if body.get(key) is not None:
            if req.user is None:
                req.user, req.user_key = body[key], key
            else:
                req.extra[key] = body[key]
    req.metadata = body.get("metadata")
    req.extra.update(split_extra(body, _REQUEST_KEYS))
    return req


_REASONING_KEYS = frozenset({"effort", "summary"})
_FUNCTION_TOOL_KEYS = frozenset({"type", "name", "description", "parameters", "strict", "defer_loading"})
_CUSTOM_TOOL_KEYS = frozenset({"type", "name", "description", "format", "defer_loading"})


def _tool_to_hub(tool: dict[str, Any], path: str) -> list[hub.Tool]:
    get = tool.get  # a request carries dozens of tools, each read field by field
    kind = get("type")
    if kind == "function":
        out = hub.Tool("function", get("name", ""))
        out.description = get("description")
        out.parameters = get("parameters")
        out.parameters_path = f"{path}.parameters"
        out.strict = get("strict")
        if "strict" in tool and tool["strict"] is None:
            out.strict_null_path = f"{path}.strict"
        out.defer_loading = get("defer_loading")
        out.path = path
        out.extra = split_extra(tool, _FUNCTION_TOOL_KEYS)
        out.original = tool
        return [out]
    if kind == "custom":
        custom = hub.Tool("custom", get("name", ""))  # field by field, as above
        custom.description = get("description")
        custom.format = get("format")
        custom.defer_loading = get("defer_loading")
        custom.path = path
        custom.original = tool
        custom.extra = split_extra(tool, _CUSTOM_TOOL_KEYS)
        return [custom]
    if kind == "namespace":
        inner: list[hub.Tool] = []
        for i, sub in enumerate(tool.get("tools") or []):
            for converted in _tool_to_hub(sub, f"{path}.tools[{i}]"):  # path: tools[n], never empty
                converted.namespace = tool.get("name")
                converted.namespace_description = tool.get("description")
                converted.quiet["namespace"] = tool  # the wrapper as written, for Responses again
                inner.append(converted)
        return inner
    return [hub.server_tool(str(kind), tool, FORMAT, path)]


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
        report_joined(req.system, emit, "system")
        body["instructions"] = "\n\n".join(texts)
    if emit.same_format and len(req.messages) == 1 and req.messages[0].path == "input":
        body["input"] = req.messages[0].content[0]["text"]
    else:
        items: list[dict[str, Any]] = []
        for message in req.messages:
            if emit.same_format and message.original is not None:
                items.append(message.original)
                continue
            if message.role in ("system", "developer") and not message.content and not emit.same_format:
                emit.losses.dropped(message.path, "empty system message")
                continue
            items.extend(message_items(message, emit))
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
        # Chat and Responses both have `user` and `safety_identifier`: the client's key is kept between them.
        key = req.user_key if req.user_key in OPENAI_USER_KEYS else USER_KEY_DEFAULTS[FORMAT]
        user = req.user if emit.same_format else safety_identifier(req.user, emit, req.user_key or "user")
        body[key] = user
    optional(body, "metadata", req.metadata)
    if req.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = req.parallel_tool_calls
    optional(body, "stream", req.stream)
    if req.stream_include_usage is not None and not emit.same_format and not req.stream_include_usage:
        emit.losses.dropped("stream_options.include_usage", "responses streams always report usage")
    extra = dict(req.extra)
    text_extra = extra.pop("text", None)
    if text_extra is not None and emit.same_format:
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
                    wrapper = tool.quiet.get("namespace") if emit.same_format else None
                    namespace = {**wrapper, "tools": []} if wrapper else {
                        "type": "namespace", "name": tool.namespace,
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
    if emit.same_format and tool.original is not None:
        return tool.original
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
        if tool.strict_null_path is not None:
            out["strict"] = None
            emit.losses.coerced(tool.strict_null_path, "null is the server's default: responses makes the "
                                "schema strict, chat does not")
        elif strict is None and not emit.same_format:
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
        for key in [k for k in raw if k not in {"type", "name", "allowed_domains", "user_location"}]:  # in the request's order, run to run
            emit.losses.dropped(join_path(tool.path, key), "responses web search has no such setting")
        return out
    emit.losses.dropped(tool.path, f"responses has no server tool like {tool.raw_format} {raw.get('type')!r}")
    return None


def _reasoning(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    settings = req.reasoning
    out: dict[str, Any] = {}
    optional(out, "effort", requested_effort(req, emit.target, emit.losses))
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
        emit.losses.synthesized("include", "reasoning.encrypted_content, so the reasoning can be replayed")
        if "store" not in req.extra:
            # A client that chose `store` itself keeps its choice (the shared key is carried as it is).
            body["store"] = False
            emit.losses.synthesized("store", "false, so the reasoning is replayed from its encrypted state")


def _text(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    text: dict[str, Any] = {}
    fmt = req.output_format
    if fmt is not None and emit.same_format and fmt.original is not None:
        text["format"] = fmt.original
    elif fmt is not None:
        out: dict[str, Any] = {"type": fmt.type}
        if fmt.type == "json_schema":
            if fmt.name is None:
                emit.losses.synthesized(join_path(fmt.path, "name"), "responses json_schema needs a name")
            out["name"] = fmt.name or "output"
            optional(out, "description", fmt.description)
            if fmt.schema is None:  # optional in chat, required here
                emit.losses.synthesized(join_path(fmt.path, "schema"), "responses json_schema needs a schema; "
                                                                       "an empty one was used")
            out["schema"] = fmt.schema or {}
            optional(out, "strict", fmt.strict)
        emit.restore_extra(out, fmt.extra, fmt.path)
        text["format"] = out
    optional(text, "verbosity", req.verbosity)
    if text:
        body["text"] = text
