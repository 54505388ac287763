"""Client disconnects, keep-alives and idle timeouts on streams."""

from __future__ import annotations

import socket
import time

import httpx
import orjson
import pytest
from upstreams import Fault, Reply

from .harness import CLIENT_PATHS, CannedUpstream, provider_toml, stream_request
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
    if fmt == "chat":  # the error chunk, then the [DONE] a chat client reads to
        assert events[-1][1] == "[DONE]"
        events.pop()
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


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_a_slow_client_gets_a_long_stream_whole_and_in_order(proxy, scripted_upstream, monkeypatch, path, loop):
    """Events are relayed in the upstream connection's callback until the client falls behind; then they wait
    for it the awaiting way. Both ways are used here, and the client still gets every event in order."""
    from apiswitch.runtime.proxy import forward

    offers = {True: 0, False: 0}
    relay = forward.DirectRelay.__call__

    def counted(self, chunk):
        taken = relay(self, chunk)
        offers[taken] += 1
        return taken

    monkeypatch.setattr(forward.DirectRelay, "__call__", counted)
    # More bytes of events than the kernel's send buffer of the proxy's socket can hold (it grows up to the
    # tcp_wmem maximum), so that the proxy's own writes must back up: an event of six characters of text is
    # some 150 bytes on the wire.
    words = [f"w{i} " for i in range(_kernel_send_buffer_max() // 100 + 1000)]
    upstream = scripted_upstream("chat", Reply.text("".join(words), chunk_size=6))
    running = proxy(provider_toml("up", "chat", upstream.base_url) + '[routes]\n"*" = "up"\n', loop=loop)
    anthropic = path == "/v1/messages"
    body = orjson.dumps({"model": "m", "max_tokens": 5, "stream": True,
                         "messages": [{"role": "user", "content": "hi"}]})
    with socket.socket() as sock:
        # Before connecting: no autotuning, so that the proxy's writes back up while this client sleeps. Not a
        # few kilobytes: loopback's large segments then overrun the buffer, and the kernel prunes and drops them
        # (two to three times the retransmissions of this size, counted by nstat).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.connect(("127.0.0.1", running.port))
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        received = [sock.recv(4096)]
        time.sleep(1.0)  # the client falls behind: the proxy's writes back up
        sock.settimeout(60)  # a stall says where it stopped, rather than running into the suite's timeout
        try:
            while chunk := sock.recv(65536):
                received.append(chunk)
        except TimeoutError:
            raise AssertionError(f"no bytes for 60 s after {sum(map(len, received))} bytes; relay offers taken/"
                                 f"declined: {offers[True]}/{offers[False]}; tail: {received[-1][-300:]!r}") from None
    raw = b"".join(received)
    head, _, chunked = raw.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0]
    text = _unchunk(chunked).decode()
    events = sse_events(text)
    if anthropic:
        got = "".join(orjson.loads(d)["delta"].get("text", "") for name, d in events if name == "content_block_delta")
        assert events[-1][0] == "message_stop"
    else:
        got = "".join((orjson.loads(d)["choices"][0]["delta"].get("content") or "")
                      for _, d in events if d and d != "[DONE]" and orjson.loads(d)["choices"])
        assert events[-1][1] == "[DONE]"
    assert got == "".join(words)
    assert offers[True] > 0 and offers[False] > 0, offers
    row = running.log_rows(1)[-1]
    assert row["status"] == 200 and not row["error"]


def _unchunk(data: bytes) -> bytes:
    out, at = [], 0
    while True:
        end = data.index(b"\r\n", at)
        size = int(data[at:end], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[end + 2:end + 2 + size])
        at = end + 2 + size + 2


def _kernel_send_buffer_max() -> int:
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as limits:
            return int(limits.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 1024 * 1024


def test_a_translator_failure_mid_stream_ends_it_with_an_in_band_error(proxy, scripted_upstream, monkeypatch):
    """The events after the first reach the translator inside the upstream connection's callback; a bug there
    must still end the client's stream with an error event, be logged, and drop the upstream request."""
    from apiswitch.runtime.proxy import forward
    from apiswitch.runtime.proxy.translation import TranslatedStream

    feed_all = TranslatedStream.feed_all
    calls = 0

    def breaks_on_the_fifth(self, frames):
        nonlocal calls
        calls += 1
        if calls == 5:
            raise KeyError("a translator bug")
        return feed_all(self, frames)

    monkeypatch.setattr(TranslatedStream, "feed_all", breaks_on_the_fifth)
    relayed = 0
    relay = forward.DirectRelay.__call__

    def counted(self, chunk):
        nonlocal relayed
        relayed += 1
        return relay(self, chunk)

    monkeypatch.setattr(forward.DirectRelay, "__call__", counted)
    upstream = scripted_upstream("chat", Reply.text("word " * 40, chunk_size=5, fault=Fault(event_delay=0.02)))
    running = one_provider(proxy, upstream, "chat")
    response = httpx.post(running.url + "/v1/messages", timeout=20, json={
        "model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    events = sse_events(response.text)
    assert events[0][0] == "message_start"
    assert events[-1][0] == "error"
    assert "could not translate the stream: KeyError" in orjson.loads(events[-1][1])["error"]["message"]
    assert relayed >= 4  # the failing batch came through the connection's callback
    row = running.log_rows(1)[-1]
    assert "could not translate the stream" in row["error"]
    assert upstream.wait_for_calls(1)[0].wait_finished(timeout=5) == "client disconnected"


UPSTREAM_ERROR_MIDWAY = {
    "chat": b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
            b'"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n'
            b'data: {"error":{"message":"Overloaded midway","type":"server_error","code":"overloaded"}}\n\n',
    "anthropic": b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
                 b'"role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,'
                 b'"usage":{"input_tokens":5,"output_tokens":1}}}\n\n'
                 b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
                 b'"content_block":{"type":"text","text":""}}\n\n'
                 b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                 b'"delta":{"type":"text_delta","text":"Hel"}}\n\n'
                 b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
                 b'"message":"Overloaded midway"}}\n\n',
    "responses": b'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":'
                 b'{"id":"resp_1","object":"response","created_at":1,"status":"in_progress","model":"m",'
                 b'"output":[],"usage":null}}\n\n'
                 b'event: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,'
                 b'"response":{"id":"resp_1","object":"response","created_at":1,"status":"in_progress",'
                 b'"model":"m","output":[],"usage":null}}\n\n'
                 b'event: error\ndata: {"type":"error","code":"server_error","message":"Overloaded midway",'
                 b'"param":null,"sequence_number":2}\n\n',
}
@pytest.mark.parametrize("client", sorted(CLIENT_PATHS))
@pytest.mark.parametrize("upstream_format", sorted(UPSTREAM_ERROR_MIDWAY))
def test_an_upstream_error_midway_ends_the_client_stream_once_with_its_message(proxy, upstream_format, client):
    """Passthrough too: the provider's own error event is the stream's end, not a cut-off the proxy must add
    its own error after (which a strict client reads as an event after the terminal one)."""
    from streaming.checkers import CHECKERS

    with CannedUpstream(UPSTREAM_ERROR_MIDWAY[upstream_format]) as upstream:
        base = upstream.url + ("" if upstream_format == "anthropic" else "/v1")
        running = proxy(provider_toml("up", upstream_format, base) + '[routes]\n"*" = "up"\n')
        response = httpx.post(running.url + CLIENT_PATHS[client], json=stream_request(client), timeout=10)
    assert response.status_code == 200
    CHECKERS[client](response.content, json_arguments=False)
    assert "Overloaded midway" in response.text
    assert "ended before its final event" not in response.text
    assert "Overloaded midway" in running.log_rows(1)[-1]["error"]


RESPONSES_CUT_AFTER_AN_ITEM = b"".join(
    b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, "sequence_number": n, **payload}) + b"\n\n"
    for n, (name, payload) in enumerate([
        ("response.created", {"response": {"id": "resp_1", "object": "response", "model": "up-model",
                                           "status": "in_progress", "output": []}}),
        ("response.in_progress", {"response": {"id": "resp_1", "object": "response", "model": "up-model",
                                               "status": "in_progress", "output": []}}),
        ("response.output_item.added", {"output_index": 0, "item": {
            "id": "fc_1", "type": "function_call", "status": "in_progress", "call_id": "call_1", "name": "f",
            "arguments": ""}}),
        ("response.function_call_arguments.delta", {"item_id": "fc_1", "output_index": 0, "delta": "{}"}),
        ("response.function_call_arguments.done", {"item_id": "fc_1", "output_index": 0, "arguments": "{}"}),
        ("response.output_item.done", {"output_index": 0, "item": {
            "id": "fc_1", "type": "function_call", "status": "completed", "call_id": "call_1", "name": "f",
            "arguments": "{}"}}),
        ("response.output_item.added", {"output_index": 1, "item": {
            "id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}}),
    ]))


def test_a_cut_responses_passthrough_fails_with_the_items_its_client_already_has(proxy):
    from streaming.checkers import check_responses

    with CannedUpstream(RESPONSES_CUT_AFTER_AN_ITEM) as upstream:
        running = proxy(provider_toml("up", "responses", upstream.url + "/v1") + '[routes]\n"*" = "up"\n')
        response = httpx.post(running.url + "/v1/responses", json=stream_request("responses", "asked"), timeout=10)
    seen = check_responses(response.content)
    assert seen["terminal"] == "response.failed"
    failed = seen["response"]
    assert failed["model"] == "asked" and failed["error"]["message"].endswith("ended before its final event")
    assert [item["id"] for item in failed["output"]] == ["fc_1"]
    assert failed["output"][0]["status"] == "completed"
