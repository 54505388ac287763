"""A streaming client whose provider is slow to answer gets its 200 and SSE comments after keepalive_seconds,
while failover goes on behind them; if every candidate then fails, the failure arrives as the client format's
in-band error event and the stream ends (never a hang, never a half-written HTTP error)."""

from __future__ import annotations

import anthropic
import httpx
import openai
import orjson
from streaming.checkers import check_responses
from upstreams import Fault, Reply

from .harness import provider_toml
from .test_failover import sse_events

KEEPALIVE = "[server]\nkeepalive_seconds = 0.2\n"
ASK = [{"role": "user", "content": "hi"}]


def test_a_slow_first_byte_gets_comments_and_then_the_whole_answer(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("late but whole", fault=Fault(first_byte_delay=1.0)))
    running = proxy(provider_toml("up", "chat", upstream.base_url) + '[routes]\n"*" = "up"\n' + KEEPALIVE)
    with httpx.stream("POST", running.url + "/v1/messages", timeout=20,
                      json={"model": "m", "max_tokens": 50, "stream": True, "messages": ASK}) as response:
        assert response.status_code == 200
        raw = response.read().decode()
    assert raw.startswith(": waiting for the provider\n\n")
    assert raw.count(": waiting for the provider") >= 2
    names = [name for name, _ in sse_events(raw)]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    # The official SDK reads the same stream: comments before message_start are no event to it.
    client = anthropic.Anthropic(base_url=running.url, api_key="unused", max_retries=0)
    upstream.default = Reply.text("late but whole", fault=Fault(first_byte_delay=0.5))
    with client.messages.stream(model="m", max_tokens=50, messages=ASK) as stream:
        assert stream.get_final_message().content[0].text == "late but whole"


def test_failover_goes_on_behind_the_comments(proxy, scripted_upstream):
    stuck = scripted_upstream("chat", Reply.text("never", fault=Fault(first_byte_delay=5)))
    good = scripted_upstream("responses", Reply.text("from the second"))
    toml = (provider_toml("stuck", "chat", stuck.base_url, extra="[providers.stuck.timeouts]\nfirst_byte = 0.7\n")
            + provider_toml("good", "responses", good.base_url)
            + '[routes]\n"*" = ["stuck", "good"]\n' + KEEPALIVE)
    running = proxy(toml)
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="unused", max_retries=0)
    with client.chat.completions.with_streaming_response.create(model="m", messages=ASK, stream=True) as raw:
        assert raw.status_code == 200
        text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text == "from the second"
    row = running.log_rows(1)[-1]
    assert row["provider"] == "good" and row["attempts"] == 2
    assert "stuck" in row["error"]


def test_when_every_candidate_fails_after_the_comments_the_error_is_in_band(proxy, scripted_upstream):
    stuck = scripted_upstream("anthropic", Reply.text("never", fault=Fault(first_byte_delay=5)))
    toml = (provider_toml("stuck", "anthropic", stuck.base_url,
                          extra="[providers.stuck.timeouts]\nfirst_byte = 0.7\n")
            + '[routes]\n"*" = "stuck"\n' + KEEPALIVE)
    running = proxy(toml)
    response = httpx.post(running.url + "/v1/responses", timeout=20,
                          json={"model": "m", "input": "hi", "stream": True})
    assert response.status_code == 200
    assert response.text.startswith(": waiting for the provider")
    # A Responses stream fails as the real API's does: created, then failed with the error, which Codex
    # shows; the strict checker holds the whole stream to the protocol.
    check_responses(response.content)
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["response.created", "response.failed"]
    failed = orjson.loads(events[1][1])["response"]
    assert failed["status"] == "failed" and "all providers failed" in failed["error"]["message"]
    assert "no response within 0.7s" in failed["error"]["message"]


def test_a_quick_failure_is_still_an_http_error(proxy, scripted_upstream):
    """Before keepalive_seconds nothing was sent, so a failure keeps its status for the client's retry logic."""
    stuck = scripted_upstream("anthropic", Reply.text("never", fault=Fault(first_byte_delay=5)))
    toml = (provider_toml("stuck", "anthropic", stuck.base_url,
                          extra="[providers.stuck.timeouts]\nfirst_byte = 0.3\n")
            + '[routes]\n"*" = "stuck"\n' + "[server]\nkeepalive_seconds = 2\n")
    running = proxy(toml)
    response = httpx.post(running.url + "/v1/messages", timeout=20,
                          json={"model": "m", "max_tokens": 5, "stream": True, "messages": ASK})
    assert response.status_code == 502
    assert response.json()["type"] == "error"
