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


def malformed_response(body: Any, fmt: str, cause: Exception) -> TranslationError:
    """The error for an upstream answer in `fmt` that could not be translated, naming the field if the
    format's model can tell which."""
    from pydantic import ValidationError

    package, name = _RESPONSE_MODELS[fmt]
    model = getattr(importlib.import_module(f"apiswitch.generated.{package}.models"), name)
    try:
        model.model_validate(body)
    except ValidationError as exc:
        worst = worst_error(exc.errors(include_url=False, include_input=False))
        path = json_path(worst["loc"])
        return TranslationError(f"malformed {fmt} response: {path}: {worst['msg']}", param=path,
                                kind="server_error")
    return TranslationError(f"malformed {fmt} response: {type(cause).__name__}: {cause}", kind="server_error")
