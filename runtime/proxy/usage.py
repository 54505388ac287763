"""Token counts for the request log, read from the upstream's own response or stream events."""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.proxy.frames import frame_object

_USAGE = b'"usage"'
FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


# Where the Anthropic format keeps each of the log's counters.
_ANTHROPIC = (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens"),
              ("cache_read_tokens", "cache_read_input_tokens"), ("cache_write_tokens", "cache_creation_input_tokens"))


def from_usage(fmt: str, usage: Any) -> dict[str, int]:
    """Normalise one `usage` object of a format into the log's four counters (absent ones left out).

    Only exact ints count (a JSON true is a bool, which is an int subclass, and no count). Written out
    rather than through helpers: this runs for every answer.
    """
    found: dict[str, int] = {}
    if not isinstance(usage, dict):
        return found
    if fmt == "anthropic":
        for name, key in _ANTHROPIC:
            value = usage.get(key)
            if type(value) is int:
                found[name] = value
        return found
    if fmt == "chat":
        given, made = usage.get("prompt_tokens"), usage.get("completion_tokens")
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        if type(cached) is not int:
            cached = usage.get("prompt_cache_hit_tokens")  # DeepSeek reports its cache hits under its own name
    else:
        given, made = usage.get("input_tokens"), usage.get("output_tokens")
        details = usage.get("input_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if type(cached) is not int:
        cached = None
    if type(given) is int:
        # The log counts input the Anthropic way: tokens read from the cache are not also counted as input.
        found["input_tokens"] = max(0, given - cached) if cached else given
    if type(made) is int:
        found["output_tokens"] = made
    if cached is not None:
        found["cache_read_tokens"] = cached
    return found


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
        payload = frame_object(frame)
        if payload is None:
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
