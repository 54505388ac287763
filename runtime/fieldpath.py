"""Field paths out of pydantic's validation errors, and the field that makes an upstream's answer unreadable.

The generated models (generated/) state each format's bodies as the official references do. Validating a
body against them names the offending field exactly, but costs more than translating it; so requests are
validated only when the proxy is told to, and answers only once translating one has already failed.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import TranslationError

# Parts of a pydantic error location that name a union member or a validator, not a field.
_TYPE_WORDS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "function-after", "function-wrap"})
_REQUEST_MODELS = {"anthropic": ("anthropic", "MessageCreateParams"), "chat": ("chat", "ChatCompletionCreateParams"),
                   "responses": ("responses", "ResponseCreateParams")}
_RESPONSE_MODELS = {"anthropic": ("anthropic", "Message"), "chat": ("chat", "ChatCompletion"),
                    "responses": ("responses", "Response")}


def json_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part not in _TYPE_WORDS and "[" not in part and not part[:1].isupper():
            path += f".{part}" if path else part
    return path or "body"


def worst_error(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The error to report of several: a value of the wrong type before a missing field (providers leave out
    fields they consider optional, which is seldom why an answer cannot be read), then the deepest."""
    return max(errors, key=lambda error: (error["type"] != "missing", len(error["loc"])))


def model_of(fmt: str, request: bool) -> Any:
    """The generated pydantic model of a format's request or answer body (imported on first use: large)."""
    package, name = (_REQUEST_MODELS if request else _RESPONSE_MODELS)[fmt]
    return getattr(importlib.import_module(f"apiswitch.generated.{package}.models"), name)


def _problem(body: Any, fmt: str, request: bool) -> tuple[str, str] | None:
    """(field path, what is wrong with it) by the format's model, or None if the model accepts the body."""
    from pydantic import ValidationError

    try:
        model_of(fmt, request).model_validate(body)
    except ValidationError as exc:
        worst = worst_error(exc.errors(include_url=False, include_input=False))
        return json_path(worst["loc"]), worst["msg"]
    return None


def malformed_request(body: Any, fmt: str, cause: Exception) -> TranslationError:
    """The error for a request in `fmt` that could not be translated, naming the field if the format's model
    can tell which."""
    problem = _problem(body, fmt, request=True)
    if problem is None:
        return TranslationError(f"cannot translate this {fmt} request: {type(cause).__name__}: {cause}")
    path, message = problem
    return TranslationError(f"{path}: {message}", param=path)


def malformed_response(body: Any, fmt: str, cause: Exception) -> TranslationError:
    """The error for an upstream answer in `fmt` that could not be translated, naming the field if the
    format's model can tell which."""
    problem = _problem(body, fmt, request=False)
    if problem is None:
        return TranslationError(f"malformed {fmt} response: {type(cause).__name__}: {cause}", kind="server_error")
    path, message = problem
    return TranslationError(f"malformed {fmt} response: {path}: {message}", param=path, kind="server_error")
