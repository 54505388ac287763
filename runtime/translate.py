"""The public entry points: translate a request or a response body between two formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import orjson

from . import hub
from .context import TranslationContext
from .errors import TranslationError
from .ids import valid_tool_id
from .losses import Loss, LossCollector
from .pairing import pair_tool_calls
from .spokes import anthropic, chat, responses
from .spokes._common import Emit
from .tools import CUSTOM_INPUT_KEY, adapt_tools

SPOKES: dict[str, ModuleType] = {"anthropic": anthropic, "chat": chat, "responses": responses}


@dataclass(slots=True)
class Translation:
    body: dict[str, Any]
    losses: list[Loss] = field(default_factory=list)
    context: TranslationContext = field(default_factory=TranslationContext)


def _spoke(name: str) -> ModuleType:
    try:
        return SPOKES[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; expected one of {', '.join(SPOKES)}") from None


def translate_request(body: dict[str, Any], source: str, target: str, *,
                      options: dict[str, Any] | None = None) -> Translation:
    """Translate a request body from the client's format ``source`` to the upstream's ``target``.

    ``options``: ``max_tokens_cap`` (clamp, reported), ``default_max_tokens`` (when anthropic needs one),
    ``keep_cache_control`` (for chat providers that accept Anthropic cache hints), ``model`` (the
    upstream model name to send instead of the client's).
    """
    source_spoke, target_spoke = _spoke(source), _spoke(target)
    _check_request_shape(body, source)
    options = options or {}
    losses = LossCollector()
    req: hub.Request = source_spoke.request_to_hub(body, losses)
    ctx = TranslationContext(
        source=source, target=target, client_model=req.model, stream=bool(req.stream),
        client_wants_stream_usage=bool(req.stream_include_usage),
        input_token_estimate=estimate_tokens(body),
        reasoning_requested=_reasoning_requested(req),
    )
    if source != target:
        _coerce_unknown_roles(req.messages, target, losses)
        adapt_tools(req, target, ctx, losses)
        _make_tool_ids_valid(req.messages, ctx)
        req.messages = pair_tool_calls(req.messages, losses)
    if options.get("model"):
        req.model = options["model"]
    emit = Emit(source=source, target=target, losses=losses, context=ctx, options=options, direction="request")
    out = target_spoke.request_from_hub(req, emit)
    return Translation(out, list(losses.losses), ctx)


def translate_response(body: dict[str, Any], source: str, target: str, context: TranslationContext | None = None,
                       *, options: dict[str, Any] | None = None) -> Translation:
    """Translate a response body from the upstream's format ``source`` to the client's ``target``.

    ``context`` is the one ``translate_request`` returned for the request this answers.
    """
    source_spoke, target_spoke = _spoke(source), _spoke(target)
    ctx = context if context is not None else TranslationContext(source=target, target=source)
    losses = LossCollector()
    resp: hub.Response = source_spoke.response_to_hub(body, losses)
    if source != target:
        restore_client_tools(resp.content, ctx, target)
        _make_response_ids_valid(resp.content)
    emit = Emit(source=source, target=target, losses=losses, context=ctx, options=options or {},
                direction="response")
    out = target_spoke.response_from_hub(resp, emit)
    return Translation(out, list(losses.losses), ctx)


def restore_client_tools(parts: list[hub.Part], ctx: TranslationContext, client_format: str) -> None:
    """Give tool calls the names (and namespace, custom kind) the client defined its tools with."""
    for part in parts:
        if part["type"] != "tool_call":
            continue
        name = ctx.client_tool_name(part["name"])
        if name in ctx.namespaced_tools and client_format == "responses":
            part["namespace"], name = ctx.namespaced_tools[name]
        part["name"] = name
        if name in ctx.custom_tools and part.get("kind") != "custom":
            arguments = hub.tool_call_input(part)
            value = arguments.get(CUSTOM_INPUT_KEY, "")
            part["kind"] = "custom"
            part["custom_input"] = value if isinstance(value, str) else orjson.dumps(value).decode()
            part.pop("arguments", None)
            part.pop("input", None)


def _make_tool_ids_valid(messages: list[hub.Message], ctx: TranslationContext) -> None:
    """Unique ids of the accepted shape; a tool result follows its call to the new id."""
    taken: set[str] = set()
    latest: dict[str, str] = {}
    for message in messages:
        for part in message.content:
            if part["type"] == "tool_call":
                original = part["id"]
                new = valid_tool_id(original, taken)
                taken.add(new)
                latest[original] = new
                if new != original:
                    ctx.tool_ids[new] = original
                    part["id"] = new
            elif part["type"] == "tool_result":
                original = part["tool_call_id"]
                new = latest.get(original) or valid_tool_id(original, set())
                part["tool_call_id"] = new


# Roles the hub knows; every target can express these (anthropic takes developer as system).
_KNOWN_ROLES = frozenset({"user", "assistant", "system", "developer"})


def _coerce_unknown_roles(messages: list[hub.Message], target: str, losses: LossCollector) -> None:
    """A role newer than this code is sent as a user turn (reported) rather than refused by the target."""
    for message in messages:
        if message.role not in _KNOWN_ROLES:
            losses.coerced(f"{message.path}.role", f"{target} has no role {message.role!r}; sent as user")
            message.role = "user"


def _make_response_ids_valid(parts: list[hub.Part]) -> None:
    taken: set[str] = set()
    for part in parts:
        if part["type"] == "tool_call":
            part["id"] = valid_tool_id(part.get("id"), taken)
            taken.add(part["id"])


# The one list every request of a format must have, and the types it may take.
_CONVERSATION_KEYS = {"anthropic": ("messages", (list,)), "chat": ("messages", (list,)),
                      "responses": ("input", (list, str))}


def _check_request_shape(body: Any, source: str) -> None:
    """Refuse, with the field path, bodies no spoke could read; anything finer is the upstream's call."""
    if not isinstance(body, dict):
        raise TranslationError("the request body must be a JSON object", param="")
    key, types = _CONVERSATION_KEYS[source]
    if body.get(key) is None and source == "responses":
        return  # a Responses request may continue a stored conversation without new input
    if not isinstance(body.get(key), types):
        raise TranslationError(f"`{key}` must be {' or '.join(t.__name__ for t in types)}", param=key)
    if isinstance(body[key], list):
        for i, entry in enumerate(body[key]):
            if not isinstance(entry, dict):
                raise TranslationError(f"`{key}[{i}]` must be an object", param=f"{key}[{i}]")


def _reasoning_requested(req: hub.Request) -> bool:
    settings = req.reasoning
    if settings is None:
        return False
    if settings.mode is not None:
        return settings.mode != "disabled"
    return settings.effort not in (None, "none")


def estimate_tokens(body: dict[str, Any]) -> int:
    """About four bytes of JSON per token: good enough for a usage placeholder, never for billing."""
    return len(orjson.dumps(body)) // 4
