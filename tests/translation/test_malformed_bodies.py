"""A body that breaks its own format: translating it raises TranslationError naming the field, never an
AttributeError or TypeError from inside a spoke. A request's becomes the client's 400; an upstream answer's
makes the proxy fail over, and tells the client which field of whose answer was wrong. And an answer without
usage gets an estimate, reported, as a stream's does."""

from __future__ import annotations

import copy

import pytest
from apiswitch.runtime.errors import TranslationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from properties.mutations import JSON_VALUES, paths_of, replaced

from apiswitch import translate_request, translate_response

from .helpers import FORMATS, losses_of
from .strategies import REQUESTS, RESPONSES
from .test_golden_responses import chat_completion, context_for

CHAT_CALL = {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": '{"command":"ls"}'}}
BROKEN = [
    ("chat", chat_completion({"content": "hi"}) | {"choices": "x"}, "choices"),
    ("chat", chat_completion({"content": None, "tool_calls": "x"}, "tool_calls"), "choices[0].message.tool_calls"),
    ("chat", chat_completion({"content": None, "tool_calls": [
        CHAT_CALL | {"function": {"name": "Bash", "arguments": {"command": "ls"}}}]}, "tool_calls"),
     "choices[0].message.tool_calls[0].function.arguments"),
    ("chat", chat_completion({"content": "hi"}, usage={"prompt_tokens": "x", "completion_tokens": 1}),
     "usage.prompt_tokens"),
    ("anthropic", {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": "hi",
                   "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}},
     "content"),
    ("responses", {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "completed",
                   "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                               "content": 7}], "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}},
     "output[0].content"),
]


# (A body in its own format is passed on as it came: only the other two are asked to read it.)
@pytest.mark.parametrize(("source", "body", "field", "target"),
                         [(*case, target) for case in BROKEN for target in FORMATS if target != case[0]])
def test_a_field_of_the_wrong_type_is_named(source, body, field, target):
    with pytest.raises(TranslationError) as raised:
        translate_response(body, source, target, context_for(target, source))
    assert raised.value.param == field
    assert str(raised.value).startswith(f"malformed {source} response: {field}")


@st.composite
def mutated(draw, bodies):
    """(source, target, a generated body of `source` with one field replaced by any JSON value)."""
    source = draw(st.sampled_from(FORMATS))
    target = draw(st.sampled_from([fmt for fmt in FORMATS if fmt != source]))
    body = copy.deepcopy(draw(bodies[source]))  # strategies may share objects (st.just) between draws
    path = draw(st.sampled_from(list(paths_of(body))))
    return source, target, replaced(body, path, draw(JSON_VALUES))


MANY = settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(mutated=mutated(RESPONSES))
def test_any_field_replaced_by_any_value_translates_or_names_what_is_wrong(mutated):
    source, target, body = mutated
    try:
        translate_response(body, source, target, context_for(target, source))
    except TranslationError as exc:
        assert str(exc).startswith(f"malformed {source} response: ")


@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_an_answer_without_usage_gets_an_estimate_and_says_so(target):
    body = chat_completion({"content": "x" * 40})
    del body["usage"]
    context = context_for(target, "chat")
    out = translate_response(body, "chat", target, context)
    usage = out.body["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (context.input_token_estimate, 10)
    assert context.input_token_estimate > 0
    assert ("usage", "synthesized") in losses_of(out)


@MANY
@given(mutated=mutated(REQUESTS))
def test_any_field_of_a_request_replaced_by_any_value_translates_or_names_what_is_wrong(mutated):
    source, target, body = mutated
    try:
        translate_request(body, source, target)
    except TranslationError as exc:
        assert str(exc)


# Found by the test above before requests were guarded as answers are.
REQUEST_CASES = [
    ("chat", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": [1]}, "temperature"),
    ("responses", {"model": "m", "input": "hi", "temperature": [1]}, "temperature"),
    ("anthropic", {"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": ["x"], "signature": "s"}]}]},
     "messages[1].content[0].thinking"),
]


@pytest.mark.parametrize(("source", "body", "field"), REQUEST_CASES)
def test_a_request_field_of_the_wrong_type_is_named(source, body, field):
    target = "chat" if source == "anthropic" else "anthropic"
    with pytest.raises(TranslationError) as raised:
        translate_request(body, source, target)
    assert raised.value.param == field and str(raised.value).startswith(f"{field}: ")
