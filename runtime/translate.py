"""The public entry points: translate a request or a response body between two formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import orjson

from . import hub
from .context import TranslationContext
from .errors import TranslationError
from .fieldpath import malformed_request, malformed_response
from .ids import make_response_ids_valid, make_tool_ids_valid
from .losses import Loss, LossCollector
from .pairing import pair_tool_calls
from .roles import send_unknown_roles_as_user
from .spokes import anthropic, chat, responses
from .spokes._common import Emit
from .tools import adapt_tools, restore_client_tools

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

    ``options``: ``model`` (the upstream model name to send instead of the client's), ``max_tokens_cap``
    (the provider's limit: larger values are clamped, reported), ``default_max_tokens`` (when anthropic needs
    one), ``keep_cache_control`` (for chat providers that take Anthropic cache hints),
    ``chat_max_tokens_key`` (``max_tokens`` or ``max_completion_tokens``), ``chat_reasoning_echo``
    (``tool_turns``, ``all`` or ``none``: which reasoning goes back to chat providers),
    ``chat_reasoning_state`` (default true: give a chat provider back the opaque state it attached to an
    answer, OpenRouter's ``reasoning_details`` and extra fields of tool calls such as Gemini's thought
    signatures, on the assistant turn it came with; false drops it, reported), ``input_bytes`` (the
    size of the body as received, when the caller has it: spares serialising a large body again only to
    estimate its tokens).
    """
    source_spoke, target_spoke = _spoke(source), _spoke(target)
    _check_request_shape(body, source)
    try:
        return _translate_request(body, source, target, source_spoke, target_spoke, options or {})
    except TranslationError:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # As for answers (see translate_response): the field is looked for only once reading has failed.
        raise malformed_request(body, source, exc) from None


def _translate_request(body: dict[str, Any], source: str, target: str, source_spoke: ModuleType,
                       target_spoke: ModuleType, options: dict[str, Any]) -> Translation:
    losses = LossCollector()
    req: hub.Request = source_spoke.request_to_hub(body, losses)
    ctx = TranslationContext(source, target, req.model)
    ctx.stream = bool(req.stream)
    ctx.client_wants_stream_usage = bool(req.stream_include_usage)
    ctx.input_token_estimate = (options["input_bytes"] // 4 if options.get("input_bytes")
                                else estimate_tokens(body))
    ctx.reasoning_requested = _reasoning_requested(req)
    if source != target:
        send_unknown_roles_as_user(req.messages, target, losses)
        adapt_tools(req, target, ctx, losses)
        make_tool_ids_valid(req.messages, ctx)
        req.messages = pair_tool_calls(req.messages, losses)
    if options.get("model"):
        req.model = options["model"]
    emit = Emit(source, target, losses, ctx, options, "request")
    out = target_spoke.request_from_hub(req, emit)
    # The collector dies here: its list can be handed over without a copy.
    return Translation(out, losses.losses, ctx)


def translate_response(body: dict[str, Any], source: str, target: str, context: TranslationContext | None = None,
                       *, options: dict[str, Any] | None = None) -> Translation:
    """Translate a response body from the upstream's format ``source`` to the client's ``target``.

    ``context`` is the one ``translate_request`` returned for the request this answers.
    """
    source_spoke, target_spoke = _spoke(source), _spoke(target)
    ctx = context if context is not None else TranslationContext(target, source)
    losses = LossCollector()
    try:
        resp: hub.Response = source_spoke.response_to_hub(body, losses)
        if source != target:
            for path in resp.unmapped:
                losses.dropped(path, f"no equivalent in {target}")
            restore_client_tools(resp.content, ctx, target)
            make_response_ids_valid(resp.content)
            # As a stream's usage is (a body in its own format is left as it came: the same-format translation
            # is the identity).
            if hub.counts_nothing(resp.usage):
                resp.usage = hub.estimated_usage(ctx.input_token_estimate or 0, hub.answer_chars(resp))
                losses.synthesized("usage", hub.USAGE_ESTIMATED)
        emit = Emit(source, target, losses, ctx, options or {}, "response")
        out = target_spoke.response_from_hub(resp, emit)
    except TranslationError as exc:  # a spoke's own check, naming the field: of the upstream's answer
        raise TranslationError(f"malformed {source} response: {exc}", param=exc.param, kind="server_error") \
            from None
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # The spokes read a response as its API defines it; a field of another type stops them somewhere
        # inside. Which field it was is asked of the format's generated model only now: validating every
        # answer up front would cost more than translating it.
        raise malformed_response(body, source, exc) from None
    return Translation(out, losses.losses, ctx)


# The one list every request of a format must have, and the types it may take.
_CONVERSATION_KEYS = {"anthropic": ("messages", (list,)), "chat": ("messages", (list,)),
                      "responses": ("input", (list, str))}


def _check_request_shape(body: Any, source: str) -> None:
    """Refuse, with the field path, bodies no spoke could read; anything finer is the upstream's call."""
    if not isinstance(body, dict):
        raise TranslationError("the request body must be a JSON object", param="")
    key, types = _CONVERSATION_KEYS[source]
    conversation = body.get(key)
    if conversation is None and source == "responses":
        return  # a Responses request may continue a stored conversation without new input
    if not isinstance(conversation, types):
        raise TranslationError(f"`{key}` must be {' or '.join(t.__name__ for t in types)}", param=key)
    if isinstance(conversation, list):
        for i, entry in enumerate(conversation):
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
