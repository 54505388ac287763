"""Usage and stop-reason conversions between each format's stream vocabulary and the hub's.

Hub usage follows Anthropic semantics: ``input_tokens`` excludes cache reads and writes.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.hub import Usage

CHAT_TO_HUB_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
}
HUB_TO_CHAT_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "content_filter": "content_filter",
    "error": "stop",
}
ANTHROPIC_STOPS = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"}
HUB_TO_ANTHROPIC_STOP = {
    "content_filter": "refusal",
    "context_window_exceeded": "model_context_window_exceeded",
    "error": "end_turn",
}


def anthropic_stop(stop_reason: str | None) -> str:
    if stop_reason in ANTHROPIC_STOPS:
        return stop_reason  # type: ignore[return-value]
    return HUB_TO_ANTHROPIC_STOP.get(stop_reason or "", "end_turn")


def chat_stop(stop_reason: str | None) -> str:
    return HUB_TO_CHAT_STOP.get(stop_reason or "", "stop")


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
    output_details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=max((raw.get("input_tokens") or 0) - cached, 0),
        output_tokens=raw.get("output_tokens") or 0,
        cache_read_tokens=cached,
        reasoning_tokens=output_details.get("reasoning_tokens") or 0,
    )


def usage_to_anthropic(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
    }


def usage_to_chat(usage: Usage) -> dict[str, Any]:
    prompt = usage.prompt_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def usage_to_responses(usage: Usage) -> dict[str, Any]:
    prompt = usage.prompt_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }
