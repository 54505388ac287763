"""Fields the Anthropic side cannot carry, or has to make up, are reported at their source paths."""

from __future__ import annotations

from .helpers import losses_of, request, response

FUNCTION = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": False}


def test_parallel_tool_calls_anthropic_has_no_place_for_are_reported() -> None:
    """Anthropic turns parallel tool use off on a tool choice; `none` and no tools leave it nowhere to go."""
    with_none = request({"model": "m", "input": "hi", "tools": [FUNCTION], "tool_choice": "none",
                         "parallel_tool_calls": False}, "responses", "anthropic")
    assert with_none.body["tool_choice"] == {"type": "none"}
    assert ("parallel_tool_calls", "dropped") in losses_of(with_none)
    without_tools = request({"model": "m", "input": "hi", "parallel_tool_calls": False}, "responses", "anthropic")
    assert "tool_choice" not in without_tools.body
    assert ("parallel_tool_calls", "dropped") in losses_of(without_tools)


def test_parallel_tool_calls_carried_by_a_tool_choice_are_not_reported() -> None:
    out = request({"model": "m", "input": "hi", "tools": [FUNCTION], "parallel_tool_calls": False},
                  "responses", "anthropic")
    assert out.body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert not any(path == "parallel_tool_calls" for path, _ in losses_of(out))


def test_an_effort_never_turns_on_thinking_the_client_turned_off() -> None:
    body = {"model": "m", "max_tokens": 30000, "thinking": {"type": "disabled"}, "output_config": {"effort": "high"},
            "messages": [{"role": "user", "content": "hi"}]}
    to_chat = request(body, "anthropic", "chat")
    assert "reasoning_effort" not in to_chat.body
    to_responses = request(body, "anthropic", "responses")
    assert "reasoning" not in to_responses.body
    for out in (to_chat, to_responses):
        assert {("thinking", "dropped"), ("output_config.effort", "dropped")} <= losses_of(out)
    back = request(to_chat.body, "chat", "anthropic")
    assert back.body.get("thinking", {"type": "disabled"}) == {"type": "disabled"}


def _tool_result_turn(result: dict) -> dict:
    return {"model": "m", "max_tokens": 9, "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}],
            "messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"} | result]}]}


def test_cache_hints_inside_a_tool_result_are_reported_or_kept() -> None:
    hint = {"type": "ephemeral"}
    body = _tool_result_turn({"content": [{"type": "text", "text": "x", "cache_control": hint}]})
    dropped = request(body, "anthropic", "chat")
    assert dropped.body["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "x"}
    assert ("messages[2].content[0].content[0].cache_control", "dropped") in losses_of(dropped)
    kept = request(body, "anthropic", "chat", keep_cache_control=True)
    assert kept.body["messages"][2]["content"] == [{"type": "text", "text": "x", "cache_control": hint}]
    assert not any(path.endswith("cache_control") for path, _ in losses_of(kept))


def test_a_tool_result_without_content_is_reported_where_one_is_needed() -> None:
    body = _tool_result_turn({})
    for target in ("chat", "responses"):
        out = request(body, "anthropic", target)
        assert ("messages[2].content[0].content", "synthesized") in losses_of(out), target
    assert request(body, "anthropic", "anthropic").losses == []


def _message_item(item_id: str, text: str) -> dict:
    return {"type": "message", "id": item_id, "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}


def test_adjacent_responses_message_items_joined_for_anthropic_are_reported() -> None:
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}",
            "status": "completed"}
    answer = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "completed",
              "error": None, "incomplete_details": None, "parallel_tool_calls": True, "tool_choice": "auto",
              "tools": [], "output": [_message_item("msg_1", "a"), _message_item("msg_2", "b"), call,
                                      _message_item("msg_3", "c")],
              "usage": {"input_tokens": 1, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 1,
                        "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 2}}
    out = response(answer, "responses", "anthropic")
    assert [b.get("text") for b in out.body["content"]] == ["a", "b", None, "c"]
    coerced = {path for path, action in losses_of(out) if action == "coerced"}
    assert "output[1]" in coerced  # joins msg_1: one item once read back
    assert "output[3]" not in coerced  # a tool call stands between it and msg_2
