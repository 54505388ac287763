"""Chat Completions requests (`POST /v1/chat/completions`) <-> the hub."""

from __future__ import annotations

from typing import Any

from ... import hub
from ...fieldmaps import CHAT_TO_TOOL_CHOICE, TOOL_CHOICE_TO_CHAT
from ...losses import LossCollector, join_path
from ...reasoning import requested_effort
from ...tools import clean_schema
from .._common import (
    OPENAI_USER_KEYS,
    USER_KEY_DEFAULTS,
    Emit,
    clamp_max_tokens,
    optional,
    report_absent_result_content,
    split_extra,
)
from . import provider_state
from .content import (
    FORMAT,
    REASONING_KEYS,
    assistant_content_parts,
    assistant_to_hub,
    content_part_to_hub,
    content_to_parts,
    parts_to_content,
    plain_text,
    reasoning_text_of,
    text_content,
    tool_call_to_chat,
)

_REQUEST_KEYS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed",
    "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort",
    "response_format", "user", "safety_identifier", "metadata", "verbosity",
})


PLACEHOLDER_FOR_HOISTED = "[the tool returned attachments; they follow in the next user message]"


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
    part["original"] = msg
    return part


def request_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Request:
    req = hub.Request(FORMAT, body.get("model"))
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
                req.messages.append(hub.Message("user", [part], False, path))
        elif role == "assistant":
            req.messages.append(assistant_to_hub(msg, path))
        else:
            parts, is_string = content_to_parts(msg.get("content"), f"{path}.content")
            message = hub.Message(role, parts, is_string, path, split_extra(msg, _MESSAGE_KEYS))
            message.original = msg
            req.messages.append(message)
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
        # Kept even when empty, so the same format gets back exactly what it sent.
        req.extra["stream_options"] = split_extra(stream_options, {"include_usage"})
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
            strict=schema.get("strict"), description=schema.get("description"),
            path="response_format.json_schema" if "json_schema" in fmt else "response_format",
            original=fmt,
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


_MESSAGE_KEYS = frozenset({"role", "content"})
_FUNCTION_KEYS = frozenset({"name", "description", "parameters", "strict"})


def _tool_to_hub(tool: dict[str, Any], path: str) -> hub.Tool:
    kind = tool.get("type")
    if kind == "function":
        fn = tool.get("function") or {}
        out = hub.Tool("function", fn.get("name", ""))
        out.description = fn.get("description")
        out.parameters = fn.get("parameters")
        out.parameters_path = f"{path}.function.parameters"
        out.strict = fn.get("strict")
        if "strict" in fn and fn["strict"] is None:
            out.strict_null_path = f"{path}.function.strict"
        out.path = path
        out.extra = split_extra(fn, _FUNCTION_KEYS)
        out.original = tool
        return out
    if kind == "custom":
        custom = tool.get("custom") or {}
        fmt = custom.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "grammar":
            grammar = fmt.get("grammar") or {}
            fmt = {"type": "grammar", "syntax": grammar.get("syntax"), "definition": grammar.get("definition")}
        return hub.Tool(kind="custom", name=custom.get("name", ""), description=custom.get("description"),
                        original=tool,
                        format=fmt, path=path, extra=split_extra(custom, {"name", "description", "format"}))
    return hub.server_tool(str(kind), tool, FORMAT, path)


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


def _user_like(message: hub.Message, emit: Emit) -> dict[str, Any] | None:
    """A user, system or developer message."""
    content: Any
    if message.content_is_string and len(message.content) == 1:
        content = message.content[0]["text"]
    elif emit.same_format:
        content = parts_to_content(message.content, emit)
    elif message.role in ("system", "developer"):
        content = text_content(message.content, emit, message.path)
        if not content:
            emit.losses.dropped(message.path, "empty system message")
            return None
    elif hub.only_parts(message.content, "text"):
        # Text only: a plain string, which every chat provider takes (some take nothing else).
        content = text_content(message.content, emit, message.path)
        if not content:
            emit.losses.dropped(message.path, "a message with no content; chat providers reject it")
            return None
    else:
        content = parts_to_content(message.content, emit)
        if not content:
            emit.losses.dropped(message.path, "a message with no content; chat providers reject it")
            return None
    role = message.role
    if role == "developer" and not emit.same_format:
        # OpenAI treats the two alike, while many other chat providers' templates know only `system`.
        role = "system"
        emit.losses.coerced(join_path(message.path, "role"), "sent as system, the role chat providers know")
    out = {"role": role, "content": content}
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
            report_absent_result_content(part, emit, path, "chat tool messages")
        elif emit.same_format:
            tool_content = parts_to_content(content or [], emit)
        else:
            text_parts = [p for p in content or [] if p["type"] == "text"]
            texts = [p["text"] for p in text_parts]
            media = [p for p in content or [] if p["type"] in ("image", "document")]
            for p in content or []:
                if p["type"] not in ("text", "image", "document"):
                    emit.losses.dropped(p.get("path", path), f"chat tool results cannot hold {p['type']!r}")
            if media:
                hoisted.append({"type": "text", "text": f"Attachments returned by tool call {part['tool_call_id']}:"})
                hoisted.extend(parts_to_content(media, emit))
                if not texts:
                    texts = [PLACEHOLDER_FOR_HOISTED]
            if emit.options.get("keep_cache_control") and any("cache_control" in p for p in text_parts):
                # A tool message takes text parts too: the hints stay where the client put them.
                tool_content = parts_to_content(text_parts, emit)
            else:
                for p in text_parts:
                    emit.cache_control({}, p, p.get("path", path))
                tool_content = "\n\n".join(texts)
                for joined in text_parts[1:]:
                    emit.losses.coerced(joined.get("path", path), "joined with the text before it into one string")
        if part.get("is_error") and not emit.same_format:
            emit.losses.dropped(join_path(path, "is_error"), "chat tool messages have no error flag")
        emit.cache_control({}, part, path)
        tool_msg = {"role": "tool", "tool_call_id": part["tool_call_id"], "content": tool_content}
        emit.restore_extra(tool_msg, part.get("extra"), path, part.get("quiet"))
        out.append(tool_msg)
    if hoisted:
        out.append({"role": "user", "content": hoisted + parts_to_content(rest, emit)})
    elif rest:
        user = _user_like(hub.Message(role="user", content=rest, path=message.path), emit)
        if user is not None:
            out.append(user)
    return out


def _assistant(message: hub.Message, emit: Emit, echo_reasoning: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant"}
    texts: list[hub.Part] = []
    reasoning_texts: list[str] = []
    state = provider_state.Collected()
    calls: list[dict[str, Any]] = []
    for part in message.content:
        kind = part["type"]
        if kind == "reasoning" and not echo_reasoning:
            emit.losses.dropped(part.get("path", message.path),
                                "reasoning of an earlier turn is not sent back to chat providers")
        elif kind == "reasoning" and (found := provider_state.state_of(part)) is not None:
            if emit.options.get("chat_reasoning_state", True):
                state.add(found)
            else:
                emit.losses.dropped(part.get("path", message.path), provider_state.NOT_WANTED)
        elif kind == "reasoning":
            text = reasoning_text_of(part, emit)
            if text is not None:
                reasoning_texts.append(text)
                out.setdefault("_reasoning_key", part.get("key", "reasoning_content"))
        elif kind == "tool_call":
            calls.append(tool_call_to_chat(part, emit))
        else:
            texts.append(part)
    key = out.pop("_reasoning_key", None)
    if key:
        out[key] = "\n\n".join(reasoning_texts)
    refusals = [p for p in texts if p["type"] == "refusal"]
    if emit.same_format:
        in_field = [p for p in refusals if p.get("as_field")]
    elif len(refusals) > 1 or (refusals and texts[-1] is not refusals[0]):
        in_field = []  # only content parts keep several refusals, or one ahead of text, in their order
    else:
        in_field = refusals  # one refusal closing the turn: the `refusal` field, as chat answers spell it
    if in_field:
        out["refusal"] = in_field[-1].get("text", "")
        texts = [p for p in texts if not any(p is q for q in in_field)]
    if message.null_content:
        out["content"] = None
    elif message.content_is_string and len(texts) == 1 and texts[0]["type"] == "text":
        out["content"] = texts[0]["text"]
    elif emit.same_format:
        out["content"] = parts_to_content(texts, emit)
    elif hub.has_part(texts, "refusal"):
        out["content"] = assistant_content_parts(texts, emit, message.path)
    else:
        content = plain_text(texts, emit, message.path)
        out["content"] = content if content or not (calls or (in_field and not texts)) else None
        if not message.content and not message.content_is_string:
            emit.losses.coerced(join_path(message.path, "content"), "an empty content list; chat sends an empty string")
    if calls:
        out["tool_calls"] = calls
    state.apply(out)
    emit.restore_extra(out, message.extra, message.path, message.quiet)
    return out


def _current_turn_start(messages: list[hub.Message]) -> int:
    """Index of the last user message that is not only tool results: where the current turn begins.

    DeepSeek-style providers need the reasoning of the current turn's tool loop sent back (and Kimi that of
    every tool-calling message), while some refuse reasoning of earlier plain answers; the
    ``chat_reasoning_echo`` option (``tool_turns``, ``all``, ``none``) chooses."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "user":
            for part in message.content:
                if part["type"] != "tool_result":
                    return index
    return 0


def gather_system_prompt(req: hub.Request, emit: Emit) -> tuple[str | list[dict[str, Any]], set[int]]:
    """One system prompt from the top-level system and every system or developer message before the first
    answer, with the indexes of the messages taken.

    Many chat templates (Qwen, Llama and others behind vLLM or Ollama) refuse a system message anywhere but
    first, and Claude Code puts one after its first user message; before any answer its place hardly
    matters, so it joins the leading system message (reported when it moves)."""
    parts = list(req.system)
    taken: set[int] = set()
    seen_other = False
    for index, message in enumerate(req.messages):
        if message.role == "assistant":
            break
        if message.role not in ("system", "developer"):
            seen_other = True
            continue
        taken.add(index)
        if not any(p["type"] == "text" and p["text"] for p in message.content):
            emit.losses.dropped(message.path, "empty system message")
            continue
        if seen_other:
            emit.losses.coerced(message.path, "moved into the leading system message, which chat templates "
                                              "require to come first")
        if message.role == "developer":
            emit.losses.coerced(join_path(message.path, "role"), "joins the system message, the role chat "
                                                                 "providers know")
        parts.extend(message.content)
        emit.restore_extra({}, message.extra, message.path, message.quiet)
    if not parts:
        return "", taken  # what text_content makes of no parts, without its passes over them
    return text_content(parts, emit, "system"), taken


def _messages(req: hub.Request, emit: Emit) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    taken: set[int] = set()
    system: str | list[dict[str, Any]] = ""
    if emit.same_format:
        system = plain_text(req.system, emit, "system") if req.system else ""
    else:
        system, taken = gather_system_prompt(req, emit)
    if system:
        out.append({"role": "system", "content": system})
    current_turn: int | None = None  # found at the first answer: a request may have none
    policy = emit.options.get("chat_reasoning_echo", "tool_turns")
    for index, message in enumerate(req.messages):
        if index in taken:
            continue
        if emit.same_format:
            # The client's own messages, as it sent them (tool messages are one hub message per turn).
            originals = [p.get("original") for p in message.content] if message.original is None else [
                message.original]
            if all(o is not None for o in originals):
                out.extend(originals)
                continue
        if message.role == "assistant":
            if emit.same_format or policy == "all":
                echo = True
            elif policy == "tool_turns":
                if current_turn is None:
                    current_turn = _current_turn_start(req.messages)
                echo = index >= current_turn or hub.has_tool_calls(message.content)
            else:
                echo = False
            converted = _assistant(message, emit, echo)
            previous = out[-1] if out else None
            if previous is not None and previous["role"] == "assistant" and not emit.same_format:
                merge_assistant(previous, converted)
            else:
                out.append(converted)
        elif message.role == "user" and hub.has_part(message.content, "tool_result"):
            out.extend(tool_results_to_messages(message, emit))
        else:
            converted_user = _user_like(message, emit)
            if converted_user is not None:
                out.append(converted_user)
    for converted in out:
        if converted["role"] == "assistant":
            for call_id in provider_state.settle(converted):
                emit.losses.dropped("messages", f"the provider's state for tool call {call_id!r}, which no "
                                                "assistant turn has")
    return out


def merge_assistant(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Responses items arrive one per message; chat wants reasoning, text and calls of a turn together."""
    provider_state.merge(into, other)
    for key in REASONING_KEYS:
        if key in other:
            into[key] = "\n\n".join(t for t in (into.get(key), other[key]) if t)
    if isinstance(into.get("refusal"), str) or isinstance(other.get("refusal"), str) or \
            isinstance(into.get("content"), list) or isinstance(other.get("content"), list):
        _merge_refusals(into, other)
    elif other.get("content"):
        into["content"] = "\n\n".join(t for t in (into.get("content"), other["content"]) if t)
    if "tool_calls" in other:
        into["tool_calls"] = into.get("tool_calls", []) + other["tool_calls"]
        into.setdefault("content", None)
    for key, value in other.items():
        into.setdefault(key, value)


def _merge_refusals(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Content and refusals of two assistant messages, spelled as `_assistant` spells one: a single refusal
    closing the turn in the `refusal` field, several (or one ahead of text) as content parts in order."""
    parts = _spoken_parts(into) + _spoken_parts(other)
    refusals = [p for p in parts if p["type"] == "refusal"]
    into.pop("refusal", None)
    other.pop("refusal", None)
    if len(refusals) > 1 or (refusals and parts[-1] is not refusals[0]):
        into["content"] = parts
        return
    texts = [p["text"] for p in parts if p["type"] == "text"]
    if refusals:
        into["refusal"] = refusals[0]["refusal"]
    into["content"] = "\n\n".join(t for t in texts if t) if texts or not refusals else None


def _spoken_parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A chat assistant message's text and refusals as content parts, in the order they read."""
    content = message.get("content")
    parts = [{"type": "text", "text": content}] if isinstance(content, str) and content else list(content or [])
    if isinstance(message.get("refusal"), str):
        parts.append({"type": "refusal", "refusal": message["refusal"]})
    return parts


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
    # Each of these writes and reports nothing when the request has none of its fields; most have few.
    if req.tools is not None or req.tool_choice is not None or req.parallel_tool_calls is not None:
        _tools(req, emit, body)
    if req.reasoning is not None or req.effort is not None:
        _reasoning(req, emit, body)
    if req.output_format is not None:
        _output(req, emit, body)
    if req.user is not None:
        # Chat and Responses both have `user` and `safety_identifier`: the client's key is kept between them.
        key = req.user_key if req.user_key in OPENAI_USER_KEYS else USER_KEY_DEFAULTS[FORMAT]
        body[key] = req.user
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
        if not req.stream_include_usage:
            emit.losses.synthesized("stream_options", "usage is always asked for, so the answer can report it")
    extra = dict(req.extra)
    stream_extra = extra.pop("stream_options", None)
    if stream_extra is not None and emit.same_format:
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
    if emit.same_format and tool.original is not None:
        return tool.original
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
    if tool.strict_null_path is not None:
        function["strict"] = None
        emit.losses.coerced(tool.strict_null_path, "null is the server's default: responses makes the "
                            "schema strict, chat does not")
    emit.restore_extra(function, tool.extra, tool.path, tool.quiet)
    return {"type": "function", "function": function}


def _reasoning(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    effort = requested_effort(req, emit.target, emit.losses)
    optional(body, "reasoning_effort", effort)
    settings = req.reasoning
    if settings is not None and settings.summary is not None:
        emit.losses.dropped(join_path(settings.path, "summary"), "chat has no reasoning summaries")
    if settings is not None:
        emit.restore_extra({}, settings.extra, settings.path)


def _output(req: hub.Request, emit: Emit, body: dict[str, Any]) -> None:
    fmt = req.output_format
    if fmt is None:
        return
    if emit.same_format and fmt.original is not None:
        body["response_format"] = fmt.original
        return
    if fmt.type != "json_schema":
        body["response_format"] = {"type": fmt.type}
        return
    schema: dict[str, Any] = {}
    if fmt.name is None:
        emit.losses.synthesized(join_path(fmt.path, "name"), "chat json_schema needs a name")
    schema["name"] = fmt.name or "output"
    optional(schema, "description", fmt.description)
    optional(schema, "schema", fmt.schema)  # optional in chat: none is made up
    optional(schema, "strict", fmt.strict)
    emit.restore_extra(schema, fmt.extra, fmt.path)
    body["response_format"] = {"type": "json_schema", "json_schema": schema}
