"""Token counts for the request log, read from the upstream's own response or stream events."""

from __future__ import annotations

from typing import Any

import orjson
from apiswitch.runtime.proxy.frames import frame_fields

_USAGE = b'"usage"'
FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _int(value: Any) -> int | None:
    # Exactly int: a JSON true is a bool, which is an int subclass, and no count.
    return value if type(value) is int else None


def from_usage(fmt: str, usage: Any) -> dict[str, int]:
    """Normalise one `usage` object of a format into the log's four counters (absent ones left out)."""
    if not isinstance(usage, dict):
        return {}
    if fmt == "anthropic":
        found = {
            "input_tokens": _int(usage.get("input_tokens")),
            "output_tokens": _int(usage.get("output_tokens")),
            "cache_read_tokens": _int(usage.get("cache_read_input_tokens")),
            "cache_write_tokens": _int(usage.get("cache_creation_input_tokens")),
        }
    elif fmt == "chat":
        details = usage.get("prompt_tokens_details") or {}
        cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else None
        found = {
            "input_tokens": _int(usage.get("prompt_tokens")),
            "output_tokens": _int(usage.get("completion_tokens")),
            # DeepSeek reports its cache hits under its own name.
            "cache_read_tokens": cached if cached is not None else _int(usage.get("prompt_cache_hit_tokens")),
        }
    else:
        details = usage.get("input_tokens_details") or {}
        found = {
            "input_tokens": _int(usage.get("input_tokens")),
            "output_tokens": _int(usage.get("output_tokens")),
            "cache_read_tokens": _int(details.get("cached_tokens")) if isinstance(details, dict) else None,
        }
    # The log counts input the Anthropic way: tokens read from the cache are not also counted as input.
    if fmt != "anthropic" and found.get("input_tokens") is not None and found.get("cache_read_tokens"):
        found["input_tokens"] = max(0, found["input_tokens"] - found["cache_read_tokens"])
    return {k: v for k, v in found.items() if v is not None}


def from_response(fmt: str, body: dict[str, Any]) -> dict[str, int]:
    return from_usage(fmt, body.get("usage"))


class StreamUsage:
    """Watches upstream stream frames and keeps the latest counts; only frames mentioning usage are parsed."""

    __slots__ = ("fmt", "counts")

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.counts: dict[str, int] = {}

    def observe_all(self, frames: list[bytes]) -> None:
        """observe() each frame that mentions usage: found by searching the batch as a whole, since most
        batches mention none and the others in one or two events."""
        if len(frames) == 1:
            self.observe(frames[0])
            return
        batch = b"".join(frames)
        at = batch.find(_USAGE)
        end = 0
        for frame in frames:
            if at < 0:
                return
            end += len(frame)
            if at < end:
                self.observe(frame)
                at = batch.find(_USAGE, end)

    def observe(self, frame: bytes) -> None:
        if frame.find(_USAGE) < 0:  # find, not `in`: see runtime/sse.py
            return
        _, data = frame_fields(frame)
        if not data:
            return
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if not isinstance(payload, dict):
            return
        if self.fmt == "anthropic":
            usage = payload.get("usage")
            if usage is None and isinstance(payload.get("message"), dict):
                usage = payload["message"].get("usage")
        elif self.fmt == "chat":
            usage = payload.get("usage")
        else:
            response = payload.get("response")
            usage = response.get("usage") if isinstance(response, dict) else None
        self.counts.update(from_usage(self.fmt, usage))
