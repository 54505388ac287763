"""The OpenAI Responses API (`POST /v1/responses`) <-> the hub.

Responses input is a flat list of items (messages, function calls, their outputs, reasoning).  Each item
becomes one hub message, so that writing Responses again gives the same items in the same order; the
other spokes merge consecutive messages of one role into a turn.

The pieces: ``content`` (blocks and parts), ``request`` and ``response``.
"""

from __future__ import annotations

from .content import FORMAT, content_part_to_hub, item_to_message, item_to_part, part_to_content
from .request import USER_ID_MAX, request_from_hub, request_to_hub, safety_identifier
from .response import read_back_stop, response_from_hub, response_to_hub, usage_from_hub

__all__ = [
    "FORMAT",
    "USER_ID_MAX",
    "content_part_to_hub",
    "item_to_message",
    "item_to_part",
    "part_to_content",
    "read_back_stop",
    "request_from_hub",
    "request_to_hub",
    "response_from_hub",
    "response_to_hub",
    "safety_identifier",
    "usage_from_hub",
]
