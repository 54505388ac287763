"""A provider's request id and rate-limit headers reach the client: under the provider's own names, and the
request id and request/token limits also under the names the client's SDK reads."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from upstreams import ErrorReply, Reply

from .harness import provider_toml

ANTHROPIC_HEADERS = {"request-id": "req_up_1", "anthropic-ratelimit-requests-limit": "50",
                     "anthropic-ratelimit-requests-remaining": "49",
                     "anthropic-ratelimit-tokens-remaining": "7000",
                     "anthropic-ratelimit-requests-reset": "2026-11-26T02:00:00Z"}
OPENAI_HEADERS = {"x-request-id": "req_up_2", "x-ratelimit-limit-requests": "500",
                  "x-ratelimit-remaining-requests": "499", "x-ratelimit-reset-requests": "120ms"}


def one_provider(proxy, upstream, fmt: str):
    return proxy(provider_toml("up", fmt, upstream.base_url) + '[routes]\n"*" = "up"\n')


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_an_anthropic_providers_headers_reach_an_openai_client(proxy, scripted_upstream, stream):
    upstream = scripted_upstream("anthropic", Reply.text("hi", headers=ANTHROPIC_HEADERS))
    running = one_provider(proxy, upstream, "anthropic")
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="unused", max_retries=0)
    if stream:
        with client.chat.completions.with_streaming_response.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True) as raw:
            headers = raw.headers
            text = "".join(chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices)
        assert text == "hi"
    else:
        raw = client.chat.completions.with_raw_response.create(model="m", messages=[{"role": "user", "content": "hi"}])
        headers = raw.headers
        assert raw.parse().choices[0].message.content == "hi"
    assert headers["x-request-id"] == "req_up_1"  # what the OpenAI SDK shows as `_request_id`
    assert headers["request-id"] == "req_up_1"
    assert headers["x-ratelimit-limit-requests"] == "50"
    assert headers["x-ratelimit-remaining-requests"] == "49"
    assert headers["x-ratelimit-remaining-tokens"] == "7000"
    assert headers["anthropic-ratelimit-requests-reset"] == "2026-11-26T02:00:00Z"
    assert "x-ratelimit-reset-requests" not in headers  # a timestamp is not a duration: not converted


def test_an_openai_providers_headers_reach_an_anthropic_client(proxy, scripted_upstream):
    upstream = scripted_upstream("responses", Reply.text("hi", headers=OPENAI_HEADERS))
    running = one_provider(proxy, upstream, "responses")
    client = anthropic.Anthropic(base_url=running.url, api_key="unused", max_retries=0)
    raw = client.messages.with_raw_response.create(model="m", max_tokens=10,
                                                   messages=[{"role": "user", "content": "hi"}])
    assert raw.parse().content[0].text == "hi"
    assert raw.headers["request-id"] == "req_up_2"
    assert raw.parse()._request_id == "req_up_2"
    assert raw.headers["anthropic-ratelimit-requests-limit"] == "500"
    assert raw.headers["anthropic-ratelimit-requests-remaining"] == "499"
    assert raw.headers["x-ratelimit-reset-requests"] == "120ms"


def test_an_upstream_error_keeps_its_request_id_and_retry_after(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", ErrorReply(400, "bad field", headers={"x-request-id": "req_up_3"}))
    running = one_provider(proxy, upstream, "chat")
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.headers["request-id"] == "req_up_3"


def test_client_headers_of_no_interest_are_not_echoed(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("hi", headers={"set-cookie": "a=b", "x-internal": "1"}))
    running = one_provider(proxy, upstream, "chat")
    response = httpx.post(running.url + "/v1/chat/completions", json={
        "model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200
    assert "set-cookie" not in response.headers and "x-internal" not in response.headers
