"""Chat and Responses requests across formats: what the client chose survives, or its change is reported.

Each test names the FOUND.md entry (tests/properties) whose fix it pins down in the translation layer.
"""

from __future__ import annotations

from .helpers import losses_of, request

USER = [{"role": "user", "content": "hi"}]


# FOUND 28
def test_a_store_the_client_chose_is_kept_when_reasoning_is_replayed() -> None:
    for store in (True, False):
        body = {"model": "m", "messages": USER, "reasoning_effort": "low", "store": store}
        out = request(body, "chat", "responses")
        assert out.body["store"] is store
        assert out.body["include"] == ["reasoning.encrypted_content"]
        assert losses_of(out) == {("include", "synthesized")}


def test_store_false_is_added_and_reported_when_the_client_said_nothing() -> None:
    out = request({"model": "m", "messages": USER, "reasoning_effort": "low"}, "chat", "responses")
    assert out.body["store"] is False
    assert losses_of(out) == {("include", "synthesized"), ("store", "synthesized")}


# FOUND 39
SCHEMA = {"type": "object", "properties": {}}


def test_a_null_strict_stays_null_between_chat_and_responses_and_its_other_default_is_reported() -> None:
    responses = {"model": "m", "input": "hi",
                 "tools": [{"type": "function", "name": "f", "parameters": SCHEMA, "strict": None}]}
    chat = request(responses, "responses", "chat")
    assert chat.body["tools"][0]["function"]["strict"] is None
    assert ("tools[0].strict", "coerced") in losses_of(chat)
    back = request(chat.body, "chat", "responses")
    assert back.body["tools"][0]["strict"] is None
    assert ("tools[0].function.strict", "coerced") in losses_of(back)


def test_a_strict_left_out_by_chat_is_still_sent_as_false_to_responses() -> None:
    chat = {"model": "m", "messages": USER,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": SCHEMA}}]}
    out = request(chat, "chat", "responses")
    assert out.body["tools"][0]["strict"] is False
    assert not {path for path, _ in losses_of(out) if path.startswith("tools")}


def test_a_null_strict_of_a_chat_tool_is_reported_at_its_chat_path_for_anthropic() -> None:
    chat = {"model": "m", "messages": USER,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": SCHEMA, "strict": None}}]}
    out = request(chat, "chat", "anthropic")
    assert "strict" not in out.body["tools"][0]
    assert ("tools[0].function.strict", "dropped") in losses_of(out)


# FOUND 40
def test_a_developer_message_reaches_responses_as_it_is() -> None:
    chat = {"model": "m", "messages": [{"role": "developer", "content": "be brief"}] + USER}
    out = request(chat, "chat", "responses")
    assert out.body["input"][0]["role"] == "developer"
    assert out.losses == []


def test_developer_items_sent_to_chat_as_system_are_reported_at_their_role() -> None:
    """Most chat providers' templates know only `system`, so the role changes, reported wherever the item is."""
    answer = {"type": "message", "role": "assistant", "content": "ok"}
    responses = {"model": "m", "input": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"},
                                         answer, {"role": "developer", "content": "now in French"},
                                         {"role": "user", "content": "again"}]}
    out = request(responses, "responses", "chat")
    assert [m["role"] for m in out.body["messages"]] == ["system", "user", "assistant", "system", "user"]
    assert {("input[0].role", "coerced"), ("input[3].role", "coerced")} <= losses_of(out)


# FOUND 41
def test_chat_and_responses_keep_the_end_user_key_the_client_used() -> None:
    for key in ("user", "safety_identifier"):
        chat = request({"model": "m", "messages": USER, key: "u1"}, "chat", "responses")
        assert chat.body[key] == "u1" and chat.losses == []
        responses = request({"model": "m", "input": "hi", key: "u1"}, "responses", "chat")
        assert responses.body[key] == "u1" and responses.losses == []


def test_both_end_user_keys_travel_between_chat_and_responses() -> None:
    body = {"model": "m", "messages": USER, "user": "u1", "safety_identifier": "s1"}
    out = request(body, "chat", "responses")
    assert (out.body["user"], out.body["safety_identifier"]) == ("u1", "s1")
    assert out.losses == []


def test_an_end_user_key_anthropic_gives_back_as_the_other_is_reported() -> None:
    """anthropic keeps one `metadata.user_id`; it comes back as chat `user` and responses `safety_identifier`."""
    out = request({"model": "m", "input": "hi", "user": "u1"}, "responses", "anthropic")
    assert out.body["metadata"] == {"user_id": "u1"}
    assert ("user", "coerced") in losses_of(out)
    kept = request({"model": "m", "input": "hi", "safety_identifier": "u1"}, "responses", "anthropic")
    assert not {path for path, _ in losses_of(kept) if path == "safety_identifier"}


# FOUND 42
FUNCTION = {"type": "function", "function": {"name": "f", "parameters": SCHEMA}}
CALL = {"role": "assistant", "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}


def test_the_name_of_a_user_message_joining_the_tool_results_turn_is_reported() -> None:
    body = {"model": "m", "tools": [FUNCTION], "messages": USER + [
        CALL, {"role": "tool", "tool_call_id": "call_1", "content": "done"},
        {"role": "user", "content": "next", "name": "ann"}]}
    out = request(body, "chat", "anthropic")
    turn = out.body["messages"][2]
    assert [block["type"] for block in turn["content"]] == ["tool_result", "text"]
    assert "ann" not in str(out.body)
    assert ("messages[3].name", "dropped") in losses_of(out)


# FOUND 43
def test_text_parts_of_a_tool_result_joined_for_a_chat_tool_message_are_reported() -> None:
    """Chat tool messages get one string (what every chat provider takes): the part boundaries are lost."""
    anthropic = {"model": "m", "max_tokens": 5, "tools": [{"name": "f", "input_schema": SCHEMA}], "messages": USER + [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
            {"type": "text", "text": "a"}, {"type": "text", "text": "b"}, {"type": "text", "text": "c"}]}]}]}
    out = request(anthropic, "anthropic", "chat")
    assert out.body["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "a\n\nb\n\nc"}
    assert {("messages[2].content[0].content[1]", "coerced"),
            ("messages[2].content[0].content[2]", "coerced")} <= losses_of(out)
    assert ("messages[2].content[0].content[0]", "coerced") not in losses_of(out)

    responses = {"model": "m", "tools": [{"type": "function", "name": "f", "parameters": SCHEMA, "strict": False}],
                 "input": [{"role": "user", "content": "hi"},
                           {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
                           {"type": "function_call_output", "call_id": "call_1", "output": [
                               {"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]}]}
    out = request(responses, "responses", "chat")
    assert out.body["messages"][2]["content"] == "a\n\nb"
    assert ("input[2].output[1]", "coerced") in losses_of(out)


# FOUND 44 (and 36)
PDF = "data:application/pdf;base64,JVBERi0xLjQK"


def test_a_file_without_a_filename_gets_none_between_chat_and_responses() -> None:
    chat = {"model": "m", "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": PDF}}]}]}
    out = request(chat, "chat", "responses")
    assert out.body["input"][0]["content"] == [{"type": "input_file", "file_data": PDF}]
    assert out.losses == []
    back = request(out.body, "responses", "chat")
    assert back.body["messages"][0]["content"] == [{"type": "file", "file": {"file_data": PDF}}]
    assert back.losses == []


def test_an_anthropic_document_gets_a_made_up_filename_for_openai_and_it_is_reported() -> None:
    anthropic = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"}}]}]}
    for target in ("chat", "responses"):
        out = request(anthropic, "anthropic", target)
        assert "document.pdf" in str(out.body)
        assert ("messages[0].content[0]", "synthesized") in losses_of(out)


def test_the_fields_of_an_assistant_turn_of_calls_only_are_reported_for_responses() -> None:
    """Found by the properties once message names were drawn again: no message item is left to carry them."""
    body = {"model": "m", "tools": [FUNCTION], "messages": USER + [
        CALL | {"name": "bot"}, {"role": "tool", "tool_call_id": "call_1", "content": "done"}]}
    out = request(body, "chat", "responses")
    assert "bot" not in str(out.body)
    assert ("messages[1].name", "dropped") in losses_of(out)


# FOUND 46
def test_a_json_schema_format_without_a_schema_gets_an_empty_one_where_required_and_it_is_reported() -> None:
    chat = {"model": "m", "messages": USER, "response_format": {"type": "json_schema", "json_schema": {"name": "a"}}}
    responses = request(chat, "chat", "responses")
    assert responses.body["text"]["format"] == {"type": "json_schema", "name": "a", "schema": {}}
    assert losses_of(responses) == {("response_format.json_schema.schema", "synthesized")}
    anthropic = request(chat, "chat", "anthropic")
    assert anthropic.body["output_config"]["format"]["schema"] == {}
    assert ("response_format.json_schema.schema", "synthesized") in losses_of(anthropic)


def test_a_schema_the_client_gave_is_not_reported() -> None:
    chat = {"model": "m", "messages": USER,
            "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}
    assert request(chat, "chat", "responses").losses == []
