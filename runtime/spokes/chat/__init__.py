"""OpenAI Chat Completions (`POST /v1/chat/completions`) <-> the hub.

Also the dialect of most other providers (DeepSeek, Qwen, GLM, Kimi, OpenRouter, vLLM, Ollama), whose
reasoning arrives as `reasoning_content` on the assistant message and must be sent back on the turn after
a tool call.

The pieces: ``content`` (blocks and parts), ``request`` and ``response``.
"""

from __future__ import annotations

from .content import FORMAT, REASONING_KEYS, content_part_to_hub, part_to_content
from .request import (
    PLACEHOLDER_FOR_HOISTED,
    gather_system_prompt,
    merge_assistant,
    request_from_hub,
    request_to_hub,
    tool_results_to_messages,
)
from .response import response_from_hub, response_to_hub, usage_from_hub

__all__ = [
    "gather_system_prompt",
    "FORMAT",
    "PLACEHOLDER_FOR_HOISTED",
    "REASONING_KEYS",
    "content_part_to_hub",
    "merge_assistant",
    "part_to_content",
    "request_from_hub",
    "request_to_hub",
    "response_from_hub",
    "response_to_hub",
    "tool_results_to_messages",
    "usage_from_hub",
]
