"""The Anthropic Messages API (`POST /v1/messages`) <-> the hub.

The pieces: ``content`` (blocks and parts), ``request`` and ``response``.
"""

from __future__ import annotations

from .content import FORMAT, block_to_part, part_to_block
from .request import (
    DEFAULT_MAX_TOKENS,
    THINKING_MIN_TOP_P,
    fit_sampling_to_thinking,
    hoist_system_messages,
    merge_turns,
    request_from_hub,
    request_to_hub,
)
from .response import response_from_hub, response_to_hub, usage_from_hub

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "FORMAT",
    "THINKING_MIN_TOP_P",
    "block_to_part",
    "fit_sampling_to_thinking",
    "hoist_system_messages",
    "merge_turns",
    "part_to_block",
    "request_from_hub",
    "request_to_hub",
    "response_from_hub",
    "response_to_hub",
    "usage_from_hub",
]
