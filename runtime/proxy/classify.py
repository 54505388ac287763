"""Which kind of request is this? Background chatter, thinking, long context, images or web search.

The class picks a routing rule: a cheap model for a session-title side call, a vision model for a screenshot,
a large-context model for a long conversation. Classification reads the client's body in its own format and
stops as soon as it has an answer; it never copies the body.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from apiswitch.runtime.proxy.config import Rules

_IMAGE_TYPES = {"image", "image_url", "input_image"}


def estimate_tokens(body_size: int) -> int:
    # About four bytes of JSON per token: cheap, and close enough to pick a long-context route.
    return body_size // 4


def request_classes(body: dict[str, Any], fmt: str, body_size: int, rules: Rules) -> set[str]:
    """Every class the request belongs to; the router takes the first configured one in file order."""
    found: set[str] = set()
    wanted = rules.by_class
    if "background" in wanted and is_background(body, fmt, rules):
        found.add("background")
    if "thinking" in wanted and wants_thinking(body, fmt):
        found.add("thinking")
    if "long_context" in wanted and estimate_tokens(body_size) > rules.long_context_threshold:
        found.add("long_context")
    if "images" in wanted and has_images(body, fmt):
        found.add("images")
    if "web_search" in wanted and wants_web_search(body, fmt):
        found.add("web_search")
    return found


def is_background(body: dict[str, Any], fmt: str, rules: Rules) -> bool:
    model = body.get("model")
    if isinstance(model, str) and any(fnmatchcase(model, p) for p in rules.background_models):
        return True
    # Claude Code's session-title call asks for structured output and explicitly offers no tools.
    if body.get("tools") != []:
        return False
    if fmt == "anthropic":
        config = body.get("output_config")
        return isinstance(config, dict) and bool(config.get("format"))
    if fmt == "chat":
        return isinstance(body.get("response_format"), dict) and body["response_format"].get("type") == "json_schema"
    text = body.get("text")
    return isinstance(text, dict) and isinstance(text.get("format"), dict) and text["format"].get("type") == "json_schema"


def wants_thinking(body: dict[str, Any], fmt: str) -> bool:
    if fmt == "anthropic":
        thinking = body.get("thinking")
        return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    if fmt == "chat":
        effort = body.get("reasoning_effort")
    else:
        reasoning = body.get("reasoning")
        effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    return isinstance(effort, str) and effort not in ("none", "minimal")


def has_images(body: dict[str, Any], fmt: str) -> bool:
    items = body.get("input") if fmt == "responses" else body.get("messages")
    if not isinstance(items, list):
        return False
    for item in items:
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        if isinstance(content, list) and _parts_have_image(content):
            return True
    return False


def _parts_have_image(parts: list[Any]) -> bool:
    for part in parts:
        if not isinstance(part, dict):
            continue
        if part.get("type") in _IMAGE_TYPES:
            return True
        # Anthropic tool results can carry images too.
        nested = part.get("content")
        if isinstance(nested, list) and _parts_have_image(nested):
            return True
    return False


def wants_web_search(body: dict[str, Any], fmt: str) -> bool:
    if fmt == "chat" and body.get("web_search_options") is not None:
        return True
    tools = body.get("tools")
    if not isinstance(tools, list):
        return False
    return any(isinstance(t, dict) and str(t.get("type", "")).startswith("web_search") for t in tools)
