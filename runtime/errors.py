"""HTTP errors across formats.

An upstream's error (status + body + Retry-After) is read into an ``ApiError`` of one of a few kinds and
written back in the client's format, so the client's own retry logic sees what it expects: Claude Code
retries 429 and 529, the OpenAI SDKs retry 429 and 5xx, and nobody retries a 400.  Errors apiswitch
raises itself (a body it cannot read) use the same builders, with the offending field path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

# Error kinds and how each format spells them: (HTTP status, error type[, code]).
ANTHROPIC_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "invalid_request_error"),
    "authentication": (401, "authentication_error"),
    "billing": (402, "billing_error"),
    "permission": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "request_too_large": (413, "request_too_large"),
    "rate_limit": (429, "rate_limit_error"),
    "server_error": (500, "api_error"),
    "timeout": (504, "timeout_error"),
    "overloaded": (529, "overloaded_error"),
}
OPENAI_ERRORS: dict[str, tuple[int, str, str | None]] = {
    "invalid_request": (400, "invalid_request_error", None),
    "authentication": (401, "invalid_request_error", "invalid_api_key"),
    "billing": (429, "insufficient_quota", "insufficient_quota"),
    "permission": (403, "invalid_request_error", "permission_denied"),
    "not_found": (404, "invalid_request_error", "not_found"),
    "request_too_large": (413, "invalid_request_error", "request_too_large"),
    "rate_limit": (429, "rate_limit_error", "rate_limit_exceeded"),
    "server_error": (500, "server_error", None),
    "timeout": (504, "server_error", "timeout"),
    "overloaded": (503, "server_error", "overloaded"),
}
_ANTHROPIC_TYPE_TO_KIND = {error_type: kind for kind, (_, error_type) in ANTHROPIC_ERRORS.items()}
_STATUS_TO_KIND = {
    400: "invalid_request", 401: "authentication", 402: "billing", 403: "permission", 404: "not_found",
    408: "timeout", 413: "request_too_large", 422: "invalid_request", 429: "rate_limit", 500: "server_error",
    502: "server_error", 503: "overloaded", 504: "timeout", 529: "overloaded",
}
RETRYABLE = frozenset({"rate_limit", "overloaded", "server_error", "timeout"})


@dataclass(slots=True)
class ApiError:
    kind: str
    message: str
    param: str | None = None  # JSON path of the offending field, when known
    retry_after: str | None = None  # seconds, as the Retry-After header gives them
    request_id: str | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class TranslationError(ValueError):
    """A body apiswitch cannot translate; becomes a 400 in the client's format."""

    def __init__(self, message: str, param: str | None = None, kind: str = "invalid_request") -> None:
        super().__init__(message)
        self.param = param
        self.kind = kind

    def to_api_error(self) -> ApiError:
        return ApiError(kind=self.kind, message=str(self), param=self.param)


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def parse_error(status: int, body: bytes | str | dict[str, Any] | None, source: str,
                headers: dict[str, str] | None = None) -> ApiError:
    """Read an upstream error response of format ``source``; never raises on odd bodies."""
    data: Any = body
    message = ""
    if isinstance(body, bytes | str):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
            message = (body.decode(errors="replace") if isinstance(body, bytes) else body)[:_MAX_MESSAGE]
    error = data.get("error") if isinstance(data, dict) else None
    kind = None
    param = None
    if isinstance(error, dict):
        message = _text(error.get("message"))
        if source == "anthropic":
            kind = _ANTHROPIC_TYPE_TO_KIND.get(str(error.get("type")))
        else:
            param = _text(error.get("param")) or None
            if error.get("code") in ("insufficient_quota",) or error.get("type") == "insufficient_quota":
                kind = "billing"
    elif isinstance(error, str):
        message = error
    elif isinstance(data, dict):
        # Not the format's error shape: vLLM's older top-level {"object": "error", "message": ...}, or a
        # framework's {"detail": ...} (FastAPI's validation errors, a 422).
        message = _text(data.get("message")) or _text(data.get("detail"))
    if not message and data is not None:
        # Whatever the body says is the client's only clue: never replaced by the bare status.
        message = _text(data)[:_MAX_MESSAGE]
    if kind is None:
        kind = _STATUS_TO_KIND.get(status, "server_error" if status >= 500 else "invalid_request")
    request_id = data.get("request_id") if isinstance(data, dict) else None
    return ApiError(kind=kind, message=message or f"upstream returned HTTP {status}", param=param,
                    retry_after=_header(headers, "retry-after"), request_id=request_id)


_MAX_MESSAGE = 1000


def _text(value: Any) -> str:
    """A message as text: a string as it is, anything else (a list of validation errors) as JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def build_error(error: ApiError, target: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) of ``error`` in format ``target``."""
    headers = {"retry-after": error.retry_after} if error.retry_after else {}
    if target == "anthropic":
        status, error_type = ANTHROPIC_ERRORS.get(error.kind, ANTHROPIC_ERRORS["server_error"])
        message = f"{error.message} (at {error.param})" if error.param else error.message
        body: dict[str, Any] = {"type": "error", "error": {"type": error_type, "message": message}}
        if error.request_id:
            body["request_id"] = error.request_id
        return status, body, headers
    if target in ("chat", "responses"):
        status, error_type, code = OPENAI_ERRORS.get(error.kind, OPENAI_ERRORS["server_error"])
        return status, {"error": {"message": error.message, "type": error_type, "param": error.param,
                                  "code": code}}, headers
    raise ValueError(f"unknown format {target!r}")


def translate_error(status: int, body: bytes | str | dict[str, Any] | None, source: str, target: str,
                    headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """An upstream error of format ``source`` as the client of format ``target`` expects it."""
    return build_error(parse_error(status, body, source, headers), target)


def error_body(kind: str, message: str, target: str, param: str | None = None,
               ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """An error apiswitch raises itself, in the client's format."""
    return build_error(ApiError(kind=kind, message=message, param=param), target)
