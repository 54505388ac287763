"""Anthropic Messages stream -> hub stream events."""

from __future__ import annotations

from typing import Any

import orjson
from apiswitch.runtime.fieldmaps import ANTHROPIC_TO_STOP
from apiswitch.runtime.hub import Usage

from ..events import (
    ArgumentsDelta,
    CitationAdded,
    KeepAlive,
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFinished,
    ResponseStarted,
    SignatureDelta,
    StreamEvent,
    TextDelta,
)
from ..mapping import usage_from_anthropic
from . import citations
from .base import StreamDecoder, optional_text, text
from .slot import StringSlot

# Which delta types may go to which hub part type; anything else is a protocol violation.
DELTA_PART_TYPES = {
    "text_delta": ("text",),
    "input_json_delta": ("tool_call", "opaque"),
    "thinking_delta": ("reasoning",),
    "signature_delta": ("reasoning",),
    "citations_delta": ("text",),
}
KEEPALIVE = KeepAlive()


class AnthropicDecoder(StreamDecoder):
    source = "anthropic"
    # How many slots a stream may learn (see _slots_left). 0 turns the shortcut off, so that every event is
    # parsed whole: tests/streaming/test_slot_shortcut.py holds the decoder to what it gives that way.
    slot_learnings = 4

    def __init__(self, context, losses, target) -> None:
        super().__init__(context, losses, target)
        self._started = False
        # Anthropic block index -> (hub index, hub part type)
        self._blocks: dict[int, tuple[int, str]] = {}
        self._open: int | None = None
        self._next = 0
        self._usage = Usage()
        self._usage_seen = False
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        # The thinking block being streamed, rebuilt whole because another format can only carry it opaquely,
        # and the pieces of its text and signature, joined when it stops: adding each delta to the text would
        # copy the text so far every time, quadratic in a long thinking.
        self._thinking: dict[str, Any] | None = None
        self._pieces: dict[str, list[str]] = {}
        # The shape of the last text_delta event (see slot.py), its block index, and how many more times a
        # slot may be learnt (one per text block is the usual need).
        self._slot: StringSlot | None = None
        self._slot_block: Any = None
        self._slots_left = self.slot_learnings

    def read(self, text_data: str, name: str | None) -> list[StreamEvent]:
        if self.closed:
            return []
        if name == "ping":
            return [KEEPALIVE]
        data = None
        slot = self._slot
        if slot is not None:
            value = slot.read(text_data)
            if value is None:
                self._slot = None
            else:
                # A text_delta like the learnt one: what _delta gives it while its text block is open.
                number = self._slot_block
                block = self._blocks.get(number)
                if block is not None and number == self._open and block[1] == "text":
                    return [TextDelta(block[0], value)]
                data = slot.parsed
                kind = "content_block_delta"
        if data is None:
            try:
                data = orjson.loads(text_data)
                kind = data.get("type") or name
            except (orjson.JSONDecodeError, AttributeError):
                return self.malformed("not a JSON object")
        if kind == "content_block_delta":
            try:
                out = self._delta(data)
            except (KeyError, TypeError, AttributeError) as exc:
                return self.malformed(f"{kind} without {exc}")
            # Only text deltas are learnt: checked here, as thinking and arguments deltas would pay for a call.
            if out and type(out[0]) is TextDelta and self._slot is None and self._slots_left:
                self._learn_slot(text_data, data)
            return out
        try:
            if kind == "content_block_start":
                return self._block_start(data)
            if kind == "content_block_stop":
                return self._block_stop(data)
            if kind == "message_start":
                return self._message_start(data)
            if kind == "message_delta":
                delta = data.get("delta") or {}
                reason = optional_text(delta.get("stop_reason"))
                if reason:  # in the hub's words, as the non-streaming reader has them
                    self._stop_reason = ANTHROPIC_TO_STOP.get(reason, reason)
                self._stop_sequence = optional_text(delta.get("stop_sequence")) or self._stop_sequence
                if data.get("usage"):
                    usage_from_anthropic(data["usage"], self._usage)
                    self._usage_seen = True
                return []
            if kind == "message_stop":
                if not self._started or self._open is not None:
                    return self.malformed("message_stop before message_start or with a block open")
                self.closed = True
                return [
                    ResponseFinished(
                        self._stop_reason, self._stop_sequence, self._usage if self._usage_seen else None
                    )
                ]
            if kind == "error":
                error = data.get("error") or {}
                return self.fail(
                    error.get("type") or "api_error",
                    error.get("message") or "upstream error",
                    error.get("type") or "api_error",
                )
            if kind == "ping":
                return [KEEPALIVE]
        except (KeyError, TypeError, AttributeError) as exc:
            return self.malformed(f"{kind} without {exc}")
        # New event types are ignored, as the API asks clients to do.
        return []

    def _learn_slot(self, text_data: str, data: dict[str, Any]) -> None:
        """A slot for the text of a text_delta that _delta has just turned into one TextDelta."""
        if data.get("type") != "content_block_delta":
            return
        delta = data["delta"]
        if delta.get("type") != "text_delta" or type(delta.get("text")) is not str or not delta["text"]:
            return
        self._slots_left -= 1
        self._slot = StringSlot.learn(text_data, data, ("delta", "text"))
        self._slot_block = data["index"]

    def _message_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        if self._started:
            return self.malformed("a second message_start")
        self._started = True
        message = data["message"]
        usage = message.get("usage")
        if usage:
            usage_from_anthropic(usage, self._usage)
            # message_start always carries usage; only a non-zero output count proves the upstream counts.
            self._usage_seen = bool(usage.get("input_tokens") or usage.get("output_tokens"))
        return [
            ResponseStarted(
                optional_text(message.get("id")),
                optional_text(message.get("model")),
                None,
                Usage(**vars_of(self._usage)) if usage else None,
            )
        ]

    def _block_start(self, data: dict[str, Any]) -> list[StreamEvent]:
        if not self._started or self._open is not None or data["index"] in self._blocks:
            return self.malformed("content_block_start out of order")
        block = data["content_block"]
        btype = text(block.get("type"))
        if btype == "text":
            part: dict[str, Any] = {"type": "text", "text": ""}
            out: list[StreamEvent] = []
            if block.get("text"):
                out.append(TextDelta(self._next, text(block["text"])))
            for citation in block.get("citations") or ():
                path = f"content[{data['index']}].citations"
                readable = citations.readable(citation, "anthropic", path, self.losses)
                if readable is not None:
                    out.append(CitationAdded(self._next, readable, "anthropic", path))
        elif btype == "thinking":
            part = {"type": "reasoning", "text": "", "summary": []}
            self._thinking = {
                "type": "thinking",
                "thinking": block.get("thinking") or "",
                "signature": block.get("signature") or "",
            }
            # A start value that is not a string gets no pieces: a delta then fails as the concatenation did.
            self._pieces = {k: [v] for k, v in self._thinking.items() if k != "type" and type(v) is str}
            out = []
        elif btype == "redacted_thinking":
            part = {"type": "reasoning", "text": "", "summary": [], "redacted": block.get("data", "")}
            self._thinking = dict(block)
            self._pieces = {}
            out = []
        elif btype == "tool_use":
            part = {
                "type": "tool_call",
                "id": text(block["id"]),
                "name": text(block["name"]),
                "kind": "function",
            }
            out = []
            if block.get("input"):
                out.append(ArgumentsDelta(self._next, orjson.dumps(block["input"]).decode()))
        else:
            part = {"type": "opaque", "format": "anthropic", "block": block}
            out = []
        part["path"] = f"content[{data['index']}]"
        index = self._next
        self._next += 1
        self._blocks[data["index"]] = (index, part["type"])
        self._open = data["index"]
        return [PartStarted(index, part), *out]

    def _delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        number = data["index"]
        block = self._blocks.get(number)
        delta = data["delta"]
        dtype = delta["type"]
        if block is not None and number == self._open:
            # Nearly every event: text for a text block, or arguments for a tool call, checked in one go.
            if dtype == "text_delta" and block[1] == "text":
                value = delta["text"]
                return [TextDelta(block[0], value if type(value) is str else text(value))]
            if dtype == "input_json_delta" and block[1] == "tool_call":
                fragment = delta["partial_json"]
                fragment = fragment if type(fragment) is str else text(fragment)
                return [ArgumentsDelta(block[0], fragment)] if fragment else []
        allowed = DELTA_PART_TYPES.get(dtype)
        if block is None or number != self._open:
            return self.malformed(f"{dtype} for a block that is not open")
        index, ptype = block
        if allowed is None:
            self.losses.dropped(f"content[{data['index']}].delta.{dtype}", "unknown delta type")
            return []
        if ptype not in allowed:
            return self.malformed(f"{dtype} sent to a {ptype} block")
        if dtype == "text_delta":
            return [TextDelta(index, text(delta["text"]))]
        if dtype == "input_json_delta":
            fragment = text(delta["partial_json"])
            return [ArgumentsDelta(index, fragment)] if fragment else []
        if dtype == "thinking_delta":
            thinking = delta["thinking"]
            thinking = thinking if type(thinking) is str else text(thinking)
            self._grow("thinking", thinking)
            return [ReasoningDelta(index, thinking)]
        if dtype == "signature_delta":
            signature = text(delta["signature"])
            self._grow("signature", signature)
            return [SignatureDelta(index, signature)]
        path = f"content[{data['index']}].citations"
        citation = citations.readable(delta["citation"], "anthropic", path, self.losses)
        return [] if citation is None else [CitationAdded(index, citation, "anthropic", path)]

    def _block_stop(self, data: dict[str, Any]) -> list[StreamEvent]:
        if data["index"] != self._open:
            return self.malformed("content_block_stop for a block that is not open")
        self._open = None
        index, ptype = self._blocks[data["index"]]
        if ptype == "reasoning":
            raw, self._thinking = self._thinking, None
            for key, pieces in self._pieces.items():
                raw[key] = "".join(pieces)
            self._pieces = {}
            return [PartStopped(index, raw, "anthropic")]
        return [PartStopped(index)]

    def _grow(self, key: str, piece: str) -> None:
        pieces = self._pieces.get(key)
        if pieces is not None:
            pieces.append(piece)
        else:
            # A redacted block (KeyError) or a start value that is not a string (TypeError): the error the
            # block's field itself gives, which makes the event malformed.
            self._thinking[key] += piece


def vars_of(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }
