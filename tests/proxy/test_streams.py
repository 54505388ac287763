"""Client disconnects, keep-alives and idle timeouts on streams."""

from __future__ import annotations

import socket

import httpx
import orjson
import pytest
from upstreams import Fault, Reply

from .harness import CannedUpstream, provider_toml
from .test_failover import sse_events


def one_provider(proxy, upstream, fmt: str, extra: str = "", provider_extra: str = ""):
    toml = provider_toml("up", fmt, upstream.base_url, extra=provider_extra) + '[routes]\n"*" = "up"\n' + extra
    return proxy(toml)


def test_client_disconnect_cancels_the_upstream_request(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", Reply.text("word " * 400, chunk_size=5,
                                                         fault=Fault(event_delay=0.05)))
    running = one_provider(proxy, upstream, "anthropic")
    body = orjson.dumps({"model": "m", "max_tokens": 5, "stream": True,
                         "messages": [{"role": "user", "content": "hi"}]})
    with socket.create_connection(("127.0.0.1", running.port)) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        received = b""
        while b"content_block_delta" not in received:
            received += sock.recv(4096)
    # The stream would take 20 s to finish; the proxy must drop the upstream request long before.
    outcome = upstream.wait_for_calls(1)[0].wait_finished(timeout=5)
    assert outcome == "client disconnected"
    row = running.log_rows(1)[-1]
    assert row["status"] == 499 and row["error"] == "client disconnected"


def test_idle_stream_gets_keep_alives(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("slow", chunk_size=2, fault=Fault(event_delay=0.6)))
    running = one_provider(proxy, upstream, "chat", extra="[server]\nkeepalive_seconds = 0.2\n")
    response = httpx.post(running.url + "/v1/chat/completions", timeout=20, json={
        "model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    assert ": keep-alive\n\n" in response.text
    text = "".join((orjson.loads(d)["choices"][0]["delta"].get("content") or "")
                   for _, d in sse_events(response.text) if d and d != "[DONE]" and orjson.loads(d)["choices"])
    assert text == "slow"


def test_anthropic_keep_alive_is_a_ping_event(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", Reply.text("slow", chunk_size=2, fault=Fault(event_delay=0.6)))
    running = one_provider(proxy, upstream, "anthropic", extra="[server]\nkeepalive_seconds = 0.2\n")
    response = httpx.post(running.url + "/v1/messages", timeout=20, json={
        "model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    names = [name for name, _ in sse_events(response.text)]
    # The scripted upstream sends one ping itself; the rest are the proxy's keep-alives.
    assert names.count("ping") > 1
    assert names[0] == "message_start" and names[-1] == "message_stop"


def test_idle_timeout_ends_a_stalled_stream(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", Reply.text("stalls", chunk_size=2, fault=Fault(event_delay=3)))
    running = one_provider(proxy, upstream, "anthropic", provider_extra="[providers.up.timeouts]\nidle = 0.5\n")
    response = httpx.post(running.url + "/v1/messages", timeout=20, json={
        "model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    events = sse_events(response.text)
    assert events[-1][0] == "error"
    assert "ReadTimeout" in orjson.loads(events[-1][1])["error"]["message"]


def test_client_disconnect_while_waiting_for_a_non_streaming_answer(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("late", fault=Fault(first_byte_delay=4)))
    running = one_provider(proxy, upstream, "chat")
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    with socket.create_connection(("127.0.0.1", running.port)) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        call = upstream.wait_for_calls(1)[0]
    # The proxy notices the client is gone and gives up on the upstream while the upstream is still
    # sleeping: its log row is written before the upstream has even answered.
    row = running.log_rows(1)[-1]
    assert row["status"] == 499
    assert not call.finished.is_set()


CUT_SHORT = {
    "anthropic": (b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
                  b'"role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":3,'
                  b'"output_tokens":1}}}\n\n'
                  b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
                  b'"content_block":{"type":"text","text":""}}\n\n'
                  b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                  b'"delta":{"type":"text_delta","text":"Hel"}}\n\n', "/v1/messages"),
    "chat": (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
             b'"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n', "/v1/chat/completions"),
}


@pytest.mark.parametrize("fmt", sorted(CUT_SHORT))
def test_a_stream_cut_short_cleanly_ends_with_an_error(proxy, fmt):
    body, path = CUT_SHORT[fmt]
    with CannedUpstream(body) as upstream:
        running = proxy(provider_toml("up", fmt, upstream.url + ("" if fmt == "anthropic" else "/v1"))
                        + '[routes]\n"*" = "up"\n')
        response = httpx.post(running.url + path, timeout=10, json={
            "model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    events = sse_events(response.text)
    assert "Hel" in response.text
    last = orjson.loads(events[-1][1])
    assert last["error"]["message"] == "upstream stream ended before its final event"
    assert running.log_rows(1)[-1]["error"] == "upstream stream ended before its final event"


WHOLE_CHAT_STREAM = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":"All at once"},"finish_reason":null}]}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n")


def test_a_whole_stream_in_one_read_is_not_mistaken_for_an_empty_one(proxy):
    with CannedUpstream(WHOLE_CHAT_STREAM) as upstream:
        running = proxy(provider_toml("up", "chat", upstream.url + "/v1") + '[routes]\n"*" = "up"\n')
        response = httpx.post(running.url + "/v1/chat/completions", timeout=10, json={
            "model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
        assert upstream.calls == 1
    assert response.status_code == 200
    assert "All at once" in response.text and response.text.rstrip().endswith("data: [DONE]")
    assert running.log_rows(1)[-1]["error"] is None


def test_a_stream_that_is_only_done_fails_over(proxy, scripted_upstream):
    second = scripted_upstream("chat", Reply.text("from second"))
    with CannedUpstream(b"data: [DONE]\n\n") as first:
        running = proxy(provider_toml("first", "chat", first.url + "/v1") + provider_toml("second", "chat",
                        second.base_url) + '[routes]\n"*" = ["first", "second"]\n')
        response = httpx.post(running.url + "/v1/chat/completions", timeout=10, json={
            "model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    assert "from second" in "".join(
        (orjson.loads(d)["choices"][0]["delta"].get("content") or "")
        for _, d in sse_events(response.text) if d != "[DONE]" and orjson.loads(d)["choices"])
    assert "upstream stream ended before any event" in running.log_rows(1)[-1]["error"]
