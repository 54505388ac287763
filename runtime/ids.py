"""Ids: valid and unique tool-call ids for the target, and response ids in each format's style."""

from __future__ import annotations

import hashlib
import re
import secrets

from .context import TranslationContext
from .hub import Message, Part

VALID_TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_INVALID_CHARS = re.compile(r"[^a-zA-Z0-9_-]")

# Prefixes each format uses for its own response / item ids.
RESPONSE_ID_PREFIXES = {"anthropic": "msg_", "chat": "chatcmpl-", "responses": "resp_"}
_KNOWN_PREFIXES = ("msg_", "chatcmpl-", "resp_", "gen-")


def random_id(prefix: str, length: int = 24) -> str:
    return prefix + secrets.token_hex(length // 2)


def response_id(source_id: str | None, target: str) -> str:
    """The source's response id re-prefixed for the target, so logs can match the two."""
    prefix = RESPONSE_ID_PREFIXES[target]
    if not source_id:
        return random_id(prefix)
    if source_id.startswith(prefix):
        return source_id
    core = source_id
    for known in _KNOWN_PREFIXES:
        if core.startswith(known):
            core = core[len(known):]
            break
    return prefix + _INVALID_CHARS.sub("_", core)


def derived_id(prefix: str, seed: str) -> str:
    """A stable id derived from another id, e.g. a Responses item id for an Anthropic tool_use id."""
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:24]


def valid_tool_id(raw: str | None, taken: set[str]) -> str:
    """``raw`` when it is valid and unused, else a cleaned or fresh id that is both."""
    candidate = _INVALID_CHARS.sub("_", raw) if raw else ""
    if not candidate:
        candidate = random_id("call_")
    base, n = candidate, 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    return candidate


def make_tool_ids_valid(messages: list[Message], ctx: TranslationContext) -> None:
    """Unique ids of the accepted shape; a tool result follows its call to the new id."""
    taken: set[str] = set()
    latest: dict[str, str] = {}
    for message in messages:
        for part in message.content:
            if part["type"] == "tool_call":
                original = part["id"]
                new = valid_tool_id(original, taken)
                taken.add(new)
                latest[original] = new
                if new != original:
                    ctx.tool_ids[new] = original
                    part["id"] = new
            elif part["type"] == "tool_result":
                original = part["tool_call_id"]
                new = latest.get(original) or valid_tool_id(original, set())
                part["tool_call_id"] = new


def make_response_ids_valid(parts: list[Part]) -> None:
    taken: set[str] = set()
    for part in parts:
        if part["type"] == "tool_call":
            part["id"] = valid_tool_id(part.get("id"), taken)
            taken.add(part["id"])
