"""Shared by the translation tests: run one translation and judge it."""

from __future__ import annotations

from typing import Any

from apiswitch import translate_request, translate_response

from .oracles import validate_request, validate_response

FORMATS = ("anthropic", "chat", "responses")


def losses_of(translation: Any) -> set[tuple[str, str]]:
    return {(loss.path, loss.action) for loss in translation.losses}


def request(body: dict[str, Any], source: str, target: str, **options: Any) -> Any:
    """Translate a request and check the SDK types accept the result."""
    out = translate_request(body, source, target, options=options or None)
    validate_request(target, out.body)
    return out


def response(body: dict[str, Any], source: str, target: str, context: Any = None) -> Any:
    out = translate_response(body, source, target, context=context)
    validate_response(target, out.body)
    return out
