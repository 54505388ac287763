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
    """The hub stop reason of a chat finish_reason; one no table knows (DeepSeek's insufficient_system_resource,
    vLLM's abort) stays as it is, for the client's writer to carry or to report."""
    if not finish_reason:
        return "end_turn"
    return CHAT_TO_STOP.get(finish_reason, finish_reason)


def stop_from_responses_incomplete(reason: str | None) -> str:
    return RESPONSES_INCOMPLETE_TO_STOP.get(reason or "", "max_tokens")


def anthropic_stop(stop_reason: str | None) -> str:
    return STOP_TO_ANTHROPIC.get(stop_reason or "", "end_turn")


def chat_stop(stop_reason: str | None) -> str:
    return STOP_TO_CHAT.get(stop_reason or "", "stop")


def count(value: Any) -> int:
    """A token count as an int; an upstream's null, string or negative number counts as 0."""
    return value if type(value) is int and value > 0 else 0


def usage_from_anthropic(raw: dict[str, Any], into: Usage | None = None) -> Usage:
    """Anthropic usage counts are cumulative: later values replace earlier ones, absent ones survive."""
    usage = into if into is not None else Usage()
    if raw.get("input_tokens") is not None:
        usage.input_tokens = count(raw["input_tokens"])
    if raw.get("output_tokens") is not None:
        usage.output_tokens = count(raw["output_tokens"])
    if raw.get("cache_read_input_tokens") is not None:
        usage.cache_read_tokens = count(raw["cache_read_input_tokens"])
    if raw.get("cache_creation_input_tokens") is not None:
        usage.cache_write_tokens = count(raw["cache_creation_input_tokens"])
    return usage


def usage_from_chat(raw: dict[str, Any]) -> Usage:
    prompt = count(raw.get("prompt_tokens"))
    details = _object(raw.get("prompt_tokens_details"))
    # DeepSeek reports cache hits in its own field.
    cached = count(details.get("cached_tokens")) or count(raw.get("prompt_cache_hit_tokens"))
    return Usage(
        input_tokens=max(prompt - cached, 0),
        output_tokens=count(raw.get("completion_tokens")),
        cache_read_tokens=cached,
        reasoning_tokens=count(_object(raw.get("completion_tokens_details")).get("reasoning_tokens")),
    )


def usage_from_responses(raw: dict[str, Any]) -> Usage:
    details = _object(raw.get("input_tokens_details"))
    cached = count(details.get("cached_tokens"))
    written = count(details.get("cache_write_tokens"))
    return Usage(
        input_tokens=max(count(raw.get("input_tokens")) - cached - written, 0),
        output_tokens=count(raw.get("output_tokens")),
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=count(_object(raw.get("output_tokens_details")).get("reasoning_tokens")),
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
