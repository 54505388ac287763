"""Stream-side conversions to the hub: usage counts and stop reasons.

Stop-reason tables live in ``runtime/fieldmaps.py`` (shared with the non-streaming spokes); this module
adds the lookups with their defaults, and reads each format's usage object into hub ``Usage``, which
follows Anthropic semantics: ``input_tokens`` excludes cache reads and cache writes.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.fieldmaps import (
    CHAT_TO_STOP,
    RESPONSES_INCOMPLETE_TO_STOP,
    STOP_TO_ANTHROPIC,
    STOP_TO_CHAT,
)
from apiswitch.runtime.hub import Usage


def stop_from_chat(finish_reason: str | None) -> str:
    return CHAT_TO_STOP.get(finish_reason or "", "end_turn")


def stop_from_responses_incomplete(reason: str | None) -> str:
    return RESPONSES_INCOMPLETE_TO_STOP.get(reason or "", "max_tokens")


def anthropic_stop(stop_reason: str | None) -> str:
    return STOP_TO_ANTHROPIC.get(stop_reason or "", "end_turn")


def chat_stop(stop_reason: str | None) -> str:
    return STOP_TO_CHAT.get(stop_reason or "", "stop")


def usage_from_anthropic(raw: dict[str, Any], into: Usage | None = None) -> Usage:
    """Anthropic usage counts are cumulative: later values replace earlier ones, absent ones survive."""
    usage = into if into is not None else Usage()
    if raw.get("input_tokens") is not None:
        usage.input_tokens = raw["input_tokens"]
    if raw.get("output_tokens") is not None:
        usage.output_tokens = raw["output_tokens"]
    if raw.get("cache_read_input_tokens") is not None:
        usage.cache_read_tokens = raw["cache_read_input_tokens"]
    if raw.get("cache_creation_input_tokens") is not None:
        usage.cache_write_tokens = raw["cache_creation_input_tokens"]
    return usage


def usage_from_chat(raw: dict[str, Any]) -> Usage:
    prompt = raw.get("prompt_tokens") or 0
    details = raw.get("prompt_tokens_details") or {}
    # DeepSeek reports cache hits in its own field.
    cached = details.get("cached_tokens") or raw.get("prompt_cache_hit_tokens") or 0
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=raw.get("completion_tokens") or 0,
        cache_read_tokens=cached,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


def usage_from_responses(raw: dict[str, Any]) -> Usage:
    details = raw.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") or 0
    written = details.get("cache_write_tokens") or 0
    output_details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=max((raw.get("input_tokens") or 0) - cached - written, 0),
        output_tokens=raw.get("output_tokens") or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=output_details.get("reasoning_tokens") or 0,
    )
