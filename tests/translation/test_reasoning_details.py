"""OpenRouter's `reasoning_details` (runtime/spokes/chat/details.py): merged as they stream, carried through
Anthropic and Responses clients inside their reasoning state, and given back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from apiswitch.runtime.spokes.chat import details

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
    assert details.merge_delta(merged, [{"type": "reasoning.text", "text": "I should", "format": "f", "index": 0}])
    assert details.merge_delta(merged, [{"type": "reasoning.text", "text": " list.", "format": "f", "index": 0,
                                         "signature": "sig"}])
    assert details.merge_delta(merged, [{"type": "reasoning.encrypted", "data": "CiQ", "index": 1}])
    # A format repeated in every piece stays one format (the SDK's accumulator appends it to itself).
    assert merged == [{"type": "reasoning.text", "text": "I should list.", "format": "f", "index": 0,
                       "signature": "sig"},
                      {"type": "reasoning.encrypted", "data": "CiQ", "index": 1}]
    assert not details.merge_delta(merged, {"type": "reasoning.text"})
    assert not details.merge_delta(merged, ["text"])


def _back_to_chat(answer: dict[str, Any], client: str, **options: Any) -> Any:
    """The client's next request after `answer` (translated for it), translated back for the chat provider."""
    shown = translate_response(answer, "chat", client).body
    if client == "anthropic":
        request = {"model": "m", "max_tokens": 100, "messages": [
            {"role": "user", "content": "ls"}, {"role": "assistant", "content": shown["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tool_1", "content": "a.txt"}]}]}
    else:
        call_id = next(item["call_id"] for item in shown["output"] if item["type"] == "function_call")
        request = {"model": "m", "input": [{"role": "user", "content": "ls"}, *shown["output"],
                                           {"type": "function_call_output", "call_id": call_id, "output": "a.txt"}]}
    return translate_request(request, client, "chat", options=options)


@pytest.mark.parametrize("client", ["anthropic", "responses"])
def test_details_go_back_unchanged_on_their_turn(client: str) -> None:
    back = _back_to_chat(ANSWER, client)
    assistant = back.body["messages"][1]
    assert assistant["reasoning_details"] == DETAILS
    assert assistant["tool_calls"][0]["id"] == "tool_1"
    assert not [loss for loss in back.losses if "reasoning" in loss.path]


@pytest.mark.parametrize("client", ["anthropic", "responses"])
def test_details_dropped_on_request_are_reported(client: str) -> None:
    back = _back_to_chat(ANSWER, client, chat_reasoning_details=False)
    assert "reasoning_details" not in back.body["messages"][1]
    assert [loss.reason for loss in back.losses if loss.action == "dropped"] == [details.NOT_WANTED]


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
