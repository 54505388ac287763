"""`[server] validation = "full"`: whole bodies against the generated models, real client traffic included."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from upstreams import Reply

from .harness import provider_toml

CAPTURES = sorted((Path(__file__).parent.parent / "fixtures" / "captures").glob("*.json"))


def full_proxy(proxy, upstream):
    return proxy(provider_toml("up", upstream.format, upstream.base_url) + '[routes]\n"*" = "up"\n'
                 '[server]\nvalidation = "full"\n')


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.stem for c in CAPTURES])
def test_real_client_requests_pass_full_validation(proxy, scripted_upstream, capture):
    request = json.loads(capture.read_text())["request"]
    fmt = "anthropic" if request["path"].startswith("/v1/messages") else "responses"
    upstream = scripted_upstream(fmt, default=Reply.text("ok"))
    running = full_proxy(proxy, upstream)
    response = httpx.post(running.url + request["path"], json=request["body"], timeout=20)
    assert response.status_code == 200, response.text
    assert len(upstream.calls) == 1


def test_full_validation_names_the_deepest_field(proxy, scripted_upstream):
    running = full_proxy(proxy, scripted_upstream("anthropic"))
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "tool_result"}]}]})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "messages[0].content[0].tool_use_id: Field required"


def test_full_validation_keeps_unknown_fields_and_blocks(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", Reply.text("ok"))
    running = full_proxy(proxy, upstream)
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "m", "max_tokens": 5, "a_field_from_next_year": {"x": 1},
        "messages": [{"role": "user", "content": [{"type": "hologram", "data": "..."}]}]})
    assert response.status_code == 200, response.text
    assert upstream.calls[0].body["messages"][0]["content"][0]["type"] == "hologram"
    assert upstream.calls[0].body["a_field_from_next_year"] == {"x": 1}
