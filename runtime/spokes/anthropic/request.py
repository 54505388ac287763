"""Anthropic Messages requests (`POST /v1/messages`) <-> the hub."""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...fieldmaps import TEMPERATURE_MAX
from ...losses import LossCollector, join_path
from ...tools import clean_schema
from .._common import USER_KEY_DEFAULTS, Emit, clamp_max_tokens, optional, split_extra
from .content import FORMAT, content_to_parts, parts_to_blocks

DEFAULT_MAX_TOKENS = 32000


_REQUEST_KEYS = frozenset({
    "model", "messages", "system", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences",
    "stream", "tools", "tool_choice", "thinking", "metadata", "output_config",
})


_MESSAGE_KEYS = frozenset({"role", "content"})
_THINKING_KEYS = frozenset({"type", "budget_tokens", "display"})
_TOOL_KEYS = frozenset({"name", "description", "input_schema", "strict", "cache_control", "defer_loading", "type"})


def request_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Request:
    req = hub.Request(FORMAT, body.get("model"))
    if "system" in body:
        req.system, req.system_is_string = content_to_parts(body["system"], "system")
    for i, msg in enumerate(body.get("messages") or []):
        path = f"messages[{i}]"
        parts, is_string = content_to_parts(msg.get("content"), f"{path}.content")
        message = hub.Message(msg.get("role", "user"), parts, is_string, path, split_extra(msg, _MESSAGE_KEYS))
        message.original = msg
        req.messages.append(message)
    if "tools" in body:
        req.tools = [_tool_to_hub(t, f"tools[{i}]") for i, t in enumerate(body["tools"] or [])]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        req.tool_choice = hub.ToolChoice(mode=choice.get("type", "auto"), name=choice.get("name"),
                                         extra=split_extra(choice, {"type", "name", "disable_parallel_tool_use"}))
        if "disable_parallel_tool_use" in choice:
            req.parallel_tool_calls = not choice["disable_parallel_tool_use"]
    req.max_tokens = body.get("max_tokens")
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.top_k = body.get("top_k")
    if "stop_sequences" in body:
        req.stop = list(body["stop_sequences"] or [])
    req.stream = body.get("stream")
    thinking = body.get("thinking")
    if isinstance(thinking, dict):
        req.reasoning = settings = hub.Reasoning(thinking.get("type"), thinking.get("budget_tokens"))
        settings.display = thinking.get("display")
        settings.path = "thinking"
        settings.extra = split_extra(thinking, _THINKING_KEYS)
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        if "user_id" in metadata:
            req.user, req.user_key = metadata["user_id"], "metadata.user_id"
        rest = split_extra(metadata, {"user_id"})
        if rest or "user_id" not in metadata:
            req.metadata = rest
    output_config = body.get("output_config")
    if isinstance(output_config, dict):
        req.effort = output_config.get("effort")
        fmt = output_config.get("format")
        if isinstance(fmt, dict):
            req.output_format = hub.OutputFormat(type=fmt.get("type", "json_schema"), schema=fmt.get("schema"),
                                                 path="output_config.format", original=fmt,
                                                 extra=split_extra(fmt, {"type", "schema"}))
        # Kept even when empty, so the same format gets back exactly what it sent.
        req.extra["output_config"] = split_extra(output_config, {"effort", "format"})
    req.extra.update(split_extra(body, _REQUEST_KEYS))
    return req


def _tool_to_hub(tool: dict[str, Any], path: str) -> hub.Tool:
    get = tool.get  # a request carries dozens of tools, each read field by field
    if get("type") not in (None, "custom"):
        return hub.server_tool(get("name", ""), tool, FORMAT, path)
    out = hub.Tool("function", get("name", ""))
    out.description = get("description")
    out.parameters = get("input_schema")
    out.parameters_path = f"{path}.input_schema"
    out.strict = get("strict")
    out.cache_control = get("cache_control")
    out.defer_loading = get("defer_loading")
    out.path = path
    out.extra = split_extra(tool, _TOOL_KEYS)
    if "type" in tool:
        out.quiet = {"type": tool["type"]}
    out.original = tool
    return out


def _content(message: hub.Message, emit: Emit) -> str | list[dict[str, Any]]:
    if message.content_is_string and len(message.content) == 1 and message.content[0]["type"] == "text":
        return message.content[0]["text"]
    return parts_to_blocks(message.content, emit)


def merge_turns(messages: list[hub.Message], losses: LossCollector | None = None) -> list[hub.Message]:
    """Consecutive messages of one role as one message: Responses items arrive one per message, while
    Anthropic wants a tool_use next to its thinking and all tool_results of a turn in one user message."""
    merged: list[hub.Message] = []
    for message in messages:
        if merged and merged[-1].role == message.role and message.role in ("user", "assistant"):
            if losses is not None and not _one_turn_of_items(merged[-1], message):
                losses.coerced(message.path, f"joined to the {message.role} message before it")
            if losses is not None:
                # The turn is written with the first message's fields; this one's have no place left.
                for key, value in message.extra.items():
                    if value != {}:
                        losses.dropped(join_path(message.path, key), "no equivalent in anthropic")
            last = merged[-1]
            if last.content_is_string:
                last.content_is_string = False
            last.content = last.content + message.content
            continue
        merged.append(hub.Message(message.role, list(message.content), message.content_is_string, message.path,
                                  message.extra, message.quiet))
    return merged


def _one_turn_of_items(first: hub.Message, second: hub.Message) -> bool:
    """Responses items that are parts of one turn (a call beside its reasoning, results of one turn):
    putting them in one message is how Anthropic writes a turn, not a change."""
    structural = {"tool_call", "tool_result", "reasoning"}
    if not first.content or not second.content:
        return False  # an empty message is no item of a turn: what joins it is reported
    return all(p["type"] in structural for p in second.content) or all(
        p["type"] in structural for p in first.content)


def hoist_system_messages(system: list[hub.Part], is_string: bool, messages: list[hub.Message],
                          ) -> tuple[list[hub.Part], bool, list[hub.Message]]:
    """Leading system/developer messages are the system prompt, which Anthropic takes at the top level."""
    if not system and messages:
        is_string = messages[0].content_is_string
    system = list(system)
    while messages and messages[0].role in ("system", "developer"):
        system.extend(messages[0].content)
        messages = messages[1:]
    return system, is_string, messages


def request_from_hub(req: hub.Request, emit: Emit) -> dict[str, Any]:
    body: dict[str, Any] = {}
    optional(body, "model", req.model)
    messages = req.messages if emit.same_format else merge_turns(req.messages, emit.losses)
    system_parts, system_is_string = list(req.system), req.system_is_string
    if not emit.same_format:
        before = messages
        system_parts, system_is_string, messages = hoist_system_messages(system_parts, system_is_string, messages)
        for hoisted in before[:len(before) - len(messages)]:
            if hoisted.role == "developer":
                emit.losses.coerced(join_path(hoisted.path, "role"), "anthropic has no developer role; "
                                                                     "it joins the system prompt")
            emit.restore_extra({}, hoisted.extra, hoisted.path, hoisted.quiet)
    if system_parts:
        if system_is_string and len(system_parts) == 1 and "cache_control" not in system_parts[0]:
            body["system"] = system_parts[0]["text"]
        else:
            system_blocks = parts_to_blocks(system_parts, emit)
            if system_blocks:
                body["system"] = system_blocks
    out_messages = []
    for message in messages:
        if emit.same_format and message.original is not None:
            out_messages.append(message.original)
            continue
        role = message.role
        if role == "developer":
            role = "system"
            emit.losses.coerced(join_path(message.path, "role"), "anthropic has no developer role")
        content = _content(message, emit)
        if not content and not emit.same_format and role != "system":
            emit.losses.dropped(message.path, "anthropic rejects messages without content")
            continue
        out = {"role": role, "content": content}
        emit.restore_extra(out, message.extra, message.path, message.quiet)
        out_messages.append(out)
    body["messages"] = out_messages
    _limits(req, emit, body)
    _sampling(req, emit, body)
    _tools(req, emit, body)
    _reasoning_and_output(req, emit, body)
    if not emit.same_format:
        fit_sampling_to_thinking(body, emit, req.reasoning.path if req.reasoning else "thinking")
    if req.user is not None:
        body["metadata"] = {"user_id": req.user}
        read_back = USER_KEY_DEFAULTS.get(req.source)
        if req.user_key not in (None, "metadata.user_id", read_back):
            emit.losses.coerced(req.user_key, f"anthropic keeps it as metadata.user_id, which {req.source} "
                                              f"calls {read_back}")
    if req.metadata is not None:
        if emit.same_format:
            body.setdefault("metadata", {}).update(req.metadata)
        elif req.metadata:
            emit.losses.dropped("metadata", "anthropic metadata holds only user_id")
    optional(body, "stream", req.stream)
    if req.verbosity is not None:
        emit.losses.dropped("text.verbosity" if req.source == "responses" else "verbosity",
                            "anthropic has no verbosity setting")
    extra = dict(req.extra)
    extra_output_config = extra.pop("output_config", None)
    if extra_output_config is not None and emit.same_format:
        body.setdefault("output_config", {}).update(extra_output_config)
    emit.restore_extra(body, extra, "")
    return body


def _limits(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    max_tokens = req.max_tokens
    if max_tokens is None:
        max_tokens = emit.options.get("default_max_tokens", DEFAULT_MAX_TOKENS)
        emit.losses.synthesized("max_tokens", f"anthropic requires max_tokens; {max_tokens} was used")
    body["max_tokens"] = clamp_max_tokens(max_tokens, emit, req.max_tokens_key or "max_tokens")


def _sampling(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    if req.temperature is not None:
        temperature = req.temperature
        if temperature > TEMPERATURE_MAX[FORMAT]:
            emit.losses.coerced("temperature", f"anthropic accepts 0..1; {temperature} was clamped to 1")
            temperature = TEMPERATURE_MAX[FORMAT]
        body["temperature"] = temperature
    optional(body, "top_p", req.top_p)
    optional(body, "top_k", req.top_k)
    if req.stop is not None:
        body["stop_sequences"] = req.stop
    if req.seed is not None:
        emit.losses.dropped("seed", "anthropic has no seed")


def _tools(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    if req.tools is not None:
        tools = []
        for tool in req.tools:
            converted = _tool_from_hub(tool, emit)
            if converted is not None:
                tools.append(converted)
        body["tools"] = tools
    choice = req.tool_choice
    out: dict[str, Any] | None = None
    if choice is not None:
        out = {"type": choice.mode}
        if choice.mode == "tool":
            out["name"] = choice.name
        emit.restore_extra(out, choice.extra, choice.path)
    if req.parallel_tool_calls is not None and (out is not None or body.get("tools")):
        out = out if out is not None else {"type": "auto"}
        if out["type"] != "none" or emit.same_format:
            out["disable_parallel_tool_use"] = not req.parallel_tool_calls
        elif not req.parallel_tool_calls:
            emit.losses.dropped("parallel_tool_calls", "anthropic's tool_choice none has no parallel setting "
                                                       "(no tool may be called anyway)")
    elif req.parallel_tool_calls is False and not emit.same_format:
        emit.losses.dropped("parallel_tool_calls", "anthropic sets parallel tool use on a tool choice, and "
                                                   "without tools there is none")
    if out is not None:
        body["tool_choice"] = out


def _tool_from_hub(tool: hub.Tool, emit: Emit) -> dict[str, Any] | None:
    if emit.same_format and tool.original is not None:
        return tool.original
    if tool.kind == "server":
        return _server_tool(tool, emit)
    if tool.kind != "function":
        emit.losses.dropped(tool.path, f"anthropic has no {tool.kind} tools")
        return None
    parameters = tool.parameters
    if not emit.same_format:
        parameters = clean_schema(parameters, FORMAT, tool.parameters_path or tool.path, emit.losses)
    out: dict[str, Any] = {"name": tool.name}
    optional(out, "description", tool.description)
    out["input_schema"] = parameters if parameters is not None else {"type": "object", "properties": {}}
    optional(out, "strict", tool.strict)
    if tool.strict_null_path is not None:
        emit.losses.dropped(tool.strict_null_path, "a null strict has no anthropic form; it comes back as false")
    optional(out, "defer_loading", tool.defer_loading)
    if tool.cache_control is not None:
        out["cache_control"] = tool.cache_control
    emit.restore_extra(out, tool.extra, tool.path, tool.quiet)
    return out


def _server_tool(tool: hub.Tool, emit: Emit) -> dict[str, Any] | None:
    raw = tool.raw or {}
    if tool.raw_format == FORMAT:
        return raw
    if tool.raw_format == "responses" and raw.get("type") in ("web_search", "web_search_preview"):
        out: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search"}
        domains = (raw.get("filters") or {}).get("allowed_domains")
        optional(out, "allowed_domains", domains)
        location = raw.get("user_location")
        if isinstance(location, dict):
            out["user_location"] = {k: v for k, v in location.items() if v is not None}
        for key in [k for k in raw if k not in {"type", "filters", "user_location"}]:  # in the request's order, run to run
            emit.losses.dropped(join_path(tool.path, key), "anthropic web search has no such setting")
        return out
    emit.losses.dropped(tool.path, f"anthropic has no server tool like {tool.raw_format} {raw.get('type')!r}")
    return None


# With thinking on, Anthropic accepts only the default temperature, no top_k, a top_p of at least this,
# and no forced tool use.
THINKING_MIN_TOP_P = 0.95


def fit_sampling_to_thinking(body: dict[str, Any], emit: Emit, reasoning_path: str) -> None:
    """Make a request that turned thinking on acceptable to Anthropic (each change reported).

    A forced tool choice matters more to the client than thinking, so thinking gives way to it; sampling
    settings give way to thinking."""
    if body.get("thinking", {}).get("type") not in ("enabled", "adaptive"):
        return
    if body.get("tool_choice", {}).get("type") in ("any", "tool"):
        del body["thinking"]
        emit.losses.dropped(reasoning_path, "anthropic cannot think while a tool call is forced; thinking is off")
        return
    if body.get("temperature", 1) != 1:
        emit.losses.dropped("temperature", "anthropic allows no temperature but 1 while thinking")
        del body["temperature"]
    if "top_k" in body:
        emit.losses.dropped("top_k", "anthropic allows no top_k while thinking")
        del body["top_k"]
    if body.get("top_p", 1) < THINKING_MIN_TOP_P:
        emit.losses.coerced("top_p", f"anthropic needs top_p of at least {THINKING_MIN_TOP_P} while thinking")
        body["top_p"] = THINKING_MIN_TOP_P


def _reasoning_and_output(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    settings = req.reasoning
    if settings is not None and settings.mode is not None:
        thinking: dict[str, Any] = {"type": settings.mode}
        optional(thinking, "budget_tokens", settings.budget_tokens)
        optional(thinking, "display", settings.display)
        emit.restore_extra(thinking, settings.extra, settings.path)
        body["thinking"] = thinking
    elif settings is not None and settings.effort is not None:
        budget = reasoning.effort_to_budget(settings.effort)
        if budget is None:
            body["thinking"] = {"type": "disabled"}
        else:
            limit = body["max_tokens"] - 1
            if budget > limit:
                emit.losses.coerced(settings.path, f"thinking budget {budget} lowered below max_tokens")
                budget = limit
            if budget < reasoning.ANTHROPIC_MIN_BUDGET:
                emit.losses.dropped(settings.path, "max_tokens leaves no room for anthropic's minimum thinking budget")
            else:
                body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if settings is not None and settings.summary is not None:
        emit.losses.dropped(join_path(settings.path, "summary"), "anthropic always summarises thinking")
    if settings is not None and settings.mode is None:
        emit.restore_extra({}, settings.extra, settings.path)
    output_config: dict[str, Any] = {}
    optional(output_config, "effort", req.effort)
    fmt = req.output_format
    if fmt is not None and emit.same_format and fmt.original is not None:
        output_config["format"] = fmt.original
    elif fmt is not None:
        if fmt.type == "json_schema":
            output_config["format"] = {"type": "json_schema", "schema": fmt.schema or {}}
            if fmt.schema is None:  # optional in chat, required here
                emit.losses.synthesized(join_path(fmt.path, "schema"), "anthropic output formats need a schema; "
                                                                       "an empty one was used")
            emit.restore_extra(output_config["format"], fmt.extra, fmt.path)
            for key in ("name", "strict", "description"):
                if getattr(fmt, key) is not None:
                    emit.losses.dropped(join_path(fmt.path, key), "anthropic output formats have no " + key)
        elif fmt.type == "json_object":
            output_config["format"] = {"type": "json_schema", "schema": {"type": "object"}}
            emit.losses.coerced(fmt.path, "anthropic has no JSON mode; an object schema was used")
    if output_config:
        body["output_config"] = output_config
