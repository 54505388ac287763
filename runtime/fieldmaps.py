"""Enum and field correspondences between the formats, as data.

specs/mappings.md shows the same tables for people (a test keeps the two in
step); codegen will later generate these maps from that document.
"""

from __future__ import annotations

# Hub stop reason -> each format's value, and each format's value -> hub stop reason.
STOP_TO_ANTHROPIC = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "content_filter": "refusal",
    "context_window_exceeded": "model_context_window_exceeded",
    "error": "end_turn",
}
ANTHROPIC_TO_STOP = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "model_context_window_exceeded": "context_window_exceeded",
}
STOP_TO_CHAT = {
    "end_turn": "stop",
    "max_tokens": "length",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
    "content_filter": "content_filter",
    "context_window_exceeded": "length",
    "error": "stop",
}
CHAT_TO_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
}
# Responses says how a response ended with `status` and `incomplete_details.reason`.
STOP_TO_RESPONSES = {
    "end_turn": ("completed", None),
    "max_tokens": ("incomplete", "max_output_tokens"),
    "stop_sequence": ("completed", None),
    "tool_use": ("completed", None),
    "pause_turn": ("completed", None),
    "refusal": ("completed", None),
    "content_filter": ("incomplete", "content_filter"),
    "context_window_exceeded": ("incomplete", "max_output_tokens"),
    "error": ("failed", None),
}
RESPONSES_INCOMPLETE_TO_STOP = {
    "max_output_tokens": "max_tokens",
    "content_filter": "content_filter",
}

# tool_choice modes of the hub -> each format.
TOOL_CHOICE_TO_CHAT = {"auto": "auto", "any": "required", "none": "none"}
CHAT_TO_TOOL_CHOICE = {"auto": "auto", "required": "any", "none": "none"}
TOOL_CHOICE_TO_RESPONSES = TOOL_CHOICE_TO_CHAT
RESPONSES_TO_TOOL_CHOICE = CHAT_TO_TOOL_CHOICE

# Top-level request keys for the max-output-tokens limit.
MAX_TOKENS_KEYS = {"anthropic": "max_tokens", "chat": "max_tokens", "responses": "max_output_tokens"}
# Anthropic accepts temperatures 0..1, OpenAI 0..2.
TEMPERATURE_MAX = {"anthropic": 1.0, "chat": 2.0, "responses": 2.0}
