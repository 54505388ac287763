"""Every fixture through every direction: strict protocol checker, official SDK accumulator, re-chunking,
and equality with the non-streaming translation of the same upstream answer."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import anthropic.types
import openai.types.chat
import openai.types.responses
import pytest
from apiswitch.runtime.reasoning import unwrap
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.translate import translate_response

from .checkers import CHECKERS
from .fixtures import build
from .harness import (
    FORMATS,
    all_fixtures,
    fixture_bytes,
    make_context,
    random_chunks,
    translate,
    without_clock,
)

CASES = [(name, source, target) for name, source in all_fixtures() for target in FORMATS]
IDS = [f"{name}-{source}-to-{target}" for name, source, target in CASES]
SDK_MODELS = {
    "anthropic": anthropic.types.Message,
    "chat": openai.types.chat.ChatCompletion,
    "responses": openai.types.responses.Response,
}


@pytest.mark.parametrize(("name", "source", "target"), CASES, ids=IDS)
def test_translated_stream_is_strictly_valid_and_accepted_by_the_sdk(name, source, target, stream_server):
    out = translate(fixture_bytes(name, source), source, target)
    summary = CHECKERS[target](out)
    assert summary.get("error") is None and summary.get("terminal") not in ("error", "response.failed")
    final = stream_server.accumulate(out, target)
    assert final["model"] == "client-model"


@pytest.mark.parametrize(("name", "source", "target"), CASES, ids=IDS)
def test_any_rechunking_of_the_upstream_gives_the_same_client_stream(name, source, target):
    data = fixture_bytes(name, source)
    whole = without_clock(translate(data, source, target))
    for seed in range(3):
        assert without_clock(translate(data, source, target, chunks=random_chunks(data, seed))) == whole


def test_one_byte_reads_give_the_same_stream_as_one_read():
    data = fixture_bytes("thinking", "chat")
    for target in FORMATS:
        assert translate(
            data, "chat", target, chunks=[data[i : i + 1] for i in range(len(data))]
        ) == translate(data, "chat", target)


# --- stream / non-stream equivalence ----------------------------------------------------------------------


def _reference_stream(name: str, source: str) -> bytes:
    """The upstream stream whose SDK accumulation stands for the non-streaming body. For the fixture that
    repeats tool ids and names per chunk, that is the same answer streamed canonically: the SDK accumulator
    concatenates repeated names, which is exactly the upstream quirk under test."""
    if name == "repeated_tool_header":
        scenario = next(s for s in build.SCENARIOS if s.name == name)
        return build.chat(dataclasses.replace(scenario, chat_repeat_tool_header=False)).encode()
    return fixture_bytes(name, source)


def _non_streaming_body(accumulated: dict[str, Any], fmt: str) -> dict[str, Any]:
    """An SDK-accumulated stream as the non-streaming body: chat snapshots keep the streamed
    `content: ""` and tool-call `index`, which a non-streaming completion does not have."""
    body = copy.deepcopy(accumulated)
    if fmt == "chat":
        message = body["choices"][0]["message"]
        if message.get("content") == "":
            message["content"] = None
        for call in message.get("tool_calls") or []:
            call.pop("index", None)
    return body


def _canonical(value: Any) -> Any:
    """Compare meaning, not spelling: JSON argument strings parsed, reasoning envelopes opened,
    SDK-only stream fields (`index` of accumulated tool calls) dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "index" and "function" in value:
                continue
            if key == "content" and item == "" and value.get("role") == "assistant" and "refusal" in value:
                # A chat message without text: the spoke writes "", a stream that sent none leaves it out.
                continue
            if key == "arguments" and isinstance(item, str):
                try:
                    # A call without arguments: the stream always writes "{}", a same-format body keeps "".
                    item = json.loads(item or "{}")
                except ValueError:
                    pass
            if isinstance(item, str) and unwrap(item) is not None:
                fmt, block = unwrap(item)
                item = {"envelope": fmt, "block": _canonical(block)}
            out[key] = _canonical(item)
        return out
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _unspelled(value: Any) -> Any:
    """For same-format cases only. There `translate_response` is the identity on the upstream's body, which
    may leave out keys the API defines (`error: null`, zero cache-write or reasoning counters), while the
    stream translator writes the complete object. Null keys and zero counters inside `*_details` carry no
    information, so they are dropped on both sides; every other value is still compared."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key.endswith("_details") and isinstance(item, dict):
                item = {k: v for k, v in item.items() if v not in (0, None)}
                if not item:
                    continue
            out[key] = _unspelled(item)
        return out
    if isinstance(value, list):
        return [_unspelled(v) for v in value]
    return value


def _tool_arguments(final: dict[str, Any], fmt: str) -> list[Any]:
    if fmt == "anthropic":
        return [b["input"] for b in final["content"] if b["type"] == "tool_use"]
    if fmt == "chat":
        return [c["function"]["arguments"] for c in final["choices"][0]["message"].get("tool_calls") or []]
    return [i["arguments"] for i in final["output"] if i["type"] == "function_call"]


def _strip(
    final: dict[str, Any],
    fmt: str,
    *,
    tool_arguments: bool = False,
    usage: bool = False,
) -> dict[str, Any]:
    final = copy.deepcopy(final)
    final.pop("created", None)
    final.pop("created_at", None)
    if usage:
        final.pop("usage", None)
    if tool_arguments:
        if fmt == "anthropic":
            for block in final["content"]:
                block.pop("input", None)
        elif fmt == "chat":
            for call in final["choices"][0]["message"].get("tool_calls") or []:
                call["function"].pop("arguments", None)
        else:
            for item in final["output"]:
                item.pop("arguments", None)
    return final


@pytest.mark.parametrize(("name", "source", "target"), CASES, ids=IDS)
def test_stream_equals_the_non_streaming_translation(name, source, target, stream_server):
    context = make_context(source, target)
    translated = translate(fixture_bytes(name, source), source, target, context)
    streamed = stream_server.accumulate(translated, target)

    upstream_body = _non_streaming_body(
        stream_server.accumulate(_reference_stream(name, source), source), source
    )
    expected_body = translate_response(upstream_body, source, target, make_context(source, target)).body
    expected = SDK_MODELS[target].model_validate(expected_body).model_dump(mode="json", exclude_none=True)

    truncated = name == "max_tokens_in_tool"
    if truncated:
        # Arguments cut by max_tokens are not JSON: the stream passes on exactly what the upstream sent,
        # while a non-streaming body can only hold whatever its SDK salvaged from the fragments.
        scenario = next(s for s in build.SCENARIOS if s.name == name)
        sent = "".join(scenario.blocks[-1].pieces)
        assert _tool_arguments(streamed, target) in ([sent], [{"path": "a.txt"}])
    no_usage = name == "no_usage"
    if no_usage:
        # The stream estimates what the upstream never reported (and says so); a body keeps the zeros.
        usage = streamed["usage"]
        counted = usage.get("output_tokens", usage.get("completion_tokens"))
        assert counted > 0
    strip = {"tool_arguments": truncated, "usage": no_usage}
    streamed, expected = _strip(streamed, target, **strip), _strip(expected, target, **strip)
    if source == target:
        streamed, expected = _unspelled(streamed), _unspelled(expected)
    assert _canonical(streamed) == _canonical(expected)


@pytest.mark.parametrize(("name", "source", "target"), CASES, ids=IDS)
def test_stream_reports_the_losses_of_the_non_streaming_translation(name, source, target, stream_server):
    """Same answer, same report: what a client format cannot hold is reported at the same path, with the
    same action and reason, whether the answer was streamed or not."""
    translator = StreamTranslator(source, target, context=make_context(source, target))
    translator.feed(fixture_bytes(name, source))
    translator.finish()
    streamed = {(loss.path, loss.action, loss.reason) for loss in translator.losses}

    upstream_body = _non_streaming_body(
        stream_server.accumulate(_reference_stream(name, source), source), source
    )
    translation = translate_response(upstream_body, source, target, make_context(source, target))
    expected = {(loss.path, loss.action, loss.reason) for loss in translation.losses}

    if name == "no_usage" and source == target:
        # A body in its own format comes back as it went (the identity); a stream still estimates its usage.
        streamed.remove(
            ("usage", "synthesized", "the upstream reported no usage; token counts are estimates")
        )
    if name == "max_tokens_in_tool" and target == "anthropic":
        # Cut arguments: the stream passes on the fragments as sent; only a body must make them an object.
        expected = {loss for loss in expected if not loss[0].endswith("arguments")}
    assert streamed == expected


RESPONSES_CASES = [(name, source) for name, source in all_fixtures()]


@pytest.mark.parametrize(("name", "source"), RESPONSES_CASES, ids=[f"{n}-{s}" for n, s in RESPONSES_CASES])
def test_the_final_responses_object_is_the_non_streaming_translation_as_sent(name, source, stream_server):
    """The `response` of response.completed / incomplete, raw JSON as Codex receives it (no SDK in
    between, nulls included), against the body translate_response writes for the same answer."""
    final = CHECKERS["responses"](translate(fixture_bytes(name, source), source, "responses"))["response"]
    upstream_body = _non_streaming_body(
        stream_server.accumulate(_reference_stream(name, source), source), source
    )
    expected = translate_response(upstream_body, source, "responses", make_context(source, "responses")).body
    strip = {
        "tool_arguments": name == "max_tokens_in_tool",
        "usage": name == "no_usage",
    }
    final, expected = _strip(final, "responses", **strip), _strip(expected, "responses", **strip)
    if source == "responses":
        final, expected = _unspelled(final), _unspelled(expected)
    assert _canonical(final) == _canonical(expected)
