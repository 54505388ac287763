"""Error statuses and bodies between formats, and errors apiswitch raises itself."""

from __future__ import annotations

import orjson
import pytest
from anthropic.types import ErrorResponse
from apiswitch.runtime.errors import TranslationError, build_error, error_body, parse_error, translate_error
from openai.types import ErrorObject

from apiswitch import translate_request

ANTHROPIC_BODIES = {
    "invalid_request": (400, "invalid_request_error"),
    "authentication": (401, "authentication_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "rate_limit": (429, "rate_limit_error"),
    "server_error": (500, "api_error"),
    "overloaded": (529, "overloaded_error"),
}
OPENAI_STATUSES = {"invalid_request": 400, "authentication": 401, "permission": 403, "not_found": 404,
                   "rate_limit": 429, "server_error": 500, "overloaded": 503}


def anthropic_error(status: int, error_type: str) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": error_type, "message": f"{error_type} happened"},
                         "request_id": "req_1"})


def openai_error(message: str, error_type: str, code: str | None = None, param: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": error_type, "param": param, "code": code}})


@pytest.mark.parametrize("kind", sorted(ANTHROPIC_BODIES))
@pytest.mark.parametrize("client", ["chat", "responses"])
def test_anthropic_errors_become_openai_errors(kind: str, client: str) -> None:
    status, error_type = ANTHROPIC_BODIES[kind]
    out_status, body, _ = translate_error(status, anthropic_error(status, error_type), "anthropic", client)
    assert out_status == OPENAI_STATUSES[kind]
    ErrorObject.model_validate(body["error"])
    assert body["error"]["message"] == f"{error_type} happened"


@pytest.mark.parametrize("kind", sorted(OPENAI_STATUSES))
def test_openai_errors_become_anthropic_errors(kind: str) -> None:
    status = OPENAI_STATUSES[kind]
    out_status, body, _ = translate_error(status, openai_error("boom", "server_error"), "chat", "anthropic")
    assert (out_status, body["error"]["type"]) == ANTHROPIC_BODIES[kind]
    ErrorResponse.model_validate(body)


def test_overloaded_529_and_503_map_to_each_other_with_retry_after() -> None:
    status, body, headers = translate_error(529, anthropic_error(529, "overloaded_error"), "anthropic", "chat",
                                            {"Retry-After": "12"})
    assert (status, headers) == (503, {"retry-after": "12"})
    status, body, headers = translate_error(503, b"upstream busy", "responses", "anthropic", {"retry-after": "3"})
    assert (status, body["error"]["type"], headers) == (529, "overloaded_error", {"retry-after": "3"})
    assert body["error"]["message"] == "upstream busy"


def test_rate_limit_keeps_retry_after() -> None:
    status, body, headers = translate_error(429, openai_error("slow down", "requests", "rate_limit_exceeded"),
                                            "chat", "anthropic", {"Retry-After": "7"})
    assert (status, body["error"]["type"], headers) == (429, "rate_limit_error", {"retry-after": "7"})


def test_insufficient_quota_is_billing_not_rate_limit() -> None:
    error = parse_error(429, openai_error("pay up", "insufficient_quota", "insufficient_quota"), "chat")
    assert error.kind == "billing" and not error.retryable
    status, body, _ = build_error(error, "anthropic")
    assert (status, body["error"]["type"]) == (402, "billing_error")


def test_odd_bodies_never_raise() -> None:
    for body in (b"", b"<html>502 Bad Gateway</html>", b"[]", b'{"error": "plain string"}', None, {"detail": "x"}):
        error = parse_error(502, body, "chat")
        assert error.kind == "server_error" and error.message


def test_errors_we_raise_carry_the_field_path() -> None:
    with pytest.raises(TranslationError) as raised:
        translate_request({"model": "m", "messages": "hello"}, "anthropic", "chat")
    assert raised.value.param == "messages"
    with pytest.raises(TranslationError) as raised:
        translate_request({"model": "m", "messages": [{"role": "user", "content": "x"}, "oops"]}, "chat", "anthropic")
    assert raised.value.param == "messages[1]"
    status, body, _ = build_error(raised.value.to_api_error(), "anthropic")
    assert status == 400 and "messages[1]" in body["error"]["message"]
    ErrorResponse.model_validate(body)
    status, body, _ = error_body("invalid_request", "bad field", "chat", param="messages[1]")
    assert (status, body["error"]["param"]) == (400, "messages[1]")


# What providers outside the two official shapes send, and what the client must still read.
ODD_ERROR_BODIES = [
    (b'{"object": "error", "message": "max_tokens is too large", "type": "BadRequestError", "param": null, '
     b'"code": 400}', "max_tokens is too large"),  # vLLM's older top-level error
    (b'{"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}',
     '[{"loc":["body","messages"],"msg":"field required"}]'),  # FastAPI's 422
    (b'{"detail": "Not Found"}', "Not Found"),
    (b'{"error": {"message": ["first", "second"]}}', '["first","second"]'),
    (b'{"error": 5}', '{"error":5}'),
    (b"[1, 2]", "[1,2]"),
    (b"<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway</body></html>"),
]


@pytest.mark.parametrize(("body", "message"), ODD_ERROR_BODIES)
@pytest.mark.parametrize("source", ["anthropic", "chat"])
def test_an_odd_error_body_still_reaches_the_client_as_its_message(body: bytes, message: str, source: str) -> None:
    error = parse_error(400, body, source)
    assert error.message == message
    _, anthropic_body, _ = build_error(error, "anthropic")
    assert ErrorResponse.model_validate(anthropic_body).error.message == message


def test_a_huge_error_page_is_cut_and_a_parameter_is_text() -> None:
    assert len(parse_error(502, b"<html>" + b"x" * 100_000, "chat").message) == 1000
    error = parse_error(400, b'{"error": {"message": "bad", "param": 3}}', "chat")
    assert error.param == "3"
    _, body, _ = build_error(error, "chat")
    assert ErrorObject.model_validate(body["error"]).param == "3"
