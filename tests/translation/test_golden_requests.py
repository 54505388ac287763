"""Golden request translations: input, expected output, expected losses, per direction and point.

Every output is also checked against the official SDK request types (see oracles.py).
"""

from __future__ import annotations

from .helpers import losses_of, request

# --- text and system prompts -----------------------------------------------------------------------------

ANTHROPIC_TEXT = {"model": "m", "max_tokens": 64, "system": "Be brief.",
                  "messages": [{"role": "user", "content": "Hello"}]}
CHAT_TEXT = {"model": "m", "max_tokens": 64,
             "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]}
RESPONSES_TEXT = {"model": "m", "max_output_tokens": 64, "instructions": "Be brief.", "input": "Hello"}


def test_text_anthropic_to_chat() -> None:
    out = request(ANTHROPIC_TEXT, "anthropic", "chat")
    assert out.body == CHAT_TEXT
    assert out.losses == []


def test_text_anthropic_to_responses() -> None:
    out = request(ANTHROPIC_TEXT, "anthropic", "responses")
    assert out.body == {"model": "m", "instructions": "Be brief.", "max_output_tokens": 64,
                        "input": [{"type": "message", "role": "user", "content": "Hello"}]}
    assert out.losses == []


def test_text_chat_to_anthropic_hoists_the_system_message() -> None:
    out = request(CHAT_TEXT, "chat", "anthropic")
    assert out.body == ANTHROPIC_TEXT
    assert out.losses == []


def test_text_chat_to_responses() -> None:
    out = request(CHAT_TEXT, "chat", "responses")
    assert out.body == {"model": "m", "max_output_tokens": 64, "input": [
        {"type": "message", "role": "system", "content": "Be brief."},
        {"type": "message", "role": "user", "content": "Hello"}]}
    assert out.losses == []


def test_text_responses_to_anthropic() -> None:
    out = request(RESPONSES_TEXT, "responses", "anthropic")
    assert out.body == ANTHROPIC_TEXT
    assert out.losses == []


def test_text_responses_to_chat() -> None:
    out = request(RESPONSES_TEXT, "responses", "chat")
    assert out.body == CHAT_TEXT
    assert out.losses == []


def test_system_blocks_with_cache_control_lose_only_the_hint() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}],
            "system": [{"type": "text", "text": "A"}, {"type": "text", "text": "B", "cache_control": {"type": "ephemeral"}}]}
    chat = request(body, "anthropic", "chat")
    assert chat.body["messages"][0] == {"role": "system", "content": "A\n\nB"}
    assert losses_of(chat) == {("system[1].cache_control", "dropped"), ("system[1]", "coerced")}
    responses = request(body, "anthropic", "responses")
    assert responses.body["instructions"] == "A\n\nB"
    assert losses_of(responses) == {("system[1].cache_control", "dropped"), ("system[1]", "coerced")}


def test_system_messages_inside_anthropic_messages() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "system", "content": [{"type": "text", "text": "Use tools sparingly."}]},
        {"role": "system", "content": []},
        {"role": "assistant", "content": "ok"},
        {"role": "system", "content": "Later note."},
        {"role": "user", "content": "go"}]}
    # Chat templates want the system message first: early ones join it, later ones stay in place.
    chat = request(body, "anthropic", "chat")
    assert chat.body["messages"] == [{"role": "system", "content": "Use tools sparingly."},
                                     {"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"},
                                     {"role": "system", "content": "Later note."}, {"role": "user", "content": "go"}]
    assert losses_of(chat) == {("messages[1]", "coerced"), ("messages[2]", "dropped")}
    responses = request(body, "anthropic", "responses")
    assert responses.body["input"][1] == {"type": "message", "role": "system", "content": [
        {"type": "input_text", "text": "Use tools sparingly."}]}
    assert [i["role"] for i in responses.body["input"]] == ["user", "system", "assistant", "system", "user"]
    assert losses_of(responses) == {("messages[2]", "dropped")}


def test_developer_messages_become_the_anthropic_system_prompt() -> None:
    body = {"model": "m", "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Rules."}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}],
        "max_output_tokens": 10}
    out = request(body, "responses", "anthropic")
    assert out.body == {"model": "m", "max_tokens": 10, "system": [{"type": "text", "text": "Rules."}],
                        "messages": [{"role": "user", "content": [{"type": "text", "text": "Go"}]}]}
    assert losses_of(out) == {("input[0].role", "coerced")}


# --- content: images, documents ------------------------------------------------------------------------

IMAGE_B64 = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
IMAGE_URL = {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}
PDF = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"},
       "title": "spec.pdf"}
ANTHROPIC_MEDIA = {"model": "m", "max_tokens": 64, "messages": [
    {"role": "user", "content": [{"type": "text", "text": "Look"}, IMAGE_B64, IMAGE_URL, PDF]}]}


def test_images_and_pdf_anthropic_to_chat() -> None:
    out = request(ANTHROPIC_MEDIA, "anthropic", "chat")
    assert out.body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "Look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0x", "filename": "spec.pdf"}}]}]
    assert out.losses == []


def test_images_and_pdf_anthropic_to_responses() -> None:
    out = request(ANTHROPIC_MEDIA, "anthropic", "responses")
    assert out.body["input"] == [{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "Look"},
        {"type": "input_image", "detail": "auto", "image_url": "data:image/png;base64,iVBORw0KGgo="},
        {"type": "input_image", "detail": "auto", "image_url": "https://example.com/cat.png"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0x", "filename": "spec.pdf"}]}]
    assert out.losses == []


def test_images_and_pdf_come_back_to_anthropic_from_chat_and_responses() -> None:
    for middle in ("chat", "responses"):
        there = request(ANTHROPIC_MEDIA, "anthropic", middle)
        back = request(there.body, middle, "anthropic")
        assert back.body == ANTHROPIC_MEDIA, middle
        assert back.losses == []


def test_image_detail_from_openai_is_reported_for_anthropic() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}}]}]}
    out = request(body, "chat", "anthropic")
    assert out.body["messages"][0]["content"] == [IMAGE_URL | {"source": {"type": "url", "url": "https://example.com/a.png"}}]
    assert losses_of(out) == {("messages[0].content[0].image_url.detail", "dropped"), ("max_tokens", "synthesized")}


def test_text_document_goes_to_chat_as_text() -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}}]}]}
    out = request(body, "anthropic", "chat")
    assert out.body["messages"][0]["content"] == [{"type": "text", "text": "notes"}]
    assert losses_of(out) == {("messages[0].content[0]", "coerced")}


# --- tools, tool calls, tool results -------------------------------------------------------------------

ANTHROPIC_TOOLS = {"model": "m", "max_tokens": 64, "messages": [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_02", "name": "now", "input": {}}]},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"},
        {"type": "tool_result", "tool_use_id": "toolu_02", "content": [{"type": "text", "text": "noon"}], "is_error": True},
        {"type": "text", "text": "and tomorrow?"}]}],
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"name": "now", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}}
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_tools_anthropic_to_chat() -> None:
    out = request(ANTHROPIC_TOOLS, "anthropic", "chat")
    assert out.body == {"model": "m", "max_tokens": 64, "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "toolu_02", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
        {"role": "tool", "tool_call_id": "toolu_02", "content": "noon"},
        {"role": "user", "content": "and tomorrow?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                                    "parameters": WEATHER_SCHEMA}},
                  {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": False}
    assert losses_of(out) == {("messages[2].content[1].is_error", "dropped")}


def test_tools_anthropic_to_responses() -> None:
    out = request(ANTHROPIC_TOOLS, "anthropic", "responses")
    assert out.body == {"model": "m", "max_output_tokens": 64, "input": [
        {"type": "message", "role": "user", "content": "weather?"},
        {"type": "message", "role": "assistant", "content": "Checking."},
        {"type": "function_call", "call_id": "toolu_01", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call", "call_id": "toolu_02", "name": "now", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "toolu_01", "output": "18C"},
        {"type": "function_call_output", "call_id": "toolu_02", "output": [{"type": "input_text", "text": "noon"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and tomorrow?"}]}],
        "tools": [{"type": "function", "name": "get_weather", "description": "Weather", "parameters": WEATHER_SCHEMA,
                   "strict": False},
                  {"type": "function", "name": "now", "parameters": {"type": "object"}, "strict": False}],
        "tool_choice": {"type": "function", "name": "get_weather"}, "parallel_tool_calls": False}
    assert losses_of(out) == {("messages[2].content[1].is_error", "dropped")}


def test_tools_chat_to_anthropic_groups_tool_messages_into_one_user_turn() -> None:
    chat = request(ANTHROPIC_TOOLS, "anthropic", "chat").body
    out = request(chat, "chat", "anthropic")
    assert out.body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"},
        {"type": "tool_result", "tool_use_id": "toolu_02", "content": "noon"},
        {"type": "text", "text": "and tomorrow?"}]}
    assert out.body["tool_choice"] == {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    assert out.losses == []


def test_tools_responses_to_chat_puts_one_turns_calls_in_one_message() -> None:
    responses = request(ANTHROPIC_TOOLS, "anthropic", "responses").body
    out = request(responses, "responses", "chat")
    assert out.body["messages"][1] == {"role": "assistant", "content": "Checking.", "tool_calls": [
        {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
        {"id": "toolu_02", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}
    assert [m["role"] for m in out.body["messages"]] == ["user", "assistant", "tool", "tool", "user"]
    assert out.losses == []


def test_tools_responses_to_anthropic() -> None:
    responses = request(ANTHROPIC_TOOLS, "anthropic", "responses").body
    out = request(responses, "responses", "anthropic")
    assert out.body["messages"][1] == ANTHROPIC_TOOLS["messages"][1]
    assert out.body["messages"][2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C"}
    assert out.losses == []


def test_tool_choice_variants() -> None:
    cases = [
        ({"type": "auto"}, "auto", "auto"),
        ({"type": "any"}, "required", "required"),
        ({"type": "none"}, "none", "none"),
    ]
    for anthropic_choice, chat_choice, responses_choice in cases:
        body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
                "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": anthropic_choice}
        assert request(body, "anthropic", "chat").body["tool_choice"] == chat_choice
        assert request(body, "anthropic", "responses").body["tool_choice"] == responses_choice
        chat_body = request(body, "anthropic", "chat").body
        assert request(chat_body, "chat", "anthropic").body["tool_choice"] == anthropic_choice


def test_parallel_tool_calls_false_becomes_disable_parallel_tool_use() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 3,
            "tools": [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}],
            "parallel_tool_calls": False}
    out = request(body, "chat", "anthropic")
    assert out.body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_long_tool_names_are_shortened_and_restored_in_the_response() -> None:
    long_name = "mcp__a_very_long_server_name_for_testing__and_an_even_longer_tool_name_here"
    assert len(long_name) > 64
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": long_name, "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "tool", "name": long_name}}
    out = request(body, "anthropic", "chat")
    short = out.body["tools"][0]["function"]["name"]
    assert len(short) == 64 and short.startswith(long_name[:50])
    assert out.body["tool_choice"] == {"type": "function", "function": {"name": short}}
    assert out.context.tool_names == {short: long_name}
    reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "up", "choices": [
        {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": short, "arguments": "{}"}}]}}]}
    from .helpers import response
    back = response(reply, "chat", "anthropic", out.context)
    assert back.body["content"] == [{"type": "tool_use", "id": "call_1", "name": long_name, "input": {}}]
    assert back.body["model"] == "m"


def test_schema_keywords_a_target_rejects_are_cleaned_and_reported() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"a": {"type": "string"}}}
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": "t", "input_schema": schema}]}
    out = request(body, "anthropic", "chat")
    assert out.body["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {"a": {"type": "string"}}}
    assert losses_of(out) == {("tools[0].input_schema.$schema", "dropped")}
    chat = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 3, "tools": [
        {"type": "function", "function": {"name": "t", "parameters": {"anyOf": [{"type": "object"}]}}}]}
    back = request(chat, "chat", "anthropic")
    assert back.body["tools"][0]["input_schema"] == {"type": "object"}
    assert losses_of(back) == {("tools[0].function.parameters.anyOf", "dropped"),
                               ("tools[0].function.parameters.type", "coerced")}


def test_function_tool_without_parameters_gets_an_empty_object_schema_for_anthropic() -> None:
    chat = {"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "ping"}}]}
    out = request(chat, "chat", "anthropic")
    assert out.body["tools"] == [{"name": "ping", "input_schema": {"type": "object", "properties": {}}}]
    assert losses_of(out) == {("tools[0].function.parameters", "synthesized")}


APPLY_PATCH = {"type": "custom", "name": "apply_patch", "description": "Edit files",
               "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}


def test_custom_tool_is_bridged_to_a_function_tool_and_back() -> None:
    body = {"model": "m", "input": [
        {"type": "message", "role": "user", "content": "patch it"},
        {"type": "custom_tool_call", "call_id": "call_p1", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "call_p1", "output": "Done"}],
        "tools": [APPLY_PATCH], "max_output_tokens": 100}
    out = request(body, "responses", "anthropic")
    tool = out.body["tools"][0]
    assert tool["name"] == "apply_patch"
    assert tool["input_schema"]["properties"]["input"]["type"] == "string"
    assert tool["input_schema"]["required"] == ["input"]
    assert "start: /.+/" in tool["input_schema"]["properties"]["input"]["description"]
    assert out.body["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "call_p1", "name": "apply_patch", "input": {"input": "*** Begin Patch"}}]}
    assert out.body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "call_p1", "content": "Done"}]}
    assert losses_of(out) == {("tools[0]", "coerced"), ("input[1]", "coerced"), ("input[2]", "coerced")}
    assert out.context.custom_tools == ["apply_patch"]
    chat = request(body, "responses", "chat")
    assert chat.body["messages"][1]["tool_calls"] == [
        {"id": "call_p1", "type": "function", "function": {"name": "apply_patch", "arguments": '{"input":"*** Begin Patch"}'}}]
    # The answer: a function call with `input` becomes a custom_tool_call for Codex again.
    from .helpers import response
    reply = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "tool_use",
             "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 2},
             "content": [{"type": "tool_use", "id": "toolu_9", "name": "apply_patch", "input": {"input": "*** End Patch"}}]}
    back = response(reply, "anthropic", "responses", out.context)
    call = back.body["output"][0]
    assert call["type"] == "custom_tool_call"
    assert (call["call_id"], call["name"], call["input"]) == ("toolu_9", "apply_patch", "*** End Patch")


def test_namespace_tools_are_flattened_and_restored() -> None:
    body = {"model": "m", "input": "go", "tools": [{"type": "namespace", "name": "crm", "description": "CRM",
                                                    "tools": [{"type": "function", "name": "find", "parameters": {"type": "object"}}]}],
            "max_output_tokens": 5}
    out = request(body, "responses", "chat")
    assert out.body["tools"] == [{"type": "function", "function": {"name": "crm__find", "parameters": {"type": "object"}}}]
    assert losses_of(out) == {("tools[0].tools[0]", "coerced")}
    assert out.context.namespaced_tools == {"crm__find": ["crm", "find"]}
    from .helpers import response
    reply = {"id": "c", "object": "chat.completion", "created": 1, "model": "x", "choices": [
        {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "crm__find", "arguments": "{}"}}]}}]}
    back = response(reply, "chat", "responses", out.context)
    call = back.body["output"][0]
    assert (call["namespace"], call["name"]) == ("crm", "find")
    assert request(body, "responses", "responses").body == body


def test_defer_loading_is_kept_for_anthropic_and_responses_and_reported_for_chat() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": "rare", "input_schema": {"type": "object"}, "defer_loading": True}]}
    assert request(body, "anthropic", "responses").body["tools"][0]["defer_loading"] is True
    chat = request(body, "anthropic", "chat")
    assert "defer_loading" not in chat.body["tools"][0]["function"]
    assert losses_of(chat) == {("tools[0].defer_loading", "dropped")}


def test_web_search_server_tool_between_anthropic_and_responses() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "news"}],
            "tools": [{"type": "web_search_20250305", "name": "web_search", "allowed_domains": ["example.com"],
                       "max_uses": 3}]}
    out = request(body, "anthropic", "responses")
    assert out.body["tools"] == [{"type": "web_search", "filters": {"allowed_domains": ["example.com"]}}]
    assert losses_of(out) == {("tools[0].max_uses", "dropped")}
    back = request(out.body, "responses", "anthropic")
    assert back.body["tools"] == [{"type": "web_search_20250305", "name": "web_search",
                                   "allowed_domains": ["example.com"]}]
    chat = request(body, "anthropic", "chat")
    assert "tools" not in chat.body
    assert losses_of(chat) == {("tools[0]", "dropped")}


# --- sampling, limits, output format, metadata ----------------------------------------------------------

def test_sampling_and_limits_chat_to_anthropic() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 500,
            "temperature": 1.5, "top_p": 0.9, "stop": "END", "seed": 7, "user": "u-1"}
    out = request(body, "chat", "anthropic")
    assert out.body == {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 500,
                        "temperature": 1.0, "top_p": 0.9, "stop_sequences": ["END"], "metadata": {"user_id": "u-1"}}
    assert losses_of(out) == {("temperature", "coerced"), ("seed", "dropped"), ("max_completion_tokens", "coerced")}


def test_sampling_anthropic_to_chat_and_responses() -> None:
    body = {"model": "m", "max_tokens": 500, "messages": [{"role": "user", "content": "x"}],
            "temperature": 0.2, "top_k": 40, "stop_sequences": ["A", "B"], "metadata": {"user_id": "u-1"}}
    chat = request(body, "anthropic", "chat")
    assert chat.body == {"model": "m", "max_tokens": 500, "messages": [{"role": "user", "content": "x"}],
                         "temperature": 0.2, "stop": ["A", "B"], "user": "u-1"}
    assert losses_of(chat) == {("top_k", "dropped")}
    responses = request(body, "anthropic", "responses")
    assert responses.body == {"model": "m", "max_output_tokens": 500, "temperature": 0.2,
                              "input": [{"type": "message", "role": "user", "content": "x"}],
                              "safety_identifier": "u-1"}
    assert losses_of(responses) == {("top_k", "dropped"), ("stop_sequences", "dropped")}


def test_max_tokens_cap_clamps_and_reports() -> None:
    body = {"model": "m", "max_tokens": 128000, "messages": [{"role": "user", "content": "x"}]}
    out = request(body, "anthropic", "chat", max_tokens_cap=8192)
    assert out.body["max_tokens"] == 8192
    assert losses_of(out) == {("max_tokens", "coerced")}
    under = request(body | {"max_tokens": 100}, "anthropic", "chat", max_tokens_cap=8192)
    assert under.body["max_tokens"] == 100 and under.losses == []


def test_json_schema_output_in_all_three_shapes() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    anthropic = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "x"}],
                 "output_config": {"format": {"type": "json_schema", "schema": schema}}}
    chat = request(anthropic, "anthropic", "chat")
    assert chat.body["response_format"] == {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    assert losses_of(chat) == {("output_config.format.name", "synthesized")}
    responses = request(chat.body, "chat", "responses")
    assert responses.body["text"] == {"format": {"type": "json_schema", "name": "output", "schema": schema}}
    assert responses.losses == []
    back = request(responses.body, "responses", "anthropic")
    assert back.body["output_config"] == anthropic["output_config"]
    assert losses_of(back) == {("text.format.name", "dropped")}


def test_effort_and_thinking_budget_to_reasoning_effort() -> None:
    base = {"model": "m", "max_tokens": 32000, "messages": [{"role": "user", "content": "x"}]}
    enabled = base | {"thinking": {"type": "enabled", "budget_tokens": 31999}}
    assert request(enabled, "anthropic", "chat").body["reasoning_effort"] == "high"
    responses = request(enabled, "anthropic", "responses")
    assert responses.body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert responses.body["include"] == ["reasoning.encrypted_content"] and responses.body["store"] is False
    adaptive = base | {"thinking": {"type": "adaptive"}, "output_config": {"effort": "xhigh"}}
    assert request(adaptive, "anthropic", "chat").body["reasoning_effort"] == "xhigh"


def test_reasoning_effort_to_thinking_budget() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 20000,
            "reasoning_effort": "medium"}
    out = request(body, "chat", "anthropic")
    assert out.body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    low_room = request(body | {"max_completion_tokens": 4000, "reasoning_effort": "high"}, "chat", "anthropic")
    assert low_room.body["thinking"] == {"type": "enabled", "budget_tokens": 3999}
    assert losses_of(low_room) == {("reasoning_effort", "coerced"), ("max_completion_tokens", "coerced")}
    off = request(body | {"reasoning_effort": "none"}, "chat", "anthropic")
    assert off.body["thinking"] == {"type": "disabled"}


def test_context_management_and_unknown_fields_are_reported_across_formats() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
            "context_management": {"edits": [{"type": "clear_thinking_20251015"}]}, "service_tier": "auto"}
    out = request(body, "anthropic", "chat")
    assert "context_management" not in out.body
    assert losses_of(out) == {("context_management", "dropped"), ("service_tier", "dropped")}
    assert request(body, "anthropic", "anthropic").body == body


def test_metadata_user_id_longer_than_openai_allows_is_hashed_for_responses() -> None:
    user_id = '{"device_id":"' + "0" * 64 + '","session_id":"abc"}'
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}],
            "metadata": {"user_id": user_id}}
    out = request(body, "anthropic", "responses")
    assert len(out.body["safety_identifier"]) == 64 and out.body["safety_identifier"].startswith("sha256:")
    assert losses_of(out) == {("metadata.user_id", "coerced")}


def test_stream_flag_and_usage_request() -> None:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}], "stream": True}
    chat = request(body, "anthropic", "chat")
    assert chat.body["stream"] is True and chat.body["stream_options"] == {"include_usage": True}
    assert chat.context.stream is True
    client = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True,
              "stream_options": {"include_usage": True}}
    assert request(client, "chat", "anthropic").context.client_wants_stream_usage is True


# --- more content and history shapes --------------------------------------------------------------------

def test_document_in_a_tool_result_is_hoisted_for_chat() -> None:
    body = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_r", "name": "read", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_r", "content": [PDF]}]}]}
    out = request(body, "anthropic", "chat")
    tool, user = out.body["messages"][1:]
    assert tool == {"role": "tool", "tool_call_id": "toolu_r",
                    "content": "[the tool returned attachments; they follow in the next user message]"}
    assert user["content"][1] == {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0x",
                                                           "filename": "spec.pdf"}}
    assert out.losses == []


def test_redacted_thinking_and_server_tool_blocks_are_reported_for_chat() -> None:
    body = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "user", "content": "news?"},
        {"role": "assistant", "content": [
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "news"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "Here is the news."}]}]}
    out = request(body, "anthropic", "chat")
    assert out.body["messages"][1] == {"role": "assistant", "content": "Here is the news."}
    assert losses_of(out) == {("messages[1].content[0]", "dropped"), ("messages[1].content[1]", "dropped"),
                              ("messages[1].content[2]", "dropped")}
    assert request(body, "anthropic", "anthropic").body == body


def test_file_ids_become_anthropic_file_sources() -> None:
    body = {"model": "m", "max_output_tokens": 9, "input": [{"type": "message", "role": "user", "content": [
        {"type": "input_image", "file_id": "file-img", "detail": "auto"},
        {"type": "input_file", "file_id": "file-pdf"}]}]}
    out = request(body, "responses", "anthropic")
    assert out.body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "file", "file_id": "file-img"}},
        {"type": "document", "source": {"type": "file", "file_id": "file-pdf"}}]
    assert out.losses == []


def test_allowed_tools_choice_round_trips_in_chat_and_is_reported_elsewhere() -> None:
    choice = {"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
        {"type": "function", "function": {"name": "t"}}]}}
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": choice,
            "tools": [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]}
    assert request(body, "chat", "chat").body == body
    out = request(body, "chat", "anthropic")
    assert out.body["tool_choice"] == {"type": "any"}
    assert losses_of(out) == {("tool_choice.allowed_tools", "dropped"), ("max_tokens", "synthesized")}


def test_chat_custom_tools_stay_custom_for_chat_and_responses() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [
        {"type": "custom", "custom": {"name": "patch", "format": {"type": "grammar", "grammar": {
            "syntax": "lark", "definition": "start: /.+/"}}}}]}
    assert request(body, "chat", "chat").body == body
    out = request(body, "chat", "responses")
    assert out.body["tools"] == [{"type": "custom", "name": "patch",
                                  "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}]
    bridged = request(body, "chat", "anthropic")
    assert bridged.body["tools"][0]["input_schema"]["required"] == ["input"]
    assert bridged.context.custom_tools == ["patch"]


def test_thinking_requests_are_made_acceptable_to_anthropic() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 20000,
            "reasoning_effort": "high", "temperature": 0.2, "top_p": 0.5,
            "tools": [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]}
    out = request(body, "chat", "anthropic")
    assert out.body["thinking"] == {"type": "enabled", "budget_tokens": 19999}
    assert "temperature" not in out.body and out.body["top_p"] == 0.95
    assert losses_of(out) == {("reasoning_effort", "coerced"), ("temperature", "dropped"), ("top_p", "coerced")}
    forced = request(body | {"tool_choice": "required"}, "chat", "anthropic")
    assert "thinking" not in forced.body and forced.body["temperature"] == 0.2
    assert ("reasoning_effort", "dropped") in losses_of(forced)


def test_reasoning_of_earlier_plain_answers_is_not_echoed_to_chat() -> None:
    thinking = {"type": "thinking", "thinking": "t1", "signature": "apiswitch.v1.x"}
    body = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [thinking | {"thinking": "old"}, {"type": "text", "text": "answer"}]},
        {"role": "user", "content": "second"},
        {"role": "assistant", "content": [thinking | {"thinking": "now"},
                                          {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "r"}]}]}
    out = request(body, "anthropic", "chat")
    assert "reasoning_content" not in out.body["messages"][1]
    assert out.body["messages"][3]["reasoning_content"] == "now"
    assert ("messages[1].content[0]", "dropped") in losses_of(out)
    everything = request(body, "anthropic", "chat", chat_reasoning_echo="all")
    assert everything.body["messages"][1]["reasoning_content"] == "old"


def test_a_long_namespaced_tool_name_is_flattened_shortened_and_restored() -> None:
    inner = "a_tool_with_a_rather_long_name_that_goes_on_and_on_for_a_while"
    body = {"model": "m", "input": "go", "max_output_tokens": 5, "tools": [
        {"type": "namespace", "name": "server", "description": "", "tools": [
            {"type": "function", "name": inner, "parameters": {"type": "object"}, "strict": False}]}]}
    out = request(body, "responses", "anthropic")
    upstream_name = out.body["tools"][0]["name"]
    assert len(upstream_name) <= 64 or upstream_name == f"server__{inner}"
    from .helpers import response
    reply = {"id": "msg_1", "type": "message", "role": "assistant", "model": "c", "stop_reason": "tool_use",
             "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1},
             "content": [{"type": "tool_use", "id": "toolu_1", "name": upstream_name, "input": {}}]}
    call = response(reply, "anthropic", "responses", out.context).body["output"][0]
    assert (call["namespace"], call["name"]) == ("server", inner)
    chat = request(body, "responses", "chat")
    short = chat.body["tools"][0]["function"]["name"]
    assert len(short) == 64
    assert chat.context.namespaced_tools[short] == ["server", inner]


def test_developer_messages_go_to_chat_providers_as_system_messages() -> None:
    body = {"model": "m", "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Rules."}]},
        {"role": "user", "content": "Go"}]}
    out = request(body, "responses", "chat")
    assert out.body["messages"] == [{"role": "system", "content": "Rules."}, {"role": "user", "content": "Go"}]
    assert losses_of(out) == {("input[0].role", "coerced")}
    own = {"model": "m", "messages": [{"role": "developer", "content": "Rules."}, {"role": "user", "content": "Go"}]}
    assert request(own, "chat", "chat").body == own
