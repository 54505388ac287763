"""Providers that stream when not asked to, or only stream, or answer a stream request with one JSON body, or
cannot stream: the client still gets the kind of answer it asked for. An event stream to a request without
`stream` is folded into the one answer, a whole answer to a stream request is replayed as the client format's
events; the `stream_only` quirk asks a provider for a stream every time, and `no_streaming` never asks for one.
A body that is neither fails the attempt, so the next candidate is tried."""

from __future__ import annotations

import httpx
import orjson
import pytest
from apiswitch.runtime.proxy.config import ConfigError, parse_config
from streaming.checkers import CHECKERS, check_chat
from upstreams import Fault, Reply, Thinking, ToolCall, Usage

from .harness import CLIENT_PATHS, CannedUpstream, provider_toml, stream_request
from .test_directions import Client
from .test_failover import two_providers

FORMATS = ("anthropic", "chat", "responses")
ALL_DIRECTIONS = [(client, upstream) for client in FORMATS for upstream in FORMATS]
FOLDED = {"path": "", "action": "synthesized",
          "reason": "the provider answered with a stream; it was folded into one answer"}
REPLAYED = {"path": "", "action": "synthesized",
            "reason": "the provider answered the stream request with a whole answer; it was replayed as a stream"}


def quirk(name: str) -> str:
    return f"[providers.up.quirks]\n{name} = true\n"


@pytest.mark.parametrize("client_streams", [False, True], ids=["stream_only-to-one-answer", "whole-to-a-stream"])
@pytest.mark.parametrize("client_format, upstream_format", ALL_DIRECTIONS,
                         ids=[f"{c}-to-{u}" for c, u in ALL_DIRECTIONS])
def test_an_sdk_client_gets_the_kind_of_answer_it_asked_for(proxy, scripted_upstream, client_format, upstream_format,
                                                          client_streams):
    """A client without `stream` of a `stream_only` provider, and a streaming client of a provider that answered
    with one JSON body."""
    call = ToolCall("get_weather", {"city": "Oslo"}, id="call_mode_1")
    fault, extra = (Fault(ignore_stream=True), "") if client_streams else (Fault(), quirk("stream_only"))
    reply = Reply(blocks=(Thinking("Check the forecast.", signature="c2lnLW1vZGU="), call),
                  usage=Usage(input_tokens=30, output_tokens=12), fault=fault)
    upstream = scripted_upstream(upstream_format, reply)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url, extra=extra)
                    + '[routes]\n"*" = "up:upstream-model"\n')
    answer = Client(client_format, running.url).ask(stream=client_streams, thinking=True)
    sent = upstream.calls[0]
    assert sent.stream is True  # either way the provider was asked for a stream
    if upstream_format == "chat" and not client_streams:
        assert sent.body["stream_options"] == {"include_usage": True}
    assert answer["model"] in ("claude-client-name", "gpt-client-name")
    assert answer["calls"] == [("call_mode_1", "get_weather", {"city": "Oslo"})]
    assert answer["usage"] == (30, 12)
    row = running.log_rows(1)[-1]
    assert row["status"] == 200 and row["input_tokens"] == 30 and row["output_tokens"] == 12
    assert (REPLAYED if client_streams else FOLDED) in orjson.loads(row["losses"])


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


# --- a whole answer to a stream request ---------------------------------------------------------------------

@pytest.mark.parametrize("client_format", FORMATS)
@pytest.mark.parametrize("upstream_format", FORMATS)
def test_the_replayed_stream_passes_the_strict_checker(proxy, scripted_upstream, client_format, upstream_format):
    reply = Reply.calls(ToolCall("get_weather", {"city": "Oslo"}, id="call_whole_2"), text="Let me check.",
                        fault=Fault(ignore_stream=True))
    upstream = scripted_upstream(upstream_format, reply)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url) + '[routes]\n"*" = "up"\n')
    response = httpx.post(running.url + CLIENT_PATHS[client_format], json=stream_request(client_format),
                          timeout=20)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    seen = CHECKERS[client_format](response.content)
    assert "Let me check." in response.text
    assert "call_whole_2" in response.text
    if client_format == "chat":
        assert seen["usage"] is not None and seen["tool_calls"][0]["input"] == {"city": "Oslo"}


def test_a_chat_answer_without_usage_gets_the_usage_chunk_its_client_asked_for(proxy):
    answer = {"id": "chatcmpl-w", "object": "chat.completion", "created": 1, "model": "upstream-model",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "twelve characters"},
                           "finish_reason": "stop"}]}
    with CannedUpstream(orjson.dumps(answer), content_type="application/json") as only:
        running = proxy(provider_toml("only", "chat", only.url + "/v1") + '[routes]\n"*" = "only"\n')
        response = httpx.post(running.url + "/v1/chat/completions", json=stream_request("chat", "asked"),
                              timeout=20)
    seen = check_chat(response.content, expect_usage=True)
    assert seen["content"] == "twelve characters"
    assert seen["usage"]["completion_tokens"] > 0 and seen["usage"]["prompt_tokens"] > 0
    assert '"model":"asked"' in response.text and "upstream-model" not in response.text
    losses = orjson.loads(running.log_rows(1)[-1]["losses"])
    assert {"path": "usage", "action": "synthesized",
            "reason": "the upstream reported no usage; token counts are estimates"} in losses


def test_a_whole_answer_after_the_waiting_comments_ends_the_started_stream(proxy, scripted_upstream):
    reply = Reply.text("late and whole", fault=Fault(first_byte_delay=0.8, ignore_stream=True))
    upstream = scripted_upstream("chat", reply)
    running = proxy(provider_toml("up", "chat", upstream.base_url) + '[routes]\n"*" = "up"\n'
                    + "[server]\nkeepalive_seconds = 0.2\n")
    response = httpx.post(running.url + "/v1/messages", json=stream_request("anthropic"), timeout=20)
    assert response.text.startswith(": waiting for the provider")
    seen = CHECKERS["anthropic"](response.content)
    assert seen["blocks"] == [{"type": "text", "text": "late and whole"}]


def test_a_json_error_to_a_stream_request_fails_over_with_the_providers_message(proxy, scripted_upstream):
    refusal = orjson.dumps({"error": {"message": "Insufficient balance", "type": "invalid_request_error"}})
    second = scripted_upstream("anthropic", Reply.text("from second"))
    with CannedUpstream(refusal, content_type="application/json") as first:
        running = two_providers(proxy, first.url, second.base_url)
        response = httpx.post(running.url + "/v1/messages", json=stream_request("anthropic"), timeout=20)
    assert CHECKERS["anthropic"](response.content)["blocks"] == [{"type": "text", "text": "from second"}]
    row = running.log_rows(1)[-1]
    assert row["provider"] == "second"
    assert "expected an event stream, got application/json: Insufficient balance" in row["error"]


def test_a_malformed_whole_answer_is_a_502_in_the_clients_format(proxy):
    broken = orjson.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": 7}]})
    with CannedUpstream(broken, content_type="application/json") as only:
        running = proxy(provider_toml("only", "chat", only.url + "/v1") + '[routes]\n"*" = "only"\n')
        response = httpx.post(running.url + "/v1/messages", json=stream_request("anthropic"), timeout=20)
    assert response.status_code == 502
    assert response.json()["type"] == "error"
    assert "malformed" in response.json()["error"]["message"]


# --- events under another content type -----------------------------------------------------------------------

MISLABELLED = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,'
               b'"delta":{"role":"assistant","content":"labelled "},"finish_reason":null}]}\n\n'
               b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,'
               b'"delta":{"content":"wrongly"},"finish_reason":null}]}\n\n'
               b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,'
               b'"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,'
               b'"total_tokens":7}}\n\n'
               b"data: [DONE]\n\n")


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/json", "application/octet-stream"])
@pytest.mark.parametrize("client_streams", [True, False], ids=["stream", "one-answer"])
def test_events_under_another_content_type_are_read_as_events(proxy, content_type, client_streams):
    """The SDKs read a stream whatever its content type says; so does the proxy, for a stream or to fold."""
    with CannedUpstream(MISLABELLED, content_type=content_type) as only:
        running = proxy(provider_toml("only", "chat", only.url + "/v1") + '[routes]\n"*" = "only"\n')
        body = stream_request("anthropic") if client_streams else {
            "model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
        response = httpx.post(running.url + "/v1/messages", json=body, timeout=20)
    assert response.status_code == 200, response.text
    if client_streams:
        seen = CHECKERS["anthropic"](response.content)
        assert seen["blocks"] == [{"type": "text", "text": "labelled wrongly"}]
        assert seen["usage"]["output_tokens"] == 2
    else:
        assert response.json()["content"] == [{"type": "text", "text": "labelled wrongly"}]
        assert response.json()["usage"]["input_tokens"] == 5
