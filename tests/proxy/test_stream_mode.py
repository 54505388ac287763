"""Providers that stream when not asked to, or only stream, or cannot stream: the client still gets the kind
of answer it asked for. An event stream to a request without `stream` is folded into the one answer; the
`stream_only` quirk asks such a provider for a stream every time, and `no_streaming` never asks for one."""

from __future__ import annotations

import httpx
import orjson
import pytest
from apiswitch.runtime.proxy.config import ConfigError, parse_config
from streaming.checkers import CHECKERS
from upstreams import Fault, Reply, Thinking, ToolCall, Usage

from .harness import CLIENT_PATHS, CannedUpstream, provider_toml, stream_request
from .test_directions import Client
from .test_failover import two_providers

FORMATS = ("anthropic", "chat", "responses")
ALL_DIRECTIONS = [(client, upstream) for client in FORMATS for upstream in FORMATS]
FOLDED = {"path": "", "action": "synthesized",
          "reason": "the provider answered with a stream; it was folded into one answer"}


def quirk(name: str) -> str:
    return f"[providers.up.quirks]\n{name} = true\n"


@pytest.mark.parametrize("client_format, upstream_format", ALL_DIRECTIONS,
                         ids=[f"{c}-to-{u}" for c, u in ALL_DIRECTIONS])
def test_a_stream_only_provider_answers_a_client_that_asked_for_one_answer(proxy, scripted_upstream, client_format,
                                                                         upstream_format):
    call = ToolCall("get_weather", {"city": "Oslo"}, id="call_folded_1")
    reply = Reply(blocks=(Thinking("Check the forecast.", signature="c2lnLWZvbGQ="), call),
                  usage=Usage(input_tokens=30, output_tokens=12))
    upstream = scripted_upstream(upstream_format, reply)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url, extra=quirk("stream_only"))
                    + '[routes]\n"*" = "up:upstream-model"\n')
    answer = Client(client_format, running.url).ask(stream=False, thinking=True)
    sent = upstream.calls[0]
    assert sent.stream is True
    if upstream_format == "chat":
        assert sent.body["stream_options"] == {"include_usage": True}
    assert answer["model"] in ("claude-client-name", "gpt-client-name")
    assert answer["calls"] == [("call_folded_1", "get_weather", {"city": "Oslo"})]
    assert answer["usage"] == (30, 12)
    row = running.log_rows(1)[-1]
    assert row["status"] == 200 and row["input_tokens"] == 30 and row["output_tokens"] == 12
    assert FOLDED in orjson.loads(row["losses"])


@pytest.mark.parametrize("upstream_format", FORMATS)
def test_a_provider_that_streams_unasked_is_folded_without_any_quirk(proxy, scripted_upstream, upstream_format):
    upstream = scripted_upstream(upstream_format, Reply.text("streamed anyway", fault=Fault(force_stream=True)))
    running = proxy(provider_toml("up", upstream_format, upstream.base_url) + '[routes]\n"*" = "up"\n')
    response = httpx.post(running.url + "/v1/messages", timeout=20,
                          json={"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200, response.text
    assert response.json()["content"] == [{"type": "text", "text": "streamed anyway"}]
    assert upstream.calls[0].stream is False


def test_a_stream_that_fails_before_its_end_fails_over(proxy, scripted_upstream):
    cut = scripted_upstream("anthropic", Reply.text("never whole", fault=Fault(force_stream=True,
                                                                              die_after_events=3)))
    second = scripted_upstream("anthropic", Reply.text("from second"))
    running = two_providers(proxy, cut.base_url, second.base_url)
    response = httpx.post(running.url + "/v1/messages", timeout=20,
                          json={"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]})
    assert response.json()["content"] == [{"type": "text", "text": "from second"}]
    row = running.log_rows(1)[-1]
    assert row["provider"] == "second" and row["attempts"] == 2


def test_a_stream_that_ends_in_the_providers_error_is_that_error(proxy):
    failed = (b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
              b'"role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
              b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded now"}}'
              b"\n\n")
    with CannedUpstream(failed) as only:
        running = proxy(provider_toml("only", "anthropic", only.url) + '[routes]\n"*" = "only"\n')
        response = httpx.post(running.url + "/v1/chat/completions", timeout=20,
                              json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 502
    assert "Overloaded now" in response.json()["error"]["message"]


@pytest.mark.parametrize("client_format", FORMATS)
@pytest.mark.parametrize("upstream_format", FORMATS)
def test_a_no_streaming_provider_is_asked_without_stream_and_replayed(proxy, scripted_upstream, client_format,
                                                                      upstream_format):
    reply = Reply.calls(ToolCall("get_weather", {"city": "Oslo"}, id="call_nostream_1"), text="Let me check.")
    upstream = scripted_upstream(upstream_format, reply)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url, extra=quirk("no_streaming"))
                    + '[routes]\n"*" = "up"\n')
    response = httpx.post(running.url + CLIENT_PATHS[client_format], json=stream_request(client_format),
                          timeout=20)
    sent = upstream.calls[0]
    assert sent.stream is False and "stream_options" not in sent.body
    seen = CHECKERS[client_format](response.content)
    assert "Let me check." in response.text and "call_nostream_1" in response.text
    if client_format == "chat":
        assert seen["usage"]["prompt_tokens"] > 0


def test_stream_only_leaves_count_tokens_alone(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", Reply.text("unused"))
    running = proxy(provider_toml("up", "anthropic", upstream.base_url, extra=quirk("stream_only"))
                    + '[routes]\n"*" = "up"\n')
    response = httpx.post(running.url + "/v1/messages/count_tokens", timeout=20,
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200 and response.json()["input_tokens"] > 0
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages/count_tokens" and "stream" not in sent.body


def test_stream_only_and_no_streaming_together_are_refused():
    toml = (provider_toml("up", "chat", "http://127.0.0.1:9/v1",
                          extra="[providers.up.quirks]\nstream_only = true\nno_streaming = true\n")
            + '[routes]\n"*" = "up"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(toml, "apiswitch.toml", {})
    assert "providers.up.quirks.no_streaming" in str(caught.value)
    assert "contradicts stream_only" in str(caught.value)
