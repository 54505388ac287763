"""The few checks a request must pass before it is worth routing, each failing with its field path.

Deliberately shallow: unknown fields and unknown block types pass, because providers add them faster than
any proxy can learn them. Only what routing and translation cannot do without is checked here.
"""

from __future__ import annotations

from typing import Any

import orjson
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
