"""One test per class of bug other translators have shipped, named after it."""

from __future__ import annotations

import orjson
import pytest
from apiswitch.runtime.reasoning import unwrap

from apiswitch import translate_request

from .helpers import FORMATS, losses_of, request, response

TOOL = {"name": "now", "input_schema": {"type": "object", "properties": {}}}


def test_zero_argument_and_empty_tool_calls() -> None:
    chat = {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "time?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "now", "arguments": ""}},
            {"id": "call_b", "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "12:00"},
        {"role": "tool", "tool_call_id": "call_b", "content": "12:00"}]}
    anthropic = request(chat, "chat", "anthropic")
    inputs = [b["input"] for b in anthropic.body["messages"][1]["content"]]
    assert inputs == [{}, {}]
    responses = request(chat, "chat", "responses")
    assert [i["arguments"] for i in responses.body["input"] if i["type"] == "function_call"] == ["{}", "{}"]
    back = request(anthropic.body, "anthropic", "chat")
    assert [c["function"]["arguments"] for c in back.body["messages"][1]["tool_calls"]] == ["{}", "{}"]


def test_thinking_blocks_dropped_forged_or_reserialised() -> None:
    thinking = {"type": "thinking", "thinking": "Step 1: \u00e9\u00e8 \"quoted\"\n", "signature": "Eq0BCkYIBxgCKkD/+=="}
    redacted = {"type": "redacted_thinking", "data": "EmwKAhgBEgy=="}
    body = {"model": "m", "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 1024}, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [thinking, redacted, {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}]}],
        "tools": [TOOL]}
    same = request(body, "anthropic", "anthropic")
    assert same.body == body
    # byte for byte, key order included
    assert orjson.dumps(same.body["messages"][1]["content"]) == orjson.dumps(body["messages"][1]["content"])
    # No signature is made up: chat and responses upstreams never see a forged one.
    for target in ("chat", "responses"):
        out = orjson.dumps(request(body, "anthropic", target).body)
        assert b"Eq0BCkYIBxgCKkD" not in out and b"apiswitch.v1." not in out
    # Through a Responses client and back, the blocks return unchanged.
    upstream = {"id": "msg_1", "type": "message", "role": "assistant", "model": "c", "stop_reason": "end_turn",
                "stop_sequence": None, "content": [thinking, redacted, {"type": "text", "text": "ok"}],
                "usage": {"input_tokens": 1, "output_tokens": 1}}
    items = [i for i in response(upstream, "anthropic", "responses").body["output"] if i["type"] == "reasoning"]
    assert [unwrap(i["encrypted_content"]) for i in items] == [("anthropic", thinking), ("anthropic", redacted)]
    again = request({"model": "m", "input": [{"role": "user", "content": "q"}, *items]}, "responses", "anthropic")
    assert orjson.dumps(again.body["messages"][1]["content"]) == orjson.dumps([thinking, redacted])


def test_reasoning_content_not_echoed_back() -> None:
    """DeepSeek-style providers need the reasoning of a tool-calling turn sent back on the next request."""
    for client in ("chat", "anthropic", "responses"):
        upstream = {"id": "c1", "object": "chat.completion", "created": 1, "model": "deepseek", "choices": [
            {"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "reasoning_content": "I need the time.",
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "now", "arguments": "{}"}}]}}]}
        answer = response(upstream, "chat", client).body
        if client == "anthropic":
            history = {"model": "m", "max_tokens": 9, "messages": [
                {"role": "user", "content": "t?"}, {"role": "assistant", "content": answer["content"]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "noon"}]}]}
        elif client == "responses":
            history = {"model": "m", "input": [{"role": "user", "content": "t?"}, *answer["output"],
                                               {"type": "function_call_output", "call_id": "call_1", "output": "noon"}]}
        else:
            history = {"model": "m", "messages": [{"role": "user", "content": "t?"}, answer["choices"][0]["message"],
                                                  {"role": "tool", "tool_call_id": "call_1", "content": "noon"}]}
        out = request(history, client, "chat") if client != "chat" else request(history, "chat", "chat")
        assistant = out.body["messages"][1]
        assert assistant["reasoning_content"] == "I need the time.", client
        assert assistant["tool_calls"][0]["id"] == "call_1"


def test_images_inside_tool_results_dropped_or_stringified() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    body = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "user", "content": "screenshot"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_s", "name": "shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_s", "content": [
            {"type": "text", "text": "here"}, image]}]}]}
    chat = request(body, "anthropic", "chat")
    tool_message, user_message = chat.body["messages"][2:]
    assert tool_message == {"role": "tool", "tool_call_id": "toolu_s", "content": "here"}
    assert user_message["role"] == "user"
    assert {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}} in user_message["content"]
    assert "iVBORw0KGgo" not in tool_message["content"]
    assert chat.losses == []
    responses = request(body, "anthropic", "responses")
    output = responses.body["input"][-1]["output"]
    assert {"type": "input_image", "detail": "auto", "image_url": "data:image/png;base64,iVBORw0KGgo="} in output
    back = request(responses.body, "responses", "anthropic")
    assert back.body["messages"][2]["content"][0]["content"][1] == image


def test_documents_dropped() -> None:
    pdf = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}}
    body = {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": [pdf, {"type": "text", "text": "sum"}]}]}
    for target in ("chat", "responses"):
        out = request(body, "anthropic", target)
        assert b"JVBERi0x" in orjson.dumps(out.body), target
        back = request(out.body, target, "anthropic")
        assert back.body["messages"][0]["content"][0]["source"] == pdf["source"], target


def test_duplicate_or_invalid_tool_ids() -> None:
    def turn(call_id: str, result: str) -> list[dict]:
        return [{"role": "assistant", "content": None, "tool_calls": [
                    {"id": call_id, "type": "function", "function": {"name": "now", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": call_id, "content": result}]
    chat = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "user", "content": "x"}, *turn("functions.now:0", "first"), *turn("functions.now:0", "second")]}
    out = request(chat, "chat", "anthropic")
    uses = [b for m in out.body["messages"] for b in m["content"] if isinstance(m["content"], list) and b["type"] == "tool_use"]
    results = [b for m in out.body["messages"] for b in m["content"] if isinstance(m["content"], list) and b["type"] == "tool_result"]
    ids = [u["id"] for u in uses]
    assert len(set(ids)) == 2 and all(i.replace("_", "").replace("-", "").isalnum() for i in ids)
    assert [(r["tool_use_id"], r["content"]) for r in results] == [(ids[0], "first"), (ids[1], "second")]
    assert set(out.context.tool_ids.values()) == {"functions.now:0"}


def test_max_tokens_beyond_a_provider_cap() -> None:
    for source, body in (
        ("anthropic", {"model": "m", "max_tokens": 128000, "messages": [{"role": "user", "content": "x"}]}),
        ("chat", {"model": "m", "max_completion_tokens": 128000, "messages": [{"role": "user", "content": "x"}]}),
        ("responses", {"model": "m", "max_output_tokens": 128000, "input": "x"}),
    ):
        for target in FORMATS:
            out = request(body, source, target, max_tokens_cap=8192)
            key = {"anthropic": "max_tokens", "chat": "max_tokens", "responses": "max_output_tokens"}[target]
            if (source, target) == ("chat", "chat"):
                key = "max_completion_tokens"  # the client's own key is kept
            assert out.body[key] == 8192, (source, target)
            assert any(loss.action == "coerced" and "8192" in loss.reason for loss in out.losses), (source, target)


def test_new_block_types_or_roles_rejected() -> None:
    future = {"type": "holo_block", "payload": {"x": 1}}
    body = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, future]},
        {"role": "critic", "content": "be nicer"}]}
    # The SDK types do not know these yet, so no oracle here: the point is that they pass through.
    same = translate_request(body, "anthropic", "anthropic")
    assert same.body == body and same.losses == []
    for target in ("chat", "responses"):
        out = request(body, "anthropic", target)
        assert losses_of(out) == {("messages[0].content[1]", "dropped"), ("messages[1].role", "coerced")}, target
    responses_body = {"model": "m", "input": [{"type": "compaction_summary", "encrypted_content": "zzz"},
                                              {"role": "user", "content": "hi"}]}
    assert translate_request(responses_body, "responses", "responses").body == responses_body
    out = request(responses_body, "responses", "anthropic")
    assert losses_of(out) == {("input[0]", "dropped"), ("max_tokens", "synthesized")}


def test_cache_control_leaking_to_targets_that_reject_it() -> None:
    hint = {"type": "ephemeral"}
    body = {"model": "m", "max_tokens": 9, "system": [{"type": "text", "text": "s", "cache_control": hint}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}, "cache_control": hint}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": hint}]},
                         {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "r",
                                                       "cache_control": hint}]}]}
    expected = {("system[0].cache_control", "dropped"), ("tools[0].cache_control", "dropped"),
                ("messages[0].content[0].cache_control", "dropped"), ("messages[2].content[0].cache_control", "dropped")}
    for target in ("chat", "responses"):
        out = request(body, "anthropic", target)
        assert b"cache_control" not in orjson.dumps(out.body), target
        assert losses_of(out) == expected, target
    # For chat providers that take Anthropic's hints (OpenRouter, Qwen), the options keep them in place.
    kept = request(body, "anthropic", "chat", keep_cache_control=True)
    assert kept.body["messages"][0]["content"] == [{"type": "text", "text": "s", "cache_control": hint}]
    assert kept.body["messages"][1]["content"] == [{"type": "text", "text": "x", "cache_control": hint}]


def test_empty_text_blocks_produced() -> None:
    chat = {"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
                                                             "function": {"name": "t", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"}, {"role": "user", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "go"}]}]}
    out = request(chat, "chat", "anthropic")
    blocks = [b for m in out.body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    assert all(b["text"] for b in blocks if b["type"] == "text")
    upstream = {"id": "c", "object": "chat.completion", "created": 1, "model": "x", "choices": [
        {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_2", "type": "function", "function": {"name": "t", "arguments": "{}"}}]}}]}
    answer = response(upstream, "chat", "anthropic").body
    assert [b["type"] for b in answer["content"]] == ["tool_use"]


def test_tool_schemas_a_target_rejects() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": False}
    body = {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": "Read", "input_schema": schema}]}
    for target, key in (("chat", "function"), ("responses", None)):
        out = request(body, "anthropic", target)
        tool = out.body["tools"][0]
        parameters = tool[key]["parameters"] if key else tool["parameters"]
        assert "$schema" not in parameters and parameters["properties"] == schema["properties"]
        assert losses_of(out) == {("tools[0].input_schema.$schema", "dropped")}


def test_tool_choice_any_sent_to_chat_as_any() -> None:
    body = {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}], "tools": [TOOL],
            "tool_choice": {"type": "any"}}
    assert request(body, "anthropic", "chat").body["tool_choice"] == "required"
    assert request(body, "anthropic", "responses").body["tool_choice"] == "required"


def test_system_messages_inside_messages_lost() -> None:
    body = {"model": "m", "max_tokens": 9, "system": "top", "messages": [
        {"role": "system", "content": "early note"},
        {"role": "user", "content": "x"},
        {"role": "system", "content": [{"type": "text", "text": "late note", "cache_control": {"type": "ephemeral"}}]}]}
    for target in ("chat", "responses"):
        dumped = orjson.dumps(request(body, "anthropic", target).body)
        assert b"top" in dumped and b"early note" in dumped and b"late note" in dumped, target
    chat = {"model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "mid"},
                                       {"role": "developer", "content": "dev"}]}
    out = request(chat, "chat", "anthropic")
    assert [m["role"] for m in out.body["messages"]] == ["user", "system", "system"]
    assert [m["content"] for m in out.body["messages"][1:]] == ["mid", "dev"]


def test_tool_calls_without_results_and_results_without_calls() -> None:
    """Trimmed or compacted histories: every target refuses unpaired calls and results."""
    chat = {"model": "m", "max_tokens": 9, "messages": [
        {"role": "tool", "tool_call_id": "call_gone", "content": "stale output"},
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "t", "arguments": "{}"}},
            {"id": "call_b", "type": "function", "function": {"name": "t", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "A"},
        {"role": "user", "content": "and?"}]}
    out = request(chat, "chat", "anthropic")
    first, assistant, results = out.body["messages"]
    assert first == {"role": "user", "content": [
        {"type": "text", "text": "Result of tool call call_gone:\nstale output"}, {"type": "text", "text": "go"}]}
    assert [b["id"] for b in assistant["content"]] == ["call_a", "call_b"]
    assert results["content"] == [
        {"type": "tool_result", "tool_use_id": "call_a", "content": "A"},
        {"type": "tool_result", "tool_use_id": "call_b", "content": "(no result was recorded for this tool call)"},
        {"type": "text", "text": "and?"}]
    assert losses_of(out) == {("messages[0]", "coerced"), ("messages[1]", "coerced"),
                              ("messages[2].tool_calls[1]", "synthesized")}
    responses = request(chat, "chat", "responses")
    outputs = [i["call_id"] for i in responses.body["input"] if i["type"] == "function_call_output"]
    assert outputs == ["call_a", "call_b"]
    # The client's own format is passed through as it is.
    assert translate_request(chat, "chat", "chat").body == chat


def _assistant_item(*parts: dict) -> dict:
    return {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": list(parts)}


REFUSAL_A = {"type": "refusal", "refusal": "a"}
REFUSAL_B = {"type": "refusal", "refusal": "b"}
TEXT_T = {"type": "output_text", "text": "t", "annotations": []}


def test_refusals_merged_reordered_or_padded_with_empty_text() -> None:
    """Chat assistant content parts hold refusals in order; the `refusal` field holds one closing the turn.

    (A refusal goes back to Responses in an assistant message without an item id, which the API takes from
    clients though the SDK type asks for one: not checked against the SDK here.)"""
    def through_chat(*parts: dict) -> dict:
        body = {"model": "m", "input": [{"role": "user", "content": "hi"}, _assistant_item(*parts)]}
        chat = request(body, "responses", "chat")
        back = translate_request(chat.body, "chat", "responses")
        assert back.body["input"][1]["content"] == list(parts)
        assert not chat.losses and not back.losses
        return chat.body["messages"][1]

    message = through_chat(REFUSAL_A)
    assert message == {"role": "assistant", "refusal": "a", "content": None}
    message = through_chat(TEXT_T, REFUSAL_A)
    assert message == {"role": "assistant", "refusal": "a", "content": "t"}
    message = through_chat(REFUSAL_A, TEXT_T, REFUSAL_B)
    assert message == {"role": "assistant", "content": [{"type": "refusal", "refusal": "a"},
                                                        {"type": "text", "text": "t"},
                                                        {"type": "refusal", "refusal": "b"}]}


def test_refusals_of_items_merged_into_one_chat_message() -> None:
    """Responses items of one turn become one chat message: the refusals of both survive, in order."""
    body = {"model": "m", "input": [{"role": "user", "content": "hi"}, _assistant_item(REFUSAL_A, TEXT_T),
                                    _assistant_item(REFUSAL_B) | {"id": "msg_2"}]}
    message = request(body, "responses", "chat").body["messages"][1]
    assert message == {"role": "assistant", "content": [{"type": "refusal", "refusal": "a"},
                                                        {"type": "text", "text": "t"},
                                                        {"type": "refusal", "refusal": "b"}]}


def test_refusal_field_beside_refusal_parts_is_reported() -> None:
    """Responses has only refusal parts: which one was chat's `refusal` field cannot be told apart any more."""
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"},
                                       {"role": "assistant", "content": [{"type": "refusal", "refusal": "a"}],
                                        "refusal": "b"}, {"role": "user", "content": "hi"}]}
    out = translate_request(body, "chat", "responses")
    assert out.body["input"][1]["content"] == [REFUSAL_A, REFUSAL_B]
    assert ("messages[1].refusal", "coerced") in losses_of(out)


def test_refusal_ahead_of_text_in_a_chat_answer_is_reported() -> None:
    answer = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "completed",
              "error": None, "incomplete_details": None, "output": [_assistant_item(REFUSAL_A, TEXT_T | {"logprobs": []})],
              "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
    out = response(answer, "responses", "chat")
    message = out.body["choices"][0]["message"]
    assert (message["content"], message["refusal"]) == ("t", "a")
    assert {("output[0].content[0]", "coerced"), ("output[0].content[1]", "coerced")} <= losses_of(out)


EMPTY_FIELDS = ("refusal", "reasoning_content", "reasoning")


@pytest.mark.parametrize("key", EMPTY_FIELDS)
@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_an_empty_chat_refusal_or_reasoning_makes_no_part_and_is_reported(key, target) -> None:
    """An empty string says nothing: no invented "(refused)" text, no empty thinking block or reasoning item,
    no refusal stop reason; the field is reported as left out, in answers and in history alike."""
    message = {"role": "assistant", "content": "t", key: ""}
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    out = response(answer, "chat", target)
    if target == "anthropic":
        assert (out.body["content"], out.body["stop_reason"]) == ([{"type": "text", "text": "t"}], "end_turn")
    else:
        assert [item["type"] for item in out.body["output"]] == ["message"]
        assert [part["type"] for part in out.body["output"][0]["content"]] == ["output_text"]
        assert out.body["status"] == "completed"
    assert losses_of(out) == {(f"choices[0].message.{key}", "dropped")}

    history = {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "q"}, message, {"role": "user", "content": "q"}]}
    sent = request(history, "chat", target)
    assert losses_of(sent) == {(f"messages[1].{key}", "dropped")}
    turns = sent.body["messages"] if target == "anthropic" else sent.body["input"]
    assert len(turns) == 3
    assert {key: turns[1][key] for key in ("role", "content")} == {"role": "assistant", "content": "t"}


@pytest.mark.parametrize("key", EMPTY_FIELDS)
def test_an_empty_chat_refusal_or_reasoning_comes_back_to_chat_unchanged(key) -> None:
    message = {"role": "assistant", "content": None, key: ""}
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}]}
    out = response(answer, "chat", "chat")
    assert out.body["choices"][0]["message"] == message and not out.losses
    history = {"model": "m", "messages": [{"role": "user", "content": "q"}, message,
                                          {"role": "user", "content": "q"}]}
    sent = request(history, "chat", "chat")
    assert sent.body["messages"][1] == message and not sent.losses


def test_an_empty_reasoning_content_gives_way_to_reasoning_beside_it() -> None:
    """OpenRouter's `reasoning` holds the text when a `reasoning_content` beside it is empty."""
    message = {"role": "assistant", "content": "t", "reasoning_content": "", "reasoning": "why"}
    answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}]}
    out = response(answer, "chat", "anthropic")
    assert [(b["type"], b.get("thinking")) for b in out.body["content"]] == [("thinking", "why"), ("text", None)]
    assert ("choices[0].message.reasoning_content", "dropped") in losses_of(out)


def _chat_answer(message: dict, **choice: object) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop",
                         "logprobs": None, **choice}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


CHAT_LOGPROBS = {"content": [{"token": "hi", "logprob": -0.25, "bytes": [104, 105], "top_logprobs": []}],
                 "refusal": None}


@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_chat_answer_fields_no_hub_part_holds_are_reported(target: str) -> None:
    """Before, audio, logprobs and a provider's own message keys vanished without a loss."""
    body = _chat_answer({"content": "hi", "audio": {"id": "audio_1", "data": "", "transcript": "hi",
                                                    "expires_at": 1}, "x_provider_note": "kept?"},
                        logprobs=CHAT_LOGPROBS)
    assert losses_of(response(body, "chat", target)) >= {
        ("choices[0].message.audio", "dropped"), ("choices[0].message.x_provider_note", "dropped"),
        ("choices[0].logprobs", "dropped")}


@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_chat_answer_fields_that_say_nothing_are_not_reported(target: str) -> None:
    body = _chat_answer({"content": "hi", "refusal": None, "audio": None, "function_call": None,
                         "tool_calls": [], "annotations": []})
    assert not [path for path, action in losses_of(response(body, "chat", target)) if path.startswith("choices")]


@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_chat_annotations_without_text_to_cite_are_reported(target: str) -> None:
    body = _chat_answer({"content": None, "annotations": [{"type": "url_citation", "url_citation": {
        "url": "https://example.com", "title": "t", "start_index": 0, "end_index": 0}}],
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        finish_reason="tool_calls")
    assert ("choices[0].message.annotations", "dropped") in losses_of(response(body, "chat", target))


def test_chat_answer_fields_no_hub_part_holds_come_back_to_chat() -> None:
    body = _chat_answer({"content": "hi", "audio": {"id": "audio_1", "data": "", "transcript": "hi",
                                                    "expires_at": 1}}, logprobs=CHAT_LOGPROBS)
    out = response(body, "chat", "chat")
    assert out.body["choices"] == body["choices"]
    assert not out.losses


def test_the_input_token_estimate_uses_the_received_size_when_the_caller_gives_it():
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x" * 400}]}
    measured = translate_request(body, "anthropic", "chat").context.input_token_estimate
    given = translate_request(body, "anthropic", "chat", options={"input_bytes": 4000}).context.input_token_estimate
    assert measured == len(orjson.dumps(body)) // 4
    assert given == 1000


@pytest.mark.parametrize("seed", ["0", "1", "2", "3"])
def test_web_search_setting_losses_follow_the_requests_key_order_whatever_the_hash_seed(seed):
    """They came from a set difference, so their order changed from one process to the next."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json\nfrom apiswitch import translate_request\n"
        "a = {'model': 'm', 'input': 'hi', 'tools': [{'type': 'web_search', 'zeta': 1, 'alpha': 2, 'mid': 3}]}\n"
        "b = {'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'hi'}], 'tools': "
        "[{'type': 'web_search_20250305', 'name': 'web_search', 'zeta': 1, 'alpha': 2, 'mid': 3}]}\n"
        "print(json.dumps([[l.path for l in translate_request(a, 'responses', 'anthropic').losses "
        "if l.path.startswith('tools')], [l.path for l in translate_request(b, 'anthropic', 'responses').losses "
        "if l.path.startswith('tools')]]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed})
    expected = ["tools[0].zeta", "tools[0].alpha", "tools[0].mid"]
    assert json.loads(done.stdout) == [expected, expected]
