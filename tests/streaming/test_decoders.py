"""Decoders alone: the hub events of an upstream stream add up to the hub response that the non-streaming
reader (the spoke's response_to_hub) makes of the same answer, and provider dialects are understood."""

from __future__ import annotations

import json

import pytest
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.hub import tool_call_input
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.sse import SSEDecoder
from apiswitch.runtime.streaming.accumulate import HubAccumulator
from apiswitch.runtime.streaming.decoders import DECODERS
from apiswitch.runtime.translate import SPOKES, translate_request

from .harness import all_fixtures, fixture_bytes, translate, without_clock
from .test_directions import _non_streaming_body

FIXTURES = [(n, f) for n, f in all_fixtures() if n != "repeated_tool_header"]


def decode(data: bytes, source: str) -> HubAccumulator:
    accumulator = HubAccumulator(source)
    decoder = DECODERS[source](TranslationContext(), LossCollector(), source)
    sse = SSEDecoder()
    for event in [*sse.feed(data), *sse.finish()]:
        for hub_event in decoder.event(event):
            accumulator.add(hub_event)
    for hub_event in decoder.finish():
        accumulator.add(hub_event)
    return accumulator


def essentials(parts: list[dict]) -> list[tuple]:
    out = []
    for part in parts:
        arguments = tool_call_input(part) if part["type"] == "tool_call" else None
        text = part.get("text") or "\n\n".join(part.get("summary") or []) or None
        # Null fields compare as absent: the reference body is an SDK dump without them.
        cited = [{k: v for k, v in c.items() if v is not None} for c in part.get("citations") or ()]
        citations = (cited, part.get("citations_format")) if cited else None
        out.append((part["type"], text, part.get("id"), part.get("name"), arguments, citations))
    return out


@pytest.mark.parametrize(("name", "source"), FIXTURES, ids=[f"{n}-{s}" for n, s in FIXTURES])
def test_decoded_events_add_up_to_the_non_streaming_hub_response(name, source, stream_server):
    accumulator = decode(fixture_bytes(name, source), source)
    assert accumulator.finished and accumulator.failed is None
    body = _non_streaming_body(stream_server.accumulate(fixture_bytes(name, source), source), source)
    expected = SPOKES[source].response_to_hub(body, LossCollector())
    got = accumulator.response
    if name != "max_tokens_in_tool":  # the SDK salvages cut arguments its own way
        assert essentials(got.content) == essentials(expected.content)
    assert got.stop_reason == expected.stop_reason
    if name != "no_usage":
        assert (got.usage.input_tokens, got.usage.output_tokens, got.usage.cache_read_tokens) == (
            expected.usage.input_tokens,
            expected.usage.output_tokens,
            expected.usage.cache_read_tokens,
        )


def test_reasoning_field_spellings_of_chat_providers():
    for field in ("reasoning_content", "reasoning"):
        chunk = {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {field: "hmm"}}]}
        stop = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        data = (
            b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in (chunk, stop))
            + b"data: [DONE]\n\n"
        )
        parts = decode(data, "chat").response.content
        assert [(p["type"], p["text"]) for p in parts] == [("reasoning", "hmm")]


def test_deepseek_cache_hits_count_as_cache_reads():
    chunks = [
        {"id": "c", "model": "deepseek-chat", "choices": [{"index": 0, "delta": {"content": "x"}}]},
        {
            "id": "c",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 5,
                "prompt_cache_hit_tokens": 60,
                "prompt_cache_miss_tokens": 40,
            },
        },
    ]
    data = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    usage = decode(data, "chat").response.usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (40, 60, 5)


def test_a_streaming_request_to_a_chat_upstream_asks_for_usage():
    body = {
        "model": "claude-x",
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    translation = translate_request(body, "anthropic", "chat")
    assert translation.body["stream_options"] == {"include_usage": True}


def test_responses_to_responses_keeps_reasoning_text_and_encrypted_content_verbatim(stream_server):
    events = [
        ("response.created", {"response": {"id": "resp_r", "model": "gpt-5", "created_at": 1}}),
        (
            "response.output_item.added",
            {"output_index": 0, "item": {"id": "rs_1", "type": "reasoning", "summary": []}},
        ),
        (
            "response.content_part.added",
            {
                "output_index": 0,
                "item_id": "rs_1",
                "content_index": 0,
                "part": {"type": "reasoning_text", "text": ""},
            },
        ),
        (
            "response.reasoning_text.delta",
            {"output_index": 0, "item_id": "rs_1", "content_index": 0, "delta": "raw "},
        ),
        (
            "response.reasoning_text.delta",
            {"output_index": 0, "item_id": "rs_1", "content_index": 0, "delta": "thought"},
        ),
        (
            "response.output_item.done",
            {
                "output_index": 0,
                "item": {
                    "id": "rs_1",
                    "type": "reasoning",
                    "summary": [],
                    "encrypted_content": "gAAAA-opaque==",
                    "content": [{"type": "reasoning_text", "text": "raw thought"}],
                },
            },
        ),
        (
            "response.completed",
            {
                "response": {
                    "id": "resp_r",
                    "status": "completed",
                    "usage": {"input_tokens": 3, "output_tokens": 2},
                }
            },
        ),
    ]
    upstream = b"".join(f"event: {n}\ndata: {json.dumps({'type': n, **p})}\n\n".encode() for n, p in events)
    out = translate(upstream, "responses", "responses")
    final = stream_server.accumulate(out, "responses")
    item = final["output"][0]
    assert (item["id"], item["encrypted_content"], item["content"][0]["text"]) == (
        "rs_1",
        "gAAAA-opaque==",
        "raw thought",
    )


def test_namespaced_tools_come_back_to_codex_with_their_namespace():
    from .checkers import check_responses

    context = TranslationContext(
        source="responses",
        target="chat",
        client_model="m",
        namespaced_tools={"github__create_issue": ["github", "create_issue"]},
    )
    chunks = [
        {
            "id": "c",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_n",
                                "type": "function",
                                "function": {"name": "github__create_issue", "arguments": "{}"},
                            }
                        ]
                    },
                }
            ],
        },
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    data = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"
    item = check_responses(translate(data, "chat", "responses", context))["items"][0]
    assert (item["namespace"], item["name"]) == ("github", "create_issue")


def test_anthropic_redacted_thinking_and_server_tool_blocks_pass_through_to_claude():
    from .checkers import check_anthropic

    events = [
        (
            "message_start",
            {
                "message": {
                    "id": "msg_1",
                    "model": "claude",
                    "role": "assistant",
                    "content": [],
                    "usage": {"input_tokens": 5, "output_tokens": 1},
                }
            },
        ),
        (
            "content_block_start",
            {"index": 0, "content_block": {"type": "redacted_thinking", "data": "EmwKAhgB"}},
        ),
        ("content_block_stop", {"index": 0}),
        (
            "content_block_start",
            {
                "index": 1,
                "content_block": {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {},
                },
            },
        ),
        (
            "content_block_delta",
            {"index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"query": "x"}'}},
        ),
        ("content_block_stop", {"index": 1}),
        ("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
        ("message_stop", {}),
    ]
    upstream = b"".join(f"event: {n}\ndata: {json.dumps({'type': n, **p})}\n\n".encode() for n, p in events)
    blocks = check_anthropic(translate(upstream, "anthropic", "anthropic"))["blocks"]
    assert blocks[0] == {"type": "redacted_thinking", "data": "EmwKAhgB"}
    assert (blocks[1]["type"], blocks[1]["input"]) == ("server_tool_use", {"query": "x"})


def test_upstreams_without_event_lines_decode_the_same():
    for name, source in (("thinking", "anthropic"), ("tool_use", "responses")):
        data = fixture_bytes(name, source)
        bare = b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"event: "))
        assert bare != data
        for target in ("anthropic", "chat", "responses"):
            assert without_clock(translate(bare, source, target)) == without_clock(
                translate(data, source, target)
            )
