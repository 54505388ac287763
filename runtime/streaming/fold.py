"""A whole event stream folded into the answer the same call without ``stream`` returns: the inverse of
``replay.py``.

For a provider that only streams (or ignores ``stream: false``) while its client asked for one answer, and for
a Python caller that wants a recorded stream as data. Each format's fold follows its API's accumulation rules
(the official SDKs' accumulators are the reference the tests hold it to): text, thinking and arguments
concatenate, tool calls gather by index, the final event's fields win. A stream that ended in its error event,
or before its terminal event, is not an answer: ``StreamFailed`` says why.

    answer = stream_as_response(stream, "chat")   # {"object": "chat.completion", "choices": [...], ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from apiswitch.runtime.errors import parse_error
from apiswitch.runtime.spokes.chat import provider_state
from apiswitch.runtime.sse import SSEDecoder


class StreamFailed(ValueError):
    """The stream carries no whole answer: it ended in an error event, or before its terminal event."""


def stream_as_response(stream: bytes, fmt: str) -> dict[str, Any]:
    fold = _FOLDS.get(fmt)
    if fold is None:
        raise ValueError(f"unknown format {fmt!r}")
    decoder = SSEDecoder()
    events = [(name, data) for data, name, _, _ in [*decoder.feed_fields(stream), *decoder.finish_fields()]]
    try:
        return fold(events)
    except StreamFailed:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:  # an event of the wrong shape
        raise StreamFailed(f"a malformed {fmt} event: {type(exc).__name__}: {exc}") from None


def _payload(data: str) -> dict[str, Any]:
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise StreamFailed(f"an event that is not JSON: {data[:200]!r}") from None
    if not isinstance(payload, dict):
        raise StreamFailed(f"an event that is not a JSON object: {data[:200]!r}")
    return payload


def _typed(events: list[tuple[str | None, str]], fmt: str) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Each event of a format whose events are typed (Anthropic, Responses) as (its type, its payload); an
    error event ends the fold."""
    for name, data in events:
        if not data:
            continue
        payload = _payload(data)
        kind = payload.get("type") or name
        if kind == "error":
            raise StreamFailed(parse_error(0, payload, fmt).message)  # read as its error bodies are
        yield kind, payload


# --- Anthropic Messages ------------------------------------------------------------------------------------

def _anthropic(events: list[tuple[str | None, str]]) -> dict[str, Any]:
    message: dict[str, Any] | None = None
    blocks: list[dict[str, Any]] = []
    partial: dict[int, list[str]] = {}
    for kind, payload in _typed(events, "anthropic"):
        if kind == "message_start":
            message = dict(payload.get("message") or {})
            message["usage"] = dict(message.get("usage") or {})
        elif kind == "content_block_start":
            blocks.append(dict(payload.get("content_block") or {}))
        elif kind == "content_block_delta" and blocks:
            index, delta = payload.get("index", len(blocks) - 1), payload.get("delta") or {}
            if delta.get("type") == "input_json_delta":
                partial.setdefault(index, []).append(delta.get("partial_json") or "")
            else:
                _anthropic_delta(blocks[index], delta)
        elif kind == "content_block_stop":
            index = payload.get("index", len(blocks) - 1)
            if index in partial and 0 <= index < len(blocks):
                blocks[index]["input"] = _object("".join(partial.pop(index)))
        elif kind == "message_delta" and message is not None:
            delta = payload.get("delta") or {}
            message.update(delta)
            message["usage"].update({k: v for k, v in (payload.get("usage") or {}).items() if v is not None})
        elif kind == "message_stop" and message is not None:
            return dict(message, content=blocks)
    raise StreamFailed("the stream ended before message_stop")


def _anthropic_delta(block: dict[str, Any], delta: dict[str, Any]) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + delta.get("text", "")
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
    elif kind == "signature_delta":
        block["signature"] = block.get("signature", "") + delta.get("signature", "")
    elif kind == "citations_delta":
        if block.get("citations") is None:
            block["citations"] = []
        block["citations"].append(delta.get("citation"))


def _object(text: str) -> Any:
    """A tool's input from its JSON fragments. Arguments cut short (max_tokens) read as {}, as they would
    have to be sent back: Anthropic takes only an object there."""
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


# --- Chat Completions --------------------------------------------------------------------------------------

_CHAT_TEXT = ("content", "reasoning_content", "reasoning", "refusal")
# A chunk's fields that are not the answer's: its own kind, and the padding of `include_obfuscation`.
_CHUNK_ONLY = ("choices", "usage", "object", "obfuscation")


def _chat(events: list[tuple[str | None, str]]) -> dict[str, Any]:
    head: dict[str, Any] | None = None
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    done = False
    for _, data in events:
        if data == "[DONE]":
            done = True
            break
        if not data:
            continue
        chunk = _payload(data)
        if "error" in chunk:
            raise StreamFailed(parse_error(0, chunk, "chat").message)
        if head is None:
            head = {key: value for key, value in chunk.items() if key not in _CHUNK_ONLY}
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
        for piece in chunk.get("choices") or ():
            index = piece.get("index", 0)
            choice = choices.setdefault(index, {"index": index, "message": {"role": "assistant", "content": None},
                                                "finish_reason": None})
            _chat_delta(choice["message"], piece.get("delta") or {})
            if piece.get("finish_reason") is not None:
                choice["finish_reason"] = piece["finish_reason"]
            if "logprobs" in piece:  # every chunk of the API has it, null without logprobs: so has the answer
                more = piece["logprobs"]
                choice["logprobs"] = choice.get("logprobs") if more is None else _logprobs(choice.get("logprobs"),
                                                                                            more)
    finished = bool(choices) and all(choice["finish_reason"] is not None for choice in choices.values())
    if head is None or not (finished or done and choices):
        raise StreamFailed("the stream ended before its finish_reason")
    answer = dict(head, object="chat.completion", choices=[choices[index] for index in sorted(choices)])
    if usage is not None:
        answer["usage"] = usage
    return answer


def _chat_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    for key, value in delta.items():
        if key in _CHAT_TEXT:
            if isinstance(value, str):
                message[key] = (message.get(key) or "") + value
            elif key not in message:
                message[key] = value
        elif key == "tool_calls":
            calls = message.setdefault("tool_calls", [])
            for call in value or ():
                _chat_call(calls, call)
        elif key == provider_state.DETAILS and isinstance(value, list):
            merged = message.setdefault(provider_state.DETAILS, [])
            if not provider_state.merge_delta(merged, value):
                raise StreamFailed(f"a {provider_state.DETAILS} delta is not a list of objects")
        elif key == "annotations":
            message.setdefault("annotations", []).extend(value or ())
        elif key == "function_call" and isinstance(value, dict):
            held = message.setdefault("function_call", {})
            for field, text in value.items():
                held[field] = held.get(field, "") + text if isinstance(text, str) else text
        elif value is not None or key not in message:
            message[key] = value


def _chat_call(calls: list[dict[str, Any]], call: dict[str, Any]) -> None:
    index = call.get("index", len(calls))
    fields = {key: value for key, value in call.items() if key != "index"}
    if index >= len(calls):
        fields.setdefault("type", "function")
        if fields["type"] == "function":
            function = dict(fields.get("function") or {})
            function.setdefault("arguments", "")
            fields["function"] = function
        calls.append(fields)
        return
    held = calls[index]
    for key, value in fields.items():
        if key in ("function", "custom") and isinstance(value, dict):
            inner = held.setdefault(key, {})
            for field, text in value.items():
                if field in ("arguments", "input") and isinstance(text, str):
                    inner[field] = inner.get(field, "") + text
                elif text is not None:
                    inner[field] = text
        elif value is not None:
            held[key] = value


def _logprobs(held: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    if held is None:
        return dict(more)
    out = dict(held)
    for key, value in more.items():
        out[key] = (out.get(key) or []) + value if isinstance(value, list) else value
    return out


# --- Responses ---------------------------------------------------------------------------------------------

def _responses(events: list[tuple[str | None, str]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for kind, payload in _typed(events, "responses"):
        if kind == "response.output_item.done" and isinstance(payload.get("item"), dict):
            items.append(payload["item"])
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            response = dict(payload.get("response") or {})
            if kind == "response.failed":
                raise StreamFailed(parse_error(0, response, "responses").message)
            if not response.get("output") and items:
                response["output"] = items  # a terminal event that leaves the output out, as some servers send
            return response
    raise StreamFailed("the stream ended before response.completed")


_FOLDS = {"anthropic": _anthropic, "chat": _chat, "responses": _responses}
