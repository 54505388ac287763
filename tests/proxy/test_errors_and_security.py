"""Errors the proxy raises itself, access control, and keeping provider keys out of everything it writes."""

from __future__ import annotations

import logging
import os
import stat

import anthropic
import httpx
import openai
import pytest
from upstreams import ErrorReply, Reply

from .harness import provider_toml

CANARY = "sk-canary-7f3a9c1e5b2d4086-never-leak"


def routed(proxy, upstream, fmt, extra="", env=None):
    toml = provider_toml("up", fmt, upstream.base_url, key_env="UP_KEY") + '[routes]\n"known-*" = "up"\n' + extra
    return proxy(toml, env={"UP_KEY": CANARY, **(env or {})})


@pytest.mark.parametrize("path, fmt", [("/v1/messages", "anthropic"), ("/v1/chat/completions", "chat"),
                                       ("/v1/responses", "responses")])
def test_bad_json_is_a_400_in_the_client_format(proxy, scripted_upstream, path, fmt):
    running = routed(proxy, scripted_upstream(fmt), fmt)
    response = httpx.post(running.url + path, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    body = response.json()
    if fmt == "anthropic":
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["type"] == "invalid_request_error"
        assert "not valid JSON" in body["error"]["message"]


def test_validation_names_the_field(proxy, scripted_upstream):
    running = routed(proxy, scripted_upstream("anthropic"), "anthropic")
    response = httpx.post(running.url + "/v1/messages", json={"model": "known-1", "max_tokens": 5,
                                                               "messages": [{"content": "no role"}]})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "messages[0].role: field required"
    response = httpx.post(running.url + "/v1/messages", json={"model": "known-1", "messages": []})
    assert response.json()["error"]["message"] == "max_tokens: field required"


def test_unknown_model_with_the_sdk(proxy, scripted_upstream):
    running = routed(proxy, scripted_upstream("chat"), "chat")
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="k", max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="other", messages=[{"role": "user", "content": "hi"}])
    assert "no route for model 'other'" in str(caught.value)


def test_no_provider_configured_explains_itself(proxy):
    running = proxy("")
    client = anthropic.Anthropic(base_url=running.url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(model="claude-x", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert "no provider is configured" in str(caught.value)


def test_body_too_large(proxy, scripted_upstream):
    running = routed(proxy, scripted_upstream("chat"), "chat", extra="[server]\nmax_body_bytes = 100\n")
    response = httpx.post(running.url + "/v1/chat/completions", json={"model": "known", "messages": [
        {"role": "user", "content": "x" * 200}]})
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("request body is larger")


def test_access_token_is_required_when_configured(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic", default=Reply.text("ok"))
    running = routed(proxy, upstream, "anthropic",
                     extra='[server]\nhost = "0.0.0.0"\naccess_token_env = "PROXY_TOKEN"\n',
                     env={"PROXY_TOKEN": "proxy-token-123"})
    request = {"model": "known-1", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    denied = httpx.post(running.url + "/v1/messages", json=request)
    assert denied.status_code == 401 and denied.json()["error"]["type"] == "authentication_error"
    wrong = anthropic.Anthropic(base_url=running.url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        wrong.messages.create(**request)
    right = anthropic.Anthropic(base_url=running.url, api_key="proxy-token-123", max_retries=0)
    assert right.messages.create(**request).content[0].text == "ok"
    bearer = httpx.post(running.url + "/v1/messages", json=request,
                        headers={"authorization": "Bearer proxy-token-123"})
    assert bearer.status_code == 200
    assert all("proxy-token-123" not in str(call.headers) for call in upstream.calls)
    assert httpx.head(running.url + "/").status_code == 200  # the warm-up needs no token


def test_provider_key_never_leaks(proxy, scripted_upstream, caplog, capfd, tmp_path):
    caplog.set_level(logging.DEBUG)
    upstream = scripted_upstream("chat", ErrorReply(401, f"Incorrect API key provided: {CANARY}"),
                                 ErrorReply(500, f"internal error for key {CANARY}"),
                                 Reply.text(f"the model repeats {CANARY}"))
    running = routed(proxy, upstream, "chat", extra="[log]\nbodies = true\n"
                     f'path = "{(tmp_path / "leak.db").as_posix()}"\n')
    client_bodies = []
    for _ in range(3):
        response = httpx.post(running.url + "/v1/chat/completions", json={
            "model": "known-1", "messages": [{"role": "user", "content": "hi"}]})
        client_bodies.append(response.text)
    assert upstream.calls[0].headers["authorization"] == f"Bearer {CANARY}"  # it was really used
    assert CANARY not in client_bodies[0] and "Incorrect API key" in client_bodies[0]
    assert CANARY not in client_bodies[1]
    rows = running.log_rows(3)
    assert len(rows) == 3
    running.stop()
    written = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"Incorrect API key" in written or b"internal error" in written  # the errors were logged...
    assert CANARY.encode() not in written  # ...without the key
    out, err = capfd.readouterr()
    assert CANARY not in out + err + caplog.text
    db = tmp_path / "leak.db"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
