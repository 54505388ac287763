"""Opaque state a chat provider attaches to an answer and needs back unchanged on the next turn:
OpenRouter's `reasoning_details` (reasoning text with its signature, summaries, encrypted blocks) and fields a
provider adds to a tool call, such as Gemini's `extra_content.google.thought_signature`.

Anthropic models behind OpenRouter check their thinking signatures, and Gemini models refuse a tool call whose
thought signature is missing. Another format has no place for either, so one hub reasoning part carries them,
opaquely, at the end of the answer: a streamed answer can only make it at its end, since the last pieces (a
signature, a tool call's thought signature) may follow the text and the tool calls. Claude Code keeps it as a
thinking block, Codex as a reasoning item, and the chat writers put each piece back where it came from.
"""

from __future__ import annotations

from typing import Any

from ... import hub, reasoning
from ...losses import join_path

DETAILS = "reasoning_details"
CALL_EXTRAS = "tool_call_extras"  # in the part's raw block: tool call id -> the call's own extra fields
FORMAT = "chat"
NOT_WANTED = "reasoning state goes back only to chat providers that want it (chat_reasoning_state)"
# The fields of a chat tool call the translators read; `index` only places a streamed piece.
CALL_KEYS = frozenset({"id", "type", "function", "custom", "index"})
# Fields a streamed detail spreads over several deltas of the same `index`; the others are whole in one.
_PIECEWISE = ("text", "summary", "data")


def state_part(details: list[Any], call_extras: dict[str, dict[str, Any]], path: str) -> hub.Part:
    """The hub part that carries a message's provider state to another format and back."""
    raw: dict[str, Any] = {}
    if details:
        raw[DETAILS] = details
    if call_extras:
        raw[CALL_EXTRAS] = call_extras
    return {"type": "reasoning", "text": "", "summary": [], "origin": FORMAT, "raw": raw,
            "path": join_path(path, DETAILS if details else "tool_calls")}


def state_of(part: hub.Part) -> dict[str, Any] | None:
    """The provider state a hub reasoning part carries (looking through envelopes), if it is such a part."""
    state = reasoning.opaque_state_of(part)
    if state is None or state[0] != FORMAT:
        return None
    raw = state[1]
    details, extras = raw.get(DETAILS), raw.get(CALL_EXTRAS)
    if not (isinstance(details, list) and details) and not (isinstance(extras, dict) and extras):
        return None
    return raw


def call_extras(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call's fields beyond those the translators read, that say something."""
    if CALL_KEYS.issuperset(call):
        return {}
    return {key: value for key, value in call.items() if key not in CALL_KEYS and value is not None}


class Collected:
    """What a chat writer gathers from a message's state parts, then puts back on the message it writes."""

    __slots__ = ("details", "extras")

    def __init__(self) -> None:
        self.details: list[Any] = []
        self.extras: dict[str, dict[str, Any]] = {}

    def add(self, state: dict[str, Any]) -> None:
        details, extras = state.get(DETAILS), state.get(CALL_EXTRAS)
        if isinstance(details, list):
            self.details.extend(details)
        if isinstance(extras, dict):
            self.extras.update((key, value) for key, value in extras.items() if isinstance(value, dict))

    def apply(self, message: dict[str, Any]) -> None:
        """Onto the message a chat writer made: the details, and each call's fields on that call. Fields of
        calls not in this message wait under PENDING until its neighbours are merged in (see settle)."""
        if self.details:
            message[DETAILS] = self.details
        pending = _attach(message, self.extras)
        if pending:
            message[PENDING] = pending


PENDING = "_pending_call_extras"  # never sent: settle() removes it


def merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    """The provider state of two assistant messages a chat writer joins into one."""
    if DETAILS in other and DETAILS in into:
        into[DETAILS] = into[DETAILS] + other.pop(DETAILS)
    if PENDING in other:
        into[PENDING] = {**into.get(PENDING, {}), **other.pop(PENDING)}


def settle(message: dict[str, Any]) -> list[str]:
    """Put waiting call fields on the calls of the joined message; the ids of calls it does not have."""
    pending = message.pop(PENDING, None)
    return list(_attach(message, pending)) if pending else []


def _attach(message: dict[str, Any], extras: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    left = dict(extras)
    for call in message.get("tool_calls") or ():
        for key, value in left.pop(call.get("id"), {}).items():
            call.setdefault(key, value)
    return left


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
