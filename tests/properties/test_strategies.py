"""The generated bodies are valid: the generated models and the official SDK types accept them.

A property over invalid input proves nothing about the translation, so the strategies are held to both
the spec (apiswitch.generated) and the SDKs (the oracles of tests/translation).
"""

from __future__ import annotations

import apiswitch.generated.anthropic as generated_anthropic
import apiswitch.generated.chat as generated_chat
import apiswitch.generated.responses as generated_responses
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from translation.oracles import validate_request, validate_response

from .strategies import REQUESTS, RESPONSES

ENDPOINT_MODELS = {
    fmt: next(iter(module.ENDPOINTS.values()))
    for fmt, module in (("anthropic", generated_anthropic), ("chat", generated_chat),
                        ("responses", generated_responses))
}

VALIDITY = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize("fmt", sorted(ENDPOINT_MODELS))
@VALIDITY
@given(data=st.data())
def test_generated_requests_are_valid(fmt: str, data: st.DataObject) -> None:
    body = data.draw(REQUESTS[fmt], label="request")
    ENDPOINT_MODELS[fmt]["request"].model_validate(body)
    validate_request(fmt, body)


@pytest.mark.parametrize("fmt", sorted(ENDPOINT_MODELS))
@VALIDITY
@given(data=st.data())
def test_generated_answers_are_valid(fmt: str, data: st.DataObject) -> None:
    body = data.draw(RESPONSES[fmt], label="answer")
    ENDPOINT_MODELS[fmt]["response"].model_validate(body)
    validate_response(fmt, body)
