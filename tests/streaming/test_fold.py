"""A stream folded into its whole answer (runtime/streaming/fold.py): the answer the official SDKs accumulate
from every recorded stream, the inverse of replay for generated answers, and no answer from a failed stream."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest
from apiswitch.runtime.streaming.fold import StreamFailed, stream_as_response
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from properties.mutations import JSON_VALUES, paths_of, replaced
from properties.strategies import RESPONSES

from apiswitch import response_as_stream

from .checkers import parse_sse
from .harness import all_fixtures, fixture_bytes
from .test_directions import _non_streaming_body
from .test_replay import SDK_MODELS, _one_choice

FORMATS = ("anthropic", "chat", "responses")


def _as_sdk_reads(answer: dict[str, Any], fmt: str) -> dict[str, Any]:
    return SDK_MODELS[fmt].model_validate(answer).model_dump(mode="json", exclude_none=True)


def _without_empty_content(body: dict[str, Any]) -> dict[str, Any]:
    """A chat message's content "" and null read alike: the SDK's snapshot keeps the stream's "", the
    non-streaming body a tool-calling answer has is null, and a dump without nulls leaves it out."""
    message = body["choices"][0]["message"]
    if not message.get("content"):
        message.pop("content", None)
    return body


def _accumulated(stream_server, stream: bytes, fmt: str) -> dict[str, Any]:
    body = _non_streaming_body(stream_server.accumulate(stream, fmt), fmt)
    return _without_empty_content(body) if fmt == "chat" else body


# DeepSeek repeats a call's id and name in every fragment; the SDK's accumulator concatenates them (tested
# on its own below).
SDK_FIXTURES = [(n, f) for n, f in all_fixtures() if n != "repeated_tool_header"]


@pytest.mark.parametrize(("name", "fmt"), SDK_FIXTURES, ids=[f"{n}-{f}" for n, f in SDK_FIXTURES])
def test_a_recorded_stream_folds_into_what_the_sdk_accumulates(name: str, fmt: str, stream_server) -> None:
    stream = fixture_bytes(name, fmt)
    folded = _as_sdk_reads(stream_as_response(stream, fmt), fmt)
    expected = _accumulated(stream_server, stream, fmt)
    if fmt == "anthropic" and name == "max_tokens_in_tool":
        # Arguments cut by max_tokens: the SDK keeps what parsed; the fold an object Anthropic takes back.
        for block in folded["content"]:
            if block["type"] == "tool_use":
                assert block["input"] == {}
                block["input"] = next(b for b in expected["content"] if b["type"] == "tool_use")["input"]
    if fmt == "chat":
        folded = _without_empty_content(folded)
    assert folded == expected


def test_a_call_header_repeated_in_every_fragment_is_read_once() -> None:
    folded = stream_as_response(fixture_bytes("repeated_tool_header", "chat"), "chat")
    assert folded["choices"][0]["message"]["tool_calls"] == [
        {"id": "call_rep", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}}]
    assert folded["usage"]["prompt_tokens_details"] == {"cached_tokens": 30}


def _without_empty_annotations(answer: dict[str, Any]) -> dict[str, Any]:
    """A chat message's annotations, null or [], are not streamed (an empty list would be a delta of nothing)."""
    answer = copy.deepcopy(answer)
    for choice in answer["choices"]:
        if not choice["message"].get("annotations"):
            choice["message"].pop("annotations", None)
    return answer


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_folding_a_replayed_answer_gives_the_answer_back(fmt: str, data: st.DataObject) -> None:
    answer = data.draw(RESPONSES[fmt])
    if fmt == "anthropic":
        # Tool inputs cut by max_tokens are the one thing a stream cannot give back as they were.
        assume(all(isinstance(b.get("input", {}), dict) for b in answer["content"]))
    folded = stream_as_response(response_as_stream(answer, fmt), fmt)
    if fmt == "chat":
        answer, folded = _without_empty_annotations(answer), _without_empty_annotations(folded)
    assert folded == answer


def test_several_chat_choices_fold_apart() -> None:
    answer = {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "one"}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": "two"}, "finish_reason": "length"}]}
    assert _one_choice(answer, "chat")["choices"][0]["message"]["content"] == "one"
    assert stream_as_response(response_as_stream(answer, "chat"), "chat") == answer


def test_chat_fragments_of_arguments_and_text_concatenate() -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Let "}}]},
        {"choices": [{"index": 0, "delta": {"content": "me."}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a"'}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
    ]
    stream = b"".join(b"data: " + orjson.dumps({"id": "x", "object": "chat.completion.chunk", "created": 1,
                                                 "model": "m", **c}) + b"\n\n" for c in chunks)
    folded = stream_as_response(stream + b"data: [DONE]\n\n", "chat")
    message = folded["choices"][0]["message"]
    assert message["content"] == "Let me."
    assert message["tool_calls"] == [{"id": "call_1", "type": "function", "function": {"name": "f",
                                                                                     "arguments": '{"a":1}'}}]
    assert folded["usage"]["total_tokens"] == 3 and folded["object"] == "chat.completion"


@pytest.mark.parametrize(("fmt", "stream", "said"), [
    ("anthropic", b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
                  b'"role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
                  b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
                  b"\n\n", "Overloaded"),
    ("chat", b'data: {"error":{"message":"quota exceeded"}}\n\ndata: [DONE]\n\n', "quota exceeded"),
    ("responses", b'event: response.failed\ndata: {"type":"response.failed","sequence_number":0,"response":'
                  b'{"id":"r","object":"response","status":"failed","output":[],"error":{"code":"server_error",'
                  b'"message":"model crashed"}}}\n\n', "model crashed"),
    ("anthropic", b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
                  b'"role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\n',
     "ended before message_stop"),
    ("chat", b'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}'
             b"\n\n", "ended before its finish_reason"),
    ("responses", b"", "ended before response.completed"),
    ("chat", b"data: {not json\n\n", "not JSON"),
    ("anthropic", b'event: content_block_delta\ndata: {"type":"content_block_delta","index":3,"delta":'
                  b'{"type":"text_delta","text":"x"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
     "ended before message_stop"),
])
def test_a_failed_or_cut_stream_is_no_answer(fmt: str, stream: bytes, said: str) -> None:
    with pytest.raises(StreamFailed, match=said):
        stream_as_response(stream, fmt)


def _events_of(stream: bytes) -> list[tuple[str | None, Any]]:
    out = []
    for name, data in parse_sse(stream):
        out.append((name, data if data == "[DONE]" else json.loads(data)))
    return out


def _stream_of(events: list[tuple[str | None, Any]]) -> bytes:
    return b"".join((b"event: " + name.encode() + b"\n" if name else b"")
                    + b"data: " + (data.encode() if data == "[DONE]" else orjson.dumps(data)) + b"\n\n"
                    for name, data in events)


@pytest.mark.parametrize(("name", "fmt"), all_fixtures(), ids=[f"{n}-{f}" for n, f in all_fixtures()])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_stream_with_any_field_of_any_event_replaced_folds_or_fails_cleanly(name: str, fmt: str,
                                                                             data: st.DataObject) -> None:
    """What a provider that gets its own events wrong sends: the fold gives an answer or StreamFailed, never
    another exception (the proxy would answer 500 instead of failing over)."""
    events = _events_of(fixture_bytes(name, fmt))
    at = data.draw(st.integers(0, len(events) - 1))
    event_name, payload = events[at]
    if payload != "[DONE]":
        path = data.draw(st.sampled_from(list(paths_of(payload))))
        events[at] = (event_name, replaced(payload, path, data.draw(JSON_VALUES)))
    try:
        answer = stream_as_response(_stream_of(events), fmt)
    except StreamFailed:
        return
    assert isinstance(answer, dict)
