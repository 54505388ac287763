"""The few checks a request must pass before it is worth routing, each failing with its field path.

Deliberately shallow: unknown fields and unknown block types pass, because providers add them faster than
any proxy can learn them. Only what routing and translation cannot do without is checked here.
"""

from __future__ import annotations

from typing import Any

import orjson
from apiswitch.runtime.fieldpath import json_path, model_of
from apiswitch.runtime.proxy.errors import ProxyError


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProxyError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProxyError(400, "request body must be a JSON object")
    return body


def _require(body: dict[str, Any], name: str, kinds: tuple[type, ...], label: str) -> None:
    if name not in body:
        raise ProxyError(400, f"{name}: field required", param=name)
    _optional(body, name, kinds, label)


def _optional(body: dict[str, Any], name: str, kinds: tuple[type, ...], label: str) -> None:
    value = body.get(name)
    if name in body and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
        raise ProxyError(400, f"{name}: must be {label}, got {_json_type(value)}", param=name)


def validate_request(body: dict[str, Any], fmt: str, count_tokens: bool = False) -> None:
    if not _passes(body, fmt, count_tokens):
        _refuse(body, fmt, count_tokens)


def _passes(body: dict[str, Any], fmt: str, count_tokens: bool) -> bool:
    """The same checks as _refuse, answered yes or no in one go: nearly every request passes, and finding
    which field failed (and how to say so) is only worth its cost for the few that do not. Exact types are
    what JSON decoding gives."""
    if type(body.get("model")) is not str or ("stream" in body and type(body["stream"]) is not bool):
        return False
    if fmt == "responses":
        return "input" not in body or type(body["input"]) in (str, list)
    messages = body.get("messages")
    if type(messages) is not list:
        return False
    for message in messages:
        if type(message) is not dict or "role" not in message:
            return False
    return fmt != "anthropic" or count_tokens or type(body.get("max_tokens")) is int


def _refuse(body: dict[str, Any], fmt: str, count_tokens: bool) -> None:
    """Raise the error naming the first field that fails (if one does)."""
    _require(body, "model", (str,), "a string")
    _optional(body, "stream", (bool,), "a boolean")
    if fmt == "responses":
        _optional(body, "input", (str, list), "a string or an array")
        return
    _require(body, "messages", (list,), "an array")
    for index, message in enumerate(body["messages"]):
        if not isinstance(message, dict):
            raise ProxyError(400, f"messages[{index}]: must be an object, got {_json_type(message)}",
                             param=f"messages[{index}]")
        if "role" not in message:
            raise ProxyError(400, f"messages[{index}].role: field required", param=f"messages[{index}].role")
    if fmt == "anthropic" and not count_tokens:
        _require(body, "max_tokens", (int,), "an integer")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


def validate_full(body: dict[str, Any], fmt: str) -> None:
    """Validate against the generated models. Unknown fields and block types pass (the models keep them);
    a wrong type or a missing required field is a 400 naming the deepest offending field."""
    from pydantic import ValidationError

    try:
        model_of(fmt, request=True).model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        worst = max(errors, key=lambda e: len(e["loc"]))
        path = json_path(worst["loc"])
        raise ProxyError(400, f"{path}: {worst['msg']}", param=path) from None
