"""Errors, transport faults and request checks behave as the proxy's failover tests will rely on."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from upstreams import (
    ErrorReply,
    Fault,
    Reply,
    ScriptedUpstream,
    ToolCall,
    refused_url,
    tool_loop,
)
from upstreams.sse_reader import parse_sse

ASK = [{"role": "user", "content": "hi"}]
LONG = Reply.text("word " * 200, chunk_size=4)  # many events, so a stream is still running when cut


def body_for(fmt: str, stream: bool = False) -> dict:
    if fmt == "responses":
        return {"model": "m", "input": "hi", "stream": stream}
    return {"model": "m", "max_tokens": 5, "messages": ASK, "stream": stream}


def test_429_carries_retry_after_and_the_format_error_body() -> None:
    with ScriptedUpstream("anthropic", ErrorReply(429, "slow down", retry_after=2)) as up:
        client = anthropic.Anthropic(base_url=up.url, api_key="k", max_retries=0)
        with pytest.raises(anthropic.RateLimitError) as raised:
            client.messages.create(model="m", max_tokens=5, messages=ASK)
    assert raised.value.response.headers["retry-after"] == "2"
    assert raised.value.body["error"] == {"type": "rate_limit_error", "message": "slow down"}


def test_529_is_anthropic_overloaded() -> None:
    with ScriptedUpstream("anthropic", ErrorReply(529)) as up:
        response = httpx.post(up.endpoint_url, json=body_for("anthropic"))
    assert response.status_code == 529
    assert response.json()["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize("fmt", ["chat", "responses"])
def test_openai_formats_503_and_429(fmt: str) -> None:
    with ScriptedUpstream(fmt, ErrorReply(503, "down"), ErrorReply(429, retry_after=1)) as up:
        client = openai.OpenAI(base_url=up.base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.InternalServerError) as down:
            client.chat.completions.create(model="m", messages=ASK) if fmt == "chat" else \
                client.responses.create(model="m", input="hi")
        limited = httpx.post(up.endpoint_url, json=body_for(fmt))
    assert down.value.status_code == 503 and down.value.body["type"] == "server_error"
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"


def test_queue_then_default_and_raw_error_body() -> None:
    custom = ErrorReply(400, body={"error": "not the standard shape"})
    with ScriptedUpstream("chat", custom) as up:
        first = httpx.post(up.endpoint_url, json=body_for("chat"))
        second = httpx.post(up.endpoint_url, json=body_for("chat"))
    assert first.json() == {"error": "not the standard shape"}
    assert second.status_code == 200 and second.json()["choices"][0]["message"]["content"]


def test_connection_refused() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.post(refused_url() + "/v1/messages", json=body_for("anthropic"))


def test_dropped_connection_gets_no_response() -> None:
    with ScriptedUpstream("responses", Reply(fault=Fault(drop_connection=True))) as up:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(up.endpoint_url, json=body_for("responses"))
    assert len(up.calls) == 1


def test_first_byte_delay_trips_a_read_timeout() -> None:
    with ScriptedUpstream("chat", Reply(fault=Fault(first_byte_delay=3))) as up:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(up.endpoint_url, json=body_for("chat", stream=True), timeout=httpx.Timeout(5, read=0.2))


def test_first_event_delay_sends_headers_then_stalls() -> None:
    with ScriptedUpstream("responses", Reply(fault=Fault(first_event_delay=3))) as up:
        with httpx.stream("POST", up.endpoint_url, json=body_for("responses", stream=True),
                          timeout=httpx.Timeout(5, read=0.3)) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                next(response.iter_bytes())


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
def test_stream_that_dies_midway_is_a_broken_transfer(fmt: str) -> None:
    received = []
    with ScriptedUpstream(fmt, Reply.text("a fairly long answer", chunk_size=2,
                                          fault=Fault(die_after_events=4))) as up:
        with pytest.raises(httpx.RemoteProtocolError):
            with httpx.stream("POST", up.endpoint_url, json=body_for(fmt, stream=True)) as response:
                for chunk in response.iter_bytes():
                    received.append(chunk)
    assert len(parse_sse(received)) == 4


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
def test_malformed_first_event(fmt: str) -> None:
    with ScriptedUpstream(fmt, Reply(fault=Fault(malformed_first_event=True))) as up:
        events = parse_sse([httpx.post(up.endpoint_url, json=body_for(fmt, stream=True)).content])
    with pytest.raises(ValueError):
        events[0].json()
    assert len(events) > 2  # the rest of the stream still follows


@pytest.mark.parametrize(("fmt", "check"), [
    ("anthropic", lambda e: e.event == "error" and e.json()["error"]["type"] == "overloaded_error"),
    ("chat", lambda e: e.json()["error"]["type"] == "server_error"),
    ("responses", lambda e: e.event == "error" and e.json()["type"] == "error"),
])
def test_error_as_first_event(fmt: str, check) -> None:
    with ScriptedUpstream(fmt, Reply(fault=Fault(error_first_event=True))) as up:
        response = httpx.post(up.endpoint_url, json=body_for(fmt, stream=True))
    assert response.status_code == 200
    events = parse_sse([response.content])
    assert len(events) == 1 and check(events[0])


def test_slow_stream_completes_and_client_disconnect_is_seen() -> None:
    slow = Reply.text("abcdefgh" * 4, chunk_size=1, fault=Fault(event_delay=0.02))
    endless = Reply(blocks=LONG.blocks, chunk_size=1, fault=Fault(event_delay=0.02))
    with ScriptedUpstream("anthropic", slow, endless) as up:
        complete = parse_sse([httpx.post(up.endpoint_url, json=body_for("anthropic", stream=True)).content])
        with httpx.stream("POST", up.endpoint_url, json=body_for("anthropic", stream=True)) as response:
            next(response.iter_bytes())  # read a little, then hang up
        first, second = up.calls
    assert complete[-1].event == "message_stop" and first.wait_finished() == "completed"
    assert second.wait_finished() == "client disconnected"


def test_failed_check_answers_400_and_is_kept_for_the_test() -> None:
    def expect_system(request) -> None:
        assert request.body.get("system") == "be brief", "system prompt did not arrive"

    with ScriptedUpstream("anthropic", Reply(check=expect_system)) as up:
        response = httpx.post(up.endpoint_url, json=body_for("anthropic"))
    assert response.status_code == 400 and "system prompt did not arrive" in response.text
    with pytest.raises(AssertionError, match="system prompt did not arrive"):
        up.assert_no_failures()


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
def test_tool_loop_checks_the_result_id(fmt: str) -> None:
    call = ToolCall("Bash", {"command": "ls"}, id="call_expected")
    history = {
        "anthropic": lambda call_id: {"messages": ASK + [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "call_expected", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "a.txt"}]}]},
        "chat": lambda call_id: {"messages": ASK + [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_expected", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "a.txt"}]},
        "responses": lambda call_id: {"input": [
            {"type": "function_call", "call_id": "call_expected", "name": "Bash", "arguments": "{}"},
            {"type": "function_call_output", "call_id": call_id, "output": "a.txt"}]},
    }[fmt]
    with ScriptedUpstream(fmt, responder=tool_loop(call, "done", expect_output="a.txt")) as up:
        first = httpx.post(up.endpoint_url, json=body_for(fmt))
        good = httpx.post(up.endpoint_url, json={"model": "m", **history("call_expected")})
        wrong = httpx.post(up.endpoint_url, json={"model": "m", **history("call_other")})
    assert "call_expected" in first.text and good.status_code == 200 and "done" in good.text
    assert up.calls[1].tool_call_ids() == ["call_expected"]
    assert wrong.status_code == 400
    assert len(up.failures) == 1 and "call_expected" in up.failures[0]


def test_fixture_starts_and_stops_servers(scripted_upstream) -> None:
    up = scripted_upstream("responses", Reply.text("from the fixture"))
    response = openai.OpenAI(base_url=up.base_url, api_key="k").responses.create(model="m", input="hi")
    assert response.output_text == "from the fixture"


def test_a_responder_that_raises_is_a_recorded_failure() -> None:
    def broken(request):
        raise KeyError("no such scenario")

    with ScriptedUpstream("chat", responder=broken) as up:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(up.endpoint_url, json=body_for("chat"))
    assert len(up.failures) == 1 and "no such scenario" in up.failures[0]
