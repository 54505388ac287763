"""Hypothesis strategies for valid requests and responses of each format, built from the SDK type shapes.

They cover the fields the translation maps; values are kept small so a run stays cheap on a shared machine.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Small runs by default (shared machines); APISWITCH_HYPOTHESIS_EXAMPLES asks for a longer search, and on
# CI the examples are derandomized so a run fails for a reason in the code, not in the draw.
FEW = settings(max_examples=int(os.environ.get("APISWITCH_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
               derandomize=bool(os.environ.get("CI")),
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                      HealthCheck.function_scoped_fixture])

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
NAME_ALPHABET = ID_ALPHABET

texts = st.text(min_size=1, max_size=20)
ids = st.text(ID_ALPHABET, min_size=1, max_size=12)
names = st.text(NAME_ALPHABET, min_size=1, max_size=20)
small_ints = st.integers(min_value=0, max_value=10_000)
b64 = st.sampled_from(["iVBORw0KGgo=", "R0lGODlhAQAB", "JVBERi0xLjQK"])
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.text(max_size=8))
json_objects = st.dictionaries(st.text(ID_ALPHABET, min_size=1, max_size=6),
                               st.one_of(json_scalars, st.lists(json_scalars, max_size=3)), max_size=3)
schemas = st.fixed_dictionaries({"type": st.just("object"), "properties": st.dictionaries(
    st.text(ID_ALPHABET, min_size=1, max_size=6),
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "boolean"])}), max_size=3)})
cache_hint = st.just({"type": "ephemeral"})


def _with_optional(required: dict, optional: dict) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(required, optional=optional)


def _consistent_stop(stop: str, has_calls: bool, tool_value: str = "tool_use", natural: str = "end_turn") -> str:
    """A valid answer says it stopped for a tool call exactly when it holds one."""
    if has_calls:
        return tool_value
    return natural if stop == tool_value else stop


# --- anthropic ------------------------------------------------------------------------------------------

a_text = _with_optional({"type": st.just("text"), "text": texts}, {"cache_control": cache_hint})
a_image = st.fixed_dictionaries({"type": st.just("image"), "source": st.one_of(
    st.fixed_dictionaries({"type": st.just("base64"), "media_type": st.sampled_from(["image/png", "image/jpeg"]),
                           "data": b64}),
    st.fixed_dictionaries({"type": st.just("url"), "url": st.just("https://example.com/i.png")}))})
a_document = _with_optional({"type": st.just("document"), "source": st.fixed_dictionaries({
    "type": st.just("base64"), "media_type": st.just("application/pdf"), "data": b64})}, {"title": texts})
a_tool_use = st.fixed_dictionaries({"type": st.just("tool_use"), "id": ids, "name": names, "input": json_objects})
a_tool_result = _with_optional(
    {"type": st.just("tool_result"), "tool_use_id": ids},
    {"content": st.one_of(texts, st.lists(st.one_of(a_text, a_image), min_size=1, max_size=2)),
     "is_error": st.booleans(), "cache_control": cache_hint})
a_thinking = st.fixed_dictionaries({"type": st.just("thinking"), "thinking": texts, "signature": ids})
a_redacted = st.fixed_dictionaries({"type": st.just("redacted_thinking"), "data": ids})

a_user = st.fixed_dictionaries({"role": st.just("user"), "content": st.one_of(
    texts, st.lists(st.one_of(a_text, a_image, a_document, a_tool_result), min_size=1, max_size=3))})
a_assistant = st.fixed_dictionaries({"role": st.just("assistant"), "content": st.one_of(
    texts, st.lists(st.one_of(a_thinking, a_redacted, a_text, a_tool_use), min_size=1, max_size=3))})
a_system_message = st.fixed_dictionaries({"role": st.just("system"), "content": st.one_of(
    texts, st.lists(a_text, max_size=2))})
a_tool = _with_optional({"name": names, "input_schema": schemas},
                        {"description": texts, "cache_control": cache_hint, "defer_loading": st.booleans()})
a_tool_choice = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["auto", "any"])}, optional={"disable_parallel_tool_use": st.booleans()}),
    st.just({"type": "none"}),
    st.fixed_dictionaries({"type": st.just("tool"), "name": names}))

anthropic_requests = _with_optional(
    {"model": texts, "max_tokens": st.integers(1, 100_000),
     "messages": st.lists(st.one_of(a_user, a_assistant, a_system_message), min_size=1, max_size=5)},
    {"system": st.one_of(texts, st.lists(a_text, min_size=1, max_size=2)),
     "tools": st.lists(a_tool, max_size=3), "tool_choice": a_tool_choice,
     "temperature": st.floats(0, 1), "top_p": st.floats(0, 1), "top_k": st.integers(1, 100),
     "stop_sequences": st.lists(texts, max_size=3), "stream": st.booleans(),
     "metadata": st.fixed_dictionaries({"user_id": texts}),
     "thinking": st.one_of(st.fixed_dictionaries({"type": st.just("enabled"), "budget_tokens": st.integers(1024, 64000)}),
                           st.just({"type": "adaptive"}), st.just({"type": "disabled"})),
     "output_config": _with_optional({}, {"effort": st.sampled_from(["low", "medium", "high", "max"]),
                                          "format": st.fixed_dictionaries({"type": st.just("json_schema"),
                                                                           "schema": schemas})})})

def _valid_with_thinking(body: dict) -> dict:
    """Anthropic refuses sampling changes and forced tool use while thinking: keep generated bodies valid."""
    if body.get("thinking", {}).get("type") not in ("enabled", "adaptive"):
        return body
    body = {k: v for k, v in body.items() if k not in ("temperature", "top_k", "top_p")}
    if body.get("tool_choice", {}).get("type") in ("any", "tool"):
        body["tool_choice"] = {"type": "auto"}
    if body["thinking"].get("budget_tokens", 0) >= body["max_tokens"]:
        body["max_tokens"] = body["thinking"]["budget_tokens"] + 1
    return body


anthropic_requests = anthropic_requests.map(_valid_with_thinking)

anthropic_responses = st.fixed_dictionaries({
    "id": ids.map(lambda s: "msg_" + s), "type": st.just("message"), "role": st.just("assistant"), "model": texts,
    "content": st.lists(st.one_of(a_thinking, a_redacted, a_text.map(lambda b: {k: v for k, v in b.items()
                                                                                 if k != "cache_control"}),
                                  a_tool_use), max_size=4),
    "stop_reason": st.sampled_from(["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal", "pause_turn"]),
    "stop_sequence": st.none(),
    "usage": st.fixed_dictionaries({"input_tokens": small_ints, "output_tokens": small_ints,
                                    "cache_creation_input_tokens": small_ints, "cache_read_input_tokens": small_ints}),
}).map(lambda m: m | {"stop_reason": _consistent_stop(m["stop_reason"], any(b["type"] == "tool_use"
                                                                            for b in m["content"]))})

# --- chat -----------------------------------------------------------------------------------------------

c_text = st.fixed_dictionaries({"type": st.just("text"), "text": texts})
c_image = st.fixed_dictionaries({"type": st.just("image_url"), "image_url": _with_optional(
    {"url": st.one_of(b64.map(lambda d: "data:image/png;base64," + d), st.just("https://example.com/i.png"))},
    {"detail": st.sampled_from(["low", "high", "auto"])})})
c_tool_call = st.fixed_dictionaries({"id": ids, "type": st.just("function"), "function": st.fixed_dictionaries(
    {"name": names, "arguments": st.one_of(st.just(""), json_objects.map(lambda o: __import__("json").dumps(o)))})})
c_system = st.fixed_dictionaries({"role": st.sampled_from(["system", "developer"]),
                                  "content": st.one_of(texts, st.lists(c_text, min_size=1, max_size=2))})
c_user = st.fixed_dictionaries({"role": st.just("user"),
                                "content": st.one_of(texts, st.lists(st.one_of(c_text, c_image), min_size=1, max_size=3))})
c_assistant = st.one_of(
    _with_optional({"role": st.just("assistant"), "content": texts}, {"reasoning_content": texts}),
    _with_optional({"role": st.just("assistant"), "content": st.none(),
                    "tool_calls": st.lists(c_tool_call, min_size=1, max_size=2)}, {"reasoning_content": texts}))
c_tool = st.fixed_dictionaries({"role": st.just("tool"), "tool_call_id": ids, "content": texts})
c_function_tool = st.fixed_dictionaries({"type": st.just("function"), "function": _with_optional(
    {"name": names}, {"description": texts, "parameters": schemas, "strict": st.booleans()})})

chat_requests = _with_optional(
    {"model": texts, "messages": st.lists(st.one_of(c_system, c_user, c_assistant, c_tool), min_size=1, max_size=5)},
    {"max_tokens": st.integers(1, 100_000), "temperature": st.floats(0, 2), "top_p": st.floats(0, 1),
     "stop": st.one_of(texts, st.lists(texts, max_size=3)), "seed": st.integers(0, 1000), "stream": st.booleans(),
     "tools": st.lists(c_function_tool, max_size=3),
     "tool_choice": st.one_of(st.sampled_from(["auto", "required", "none"]), st.fixed_dictionaries(
         {"type": st.just("function"), "function": st.fixed_dictionaries({"name": names})})),
     "parallel_tool_calls": st.booleans(), "reasoning_effort": st.sampled_from(["none", "low", "medium", "high"]),
     "user": texts, "response_format": st.one_of(
         st.just({"type": "json_object"}), st.just({"type": "text"}),
         st.fixed_dictionaries({"type": st.just("json_schema"), "json_schema": st.fixed_dictionaries(
             {"name": names, "schema": schemas})}))})

chat_responses = st.fixed_dictionaries({
    "id": ids.map(lambda s: "chatcmpl-" + s), "object": st.just("chat.completion"), "created": small_ints,
    "model": texts, "choices": st.tuples(st.fixed_dictionaries({
        "index": st.just(0), "logprobs": st.none(),
        "finish_reason": st.sampled_from(["stop", "length", "tool_calls", "content_filter"]),
        "message": st.one_of(
            _with_optional({"role": st.just("assistant"), "content": texts}, {"reasoning_content": texts}),
            _with_optional({"role": st.just("assistant"), "content": st.none(),
                            "tool_calls": st.lists(c_tool_call, min_size=1, max_size=2)},
                           {"reasoning_content": texts}))}).map(
        lambda c: c | {"finish_reason": _consistent_stop(c["finish_reason"], "tool_calls" in c["message"],
                                                         "tool_calls", "stop")})).map(list),
    "usage": st.fixed_dictionaries({"prompt_tokens": small_ints, "completion_tokens": small_ints}).map(
        lambda u: u | {"total_tokens": u["prompt_tokens"] + u["completion_tokens"],
                       "prompt_tokens_details": {"cached_tokens": u["prompt_tokens"] // 2},
                       "completion_tokens_details": {"reasoning_tokens": 0}}),
})

# --- responses ------------------------------------------------------------------------------------------

r_input_text = st.fixed_dictionaries({"type": st.just("input_text"), "text": texts})
r_message = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "developer", "assistant"]), "content": texts}),
    st.fixed_dictionaries({"type": st.just("message"), "role": st.sampled_from(["user", "system", "developer"]),
                           "content": st.lists(r_input_text, min_size=1, max_size=2)}))
r_function_call = st.fixed_dictionaries(
    {"type": st.just("function_call"), "call_id": ids, "name": names,
     "arguments": json_objects.map(lambda o: __import__("json").dumps(o))},
    optional={"id": ids.map(lambda s: "fc_" + s), "status": st.just("completed")})
r_output = st.fixed_dictionaries({"type": st.just("function_call_output"), "call_id": ids, "output": texts})
r_custom_call = st.fixed_dictionaries({"type": st.just("custom_tool_call"), "call_id": ids, "name": names,
                                       "input": texts})
r_reasoning = st.fixed_dictionaries(
    {"type": st.just("reasoning"), "id": ids.map(lambda s: "rs_" + s),
     "summary": st.lists(st.fixed_dictionaries({"type": st.just("summary_text"), "text": texts}), max_size=2)},
    optional={"encrypted_content": ids})
r_function_tool = _with_optional({"type": st.just("function"), "name": names, "parameters": schemas,
                                  "strict": st.booleans()}, {"description": texts})
r_custom_tool = _with_optional({"type": st.just("custom"), "name": names}, {"description": texts})

responses_requests = _with_optional(
    {"model": texts, "input": st.one_of(texts, st.lists(
        st.one_of(r_message, r_function_call, r_output, r_custom_call, r_reasoning), min_size=1, max_size=5))},
    {"instructions": texts, "max_output_tokens": st.integers(16, 100_000), "temperature": st.floats(0, 2),
     "top_p": st.floats(0, 1), "stream": st.booleans(), "tools": st.lists(st.one_of(r_function_tool, r_custom_tool),
                                                                          max_size=3),
     "tool_choice": st.one_of(st.sampled_from(["auto", "required", "none"]),
                              st.fixed_dictionaries({"type": st.just("function"), "name": names})),
     "parallel_tool_calls": st.booleans(),
     "reasoning": _with_optional({}, {"effort": st.sampled_from(["low", "medium", "high"]),
                                      "summary": st.sampled_from(["auto", "concise", "detailed"])}),
     "text": st.fixed_dictionaries({"format": st.fixed_dictionaries(
         {"type": st.just("json_schema"), "name": names, "schema": schemas})}),
     "store": st.booleans(), "prompt_cache_key": texts})

r_output_message = st.fixed_dictionaries({
    "type": st.just("message"), "id": ids.map(lambda s: "msg_" + s), "status": st.just("completed"),
    "role": st.just("assistant"), "content": st.lists(st.fixed_dictionaries(
        {"type": st.just("output_text"), "text": texts, "annotations": st.just([]), "logprobs": st.just([])}),
        min_size=1, max_size=2)})
r_output_call = st.fixed_dictionaries({
    "type": st.just("function_call"), "id": ids.map(lambda s: "fc_" + s), "call_id": ids, "name": names,
    "arguments": json_objects.map(lambda o: __import__("json").dumps(o)), "status": st.just("completed")})
r_output_reasoning = st.fixed_dictionaries({
    "type": st.just("reasoning"), "id": ids.map(lambda s: "rs_" + s), "encrypted_content": ids,
    "summary": st.lists(st.fixed_dictionaries({"type": st.just("summary_text"), "text": texts}), max_size=2)})


def _responses_status(output: list, incomplete: bool) -> dict:
    if incomplete:
        return {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    return {"status": "completed", "incomplete_details": None}


responses_responses = st.tuples(
    st.fixed_dictionaries({
        "id": ids.map(lambda s: "resp_" + s), "object": st.just("response"), "created_at": small_ints,
        "model": texts, "error": st.none(), "parallel_tool_calls": st.just(True), "tool_choice": st.just("auto"),
        "tools": st.just([]),
        "output": st.lists(st.one_of(r_output_message, r_output_call, r_output_reasoning), max_size=4),
        "usage": st.fixed_dictionaries({"input_tokens": small_ints, "output_tokens": small_ints}).map(
            lambda u: u | {"total_tokens": u["input_tokens"] + u["output_tokens"],
                           "input_tokens_details": {"cached_tokens": u["input_tokens"] // 3, "cache_write_tokens": 0},
                           "output_tokens_details": {"reasoning_tokens": 0}})}),
    st.booleans(),
).map(lambda pair: pair[0] | _responses_status(pair[0]["output"], pair[1]))

REQUESTS = {"anthropic": anthropic_requests, "chat": chat_requests, "responses": responses_requests}
RESPONSES = {"anthropic": anthropic_responses, "chat": chat_responses, "responses": responses_responses}
