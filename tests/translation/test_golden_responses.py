"""Golden response translations: content, stop reasons, usage, ids, the client's model name, and the
reasoning envelopes that let a client of one format carry another format's opaque reasoning state.

Every output is checked against the official SDK response models (see oracles.py).
"""

from __future__ import annotations

import pytest
from apiswitch.runtime.reasoning import ENVELOPE_PREFIX, unwrap

from apiswitch import translate_request

from .helpers import FORMATS, losses_of, request, response


def anthropic_message(content: list, stop: str = "end_turn", **usage: int) -> dict:
    return {"id": "msg_01abc", "type": "message", "role": "assistant", "model": "claude-up", "content": content,
            "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0} | usage}


def chat_completion(message: dict, finish: str = "stop", usage: dict | None = None) -> dict:
    return {"id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "deepseek-up",
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None, "message": {"role": "assistant"} | message}],
            "usage": usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def responses_response(output: list, status: str = "completed", reason: str | None = None,
                       usage: dict | None = None) -> dict:
    return {"id": "resp_abc", "object": "response", "created_at": 1700000000, "model": "gpt-up", "status": status,
            "error": None, "incomplete_details": {"reason": reason} if reason else None, "output": output,
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": usage or {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                               "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}}


def context_for(client: str, upstream: str, model: str = "client-model"):
    bodies = {
        "anthropic": {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]},
        "chat": {"model": model, "messages": [{"role": "user", "content": "hi"}]},
        "responses": {"model": model, "input": "hi"},
    }
    return translate_request(bodies[client], client, upstream).context


# --- text, ids and the client's model name --------------------------------------------------------------

def test_text_anthropic_to_chat_and_responses() -> None:
    upstream = anthropic_message([{"type": "text", "text": "Hi there"}])
    chat = response(upstream, "anthropic", "chat", context_for("chat", "anthropic"))
    assert chat.body["id"] == "chatcmpl-01abc"
    assert chat.body["model"] == "client-model"
    assert chat.body["choices"][0]["message"] == {"role": "assistant", "content": "Hi there", "refusal": None}
    assert chat.body["choices"][0]["finish_reason"] == "stop"
    assert chat.losses == []
    responses = response(upstream, "anthropic", "responses", context_for("responses", "anthropic"))
    assert responses.body["id"] == "resp_01abc"
    assert responses.body["model"] == "client-model"
    assert responses.body["status"] == "completed"
    [message] = responses.body["output"]
    assert message["type"] == "message" and message["id"].startswith("msg_")
    assert message["content"] == [{"type": "output_text", "text": "Hi there", "annotations": [], "logprobs": []}]


def test_text_chat_to_anthropic_and_responses() -> None:
    upstream = chat_completion({"content": "Hi there"})
    anthropic = response(upstream, "chat", "anthropic", context_for("anthropic", "chat"))
    assert anthropic.body == {"id": "msg_abc", "type": "message", "role": "assistant", "model": "client-model",
                              "content": [{"type": "text", "text": "Hi there"}], "stop_reason": "end_turn",
                              "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5,
                                                               "cache_creation_input_tokens": 0,
                                                               "cache_read_input_tokens": 0}}
    assert anthropic.losses == []
    responses = response(upstream, "chat", "responses", context_for("responses", "chat"))
    assert responses.body["output"][0]["content"][0]["text"] == "Hi there"


def test_text_responses_to_anthropic_and_chat() -> None:
    upstream = responses_response([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                    "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]}])
    anthropic = response(upstream, "responses", "anthropic", context_for("anthropic", "responses"))
    assert anthropic.body["content"] == [{"type": "text", "text": "Hi there"}]
    assert anthropic.body["id"] == "msg_abc"
    chat = response(upstream, "responses", "chat", context_for("chat", "responses"))
    assert chat.body["choices"][0]["message"]["content"] == "Hi there"


def test_without_a_context_the_upstream_model_name_is_kept() -> None:
    upstream = chat_completion({"content": "x"})
    assert response(upstream, "chat", "anthropic").body["model"] == "deepseek-up"


# --- stop reasons ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("anthropic_stop", "chat_finish", "responses_status"), [
    ("end_turn", "stop", ("completed", None)),
    ("max_tokens", "length", ("incomplete", "max_output_tokens")),
])
def test_stop_reasons_in_every_direction(anthropic_stop: str, chat_finish: str, responses_status: tuple) -> None:
    text = [{"type": "text", "text": "x"}]
    bodies = {
        "anthropic": anthropic_message(text, anthropic_stop),
        "chat": chat_completion({"content": "x"}, chat_finish),
        "responses": responses_response([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                          "content": [{"type": "output_text", "text": "x", "annotations": []}]}],
                                        *responses_status),
    }
    for source in FORMATS:
        for target in FORMATS:
            out = response(bodies[source], source, target).body
            if target == "anthropic":
                assert out["stop_reason"] == anthropic_stop, (source, target)
            elif target == "chat":
                assert out["choices"][0]["finish_reason"] == chat_finish, (source, target)
            else:
                reason = (out["incomplete_details"] or {}).get("reason")
                assert (out["status"], reason) == responses_status, (source, target)


def test_tool_use_only_when_a_tool_block_exists() -> None:
    no_tools = chat_completion({"content": "done"}, "tool_calls")
    out = response(no_tools, "chat", "anthropic")
    assert out.body["stop_reason"] == "end_turn"
    with_tools = chat_completion({"content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "stop")
    assert response(with_tools, "chat", "anthropic").body["stop_reason"] == "tool_use"
    # The client's own format is passed through as it came.
    assert response(with_tools, "chat", "chat").body == with_tools


def test_refusal_maps_to_content_filter_and_refusal_parts() -> None:
    refused = anthropic_message([{"type": "text", "text": "I can't help with that."}], "refusal")
    chat = response(refused, "anthropic", "chat")
    assert chat.body["choices"][0]["finish_reason"] == "content_filter"
    upstream = responses_response([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                    "content": [{"type": "refusal", "refusal": "No."}]}])
    anthropic = response(upstream, "responses", "anthropic")
    assert anthropic.body["stop_reason"] == "refusal"
    assert anthropic.body["content"] == [{"type": "text", "text": "No."}]
    assert losses_of(anthropic) == {("output[0].content[0]", "coerced")}
    chat_from_responses = response(upstream, "responses", "chat")
    assert chat_from_responses.body["choices"][0]["message"]["refusal"] == "No."


def test_pause_turn_and_context_window_stop_reasons() -> None:
    paused = anthropic_message([{"type": "text", "text": "x"}], "pause_turn")
    assert response(paused, "anthropic", "chat").body["choices"][0]["finish_reason"] == "stop"
    full = anthropic_message([{"type": "text", "text": "x"}], "model_context_window_exceeded")
    assert response(full, "anthropic", "chat").body["choices"][0]["finish_reason"] == "length"
    assert response(full, "anthropic", "anthropic").body["stop_reason"] == "model_context_window_exceeded"


# --- usage ----------------------------------------------------------------------------------------------

def test_usage_anthropic_to_openai_counts_cached_tokens_in_the_prompt() -> None:
    upstream = anthropic_message([{"type": "text", "text": "x"}], input_tokens=100, output_tokens=40,
                                 cache_read_input_tokens=900, cache_creation_input_tokens=50)
    chat = response(upstream, "anthropic", "chat")
    assert chat.body["usage"] == {"prompt_tokens": 1050, "completion_tokens": 40, "total_tokens": 1090,
                                  "prompt_tokens_details": {"cached_tokens": 900},
                                  "completion_tokens_details": {"reasoning_tokens": 0}}
    assert losses_of(chat) == {("usage.cache_creation_input_tokens", "coerced")}
    responses = response(upstream, "anthropic", "responses")
    assert responses.body["usage"] == {"input_tokens": 1050, "output_tokens": 40, "total_tokens": 1090,
                                       "input_tokens_details": {"cached_tokens": 900, "cache_write_tokens": 50},
                                       "output_tokens_details": {"reasoning_tokens": 0}}


def test_usage_openai_to_anthropic_subtracts_cached_tokens() -> None:
    chat = chat_completion({"content": "x"}, usage={
        "prompt_tokens": 1000, "completion_tokens": 30, "total_tokens": 1030,
        "prompt_tokens_details": {"cached_tokens": 800}, "completion_tokens_details": {"reasoning_tokens": 12}})
    assert response(chat, "chat", "anthropic").body["usage"] == {
        "input_tokens": 200, "output_tokens": 30, "cache_read_input_tokens": 800, "cache_creation_input_tokens": 0}
    deepseek = chat_completion({"content": "x"}, usage={
        "prompt_tokens": 1000, "completion_tokens": 30, "total_tokens": 1030, "prompt_cache_hit_tokens": 600,
        "prompt_cache_miss_tokens": 400})
    assert response(deepseek, "chat", "anthropic").body["usage"]["input_tokens"] == 400
    upstream = responses_response([], usage={
        "input_tokens": 500, "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 50},
        "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": 507})
    assert response(upstream, "responses", "anthropic").body["usage"] == {
        "input_tokens": 350, "output_tokens": 7, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 50}
    assert response(upstream, "responses", "chat").body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 3}


# --- tool calls -----------------------------------------------------------------------------------------

def test_zero_argument_tool_calls_give_an_empty_object() -> None:
    upstream = chat_completion({"content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "now", "arguments": ""}}]}, "tool_calls")
    anthropic = response(upstream, "chat", "anthropic")
    assert anthropic.body["content"] == [{"type": "tool_use", "id": "call_1", "name": "now", "input": {}}]
    responses = response(upstream, "chat", "responses")
    assert responses.body["output"][0]["arguments"] == "{}"


def test_tool_ids_from_the_upstream_are_made_valid_for_the_client() -> None:
    upstream = chat_completion({"content": None, "tool_calls": [
        {"id": "functions.get_weather:0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
        {"id": "functions.get_weather:0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        "tool_calls")
    ids = [b["id"] for b in response(upstream, "chat", "anthropic").body["content"]]
    assert ids == ["functions_get_weather_0", "functions_get_weather_0_2"]


# --- reasoning envelopes ---------------------------------------------------------------------------------

THINKING = {"type": "thinking", "thinking": "Let me think.", "signature": "EqQBCkgIARABGAIiQL+real=="}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3opaque=="}


def test_anthropic_thinking_survives_a_round_trip_through_a_responses_client() -> None:
    ctx = context_for("responses", "anthropic")
    upstream = anthropic_message([THINKING, REDACTED, {"type": "text", "text": "Answer"}])
    out = response(upstream, "anthropic", "responses", ctx)
    reasoning_items = [i for i in out.body["output"] if i["type"] == "reasoning"]
    assert len(reasoning_items) == 2
    assert reasoning_items[0]["summary"] == [{"type": "summary_text", "text": "Let me think."}]
    assert all(i["encrypted_content"].startswith(ENVELOPE_PREFIX) for i in reasoning_items)
    # Codex sends the items back verbatim (adding content: null) on the next turn.
    echoed = [i | {"content": None} for i in reasoning_items]
    next_turn = {"model": "client-model", "input": [{"role": "user", "content": "hi"}, *echoed,
                                                    {"role": "user", "content": "more"}]}
    back = request(next_turn, "responses", "anthropic")
    assert back.body["messages"][1]["content"] == [THINKING, REDACTED]


def test_responses_reasoning_survives_a_round_trip_through_an_anthropic_client() -> None:
    item = {"type": "reasoning", "id": "rs_123", "summary": [{"type": "summary_text", "text": "Plan."}],
            "encrypted_content": "gAAAAABopaque"}
    upstream = responses_response([item, {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f",
                                          "arguments": "{}", "status": "completed"}])
    out = response(upstream, "responses", "anthropic", context_for("anthropic", "responses"))
    thinking = out.body["content"][0]
    assert thinking["type"] == "thinking" and thinking["thinking"] == "Plan."
    assert unwrap(thinking["signature"]) == ("responses", item)
    next_turn = {"model": "client-model", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": out.body["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "ok"}]}]}
    back = request(next_turn, "anthropic", "responses")
    assert back.body["input"][1] == item
    assert back.body["input"][2]["type"] == "function_call"


def test_a_native_signature_is_never_replaced_by_an_envelope() -> None:
    out = response(anthropic_message([THINKING]), "anthropic", "anthropic")
    assert out.body["content"] == [THINKING]


def test_reasoning_content_reaches_an_anthropic_client_and_goes_back_to_chat() -> None:
    upstream = chat_completion({"content": "", "reasoning_content": "Need weather.", "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}, "tool_calls")
    out = response(upstream, "chat", "anthropic", context_for("anthropic", "chat"))
    assert [b["type"] for b in out.body["content"]] == ["thinking", "tool_use"]
    assert out.body["content"][0]["thinking"] == "Need weather."
    assert out.losses == []
    next_turn = {"model": "client-model", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": out.body["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_0", "content": "sunny"}]}]}
    back = request(next_turn, "anthropic", "chat")
    assert back.body["messages"][1] == {"role": "assistant", "reasoning_content": "Need weather.", "content": None,
                                        "tool_calls": [{"id": "call_0", "type": "function",
                                                        "function": {"name": "get_weather", "arguments": "{}"}}]}
    assert back.losses == []


def test_foreign_reasoning_is_not_sent_to_an_upstream_that_cannot_verify_it() -> None:
    body = {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": [THINKING, {"type": "text", "text": "ok"}]},
        {"role": "user", "content": "again"}]}
    out = request(body, "anthropic", "responses")
    assert [i.get("type") for i in out.body["input"]] == ["message", "message", "message"]
    assert losses_of(out) == {("messages[1].content[0]", "dropped")}


# --- citations ------------------------------------------------------------------------------------------

WEB_CITATION = {"type": "web_search_result_location", "url": "https://example.com/a", "title": "A",
                "cited_text": "the sky is blue", "encrypted_index": "Eo8BCioIAhgBIiQ="}


def test_web_citations_become_url_annotations() -> None:
    upstream = anthropic_message([{"type": "text", "text": "The sky is blue.", "citations": [WEB_CITATION]}])
    chat = response(upstream, "anthropic", "chat")
    assert chat.body["choices"][0]["message"]["annotations"] == [{"type": "url_citation", "url_citation": {
        "url": "https://example.com/a", "title": "A", "start_index": 0, "end_index": 16}}]
    responses = response(upstream, "anthropic", "responses")
    assert responses.body["output"][0]["content"][0]["annotations"] == [
        {"type": "url_citation", "url": "https://example.com/a", "title": "A", "start_index": 0, "end_index": 16}]
    assert response(upstream, "anthropic", "anthropic").body["content"][0]["citations"] == [WEB_CITATION]


def test_url_annotations_cannot_become_anthropic_citations() -> None:
    annotation = {"type": "url_citation", "url": "https://example.com/a", "title": "A", "start_index": 0,
                  "end_index": 3}
    upstream = responses_response([{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                    "content": [{"type": "output_text", "text": "Sky", "annotations": [annotation]}]}])
    out = response(upstream, "responses", "anthropic")
    assert out.body["content"] == [{"type": "text", "text": "Sky"}]
    assert losses_of(out) == {("output[0].content[0].citations", "dropped")}
    assert response(upstream, "responses", "responses").body["output"][0]["content"][0]["annotations"] == [annotation]
