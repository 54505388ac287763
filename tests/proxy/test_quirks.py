"""Provider quirks, the output cap, and translation losses in the request log."""

from __future__ import annotations

import httpx
import orjson
import pytest
from streaming.checkers import check_chat
from upstreams import Reply, Thinking, ToolCall

from .harness import provider_toml

HISTORY = [
    {"role": "user", "content": [{"type": "text", "text": "Weather?"}, {"type": "text", "text": " In Oslo."}]},
    {"role": "assistant", "content": None, "reasoning_content": "I should call the tool.",
     "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]


def chat_proxy(proxy, upstream, quirks: str = "", extra: str = ""):
    table = f"[providers.up.quirks]\n{quirks}\n" if quirks else ""
    return proxy(provider_toml("up", "chat", upstream.base_url, extra=extra) + table + '[routes]\n"*" = "up:m"\n')


def test_a_chat_client_s_own_fields_pass_through_untouched(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("ok"))
    running = chat_proxy(proxy, upstream)
    httpx.post(running.url + "/v1/chat/completions", json={"model": "x", "messages": HISTORY})
    sent = upstream.calls[0].body["messages"]
    assert sent[1]["reasoning_content"] == "I should call the tool."  # the client sent it on purpose
    assert sent[0]["content"] == HISTORY[0]["content"]  # lists stay lists


def test_translated_reasoning_is_only_echoed_to_providers_that_want_it(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("ok"))
    running = chat_proxy(proxy, upstream)
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "list"},
                     {"role": "assistant", "content": [
                         {"type": "thinking", "thinking": "list files first", "signature": "c2ln"},
                         {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1",
                                                   "content": "a.txt"}]}]})
    assert response.status_code == 200
    assistant = [m for m in upstream.calls[0].body["messages"] if m["role"] == "assistant"][0]
    assert "reasoning_content" not in assistant
    assert assistant["tool_calls"][0]["id"] == "call_1"


def test_quirks_echo_reasoning_and_flatten_content(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("ok"), Reply.text("again"))
    running = chat_proxy(proxy, upstream, "reasoning_content_echo = true\nstring_content = true\n"
                                          "no_stream_usage = true\n")
    httpx.post(running.url + "/v1/chat/completions", json={"model": "x", "messages": HISTORY})
    sent = upstream.calls[0].body["messages"]
    assert sent[1]["reasoning_content"] == "I should call the tool."
    assert sent[0]["content"] == "Weather? In Oslo."
    assert sent[1]["content"] == ""
    response = httpx.post(running.url + "/v1/chat/completions", json={
        "model": "x", "messages": HISTORY, "stream": True, "stream_options": {"include_usage": True}})
    assert response.status_code == 200
    assert "stream_options" not in upstream.calls[1].body


def test_anthropic_thinking_turn_reaches_a_deepseek_style_provider_with_reasoning(proxy, scripted_upstream):
    call = ToolCall("Bash", {"command": "ls"}, id="call_ds_1")
    upstream = scripted_upstream("chat", Reply(blocks=(Thinking("list files first"), call)), Reply.text("done"))
    running = chat_proxy(proxy, upstream, "reasoning_content_echo = true\n")
    request = {"model": "claude-x", "max_tokens": 100, "thinking": {"type": "enabled", "budget_tokens": 1024},
               "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
               "messages": [{"role": "user", "content": "list"}]}
    first = httpx.post(running.url + "/v1/messages", json=request).json()
    assert [b["type"] for b in first["content"]] == ["thinking", "tool_use"]
    request["messages"] += [{"role": "assistant", "content": first["content"]},
                            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_ds_1",
                                                          "content": "a.txt"}]}]
    assert httpx.post(running.url + "/v1/messages", json=request).status_code == 200
    assistant = [m for m in upstream.calls[1].body["messages"] if m["role"] == "assistant"][0]
    assert assistant["reasoning_content"] == "list files first"
    assert assistant["tool_calls"][0]["id"] == "call_ds_1"


def test_a_tool_call_turn_without_reasoning_gets_an_empty_one_for_a_deepseek_style_provider(proxy, scripted_upstream):
    """DeepSeek refuses a history whose tool-call turn lacks reasoning_content; a turn another provider
    answered (no thinking block) must still reach it with the field."""
    upstream = scripted_upstream("chat", Reply.text("ok"), Reply.text("ok"))
    running = chat_proxy(proxy, upstream, "reasoning_content_echo = true\n")
    messages = [{"role": "user", "content": "list"},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Listing."},
                    {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "a.txt"}]},
                {"role": "assistant", "content": "Found a.txt."},
                {"role": "user", "content": "thanks"}]
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
        "messages": messages})
    assert response.status_code == 200
    assistants = [m for m in upstream.calls[0].body["messages"] if m["role"] == "assistant"]
    assert assistants[0]["reasoning_content"] == "" and assistants[0]["tool_calls"][0]["id"] == "call_1"
    assert "reasoning_content" not in assistants[1]  # no tool call: DeepSeek ignores reasoning there
    # A chat client's own history is its own business, quirk or not.
    own = [{"role": "user", "content": "list"},
           {"role": "assistant", "content": None, "tool_calls": [
               {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}]},
           {"role": "tool", "tool_call_id": "call_1", "content": "a.txt"}]
    httpx.post(running.url + "/v1/chat/completions", json={"model": "x", "messages": own})
    assert "reasoning_content" not in upstream.calls[1].body["messages"][1]


def test_max_output_tokens_cap(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("ok"), Reply.text("ok"))
    running = chat_proxy(proxy, upstream, extra="max_output_tokens = 1000")
    httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 32000, "messages": [{"role": "user", "content": "hi"}]})
    body = upstream.calls[0].body
    assert (body.get("max_tokens") or body.get("max_completion_tokens")) == 1000
    httpx.post(running.url + "/v1/chat/completions", json={
        "model": "x", "max_tokens": 5000, "messages": [{"role": "user", "content": "hi"}]})
    assert upstream.calls[1].body["max_tokens"] == 1000


def test_translation_losses_are_logged(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("ok"))
    running = chat_proxy(proxy, upstream)
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "top_k": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200
    losses = orjson.loads(running.log_rows(1)[-1]["losses"])
    assert any(loss["path"] == "top_k" and loss["action"] == "dropped" for loss in losses), losses


def test_strict_mode_refuses_a_lossy_translation(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", default=Reply.text("ok"))
    running = proxy(provider_toml("up", "chat", upstream.base_url) + '[routes]\n"*" = "up"\n'
                    "[server]\nstrict = true\n")
    lossy = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "top_k": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert lossy.status_code == 400
    assert lossy.json()["error"]["message"].startswith("strict mode: a chat provider would drop: top_k")
    assert upstream.calls == []
    clean = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]})
    assert clean.status_code == 200


def test_strict_mode_moves_on_to_a_candidate_that_loses_nothing(proxy, scripted_upstream):
    chat = scripted_upstream("chat", default=Reply.text("from chat"))
    native = scripted_upstream("anthropic", default=Reply.text("from anthropic"))
    running = proxy(provider_toml("chat", "chat", chat.base_url) + provider_toml("native", "anthropic", native.base_url)
                    + '[routes]\n"*" = ["chat", "native"]\n[server]\nstrict = true\n')
    response = httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 100, "top_k": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert response.json()["content"][0]["text"] == "from anthropic"
    assert chat.calls == []
    assert httpx.get(running.url + "/health").json()["providers"] == {}  # no breaker was touched


@pytest.mark.parametrize("wants_usage", [True, False])
def test_a_chat_client_that_asked_for_usage_gets_it_even_from_a_provider_that_sends_none(
        proxy, scripted_upstream, wants_usage):
    """no_stream_usage: the provider is not asked for usage (it would refuse the option), but the client that
    asked still gets a usage chunk before [DONE], estimated, and the estimate is reported as a loss."""
    upstream = scripted_upstream("chat", Reply.text("one two three four five six", chunk_size=4))
    running = chat_proxy(proxy, upstream, "no_stream_usage = true\n")
    body = {"model": "x", "messages": HISTORY, "stream": True}
    if wants_usage:
        body["stream_options"] = {"include_usage": True}
    response = httpx.post(running.url + "/v1/chat/completions", json=body)
    assert response.status_code == 200
    assert "stream_options" not in upstream.calls[0].body
    result = check_chat(response.content, expect_usage=wants_usage)
    assert result["content"] == "one two three four five six"
    losses = running.log_rows(1)[-1]["losses"] or ""
    if wants_usage:
        usage = result["usage"]
        assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert '"usage"' in losses and "synthesized" in losses
    else:
        assert "synthesized" not in losses


def test_a_chat_provider_that_sends_usage_is_relayed_without_an_estimate(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("one two three", chunk_size=4))
    running = chat_proxy(proxy, upstream, "")
    response = httpx.post(running.url + "/v1/chat/completions", json={
        "model": "x", "messages": HISTORY, "stream": True, "stream_options": {"include_usage": True}})
    check_chat(response.content, expect_usage=True)  # exactly one usage chunk: the provider's
    assert upstream.calls[0].body["stream_options"] == {"include_usage": True}
    assert not running.log_rows(1)[-1]["losses"]
