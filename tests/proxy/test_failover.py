"""Faults before the first byte fail over to the next candidate; after it they end the stream in-band."""

from __future__ import annotations

import anthropic
import httpx
import openai
import orjson
import pytest
from upstreams import ErrorReply, Fault, Reply, refused_url

from .harness import CannedUpstream, provider_toml

REQUEST = {"model": "claude-x", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}


def two_providers(proxy, first_url: str, second_url: str, fmt: str = "anthropic", extra: str = "",
                  first_extra: str = ""):
    toml = (provider_toml("first", fmt, first_url, extra=first_extra) + provider_toml("second", fmt, second_url)
            + '[routes]\n"*" = ["first", "second"]\n' + extra)
    return proxy(toml)


def sse_events(text: str) -> list[tuple[str | None, str]]:
    events = []
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if name or data:
            events.append((name, "\n".join(data)))
    return events


def test_connection_refused_fails_over(proxy, scripted_upstream):
    second = scripted_upstream("anthropic", Reply.text("from second"))
    running = two_providers(proxy, refused_url(), second.base_url)
    response = httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "from second"
    row = running.log_rows(1)[-1]
    assert row["provider"] == "second" and row["attempts"] == 2
    assert row["error"].startswith("failed over after: first: connection failed: ConnectError")


@pytest.mark.parametrize("answer", [ErrorReply(503, "overloaded"), ErrorReply(500), ErrorReply(529),
                                    Reply(fault=Fault(drop_connection=True))],
                         ids=["503", "500", "529", "dropped"])
def test_server_errors_fail_over(proxy, scripted_upstream, answer):
    first = scripted_upstream("anthropic", answer)
    second = scripted_upstream("anthropic", Reply.text("from second"))
    running = two_providers(proxy, first.base_url, second.base_url)
    response = httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"] == "from second"
    assert len(first.calls) == 1 and len(second.calls) == 1
    assert second.calls[0].body["messages"] == REQUEST["messages"]  # the original request, not a leftover


def test_rate_limit_respects_retry_after_with_a_cool_down(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", ErrorReply(429, "slow down", retry_after=30), default=Reply.text("a"))
    second = scripted_upstream("anthropic", default=Reply.text("from second"))
    running = two_providers(proxy, first.base_url, second.base_url)
    for _ in range(3):
        response = httpx.post(running.url + "/v1/messages", json=REQUEST)
        assert response.json()["content"][0]["text"] == "from second"
    assert len(first.calls) == 1  # cooled down for Retry-After: not asked again
    health = httpx.get(running.url + "/health").json()
    assert health["providers"]["first"]["open"] is True
    assert 0 < health["providers"]["first"]["retry_in_seconds"] <= 30


def test_retry_after_is_capped(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", ErrorReply(429, retry_after=3600))
    second = scripted_upstream("anthropic", default=Reply.text("b"))
    running = two_providers(proxy, first.base_url, second.base_url,
                            extra="[failover]\nretry_after_cap_seconds = 5\n")
    httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert httpx.get(running.url + "/health").json()["providers"]["first"]["retry_in_seconds"] <= 5


def test_first_byte_timeout_fails_over(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", Reply.text("too late", fault=Fault(first_byte_delay=3)))
    second = scripted_upstream("anthropic", Reply.text("from second"))
    running = two_providers(proxy, first.base_url, second.base_url,
                            first_extra="[providers.first.timeouts]\nfirst_byte = 0.3\n")
    response = httpx.post(running.url + "/v1/messages", json=dict(REQUEST, stream=True), timeout=10)
    assert response.status_code == 200
    assert "from second" in "".join(orjson.loads(d).get("delta", {}).get("text", "")
                                    for _, d in sse_events(response.text) if d)
    assert running.log_rows(1)[-1]["provider"] == "second"


@pytest.mark.parametrize(("delay", "total", "answered_by"), [(1.0, 10, "first"), (3, 0.6, "second")],
                         ids=["within-total", "past-total"])
def test_a_whole_answer_is_waited_for_until_total_not_first_byte(proxy, scripted_upstream, delay, total, answered_by):
    """Asked without `stream`, a provider sends its headers with the whole answer: a long generation is bounded by
    `total`, not failed over as a dead provider at `first_byte`."""
    first = scripted_upstream("anthropic", Reply.text("from first", fault=Fault(first_byte_delay=delay)))
    second = scripted_upstream("anthropic", Reply.text("from second"))
    running = two_providers(proxy, first.base_url, second.base_url,
                            first_extra=f"[providers.first.timeouts]\nfirst_byte = 0.3\ntotal = {total}\n")
    response = httpx.post(running.url + "/v1/messages", json=REQUEST, timeout=10)
    assert response.json()["content"][0]["text"] == f"from {answered_by}"
    row = running.log_rows(1)[-1]
    assert row["provider"] == answered_by
    if answered_by == "second":
        assert f"no response within {total:g}s" in row["error"]


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
@pytest.mark.parametrize("fault", [Fault(error_first_event=True), Fault(malformed_first_event=True)],
                         ids=["error-event", "malformed-event"])
def test_bad_first_event_fails_over(proxy, scripted_upstream, fmt, fault):
    first = scripted_upstream(fmt, Reply.text("broken", fault=fault))
    second = scripted_upstream(fmt, Reply.text("from second"))
    running = two_providers(proxy, first.base_url, second.base_url, fmt=fmt)
    path = {"anthropic": "/v1/messages", "chat": "/v1/chat/completions", "responses": "/v1/responses"}[fmt]
    body = dict(REQUEST, stream=True)
    if fmt == "responses":
        body = {"model": "m", "input": "hi", "stream": True}
    response = httpx.post(running.url + path, json=body, timeout=10)
    assert response.status_code == 200
    assert "broken" not in response.text and "oops" not in response.text
    assert len(second.calls) == 1
    assert running.log_rows(1)[-1]["provider"] == "second"


def test_failure_after_first_byte_is_an_in_band_error(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", Reply.text("a long answer " * 10, fault=Fault(die_after_events=4)))
    second = scripted_upstream("anthropic", Reply.text("never"))
    running = two_providers(proxy, first.base_url, second.base_url)
    response = httpx.post(running.url + "/v1/messages", json=dict(REQUEST, stream=True), timeout=10)
    events = sse_events(response.text)
    assert events[0][0] == "message_start"
    assert events[-1][0] == "error"
    assert orjson.loads(events[-1][1])["type"] == "error"
    assert second.calls == []  # too late to fail over: the client already had bytes
    client = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0)
    first.script(Reply.text("a long answer " * 10, fault=Fault(die_after_events=4)))
    with pytest.raises(anthropic.APIError):
        with client.messages.stream(**REQUEST) as stream:
            stream.get_final_message()


def test_client_errors_do_not_fail_over(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", ErrorReply(400, "prompt is too long"))
    second = scripted_upstream("anthropic", Reply.text("never"))
    running = two_providers(proxy, first.base_url, second.base_url)
    response = httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": "prompt is too long"}
    assert second.calls == []


def test_all_failed_uses_the_client_format(proxy, scripted_upstream):
    running = two_providers(proxy, refused_url(), refused_url(), fmt="chat")
    response = httpx.post(running.url + "/v1/chat/completions",
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 502
    error = response.json()["error"]
    assert "all providers failed" in error["message"] and "first" in error["message"]
    assert "second" in error["message"]


def test_last_upstream_status_is_kept_when_all_fail(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", ErrorReply(503, "first is down"))
    second = scripted_upstream("anthropic", ErrorReply(429, "second is busy", retry_after=7))
    running = two_providers(proxy, first.base_url, second.base_url)
    response = httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert "second is busy" in response.json()["error"]["message"]


def test_circuit_breaker_skips_a_failing_provider(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", default=ErrorReply(500, "broken"))
    second = scripted_upstream("anthropic", default=Reply.text("ok"))
    running = two_providers(proxy, first.base_url, second.base_url,
                            extra="[failover]\nbreaker_failures = 2\nbreaker_cooldown_seconds = 60\n")
    for _ in range(5):
        assert httpx.post(running.url + "/v1/messages", json=REQUEST).status_code == 200
    assert len(first.calls) == 2
    assert len(second.calls) == 5


def test_non_streaming_malformed_body_fails_over(proxy, scripted_upstream):
    first = scripted_upstream("chat", ErrorReply(200, body={"error": {"message": "upstream hiccup"}}))
    second = scripted_upstream("chat", Reply.text("fine"))
    running = two_providers(proxy, first.base_url, second.base_url, fmt="chat")
    response = httpx.post(running.url + "/v1/chat/completions",
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "fine"


BROKEN_CHAT_ANSWER = orjson.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
    {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": {"command": "ls"}}}]}}]})


def test_an_answer_that_breaks_its_format_fails_over_and_then_names_the_field(proxy, scripted_upstream):
    """Arguments as an object instead of a JSON string: the translators cannot read it. The next candidate
    gets the request; when none is left, the client's error says which field of whose answer was wrong."""
    second = scripted_upstream("chat", Reply.text("fine"))
    with CannedUpstream(BROKEN_CHAT_ANSWER, "application/json") as first:
        running = two_providers(proxy, first.url + "/v1", second.base_url, fmt="chat")
        client = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0)
        answer = client.messages.create(**REQUEST)
        assert answer.content[0].text == "fine"
        alone = proxy(provider_toml("first", "chat", first.url + "/v1") + '[routes]\n"*" = "first"\n')
        response = httpx.post(alone.url + "/v1/messages", json=REQUEST)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["type"] == "api_error"
    assert "malformed chat response: choices[0].message.tool_calls[0].function.arguments" in error["message"]


def test_an_answer_without_usage_gets_an_estimate_in_the_client_format(proxy, scripted_upstream):
    answer = orjson.loads(BROKEN_CHAT_ANSWER)
    answer["choices"][0] = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x" * 40}}
    with CannedUpstream(orjson.dumps(answer), "application/json") as only:
        running = proxy(provider_toml("only", "chat", only.url + "/v1") + '[routes]\n"*" = "only"\n')
        usage = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0).messages.create(**REQUEST).usage
    assert usage.input_tokens > 0 and usage.output_tokens == 10
    assert "synthesized" in running.log_rows(1)[-1]["losses"]


SAME_FORMAT_WITHOUT_USAGE = {
    "anthropic": ("/v1/messages", {"id": "msg_1", "type": "message", "role": "assistant", "model": "up",
                                   "content": [{"type": "text", "text": "x" * 40}], "stop_reason": "end_turn",
                                   "stop_sequence": None}),
    "chat": ("/v1/chat/completions", {"id": "c1", "object": "chat.completion", "created": 1, "model": "up",
                                      "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": "x" * 40}}]}),
    "responses": ("/v1/responses", {"id": "resp_1", "object": "response", "created_at": 1, "model": "up",
                                    "status": "completed", "output": [{"id": "msg_1", "type": "message",
                                    "role": "assistant", "status": "completed",
                                    "content": [{"type": "output_text", "text": "x" * 40, "annotations": []}]}]}),
}


@pytest.mark.parametrize("fmt", sorted(SAME_FORMAT_WITHOUT_USAGE))
def test_a_same_format_answer_without_usage_gets_an_estimate_its_sdk_reads(proxy, fmt):
    path, answer = SAME_FORMAT_WITHOUT_USAGE[fmt]
    with CannedUpstream(orjson.dumps(answer), "application/json") as only:
        base = only.url + ("" if fmt == "anthropic" else "/v1")
        running = proxy(provider_toml("only", fmt, base) + '[routes]\n"*" = "only"\n')
        if fmt == "anthropic":
            usage = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0).messages.create(**REQUEST).usage
            counts = (usage.input_tokens, usage.output_tokens)
        elif fmt == "chat":
            client = openai.OpenAI(base_url=running.url + "/v1", api_key="x", max_retries=0)
            usage = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).usage
            counts = (usage.prompt_tokens, usage.completion_tokens)
        else:
            client = openai.OpenAI(base_url=running.url + "/v1", api_key="x", max_retries=0)
            usage = client.responses.create(model="m", input="hi").usage
            counts = (usage.input_tokens, usage.output_tokens)
    assert counts[0] > 0 and counts[1] == 10  # 40 characters written, about 4 a token
    assert '"usage"' in running.log_rows(1)[-1]["losses"]


def test_a_sole_rate_limited_provider_is_left_alone_until_retry_after(proxy, scripted_upstream):
    only = scripted_upstream("anthropic", ErrorReply(429, "slow down", retry_after=30), default=Reply.text("ok"))
    running = proxy(provider_toml("only", "anthropic", only.base_url) + '[routes]\n"*" = "only"\n')
    first = httpx.post(running.url + "/v1/messages", json=REQUEST)
    assert first.status_code == 429 and first.headers["retry-after"] == "30"
    client = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(**REQUEST)
    assert 0 < int(caught.value.response.headers["retry-after"]) <= 30
    assert len(only.calls) == 1  # the second request never reached the provider


def test_connect_timeout_fails_over(proxy, scripted_upstream):
    # A listener whose accept queue is full drops new SYNs: connecting to it hangs, as to a dead host.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        second = scripted_upstream("anthropic", Reply.text("from second"))
        running = two_providers(proxy, f"http://127.0.0.1:{port}", second.base_url,
                                first_extra="[providers.first.timeouts]\nconnect = 0.3\nfirst_byte = 30\n")
        response = httpx.post(running.url + "/v1/messages", json=REQUEST, timeout=20)
        assert response.status_code == 200
        assert response.json()["content"][0]["text"] == "from second"
        row = running.log_rows(1)[-1]
        assert row["provider"] == "second" and row["attempts"] == 2
        assert row["error"].startswith("failed over after: first: timeout: ConnectTimeout")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize(("body", "said"), [
    (b'{"error":{"message":"Insufficient balance","type":"invalid_request_error"}}', "Insufficient balance"),
    (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>")])
def test_a_stream_answered_without_any_event_says_what_the_provider_said(proxy, body, said):
    """Some providers answer a stream request with a plain JSON error under an event-stream content type."""
    with CannedUpstream(body) as only:
        running = proxy(provider_toml("only", "chat", only.url + "/v1") + '[routes]\n"*" = "only"\n')
        response = httpx.post(running.url + "/v1/messages", json={**REQUEST, "stream": True})
    assert response.status_code == 502
    assert response.json()["error"]["message"].endswith(f"upstream stream ended without any event: {said}")


def test_a_client_model_naming_a_provider_is_sent_there_and_answered_under_its_own_name(proxy, scripted_upstream):
    first = scripted_upstream("anthropic", Reply.text("from first"))
    second = scripted_upstream("chat", Reply.text("from second"))
    running = proxy(provider_toml("first", "anthropic", first.base_url) + provider_toml("second", "chat", second.base_url)
                    + '[routes]\n"*" = "first"\n')
    client = anthropic.Anthropic(base_url=running.url, api_key="x", max_retries=0)
    message = client.messages.create(**dict(REQUEST, model="second:their-model"))
    assert message.content[0].text == "from second" and message.model == "second:their-model"
    assert second.calls[0].model == "their-model" and not first.calls
    row = running.log_rows(1)[-1]
    assert (row["provider"], row["upstream_model"], row["rule"]) == ("second", "their-model", "direct")
