"""The scripted upstreams speak each format correctly: the official SDKs, used as clients, read every
scenario back, and every body and event validates against the SDK's own types."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from upstreams import CustomToolCall, Reply, ScriptedUpstream, Text, Thinking, ToolCall, Usage
from upstreams.sse_reader import parse_sse

PARALLEL = Reply.calls(ToolCall("get_weather", {"city": "Paris"}, id="call_paris"),
                       ToolCall("get_weather", {"city": "Rome"}, id="call_rome"), text="Checking both.")
THINKING = Reply(blocks=(Thinking("Let me think about it.", signature="c2lnLTE="), Text("Forty-two.")),
                 usage=Usage(input_tokens=20, output_tokens=9, cache_read_tokens=5))

ANTHROPIC_EVENT = TypeAdapter(RawMessageStreamEvent)
RESPONSES_EVENT = TypeAdapter(ResponseStreamEvent)


def anthropic_client(up: ScriptedUpstream) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=up.url, api_key="test-key", max_retries=0)


def openai_client(up: ScriptedUpstream) -> openai.OpenAI:
    return openai.OpenAI(base_url=up.base_url, api_key="test-key", max_retries=0)


def raw_stream(up: ScriptedUpstream, body: dict) -> list:
    with httpx.stream("POST", up.endpoint_url, json={**body, "stream": True}, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(response.iter_bytes())


ASK = [{"role": "user", "content": "hi"}]


# -- anthropic ---------------------------------------------------------------------------------------------


def test_anthropic_parallel_tool_calls_non_streaming() -> None:
    with ScriptedUpstream("anthropic", PARALLEL) as up:
        message = anthropic_client(up).messages.create(model="claude-x", max_tokens=100, messages=ASK)
    assert message.model == "claude-x"
    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use"]
    assert [(b.id, b.input) for b in message.content[1:]] == [("call_paris", {"city": "Paris"}),
                                                               ("call_rome", {"city": "Rome"})]
    assert message.stop_reason == "tool_use"


def test_anthropic_thinking_stream_accumulates_with_signature() -> None:
    with ScriptedUpstream("anthropic", THINKING) as up:
        with anthropic_client(up).messages.stream(model="claude-x", max_tokens=100, messages=ASK) as stream:
            message = stream.get_final_message()
    thinking, text = message.content
    assert (thinking.type, thinking.thinking, thinking.signature) == ("thinking", "Let me think about it.", "c2lnLTE=")
    assert text.text == "Forty-two."
    assert message.usage.output_tokens == 9 and message.usage.cache_read_input_tokens == 5
    assert message.stop_reason == "end_turn"


def test_anthropic_events_validate_and_are_ordered() -> None:
    with ScriptedUpstream("anthropic", PARALLEL) as up:
        events = raw_stream(up, {"model": "m", "max_tokens": 10, "messages": ASK})
    names = [e.event for e in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    for event in events:
        assert event.json()["type"] == event.event
        if event.event != "ping":
            ANTHROPIC_EVENT.validate_python(event.json())
    starts = [e.json()["index"] for e in events if e.event == "content_block_start"]
    stops = [e.json()["index"] for e in events if e.event == "content_block_stop"]
    assert starts == stops == [0, 1, 2]


def test_anthropic_non_streaming_body_validates() -> None:
    with ScriptedUpstream("anthropic", THINKING) as up:
        body = httpx.post(up.endpoint_url, json={"model": "m", "max_tokens": 5, "messages": ASK}).json()
    Message.model_validate(body)
    assert body["content"][0]["signature"] == "c2lnLTE="


# -- chat ---------------------------------------------------------------------------------------------------


def test_chat_parallel_tool_calls_non_streaming() -> None:
    with ScriptedUpstream("chat", PARALLEL) as up:
        completion = openai_client(up).chat.completions.create(model="gpt-x", messages=ASK)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking both."
    assert [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls] == [
        ("call_paris", "get_weather", '{"city":"Paris"}'), ("call_rome", "get_weather", '{"city":"Rome"}')]


def test_chat_stream_tool_calls_accumulate_and_usage_chunk_when_asked() -> None:
    with ScriptedUpstream("chat", PARALLEL, PARALLEL) as up:
        client = openai_client(up)
        with client.chat.completions.stream(model="gpt-x", messages=ASK,
                                            stream_options={"include_usage": True}) as stream:
            final = stream.get_final_completion()
        without_usage = raw_stream(up, {"model": "gpt-x", "messages": ASK})
    calls = final.choices[0].message.tool_calls
    assert [(c.id, c.function.arguments) for c in calls] == [("call_paris", '{"city":"Paris"}'),
                                                             ("call_rome", '{"city":"Rome"}')]
    assert final.usage is not None and final.usage.completion_tokens == 7
    assert without_usage[-1].data == "[DONE]"
    assert all("usage" not in e.json() for e in without_usage[:-1])


def test_chat_thinking_is_reasoning_content_and_chunks_validate() -> None:
    with ScriptedUpstream("chat", THINKING, THINKING) as up:
        events = raw_stream(up, {"model": "deepseek-x", "messages": ASK,
                                 "stream_options": {"include_usage": True}})
        body = httpx.post(up.endpoint_url, json={"model": "deepseek-x", "messages": ASK}).json()
    chunks = [ChatCompletionChunk.model_validate(e.json()) for e in events[:-1]]
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    assert reasoning == "Let me think about it."
    assert chunks[-1].usage.prompt_tokens == 25 and chunks[-1].usage.prompt_tokens_details.cached_tokens == 5
    completion = ChatCompletion.model_validate(body)
    assert completion.choices[0].message.content == "Forty-two."
    assert body["choices"][0]["message"]["reasoning_content"] == "Let me think about it."


# -- responses ------------------------------------------------------------------------------------------------


def test_responses_parallel_tool_calls_non_streaming() -> None:
    with ScriptedUpstream("responses", PARALLEL) as up:
        response = openai_client(up).responses.create(model="gpt-x", input="hi")
    assert [i.type for i in response.output] == ["message", "function_call", "function_call"]
    assert [(i.call_id, i.arguments) for i in response.output[1:]] == [("call_paris", '{"city":"Paris"}'),
                                                                        ("call_rome", '{"city":"Rome"}')]
    assert response.output_text == "Checking both."


def test_responses_stream_final_response_and_events_validate() -> None:
    with ScriptedUpstream("responses", THINKING, THINKING) as up:
        client = openai_client(up)
        with client.responses.stream(model="gpt-x", input="hi",
                                     include=["reasoning.encrypted_content"]) as stream:
            final = stream.get_final_response()
        events = raw_stream(up, {"model": "gpt-x", "input": "hi"})
    reasoning, message = final.output
    assert reasoning.type == "reasoning" and reasoning.encrypted_content == "c2lnLTE="
    assert reasoning.summary[0].text == "Let me think about it."
    assert final.output_text == "Forty-two." and final.status == "completed"
    assert final.usage.input_tokens == 25 and final.usage.input_tokens_details.cached_tokens == 5
    parsed = [RESPONSES_EVENT.validate_python(e.json()) for e in events]
    assert [p.sequence_number for p in parsed] == list(range(len(parsed)))
    assert parsed[0].type == "response.created" and parsed[-1].type == "response.completed"
    done_items = [p.item for p in parsed if p.type == "response.output_item.done"]
    # Without `include`, the real API leaves encrypted reasoning out; so does the scripted one.
    assert [i.type for i in done_items] == ["reasoning", "message"] and done_items[0].encrypted_content is None


def test_responses_max_tokens_is_incomplete() -> None:
    with ScriptedUpstream("responses", Reply.text("cut", stop="max_tokens")) as up:
        body = httpx.post(up.endpoint_url, json={"model": "gpt-x", "input": "hi"}).json()
    response = Response.model_validate(body)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
def test_requests_are_recorded_with_headers_and_query(fmt: str) -> None:
    with ScriptedUpstream(fmt) as up:
        httpx.post(up.endpoint_url + "?beta=true", json={"model": "m", "messages": ASK},
                   headers={"x-api-key": "provider-key"})
        httpx.head(up.url + "/")
    call = up.calls[0]
    assert (call.method, call.query, call.model, call.headers["x-api-key"]) == ("POST", "beta=true", "m", "provider-key")
    assert [r.method for r in up.requests] == ["POST", "HEAD"] and len(up.calls) == 1


def test_custom_tool_call_is_native_in_responses_and_a_function_elsewhere() -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    reply = Reply.calls(CustomToolCall("apply_patch", patch, id="call_patch"))
    with ScriptedUpstream("responses", reply, reply) as up:
        client = openai_client(up)
        with client.responses.stream(model="gpt-x", input="hi") as stream:
            final = stream.get_final_response()
        events = raw_stream(up, {"model": "gpt-x", "input": "hi"})
    item = final.output[0]
    assert (item.type, item.call_id, item.name, item.input) == ("custom_tool_call", "call_patch", "apply_patch", patch)
    kinds = [RESPONSES_EVENT.validate_python(e.json()).type for e in events]
    assert "response.custom_tool_call_input.delta" in kinds and "response.custom_tool_call_input.done" in kinds
    with ScriptedUpstream("anthropic", reply) as up:
        message = anthropic_client(up).messages.create(model="m", max_tokens=5, messages=ASK)
    assert (message.content[0].name, message.content[0].input) == ("apply_patch", {"input": patch})
