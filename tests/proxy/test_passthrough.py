"""Same-format traffic through the proxy, with the official SDKs as clients over real HTTP."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from upstreams import Reply, ToolCall

from .harness import provider_toml

KEY = "sk-upstream-passthrough-0001"


def anthropic_setup(proxy, scripted_upstream, *answers):
    upstream = scripted_upstream("anthropic", *answers)
    toml = provider_toml("claude", "anthropic", upstream.base_url, key_env="UP_KEY") + \
        '[routes]\n"claude-*" = "claude:claude-upstream-model"\n'
    running = proxy(toml, env={"UP_KEY": KEY})
    client = anthropic.Anthropic(base_url=running.url, api_key="client-key", max_retries=0)
    return upstream, running, client


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_to_anthropic_tool_call(proxy, scripted_upstream, stream):
    call = ToolCall("Bash", {"command": "ls"})
    upstream, running, client = anthropic_setup(proxy, scripted_upstream, Reply.calls(call, text="Let me look."))
    params = dict(model="claude-sonnet-test", max_tokens=100, messages=[{"role": "user", "content": "list"}],
                  tools=[{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}])
    if stream:
        with client.messages.stream(**params) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**params)
    assert message.model == "claude-sonnet-test"  # the client's name, not the upstream's
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].id == call.id and message.content[1].input == {"command": "ls"}
    assert message.stop_reason == "tool_use"
    received = upstream.calls[0]
    assert received.model == "claude-upstream-model"
    assert received.headers["x-api-key"] == KEY  # the provider's key, never the client's
    assert "client-key" not in str(received.headers)
    assert received.headers["anthropic-version"]
    rows = running.log_rows(1)
    assert rows[-1]["provider"] == "claude" and rows[-1]["status"] == 200
    assert rows[-1]["input_tokens"] == 11 and rows[-1]["output_tokens"] == 7
    assert rows[-1]["route"] == "claude-*" and rows[-1]["stream"] == int(stream)


def test_query_string_and_warmup_head(proxy, scripted_upstream):
    upstream, running, _ = anthropic_setup(proxy, scripted_upstream, Reply.text("ok"))
    assert httpx.head(running.url + "/").status_code == 200
    response = httpx.post(running.url + "/v1/messages?beta=true", json={
        "model": "claude-opus-4-1", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"] == "ok"
    assert upstream.calls[0].query == ""  # the client's query string is not forwarded


@pytest.mark.parametrize("stream", [False, True])
def test_chat_to_chat(proxy, scripted_upstream, stream):
    call = ToolCall("get_weather", {"city": "Oslo"})
    upstream = scripted_upstream("chat", Reply.calls(call))
    toml = provider_toml("ds", "chat", upstream.base_url, key_env="K") + '[routes]\n"*" = "ds:deepseek-chat"\n'
    running = proxy(toml, env={"K": KEY})
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="client-key", max_retries=0)
    params = dict(model="gpt-4o", messages=[{"role": "user", "content": "weather?"}],
                  tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])
    if stream:
        with client.chat.completions.stream(**params) as events:
            completion = events.get_final_completion()
    else:
        completion = client.chat.completions.create(**params)
    assert completion.model == "gpt-4o"
    tool_call = completion.choices[0].message.tool_calls[0]
    assert tool_call.id == call.id and tool_call.function.name == "get_weather"
    assert completion.choices[0].finish_reason == "tool_calls"
    assert upstream.calls[0].headers["authorization"] == f"Bearer {KEY}"
    assert upstream.calls[0].model == "deepseek-chat"


@pytest.mark.parametrize("stream", [False, True])
def test_responses_to_responses(proxy, scripted_upstream, stream):
    upstream = scripted_upstream("responses", Reply.text("hello codex"))
    toml = provider_toml("oa", "responses", upstream.base_url, key_env="K") + '[routes]\n"gpt-5*" = "oa"\n'
    running = proxy(toml, env={"K": KEY})
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="client-key", max_retries=0)
    if stream:
        with client.responses.stream(model="gpt-5-codex", input="hi") as events:
            response = events.get_final_response()
    else:
        response = client.responses.create(model="gpt-5-codex", input="hi")
    assert response.output_text == "hello codex"
    assert response.model == "gpt-5-codex"
    assert upstream.calls[0].model == "gpt-5-codex"  # a route without a model keeps the client's name


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
def test_a_dated_upstream_model_name_never_reaches_the_client(proxy, scripted_upstream, fmt):
    upstream = scripted_upstream(fmt, default=Reply.text('the "model": "x" is quoted', model="upstream-2025-01-01",
                                                                     chunk_size=1000))
    running = proxy(provider_toml("up", fmt, upstream.base_url) + '[routes]\n"*" = "up:upstream"\n')
    path = {"anthropic": "/v1/messages", "chat": "/v1/chat/completions", "responses": "/v1/responses"}[fmt]
    body = {"model": "client-name", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    if fmt == "responses":
        body = {"model": "client-name", "input": "hi"}
    for stream in (False, True):
        response = httpx.post(running.url + path, json=dict(body, stream=stream))
        assert "upstream-2025-01-01" not in response.text
        assert "client-name" in response.text
        assert 'the \\"model\\": \\"x\\" is quoted' in response.text  # content is left alone
