"""A chat provider's own reasoning state (runtime/spokes/chat/provider_state.py): OpenRouter's
`reasoning_details`, merged as they stream, and Gemini's thought signatures on tool calls, carried through
Anthropic and Responses clients inside their reasoning state, and given back unchanged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from apiswitch.runtime.spokes.chat import provider_state

from apiswitch import translate_request, translate_response

DETAILS = [
    {"type": "reasoning.text", "text": "I should list the files.", "signature": "EqQBsig==",
     "format": "anthropic-claude-v1", "index": 0},
    {"type": "reasoning.encrypted", "data": "CiQBjz1r", "id": "tool_1", "format": "google-gemini-v1", "index": 1},
]
ANSWER = {
    "id": "gen-1", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "reasoning": "I should list the files.", "reasoning_details": DETAILS,
        "tool_calls": [{"id": "tool_1", "type": "function", "function": {"name": "Bash", "arguments": "{}"}}]}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}


def test_streamed_pieces_merge_by_index_as_the_provider_meant_them() -> None:
    merged: list[dict[str, Any]] = []
    assert provider_state.merge_delta(merged, [{"type": "reasoning.text", "text": "I should", "format": "f", "index": 0}])
    assert provider_state.merge_delta(merged, [{"type": "reasoning.text", "text": " list.", "format": "f", "index": 0,
                                         "signature": "sig"}])
    assert provider_state.merge_delta(merged, [{"type": "reasoning.encrypted", "data": "CiQ", "index": 1}])
    # A format repeated in every piece stays one format (the SDK's accumulator appends it to itself).
    assert merged == [{"type": "reasoning.text", "text": "I should list.", "format": "f", "index": 0,
                       "signature": "sig"},
                      {"type": "reasoning.encrypted", "data": "CiQ", "index": 1}]
    assert not provider_state.merge_delta(merged, {"type": "reasoning.text"})
    assert not provider_state.merge_delta(merged, ["text"])


def _next_request(shown: dict[str, Any], client: str) -> dict[str, Any]:
    """The client's next request after the answer it was `shown`: the answer whole, and a result per call."""
    if client == "anthropic":
        calls = [block["id"] for block in shown["content"] if block["type"] == "tool_use"]
        return {"model": "m", "max_tokens": 100, "messages": [
            {"role": "user", "content": "ls"}, {"role": "assistant", "content": shown["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call, "content": "a.txt"}
                                         for call in calls]}]}
    calls = [item["call_id"] for item in shown["output"] if item["type"] == "function_call"]
    return {"model": "m", "input": [{"role": "user", "content": "ls"}, *shown["output"],
                                    *[{"type": "function_call_output", "call_id": call, "output": "a.txt"}
                                      for call in calls]]}


def _back_to_chat(answer: dict[str, Any], client: str, **options: Any) -> Any:
    """The client's next request after `answer` (translated for it), translated back for the chat provider."""
    shown = translate_response(answer, "chat", client).body
    return translate_request(_next_request(shown, client), client, "chat", options=options)


@pytest.mark.parametrize("client", ["anthropic", "responses"])
def test_details_go_back_unchanged_on_their_turn(client: str) -> None:
    back = _back_to_chat(ANSWER, client)
    assistant = back.body["messages"][1]
    assert assistant["reasoning_details"] == DETAILS
    assert assistant["tool_calls"][0]["id"] == "tool_1"
    assert not [loss for loss in back.losses if "reasoning" in loss.path]


@pytest.mark.parametrize("client", ["anthropic", "responses"])
def test_details_dropped_on_request_are_reported(client: str) -> None:
    back = _back_to_chat(ANSWER, client, chat_reasoning_state=False)
    assert "reasoning_details" not in back.body["messages"][1]
    assert [loss.reason for loss in back.losses if loss.action == "dropped"] == [provider_state.NOT_WANTED]


def test_details_without_reasoning_text_still_travel() -> None:
    """Gemini's thought signature alone (no reasoning text): the client gets an empty thinking block that
    holds it, and the provider gets it back."""
    message = {k: v for k, v in ANSWER["choices"][0]["message"].items() if k != "reasoning"}
    message["reasoning_details"] = DETAILS[1:]
    answer = dict(ANSWER, choices=[dict(ANSWER["choices"][0], message=message)])
    shown = translate_response(answer, "chat", "anthropic").body
    assert [block["type"] for block in shown["content"]] == ["tool_use", "thinking"]
    assert shown["content"][1]["thinking"] == ""
    assert _back_to_chat(answer, "anthropic").body["messages"][1]["reasoning_details"] == DETAILS[1:]


def test_a_chat_client_gets_the_details_as_they_came() -> None:
    body = translate_response(ANSWER, "chat", "chat").body
    assert body["choices"][0]["message"]["reasoning_details"] == DETAILS
    assert body["choices"][0]["message"]["reasoning"] == "I should list the files."


GEMINI_CALLS = [
    {"id": "function-call-1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a"}'},
     "extra_content": {"google": {"thought_signature": "CiQBjz1r"}}},
    {"id": "function-call-2", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"b"}'}},
]
GEMINI_ANSWER = {
    "id": "c1", "object": "chat.completion", "created": 1, "model": "gemini-3-pro-preview",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": GEMINI_CALLS}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}


@pytest.mark.parametrize("client", ["anthropic", "responses"])
def test_a_gemini_thought_signature_goes_back_on_its_call(client: str) -> None:
    shown = translate_response(GEMINI_ANSWER, "chat", client)
    assert not shown.losses  # before, the signature was left out without a word
    assert _back_to_chat(GEMINI_ANSWER, client).body["messages"][1]["tool_calls"] == GEMINI_CALLS
    dropped = _back_to_chat(GEMINI_ANSWER, client, chat_reasoning_state=False)
    assert all("extra_content" not in call for call in dropped.body["messages"][1]["tool_calls"])
    assert [loss.reason for loss in dropped.losses if loss.action == "dropped"] == [provider_state.NOT_WANTED]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + orjson.dumps(body) + b"\n\n"


# A thought signature that comes with the call's second piece rather than with its header.
LATE_SIGNATURE = b"".join([
    _chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "function-call-1", "type": "function",
                                                 "function": {"name": "read_file", "arguments": ""}}]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"},
                            "extra_content": {"google": {"thought_signature": "CiQB"}}}]}),
    _chunk({}, "tool_calls"),
    b"data: [DONE]\n\n",
])


def test_a_signature_after_the_call_header_still_reaches_another_format_and_back() -> None:
    from apiswitch import StreamTranslator, stream_as_response

    translator = StreamTranslator("chat", "anthropic")
    anthropic_stream = translator.feed(LATE_SIGNATURE) + translator.finish()
    answer = stream_as_response(anthropic_stream, "anthropic")
    request = _next_request(answer, "anthropic")
    calls = translate_request(request, "anthropic", "chat").body["messages"][1]["tool_calls"]
    assert calls[0]["extra_content"] == {"google": {"thought_signature": "CiQB"}}


def test_a_chat_stream_reports_a_signature_it_can_no_longer_place() -> None:
    from apiswitch import StreamTranslator

    translator = StreamTranslator("chat", "chat")
    translator.feed(LATE_SIGNATURE)
    translator.finish()
    assert any("tool call 'function-call-1'" in loss.reason for loss in translator.losses)
