"""A whole answer replayed as its format's stream (runtime/streaming/replay.py): the strict checkers accept
it, and both they and the official SDKs' accumulators rebuild the answer it came from."""

from __future__ import annotations

import json
from typing import Any

import anthropic.types
import openai.types.chat
import openai.types.responses
import pytest
from apiswitch.runtime.streaming.replay import is_whole_answer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from properties.mutations import JSON_VALUES, paths_of, replaced
from properties.strategies import RESPONSES

from apiswitch import response_as_stream

from .checkers import check_anthropic, check_chat, check_responses, parse_sse

FORMATS = ("anthropic", "chat", "responses")
SDK_MODELS = {
    "anthropic": anthropic.types.Message,
    "chat": openai.types.chat.ChatCompletion,
    "responses": openai.types.responses.Response,
}


def _sdk_view(answer: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The answer as its SDK reads it, for comparing with what the SDK accumulates from the stream."""
    return SDK_MODELS[fmt].model_validate(answer).model_dump(mode="json", exclude_none=True)


def _checked(stream: bytes, fmt: str, answer: dict[str, Any]) -> None:
    """The strict checker's reading of the stream is the answer itself."""
    if fmt == "anthropic":
        seen = check_anthropic(stream)
        assert seen["blocks"] == answer["content"]
        assert seen["stop_reason"] == answer["stop_reason"]
        assert seen["usage"] == {"input_tokens": 0, "output_tokens": 0, **answer["usage"]}
        assert {k: v for k, v in seen["message"].items() if k not in ("content", "stop_reason", "stop_sequence",
                                                                         "usage")} == \
            {k: v for k, v in answer.items() if k not in ("content", "stop_reason", "stop_sequence", "usage")}
    elif fmt == "chat":
        seen = check_chat(stream, expect_usage=answer.get("usage") is not None)
        message = answer["choices"][0]["message"]
        assert seen["content"] == (message.get("content") or "")
        assert seen["reasoning"] == (message.get("reasoning_content") or "")
        assert seen["refusal"] == (message.get("refusal") or "")
        assert seen["annotations"] == (message.get("annotations") or [])
        assert [(c["id"], c["name"], c["arguments"]) for c in seen["tool_calls"]] == [
            (c["id"], c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls") or ()]
        assert seen["finish_reason"] == answer["choices"][0]["finish_reason"]
        assert seen["usage"] == answer.get("usage")
    else:
        seen = check_responses(stream)
        assert seen["response"] == answer
        assert seen["items"] == answer["output"]


def _one_choice(answer: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The strict chat checker reads one choice, and function calls only: several choices and a custom tool's
    call (which has no documented streamed form in chat) are tested on their own below."""
    if fmt == "chat":
        choice = answer["choices"][0]
        calls = choice["message"].get("tool_calls")
        if calls and any(call.get("type") != "function" for call in calls):
            choice = dict(choice, finish_reason="stop",
                          message={k: v for k, v in choice["message"].items() if k != "tool_calls"})
        answer = dict(answer, choices=[choice])
    return answer


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_replayed_answer_is_a_valid_stream_of_the_same_answer(fmt: str, data: st.DataObject, stream_server) -> None:
    answer = _one_choice(data.draw(RESPONSES[fmt]), fmt)
    if fmt == "responses":  # the API's item ids are unique; the generator does not promise it
        ids = [item.get("id") for item in answer["output"]]
        assume(len(set(ids)) == len(ids))
    assert is_whole_answer(answer, fmt)
    stream = response_as_stream(answer, fmt)
    _checked(stream, fmt, answer)
    rebuilt = stream_server.accumulate(stream, fmt)
    expected = _sdk_view(answer, fmt)
    if fmt == "chat":
        # The SDK's snapshot is a completion of its own: compare the choice it rebuilt (whose tool calls keep
        # the stream's `index`).
        message = rebuilt["choices"][0]["message"]
        for call in message.get("tool_calls") or ():
            call.pop("index")
        assert message == expected["choices"][0]["message"]
        assert rebuilt["choices"][0]["finish_reason"] == expected["choices"][0]["finish_reason"]
        assert rebuilt.get("usage") == expected.get("usage")
        assert rebuilt["id"] == expected["id"] and rebuilt["model"] == expected["model"]
    elif fmt == "anthropic":
        assert rebuilt["content"] == expected["content"]
        assert rebuilt["stop_reason"] == expected["stop_reason"]
        assert rebuilt["id"] == expected["id"] and rebuilt["model"] == expected["model"]
        assert rebuilt["usage"]["output_tokens"] == expected["usage"]["output_tokens"]
    else:
        assert rebuilt == expected


def test_several_chat_choices_each_keep_their_index(stream_server) -> None:
    answer = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "first"}, "finish_reason": "stop"},
            {"index": 1, "message": {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
             "finish_reason": "tool_calls"},
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    rebuilt = stream_server.accumulate(response_as_stream(answer, "chat"), "chat")
    assert [c["index"] for c in rebuilt["choices"]] == [0, 1]
    assert rebuilt["choices"][0]["message"]["content"] == "first"
    call = rebuilt["choices"][1]["message"]["tool_calls"][0]
    assert (call["id"], call["function"]["name"], call["function"]["arguments"]) == ("call_1", "f", '{"a":1}')
    assert rebuilt["usage"]["total_tokens"] == 7


def test_chat_usage_chunk_only_when_asked() -> None:
    answer = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    assert check_chat(response_as_stream(answer, "chat", include_usage=False), expect_usage=False)["usage"] is None
    assert check_chat(response_as_stream(answer, "chat"), expect_usage=True)["usage"]["total_tokens"] == 2


def test_fields_the_writers_do_not_know_travel_with_their_object() -> None:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
               "content": [{"type": "text", "text": "x", "future_block_field": 1},
                           {"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_1", "content": {"a": 1}}],
               "stop_reason": "end_turn", "stop_sequence": None, "container": {"id": "c1"},
               "usage": {"input_tokens": 2, "output_tokens": 1}}
    seen = check_anthropic(response_as_stream(message, "anthropic"))
    assert seen["message"]["container"] == {"id": "c1"}
    assert seen["blocks"] == message["content"]


def test_incomplete_and_failed_responses_end_with_their_own_event() -> None:
    base = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "output": [],
            "usage": {"input_tokens": 1, "output_tokens": 0, "total_tokens": 1}}
    incomplete = dict(base, status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert parse_sse(response_as_stream(incomplete, "responses"))[-1][0] == "response.incomplete"
    failed = dict(base, status="failed", error={"code": "server_error", "message": "boom"})
    events = parse_sse(response_as_stream(failed, "responses"))
    assert events[-1][0] == "response.failed"
    assert json.loads(events[-1][1])["response"]["error"]["message"] == "boom"


@pytest.mark.parametrize("fmt,body", [
    ("anthropic", {"type": "error", "error": {"type": "api_error", "message": "x"}}),
    ("chat", {"error": {"message": "x"}}),
    ("chat", {"choices": []}),
    ("responses", {"object": "response", "output": None}),
    ("responses", ["not", "an", "object"]),
])
def test_a_body_that_is_not_an_answer_is_refused(fmt: str, body: Any) -> None:
    assert not is_whole_answer(body, fmt)
    with pytest.raises(ValueError, match=f"not a complete {fmt} answer"):
        response_as_stream(body, fmt)


def test_a_chat_custom_tool_call_travels_whole() -> None:
    call = {"id": "call_1", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch"}}
    answer = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                           "finish_reason": "tool_calls"}]}
    chunks = [json.loads(data) for _, data in parse_sse(response_as_stream(answer, "chat"))[:-1]]
    streamed = [c for chunk in chunks for choice in chunk["choices"] for c in choice["delta"].get("tool_calls", ())]
    assert streamed == [dict(call, index=0)]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


HOSTED_CALLS = {
    "web search": (
        {"id": "ws_1", "type": "web_search_call", "status": "completed",
         "action": {"type": "search", "query": "apiswitch"}},
        ["response.web_search_call.in_progress", "response.web_search_call.searching",
         "response.web_search_call.completed"]),
    "code interpreter": (
        {"id": "ci_1", "type": "code_interpreter_call", "status": "completed", "container_id": "cntr_1",
         "code": "print(6 * 7)", "outputs": [{"type": "logs", "logs": "42\n"}]},
        ["response.code_interpreter_call.in_progress", "response.code_interpreter_call_code.delta",
         "response.code_interpreter_call_code.done", "response.code_interpreter_call.interpreting",
         "response.code_interpreter_call.completed"]),
    "mcp call": (
        {"id": "mcp_1", "type": "mcp_call", "status": "completed", "server_label": "docs", "name": "search",
         "arguments": '{"q": "apiswitch"}', "output": "found", "error": None},
        ["response.mcp_call.in_progress", "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done",
         "response.mcp_call.completed"]),
    "failed mcp call": (
        {"id": "mcp_2", "type": "mcp_call", "status": "failed", "server_label": "docs", "name": "search",
         "arguments": "{}",
         "error": {"type": "http_error", "code": 503, "message": "server unreachable"}},
        ["response.mcp_call.in_progress", "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done",
         "response.mcp_call.failed"]),
    "mcp tool listing": (
        {"id": "mcpl_1", "type": "mcp_list_tools", "server_label": "docs",
         "tools": [{"name": "search", "input_schema": {"type": "object"}}]},
        ["response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed"]),
}


@pytest.mark.parametrize("call", sorted(HOSTED_CALLS))
def test_a_hosted_tool_call_gets_its_progress_events(stream_server, call: str) -> None:
    """As the API streams its own tools' calls: their phases, and the code or arguments they stream, between
    the item's added and done."""
    item, phases = HOSTED_CALLS[call]
    answer = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "completed",
              "output": [item], "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
              "error": None, "incomplete_details": None, "tools": [], "tool_choice": "auto",
              "parallel_tool_calls": True}
    stream = response_as_stream(answer, "responses")
    events = parse_sse(stream)
    assert [name for name, _ in events][2:-1] == ["response.output_item.added", *phases,
                                                  "response.output_item.done"]
    added = json.loads(events[2][1])["item"]
    for field in ("code", "arguments"):
        if field in item:
            assert added[field] == ""
    assert check_responses(stream)["items"] == [item]
    assert stream_server.accumulate(stream, "responses")["output"] == [
        {key: value for key, value in item.items() if value is not None}]  # the SDK's dump leaves out nulls


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_answer_with_any_field_replaced_is_replayed_or_refused_cleanly(fmt: str, data: st.DataObject) -> None:
    """A provider's own answer is replayed as it came: one of the wrong shape gives a stream or a ValueError
    (a failed attempt), never another exception (a 500)."""
    answer = data.draw(RESPONSES[fmt])
    path = data.draw(st.sampled_from(list(paths_of(answer))[1:]))
    answer = replaced(answer, path, data.draw(JSON_VALUES))
    try:
        stream = response_as_stream(answer, fmt)
    except ValueError:
        return
    assert isinstance(stream, bytes) and stream
