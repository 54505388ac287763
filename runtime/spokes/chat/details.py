"""OpenRouter's `reasoning_details`: the structured reasoning state (text with its signature, summaries,
encrypted blocks) some chat gateways put on an assistant message beside its reasoning text.

The provider needs it back unchanged on the next turn: Anthropic models check their thinking signatures, and
Gemini models refuse a tool call whose thought signature is missing. A hub part of its own carries the
whole list, opaquely, at the end of the answer; it is the part a streamed answer can only make at its end,
since the last pieces (a signature, a tool call's thought signature) may follow the text and the tool calls.
"""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...losses import join_path

FIELD = "reasoning_details"
FORMAT = "chat"
NOT_WANTED = "reasoning details go back only to chat providers that want them (chat_reasoning_details)"
# Fields a streamed detail spreads over several deltas of the same `index`; the others are whole in one.
_PIECEWISE = ("text", "summary", "data")


def details_part(details: list[Any], path: str) -> hub.Part:
    """The hub part that carries a message's reasoning details to another format and back."""
    return {"type": "reasoning", "text": "", "summary": [], "origin": FORMAT, "raw": {FIELD: details},
            "path": join_path(path, FIELD)}


def details_of(part: hub.Part) -> list[Any] | None:
    """The reasoning details a hub reasoning part carries (looking through envelopes), if any."""
    state = reasoning.opaque_state_of(part)
    if state is None or state[0] != FORMAT:
        return None
    details = state[1].get(FIELD)
    return details if isinstance(details, list) and details else None


def merge_delta(merged: list[dict[str, Any]], pieces: Any) -> bool:
    """Fold one delta's `reasoning_details` into `merged`: a piece with the `index` of an earlier one continues
    it (its text, summary or data appended, its other fields set), any other is a new detail. False when the
    value is not a list of objects."""
    if not isinstance(pieces, list):
        return False
    for piece in pieces:
        if not isinstance(piece, dict):
            return False
        index = piece.get("index")
        earlier = next((d for d in merged if index is not None and d.get("index") == index), None)
        if earlier is None:
            merged.append(dict(piece))
            continue
        for key, value in piece.items():
            if key in _PIECEWISE and isinstance(value, str) and isinstance(earlier.get(key), str):
                earlier[key] += value
            elif value is not None:
                earlier[key] = value
    return True
