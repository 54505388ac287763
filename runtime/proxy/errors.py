"""Error bodies in the client's own format, for errors the proxy raises and errors upstreams return.

A Claude Code user must see an Anthropic error, a Codex user an OpenAI one, whatever provider failed.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from apiswitch.runtime.errors import build_error, parse_error

_ANTHROPIC_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error",
}
_OPENAI_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 413: "invalid_request_error", 429: "rate_limit_error",
}


class ProxyError(Exception):
    """An error the proxy answers itself, before anything reached the client."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, body: bytes | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}
        self.body = body  # already in the client's format (an upstream error translated), else None


def client_error_from_upstream(status: int, body: bytes, upstream_format: str, client_format: str,
                               headers: dict[str, str]) -> ProxyError:
    """An upstream's error response as the client's format spells it (status, type, Retry-After)."""
    error = parse_error(status, body, upstream_format, headers)  # read once, for the log and the client
    new_status, new_body, new_headers = build_error(error, client_format)
    return ProxyError(new_status, _said(body, error.message), headers=new_headers, body=orjson.dumps(new_body))


def error_type(fmt: str, status: int) -> str:
    if fmt == "anthropic":
        return _ANTHROPIC_TYPES.get(status, "api_error")
    return _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def error_body(fmt: str, status: int, message: str, param: str | None = None, code: str | None = None,
               kind: str | None = None) -> bytes:
    kind = kind or error_type(fmt, status)
    if fmt == "anthropic":
        return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})
    return orjson.dumps({"error": {"message": message, "type": kind, "param": param, "code": code}})


def upstream_error(body: bytes) -> str:
    """The message an upstream put in its error body, whichever format it used (see parse_error)."""
    return _said(body, parse_error(0, body, "chat").message)


def _said(body: bytes, message: str) -> str:
    # For an empty body parse_error falls back on "upstream returned HTTP <status>"; the status is told beside
    # this message already, so the body is named for what it was.
    return message if body.strip() else "empty error body"


def stream_error_event(fmt: str, message: str, kind: str = "api_error", sequence_number: int = 0,
                       response: dict[str, Any] | None = None) -> bytes:
    """An in-band error for a stream that already started: the client format's own error event.
    Responses only: `sequence_number` is the next event's, `response` what response.created announced."""
    if fmt == "anthropic":
        data = orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})
        return b"event: error\ndata: " + data + b"\n\n"
    if fmt == "chat":
        # Then [DONE], as the translators end a failed chat stream: the SDK raises at the error chunk, and a
        # client that reads to [DONE] still finds the end.
        data = orjson.dumps({"error": {"message": message, "type": "server_error", "param": None, "code": kind}})
        return b"data: " + data + b"\n\ndata: [DONE]\n\n"
    return _response_failed(message, kind, sequence_number, response)


def _response_failed(message: str, kind: str, sequence_number: int, response: dict[str, Any] | None) -> bytes:
    """A Responses stream fails as the translators end one: response.failed carrying the response with its
    error (the event Codex reads a failure's message from). `response` is the one the stream's response.created
    announced; if the client has seen no event yet, a response.created comes first, as it must."""
    head = b""
    if response is None:
        response = {"id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()),
                    "status": "in_progress", "error": None, "incomplete_details": None, "output": [],
                    "usage": None}
        if sequence_number == 0:
            head = _event("response.created", {"type": "response.created", "sequence_number": 0,
                                               "response": response})
            sequence_number = 1
    failed = dict(response, status="failed", error={"code": kind, "message": message})
    return head + _event("response.failed", {"type": "response.failed", "sequence_number": sequence_number,
                                             "response": failed})


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
