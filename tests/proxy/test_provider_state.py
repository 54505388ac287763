"""A chat provider's reasoning state through the proxy (OpenRouter's `reasoning_details`, Gemini's thought
signatures on tool calls): Claude Code and Codex keep it (inside their own reasoning state) and the provider
gets it back, unchanged, on the assistant turn it came with. Anthropic models behind OpenRouter check their
thinking signatures, and Gemini models refuse a tool call whose thought signature is missing, so losing it
fails the agent's next turn."""

from __future__ import annotations

import anthropic
import openai
import orjson
import pytest
from apiswitch.runtime.spokes.chat import provider_state
from streaming.harness import fixture_bytes

from apiswitch import stream_as_response

from .harness import CannedUpstream, provider_toml

OPENROUTER_STREAM = fixture_bytes("openrouter_reasoning_details", "chat")
# What the provider streamed, merged: the thinking's text and its signature in one detail, the Gemini thought
# signature of the tool call in another.
SENT_DETAILS = stream_as_response(OPENROUTER_STREAM, "chat")["choices"][0]["message"][provider_state.DETAILS]
OPENROUTER_ANSWER = orjson.dumps(stream_as_response(OPENROUTER_STREAM, "chat"))


def _proxy(proxy, upstream: CannedUpstream, echo: bool):
    quirks = "[providers.openrouter.quirks]\nreasoning_state_echo = true\n" if echo else ""
    return proxy(provider_toml("openrouter", "chat", upstream.url + "/v1") + quirks + '[routes]\n"*" = "openrouter"\n')


def _assistant_turn(body: bytes) -> dict:
    return next(m for m in orjson.loads(body)["messages"] if m["role"] == "assistant")


def _claude_code_turns(running, stream: bool) -> None:
    """Two turns as Claude Code takes them: the answer's blocks go back whole, with the tool's result."""
    client = anthropic.Anthropic(base_url=running.url, api_key="client-key", max_retries=0)
    ask = {"model": "claude-x", "max_tokens": 1000,
           "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
           "messages": [{"role": "user", "content": "List the files."}]}
    if stream:
        with client.messages.stream(**ask) as events:
            first = events.get_final_message()
    else:
        first = client.messages.create(**ask)
    call = next(block for block in first.content if block.type == "tool_use")
    ask["messages"] += [{"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
                        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                                      "content": "a.txt"}]}]
    client.messages.create(**ask)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_claude_code_hands_openrouter_its_reasoning_details_back(proxy, stream):
    with CannedUpstream(OPENROUTER_STREAM if stream else OPENROUTER_ANSWER,
                        "text/event-stream" if stream else "application/json") as upstream:
        running = _proxy(proxy, upstream, echo=True)
        _claude_code_turns(running, stream)
    turn = _assistant_turn(upstream.received[1])
    assert turn[provider_state.DETAILS] == SENT_DETAILS
    assert turn["tool_calls"][0]["id"] == "tool_0_Bash_x1"


def test_codex_hands_openrouter_its_reasoning_details_back(proxy):
    with CannedUpstream(OPENROUTER_STREAM) as upstream:
        running = _proxy(proxy, upstream, echo=True)
        client = openai.OpenAI(base_url=running.url + "/v1", api_key="client-key", max_retries=0)
        tools = [{"type": "function", "name": "Bash", "parameters": {"type": "object"}}]
        with client.responses.stream(model="gpt-5", input="List the files.", tools=tools) as events:
            first = events.get_final_response()
        call = next(item for item in first.output if item.type == "function_call")
        client.responses.create(model="gpt-5", tools=tools, input=[
            {"role": "user", "content": "List the files."},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": "a.txt"}])
    assert _assistant_turn(upstream.received[1])[provider_state.DETAILS] == SENT_DETAILS


def test_reasoning_details_go_only_to_providers_that_want_them(proxy):
    with CannedUpstream(OPENROUTER_STREAM) as upstream:
        running = _proxy(proxy, upstream, echo=False)
        _claude_code_turns(running, stream=True)
    assert provider_state.DETAILS not in _assistant_turn(upstream.received[1])
    losses = orjson.loads(running.log_rows(2)[-1]["losses"])
    assert any(loss["reason"] == provider_state.NOT_WANTED for loss in losses), losses


def test_claude_code_hands_gemini_its_thought_signature_back(proxy):
    stream = fixture_bytes("gemini_thought_signature", "chat")
    with CannedUpstream(stream) as upstream:
        running = _proxy(proxy, upstream, echo=True)
        _claude_code_turns(running, stream=True)
    calls = _assistant_turn(upstream.received[1])["tool_calls"]
    assert [call.get("extra_content") for call in calls] == [
        {"google": {"thought_signature": "CiQBjz1rX2sigA"}}, None]
