"""Minimal inputs, shrunk from failing properties in test_roundtrip.py, kept as plain regression tests.

Each test names its entry in FOUND.md. They pin behaviour the properties demand: the same format gives back
exactly what it read, and a change across formats is reported as a loss.
"""

from __future__ import annotations

from typing import Any

import pytest
from apiswitch.runtime.translate import translate_request, translate_response

from .contexts import client_context
from .paths import related


def _paths(translation) -> set[str]:
    return {loss.path for loss in translation.losses}


# Cases whose bug is still open: strict xfails, so that a fix turns them into failures asking to close the
# FOUND.md entry and drop its narrowing in known_bugs.py. Every entry found so far is fixed.
OPEN: set[str] = set()


def _cases(rows: list[tuple], name: Any) -> list[Any]:
    out = []
    for row in rows:
        case_id = name(row)
        marks = [pytest.mark.xfail(strict=True, reason=f"open bug, FOUND.md entry {row[0]}")] if case_id in OPEN else []
        out.append(pytest.param(*row, id=case_id, marks=marks))
    return out


# FOUND 1
def test_chat_json_schema_without_schema_comes_back_without_one() -> None:
    """`json_schema.schema` is optional in chat; the same format must not add an empty one."""
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer"}}}
    assert translate_request(body, "chat", "chat").body == body


# FOUND 2
def test_empty_option_objects_survive_the_same_format() -> None:
    """`text: {}` and `stream_options: {}` set nothing, but X -> hub -> X gives back what X sent."""
    responses_body = {"model": "m", "input": "hi", "text": {}}
    assert translate_request(responses_body, "responses", "responses").body == responses_body
    chat_body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True,
                 "stream_options": {}}
    assert translate_request(chat_body, "chat", "chat").body == chat_body


# FOUND 3
def test_chat_message_name_is_reported_when_anthropic_cannot_carry_it() -> None:
    body = {"model": "m", "messages": [{"role": "system", "content": "be brief", "name": "ops"},
                                       {"role": "user", "content": "hi"}]}
    out = translate_request(body, "chat", "anthropic")
    assert "ops" not in str(out.body)  # anthropic has no message names ...
    assert "messages[0].name" in _paths(out)  # ... so the loss is reported


# FOUND 4
def test_text_parts_joined_into_one_chat_string_are_reported() -> None:
    """Two text blocks become one string "a\\n\\nb" for chat: the block boundary is a coerced loss."""
    body = {"model": "m", "max_tokens": 16,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}
    out = translate_request(body, "anthropic", "chat")
    content = out.body["messages"][0]["content"]
    if isinstance(content, str):
        assert any(path.startswith("messages[0].content") for path in _paths(out)), content
    else:
        assert [part["text"] for part in content] == ["a", "b"]


# FOUND 5
def test_anthropic_pause_turn_is_reported_when_responses_cannot_say_it() -> None:
    """`pause_turn` asks the client to send the turn back to continue; Responses has no such status, so
    translating it to `completed` (which reads back as `end_turn`) must be reported."""
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
               "content": [{"type": "text", "text": "working"}], "stop_reason": "pause_turn", "stop_sequence": None,
               "usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0,
                         "cache_read_input_tokens": 0}}
    there = translate_response(message, "anthropic", "responses")
    back = translate_response(there.body, "responses", "anthropic")
    assert back.body["stop_reason"] == "pause_turn" or "stop_reason" in _paths(there)


# FOUND 6
def test_developer_message_hoisted_into_the_anthropic_system_prompt_is_reported() -> None:
    """A non-leading developer message is reported as coerced to system; a leading one must be too."""
    body = {"model": "m", "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]}
    out = translate_request(body, "chat", "anthropic")
    assert out.body["system"] == "be brief"
    assert "messages[0].role" in _paths(out) or "messages[0]" in _paths(out)


# FOUND 7
def test_consecutive_user_items_merged_for_anthropic_are_reported() -> None:
    body = {"model": "m", "input": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    out = translate_request(body, "responses", "anthropic")
    if len(out.body["messages"]) == 1:
        assert _paths(out) & {"input[1]", "input[0]", "input"}, out.losses


# FOUND 8
def test_answer_text_blocks_joined_for_chat_are_reported() -> None:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
               "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "stop_reason": "end_turn",
               "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1,
                                                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}
    out = translate_response(message, "anthropic", "chat")
    assert out.body["choices"][0]["message"]["content"] == "ab"
    assert any(path.startswith("content") for path in _paths(out)), out.losses


# FOUND 9
def test_chat_answer_without_text_keeps_null_content_through_anthropic() -> None:
    completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
                  "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                               "message": {"role": "assistant", "content": None}}],
                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    there = translate_response(completion, "chat", "anthropic")
    back = translate_response(there.body, "anthropic", "chat")
    assert back.body["choices"][0]["message"]["content"] is None


# FOUND 10-17: a request whose round trip through another format changes a field, with no loss reported on
# either leg. Each row: source format, middle format, minimal body, the source path that changes.
USER = [{"role": "user", "content": "hi"}]
UNREPORTED_ROUND_TRIP_CHANGES = [
    ("10", "anthropic", "chat",
     {"model": "m", "max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 1500, "display": "omitted"},
      "messages": USER}, "thinking"),
    ("11", "chat", "anthropic",
     {"model": "m", "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}]},
     "messages[0].content[0].file"),
    ("12", "chat", "responses", {"model": "m", "max_completion_tokens": 100, "messages": USER}, "max_completion_tokens"),
    ("13", "responses", "anthropic",
     {"model": "m", "input": "hi", "tools": [{"type": "custom", "name": "t"}],
      "tool_choice": {"type": "custom", "name": "t"}}, "tool_choice"),
    ("14", "responses", "chat",
     {"model": "m", "input": "hi", "reasoning": {"effort": "low", "context": "auto", "generate_summary": "auto"}},
     "reasoning"),
    ("15", "chat", "anthropic", {"model": "m", "safety_identifier": "abc", "messages": USER}, "safety_identifier"),
    ("16", "anthropic", "responses",
     {"model": "m", "max_tokens": 4000, "output_config": {"effort": "low"}, "messages": USER}, "output_config"),
    ("17", "responses", "anthropic",
     {"model": "m", "input": "hi",
      "tools": [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": None}]},
     "tools[0].strict"),
    ("18", "chat", "anthropic",
     {"model": "m", "tools": [{"type": "custom", "custom": {"name": "t"}}],
      "messages": USER + [{"role": "assistant", "content": None,
                           "tool_calls": [{"id": "call_1", "type": "custom", "custom": {"name": "t", "input": "x"}}]},
                          {"role": "tool", "tool_call_id": "call_1", "content": "done"}] + USER},
     "messages[1].tool_calls[0]"),
    ("27", "chat", "responses", {"model": "m", "stream": True, "messages": USER}, "stream_options"),
    ("27", "responses", "chat", {"model": "m", "stream": True, "stream_options": {"include_obfuscation": False},
                                 "input": "hi"}, "stream_options"),
    ("28", "chat", "responses", {"model": "m", "store": True, "reasoning_effort": "low", "messages": USER}, "store"),
    ("29", "anthropic", "chat",
     {"model": "m", "max_tokens": 5, "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}],
      "messages": USER + [{"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
                          {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]}]},
     "messages[2].content[0].content"),
    ("32", "anthropic", "responses",
     {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
         {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
          "title": "t", "citations": {"enabled": True}}]}]},
     "messages[0].content[0].citations"),
    ("33", "responses", "anthropic",
     {"model": "m", "parallel_tool_calls": False, "tool_choice": "none", "input": "hi",
      "tools": [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": False}]},
     "parallel_tool_calls"),
    ("34", "responses", "chat",
     {"model": "m", "tools": [{"type": "custom", "name": "t"}],
      "input": [{"role": "user", "content": "hi"}, {"type": "custom_tool_call", "call_id": "call_1", "name": "t", "input": "x"},
                {"type": "custom_tool_call_output", "call_id": "call_1", "output": "done"}]},
     "input[2].type"),
    ("36", "anthropic", "responses",
     {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
         {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"}}]}]},
     "messages[0].content[0].title"),
    ("38", "responses", "anthropic", {"model": "m", "input": "hi", "reasoning": {"effort": "low",
                                                                               "generate_summary": "detailed"}},
     "reasoning.generate_summary"),
    ("39", "responses", "chat",
     {"model": "m", "input": "hi",
      "tools": [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": None}]},
     "tools[0].strict"),
    ("40", "responses", "chat",
     {"model": "m", "input": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]},
     "input[0].role"),
    ("40", "chat", "responses",
     {"model": "m", "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]},
     "messages[0].role"),
    ("41", "responses", "anthropic", {"model": "m", "input": "hi", "user": "u1"}, "user"),
    ("41", "chat", "responses", {"model": "m", "messages": USER, "safety_identifier": "u1"}, "safety_identifier"),
    ("42", "chat", "anthropic",
     {"model": "m", "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}],
      "messages": USER + [{"role": "assistant", "content": None, "tool_calls": [
          {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                          {"role": "tool", "tool_call_id": "call_1", "content": "done"},
                          {"role": "user", "content": "next", "name": "ann"}]},
     "messages[3].name"),
    ("43", "chat", "responses",
     {"model": "m", "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}],
      "messages": USER + [{"role": "assistant", "content": None, "tool_calls": [
          {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                          {"role": "tool", "tool_call_id": "call_1",
                           "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]},
     "messages[2].content"),
    ("44", "chat", "responses",
     {"model": "m", "messages": [{"role": "user", "content": [
         {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQK"}}]}]},
     "messages[0].content[0].file.filename"),
    ("45", "chat", "responses",
     {"model": "m", "messages": USER + [{"role": "assistant", "refusal": "no"}] + USER}, "messages[1].content"),
    ("46", "chat", "responses",
     {"model": "m", "messages": USER, "response_format": {"type": "json_schema", "json_schema": {"name": "answer"}}},
     "response_format.json_schema.schema"),
    ("47", "anthropic", "chat",
     {"model": "m", "max_tokens": 30000, "thinking": {"type": "disabled"}, "output_config": {"effort": "high"},
      "messages": USER}, "thinking"),
    ("48", "chat", "responses",
     {"model": "m", "messages": USER + [{"role": "assistant", "content": [
         {"type": "refusal", "refusal": "a"}, {"type": "refusal", "refusal": "b"}, {"type": "text", "text": "t"}]}] + USER},
     "messages[1].content"),
    ("50", "anthropic", "chat",
     {"model": "m", "max_tokens": 5, "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}],
      "messages": USER + [{"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
                          {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
                              {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}]}]},
     "messages[2].content[0].content[0].cache_control"),
    ("48", "responses", "chat",
     {"model": "m", "input": [{"role": "user", "content": "hi"},
                              {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [
                                  {"type": "refusal", "refusal": "a"}, {"type": "refusal", "refusal": "b"}]},
                              {"role": "user", "content": "hi"}]},
     "input[1].content"),
    ("51", "chat", "responses",
     {"model": "m", "messages": USER + [{"role": "assistant", "content": [], "refusal": "no"},
                                        {"role": "user", "content": "x"}]}, "messages[1].content"),
]


# FOUND 37
def test_chat_loss_paths_are_paths_into_the_chat_body() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}]}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": True,
                                                                   "schema": {"type": "object"}}}}
    paths = _paths(translate_request(body, "chat", "anthropic"))
    assert "messages[0].content[0].image_url.detail" in paths, paths
    assert "response_format.json_schema.name" in paths, paths


# A change the second leg makes is reported at a path into *its* source, the middle body, which lays the
# conversation out in its own way: for these cases, the path of the changed field in the middle body.
SECOND_LEG_PATHS = {
    "FOUND-40-chat": "input[0].role",  # the developer message is the first Responses item
    "FOUND-43-chat": "input[2].output",  # the tool message is the third item's output
}


@pytest.mark.parametrize(("found", "source", "middle", "body", "path"),
                         _cases(UNREPORTED_ROUND_TRIP_CHANGES, lambda row: f"FOUND-{row[0]}-{row[1]}"))
def test_round_trip_changes_are_reported(found: str, source: str, middle: str, body: dict, path: str) -> None:
    there = translate_request(body, source, middle)
    back = translate_request(there.body, middle, source)
    changed = _value_at(back.body, path) != _value_at(body, path)
    reported = {p for t in (there, back) for p in _paths(t)}
    middle_path = SECOND_LEG_PATHS.get(f"FOUND-{found}-{source}")
    if middle_path is not None and any(related(p, middle_path) for p in _paths(back)):
        reported.add(path)
    assert not changed or any(related(p, path) for p in reported), (
        f"FOUND {found}: {path} went from {_value_at(body, path)!r} to {_value_at(back.body, path)!r} unreported")


def _value_at(body: dict, path: str) -> object:
    value: object = body
    for key in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, list):
            value = value[int(key)] if int(key) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


# FOUND 19-26: the same for answers (contexts as the proxy holds them: the client's request declared the tools).
USAGE_ANTHROPIC = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
USAGE_RESPONSES = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5,
                   "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}


def _anthropic_answer(content: list, stop: str = "end_turn", sequence: str | None = None) -> dict:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": content,
            "stop_reason": stop, "stop_sequence": sequence, "usage": dict(USAGE_ANTHROPIC)}


def _chat_answer(message: dict, finish: str = "stop", usage: dict | None = None) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None, "message": {"role": "assistant"} | message}],
            "usage": usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def _responses_answer(output: list, status: str = "completed", reason: str | None = None,
                      usage: dict | None = None) -> dict:
    return {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": status, "error": None,
            "incomplete_details": {"reason": reason} if reason else None, "output": output,
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "usage": usage or dict(USAGE_RESPONSES)}


def _text_item(text: str, **fields: object) -> dict:
    return {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]} | fields


UNREPORTED_ANSWER_ROUND_TRIP_CHANGES = [
    ("19", "anthropic", "chat", _anthropic_answer([{"type": "text", "text": "x"}], "stop_sequence", "END"),
     "stop_sequence"),
    ("20", "responses", "chat", _responses_answer([_text_item("x", phase="final_answer")]), "output[0].phase"),
    ("21", "responses", "chat", _responses_answer([_text_item("x")], "incomplete", "max_messages"),
     "incomplete_details.reason"),
    ("22", "responses", "anthropic",
     _responses_answer([_text_item("x")], usage=USAGE_RESPONSES | {"output_tokens_details": {"reasoning_tokens": 3}}),
     "usage.output_tokens_details.reasoning_tokens"),
    ("23", "chat", "anthropic", _chat_answer({"content": "x", "reasoning": "because"}), "choices[0].message.reasoning"),
    ("25", "chat", "responses",
     _chat_answer({"content": "x"}, usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                                           "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 4}}),
     "usage.prompt_tokens_details.audio_tokens"),
    ("26", "chat", "anthropic",
     _chat_answer({"content": None, "tool_calls": [{"id": "call_1", "type": "custom",
                                                    "custom": {"name": "t", "input": "ab"}}]}, "tool_calls"),
     "choices[0].message.tool_calls[0].custom.input"),
    ("31", "responses", "chat",
     _responses_answer([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                         "content": [{"type": "refusal", "refusal": "a"}, {"type": "refusal", "refusal": "b"}]}]),
     "output[0].content"),
    ("35", "responses", "anthropic", _responses_answer([_text_item("a"), _text_item("b", id="msg_2")]), "output"),
    ("49", "responses", "chat",
     _responses_answer([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                         "content": [{"type": "refusal", "refusal": "no"},
                                     {"type": "output_text", "text": "t", "annotations": [], "logprobs": []}]}]),
     "output[0].content"),
    ("52", "chat", "responses", _chat_answer({"content": "", "refusal": "no"}), "choices[0].message.content"),
    ("55", "responses", "chat",
     _responses_answer([_text_item("a"), {"type": "message", "id": "msg_2", "status": "completed", "role": "assistant",
                                          "content": [{"type": "refusal", "refusal": "no"}]}]), "output"),
]


@pytest.mark.parametrize(("found", "source", "middle", "answer", "path"),
                         _cases(UNREPORTED_ANSWER_ROUND_TRIP_CHANGES, lambda row: f"FOUND-{row[0]}"))
def test_answer_round_trip_changes_are_reported(found: str, source: str, middle: str, answer: dict, path: str) -> None:
    there = translate_response(answer, source, middle, context=client_context(answer, middle, source))
    back = translate_response(there.body, middle, source, context=client_context(answer, source, middle))
    changed = _value_at(back.body, path) != _value_at(answer, path)
    reported = {p for t in (there, back) for p in _paths(t)}
    assert not changed or any(related(p, path) for p in reported), (
        f"FOUND {found}: {path} went from {_value_at(answer, path)!r} to {_value_at(back.body, path)!r} unreported")


# FOUND 24
def test_loss_paths_of_a_responses_answer_are_paths_into_it() -> None:
    """A loss path names a field of the *source* body; `usage.cache_creation_input_tokens` is anthropic's name."""
    usage = USAGE_RESPONSES | {"input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 2}}
    out = translate_response(_responses_answer([_text_item("x")], usage=usage), "responses", "chat")
    assert "usage.cache_creation_input_tokens" not in _paths(out)
    assert "usage.input_tokens_details.cache_write_tokens" in _paths(out)


# FOUND 53
@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_a_null_refusal_in_chat_history_is_kept_for_chat_and_reported_elsewhere(target: str) -> None:
    """`refusal: null` (what an answer echoed back as history holds) says "no refusal"; only chat can say it."""
    body = {"model": "m", "messages": USER + [{"role": "assistant", "content": "ok", "refusal": None},
                                              {"role": "user", "content": "x"}]}
    assert translate_request(body, "chat", "chat").body == body
    there = translate_request(body, "chat", target)
    assert "messages[1].refusal" in _paths(there)
    back = translate_request(there.body, target, "chat")
    assert "refusal" not in back.body["messages"][1]


# FOUND 54
EMPTY_MESSAGES = [
    ("chat", "responses", {"model": "m", "messages": USER + [{"role": "assistant", "content": []},
                                                             {"role": "user", "content": "x"}]}, "messages[1]"),
    ("responses", "chat", {"model": "m", "input": [{"role": "user", "content": []}, {"role": "user", "content": "x"}]},
     "input[0]"),
    ("responses", "chat", {"model": "m", "input": [{"role": "user", "content": "hi"},
                                                   {"role": "assistant", "content": []},
                                                   {"role": "user", "content": "x"}]}, "input[1].content"),
    ("responses", "anthropic", {"model": "m", "input": [{"role": "user", "content": "hi"},
                                                        {"role": "user", "content": []},
                                                        {"role": "user", "content": "x"}]}, "input[1]"),
]


@pytest.mark.parametrize(("source", "target", "body", "path"), EMPTY_MESSAGES,
                         ids=[f"{row[0]}-{row[1]}-{row[3]}" for row in EMPTY_MESSAGES])
def test_a_message_with_an_empty_content_list_does_not_vanish_unreported(source: str, target: str, body: dict,
                                                                         path: str) -> None:
    """A message the target cannot hold, or whose empty content it spells otherwise, is a reported change."""
    assert any(related(p, path) for p in _paths(translate_request(body, source, target)))
