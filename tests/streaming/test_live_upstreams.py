"""The stream translator between two real HTTP peers: a scripted upstream server of each format, read with
httpx in whatever pieces the socket gives, and the official SDK of each client format reading the result."""

from __future__ import annotations

import httpx
import pytest
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.translate import translate_request
from upstreams import Fault, Reply, ScriptedUpstream, Text, Thinking, ToolCall, Usage

from .checkers import CHECKERS
from .harness import FORMATS

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CLIENT_REQUESTS = {
    "anthropic": {
        "model": "claude-client",
        "max_tokens": 512,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER_SCHEMA}],
    },
    "chat": {
        "model": "chat-client",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}],
    },
    "responses": {
        "model": "codex-client",
        "stream": True,
        "input": "Weather in Paris?",
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "low", "summary": "auto"},
        "tools": [{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}],
    },
}
REPLY = Reply(
    blocks=(
        Thinking("Paris is in France.", signature="c2lnLWxpdmU="),
        Text("Let me check."),
        ToolCall("get_weather", {"city": "Paris"}, id="call_live_1"),
    ),
    usage=Usage(input_tokens=40, output_tokens=12, cache_read_tokens=8),
    chunk_size=3,
)


def relay(client: str, upstream: ScriptedUpstream) -> tuple[bytes, StreamTranslator]:
    """What the proxy does, minus the proxy: translate the request, stream the answer back through."""
    translation = translate_request(CLIENT_REQUESTS[client], client, upstream.format)
    translator = StreamTranslator(upstream.format, client, context=translation.context)
    out = []
    try:
        with httpx.stream(
            "POST",
            upstream.endpoint_url,
            json=translation.body,
            timeout=10,
            headers={"authorization": "Bearer test", "x-api-key": "test", "anthropic-version": "2023-06-01"},
        ) as response:
            assert response.status_code == 200
            for piece in response.iter_raw(chunk_size=97):
                out.append(translator.feed(piece))
        out.append(translator.finish())
    except httpx.TransportError as exc:
        out.append(translator.fail(exc))
    return b"".join(out), translator


def answer_of(final: dict, client: str) -> tuple:
    if client == "anthropic":
        blocks = final["content"]
        return (
            blocks[0]["thinking"],
            blocks[1]["text"],
            blocks[2]["name"],
            blocks[2]["input"],
            final["stop_reason"],
            final["usage"]["output_tokens"],
        )
    if client == "chat":
        message = final["choices"][0]["message"]
        call = message["tool_calls"][0]
        return (
            message.get("reasoning_content"),
            message["content"],
            call["function"]["name"],
            call["function"]["arguments"],
            final["choices"][0]["finish_reason"],
            final["usage"]["completion_tokens"],
        )
    items = final["output"]
    return (
        items[0]["summary"][0]["text"],
        items[1]["content"][0]["text"],
        items[2]["name"],
        items[2]["arguments"],
        final["status"],
        final["usage"]["output_tokens"],
    )


@pytest.mark.parametrize("upstream_format", FORMATS)
@pytest.mark.parametrize("client", FORMATS)
def test_a_live_upstream_reaches_the_client_sdk_whole(upstream_format, client, stream_server):
    with ScriptedUpstream(upstream_format, REPLY) as upstream:
        out, translator = relay(client, upstream)
        upstream.assert_no_failures()
    CHECKERS[client](out)
    thinking, text, name, arguments, stop, output_tokens = answer_of(
        stream_server.accumulate(out, client), client
    )
    assert (thinking, text, name, output_tokens) == (
        "Paris is in France.",
        "Let me check.",
        "get_weather",
        12,
    )
    assert arguments in ({"city": "Paris"}, '{"city":"Paris"}', '{"city": "Paris"}')
    assert stop in ("tool_use", "tool_calls", "completed")
    assert not [loss for loss in translator.losses if loss.path == "usage"]


@pytest.mark.parametrize("upstream_format", FORMATS)
@pytest.mark.parametrize("client", FORMATS)
def test_an_upstream_that_dies_mid_stream_gives_the_client_its_own_error(upstream_format, client):
    broken = Reply(blocks=REPLY.blocks, usage=REPLY.usage, chunk_size=3, fault=Fault(die_after_events=6))
    with ScriptedUpstream(upstream_format, broken) as upstream:
        out, _ = relay(client, upstream)
    summary = CHECKERS[client](out)
    assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")
