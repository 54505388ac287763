"""Chat `ChatCompletion` answers <-> the hub."""

from __future__ import annotations

import time
from typing import Any

from ... import hub, reasoning
from ...fieldmaps import CHAT_TO_STOP, STOP_TO_CHAT
from ...ids import response_id
from ...losses import LossCollector, join_path
from .._common import STOP_PATHS, Emit, own_stop, report_joined, report_stop, split_extra, url_citation
from . import provider_state
from .content import FORMAT, REASONING_KEYS, assistant_to_hub, empty_fields, says_something, tool_call_to_chat

_RESPONSE_KEYS = frozenset({"id", "object", "created", "model", "choices", "usage"})


# Response keys that describe the serving side, not the answer: kept for chat clients only.
_RESPONSE_QUIET_KEYS = frozenset({"system_fingerprint", "service_tier"})


_RESPONSE_AND_QUIET_KEYS = _RESPONSE_KEYS | _RESPONSE_QUIET_KEYS


_CHOICE_KEYS = frozenset({"index", "message", "finish_reason"})


_USAGE_KEYS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                         "completion_tokens_details"})


def response_to_hub(body: dict[str, Any], losses: LossCollector) -> hub.Response:
    choices = body.get("choices") or []
    for i in range(1, len(choices)):
        losses.dropped(f"choices[{i}]", "only the first choice is translated")
    choice = choices[0] if choices else {}
    message = choice.get("message") or {}
    answer = assistant_to_hub(message, "choices[0].message")
    content = answer.content
    annotations = message.get("annotations")
    cited = False
    if annotations:
        text_parts = [p for p in content if p["type"] == "text"]
        if text_parts:
            text_parts[-1]["citations"] = [a.get("url_citation", a) for a in annotations]
            text_parts[-1]["citations_format"] = "url"
            cited = True
    usage_body = body.get("usage") or {}
    has_usage = isinstance(body.get("usage"), dict)
    prompt_details = usage_body.get("prompt_tokens_details") or {}
    completion_details = usage_body.get("completion_tokens_details") or {}
    cached = prompt_details.get("cached_tokens")
    if cached is None:
        cached = usage_body.get("prompt_cache_hit_tokens")  # DeepSeek
    cached = cached or 0
    usage = hub.Usage()
    usage.input_tokens = max((usage_body.get("prompt_tokens") or 0) - cached, 0)
    usage.output_tokens = usage_body.get("completion_tokens") or 0
    usage.cache_read_tokens = cached
    usage.reasoning_tokens = completion_details.get("reasoning_tokens") or 0
    usage.extra = split_extra(usage_body, _USAGE_KEYS)
    usage.original = usage_body
    unmapped = _unmapped_usage(prompt_details, completion_details) if prompt_details or completion_details else []
    # Empty fields make no part: a chat client gets them back with the choice (answer_original), others a loss.
    for key in empty_fields(message):  # usually none: a plain loop spares building a comprehension
        unmapped.append(f"choices[0].message.{key}")
    # Fields no hub part holds (audio, logprobs, a provider's own keys): a chat client gets the choice back
    # whole; any other format loses them, and is told so.
    if answer.extra:
        unmapped += [join_path("choices[0].message", key) for key, value in answer.extra.items()
                     if says_something(value) and not (key == "annotations" and cited)]
    if not _CHOICE_KEYS.issuperset(choice):
        unmapped += [join_path("choices[0]", key) for key, value in choice.items()
                     if key not in _CHOICE_KEYS and says_something(value)]
    finish = choice.get("finish_reason")
    resp = hub.Response(FORMAT, body.get("id"), body.get("model"), content)
    resp.stop_reason = CHAT_TO_STOP.get(finish, finish) if finish else None
    if has_usage:
        resp.usage = usage
    resp.created = body.get("created")
    resp.extra = split_extra(body, _RESPONSE_AND_QUIET_KEYS)
    resp.quiet = _quiet_keys(body)
    if choices:
        resp.answer_original = choice
    resp.unmapped = unmapped
    return resp


def _unmapped_usage(prompt_details: dict[str, Any], completion_details: dict[str, Any]) -> list[str]:
    """Token counts in the details objects that the hub has no field for."""
    return [f"usage.{group}.{key}" for group, details, known in (
        ("prompt_tokens_details", prompt_details, "cached_tokens"),
        ("completion_tokens_details", completion_details, "reasoning_tokens"))
        for key in details if key != known]


def _quiet_keys(body: dict[str, Any]) -> dict[str, Any]:
    if _RESPONSE_QUIET_KEYS.isdisjoint(body):  # most answers carry neither
        return {}
    return {k: body[k] for k in _RESPONSE_QUIET_KEYS if k in body}


def response_from_hub(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    out = _response_message(resp, emit)
    stop, own = own_stop(resp.stop_reason, emit.same_format)
    has_calls = "tool_calls" in out
    if stop == "tool_use" and not has_calls:
        stop = "end_turn"
    elif has_calls and stop in ("end_turn", "stop_sequence", "pause_turn", None):
        stop = "tool_use"
    finish = STOP_TO_CHAT.get(stop, stop) if stop else None
    if finish is None and not emit.same_format:
        # A chat completion always says why it ended (its SDK requires it): a reason of the provider's own is
        # reported below, an answer that gave none here.
        finish = "stop"
        if own is None:
            emit.losses.synthesized(STOP_PATHS[emit.source],
                                    "the upstream's answer gives no stop reason; stop is said")
    read_back = CHAT_TO_STOP.get(finish, finish)
    report_stop(own or stop, read_back, emit, resp.stop_sequence)
    body: dict[str, Any] = {
        "id": resp.id if emit.same_format and resp.id else response_id(resp.id, FORMAT),
        "object": "chat.completion",
        "created": resp.created if resp.created is not None else int(time.time()),
        "model": emit.context.client_model or resp.model or "",
        "choices": [{"index": 0, "message": out,
                     "finish_reason": finish, "logprobs": None}],
    }
    if emit.same_format and resp.answer_original is not None:
        body["choices"] = [resp.answer_original]
    if resp.usage is not None or not emit.same_format:
        body["usage"] = usage_from_hub(resp.usage or hub.Usage(), emit)
    emit.restore_extra(body, resp.extra, "", resp.quiet)
    return body


def _response_message(resp: hub.Response, emit: Emit) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant"}
    texts: list[str] = []
    reasoning_texts: list[str] = []
    reasoning_key = "reasoning_content"
    provider = provider_state.Collected()
    calls: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for part in resp.content:
        kind = part["type"]
        path = part.get("path", "")
        if kind == "text":
            annotations.extend(_annotations(part, emit, sum(map(len, texts))))
            texts.append(part["text"])
        elif kind == "reasoning" and (found := provider_state.state_of(part)) is not None:
            provider.add(found)
        elif kind == "reasoning":
            state = reasoning.opaque_state_of(part)
            if state is not None and state[0] == FORMAT:
                # The key this provider used.
                reasoning_key = next((key for key in state[1] if key in REASONING_KEYS), reasoning_key)
            text = part.get("text") or "\n\n".join(part.get("summary") or [])
            if part.get("origin") != FORMAT:
                emit.losses.dropped(path, f"chat has no place for {part.get('origin')} reasoning state; "
                                          "only its text is carried")
            if text:
                reasoning_texts.append(text)
        elif kind == "tool_call":
            calls.append(tool_call_to_chat(part, emit))
        elif kind == "refusal":
            if "refusal" in out:
                emit.losses.coerced(path, "joined with the refusal before it into one string")
            out["refusal"] = out.get("refusal", "") + part.get("text", "")
        else:
            label = part["block"].get("type") if kind == "opaque" else kind
            emit.losses.dropped(path, f"a chat message cannot hold {label!r}")
    report_joined([p for p in resp.content if p["type"] == "text"], emit, "content")
    _report_refusal_order(resp.content, emit)
    _report_joined_message_items(resp.content, emit)
    out["content"] = "".join(texts) if texts else None
    if "refusal" not in out:
        out["refusal"] = None
    if reasoning_texts:
        out[reasoning_key] = "\n\n".join(reasoning_texts)
    if calls:
        out["tool_calls"] = calls
    if annotations:
        out["annotations"] = annotations
    provider.apply(out)
    for call_id in provider_state.settle(out):
        emit.losses.dropped("choices[0].message", f"the provider's state for tool call {call_id!r}, which the "
                                                  "answer does not have")
    return out


def _report_joined_message_items(content: list[hub.Part], emit: Emit) -> None:
    """A chat answer is one message: the text and refusals of several Responses message items all go into it
    and read back as one item. Report each item after the first."""
    if emit.same_format:
        return
    items = []
    for part in content:
        item = part.get("item")
        if part["type"] in ("text", "refusal") and item is not None and item["index"] not in items:
            items.append(item["index"])
    for index in items[1:]:
        emit.losses.coerced(f"output[{index}]", "a chat answer is one message; it joins the first message item")


def _report_refusal_order(content: list[hub.Part], emit: Emit) -> None:
    """A chat answer holds its text and its refusal in two fields, which read back text first: text after a
    refusal changes places with it."""
    first = next((i for i, p in enumerate(content) if p["type"] == "refusal"), None)
    later_texts = [p for p in content[first + 1:] if p["type"] == "text"] if first is not None else []
    if not later_texts:
        return
    reason = "a chat answer holds its text and its refusal apart; the text comes back ahead of the refusal"
    for part in [content[first], *later_texts]:
        emit.losses.coerced(part.get("path", "content"), reason)


def _annotations(part: hub.Part, emit: Emit, offset: int) -> list[dict[str, Any]]:
    return chat_annotations(part.get("citations") or [], part.get("citations_format"), len(part["text"]), offset,
                            join_path(part.get("path", ""), "citations"), emit.losses)


def chat_annotations(citations: list[dict[str, Any]], format: str | None, text_length: int, offset: int,
                     path: str, losses: LossCollector) -> list[dict[str, Any]]:
    """Chat message ``annotations`` for one text part's citations (answers and streams alike); citations
    without a URL are reported. Chat indices count from the start of the message's content, where this part
    starts at ``offset``; a chat upstream's own annotations (format ``url``) count from there already."""
    shift = 0 if format == "url" else offset
    out = []
    for citation in citations:
        fields = url_citation(citation, text_length)
        if fields is None:
            losses.dropped(path, "chat cites only URLs")
            continue
        fields["start_index"] += shift
        fields["end_index"] += shift
        out.append({"type": "url_citation", "url_citation": fields})
    return out


# Where each format counts tokens written to the prompt cache, for loss reports on the answer.
CACHE_WRITE_PATHS = {"anthropic": "usage.cache_creation_input_tokens",
                     "responses": "usage.input_tokens_details.cache_write_tokens"}


def usage_from_hub(usage: hub.Usage, emit: Emit) -> dict[str, Any]:
    if emit.same_format and usage.original is not None:
        return usage.original
    prompt = usage.prompt_tokens
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
    if usage.cache_write_tokens and not emit.same_format:
        emit.losses.coerced(CACHE_WRITE_PATHS.get(emit.source, "usage"), "chat has no cache-write count; "
                                                                 "counted in prompt_tokens")
    emit.restore_extra(out, usage.extra, "usage")
    return out
