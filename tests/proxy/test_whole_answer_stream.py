"""A provider that answers a stream request with one JSON answer (a server that ignores `stream`) still gives
the client the stream it asked for: the answer, translated as a non-streaming one, replayed as the client
format's events. A JSON body that is not an answer fails the attempt, so the next candidate is tried."""

from __future__ import annotations

import httpx
import orjson
import pytest
from streaming.checkers import CHECKERS, check_chat
from upstreams import Fault, Reply, Thinking, ToolCall, Usage

from .harness import CLIENT_PATHS, CannedUpstream, provider_toml, stream_request
from .test_directions import Client
from .test_failover import two_providers

FORMATS = ("anthropic", "chat", "responses")
ALL_DIRECTIONS = [(client, upstream) for client in FORMATS for upstream in FORMATS]
REPLAYED = "the provider answered the stream request with a whole answer; it was replayed as a stream"


@pytest.mark.parametrize("client_format, upstream_format", ALL_DIRECTIONS,
                         ids=[f"{c}-to-{u}" for c, u in ALL_DIRECTIONS])
def test_a_whole_answer_reaches_a_streaming_sdk_client_as_a_stream(proxy, scripted_upstream, client_format,
                                                                  upstream_format):
    call = ToolCall("get_weather", {"city": "Oslo"}, id="call_whole_1")
    reply = Reply(blocks=(Thinking("Check the forecast.", signature="c2lnLXdob2xl"), call),
                  usage=Usage(input_tokens=30, output_tokens=12), fault=Fault(ignore_stream=True))
    upstream = scripted_upstream(upstream_format, reply)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url) + '[routes]\n"*" = "up:upstream-model"\n')
    answer = Client(client_format, running.url).ask(stream=True, thinking=True)
    assert upstream.calls[0].stream is True  # asked for a stream, answered whole
    assert answer["model"] in ("claude-client-name", "gpt-client-name")
    assert answer["calls"] == [("call_whole_1", "get_weather", {"city": "Oslo"})]
    assert answer["usage"] == (30, 12)
    row = running.log_rows(1)[-1]
    assert row["status"] == 200 and row["input_tokens"] == 30 and row["output_tokens"] == 12
    assert {"path": "", "action": "synthesized", "reason": REPLAYED} in orjson.loads(row["losses"])


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
