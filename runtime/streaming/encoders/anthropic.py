"""Hub stream events -> Anthropic Messages stream.

message_start, then per block content_block_start / deltas / content_block_stop with indices counted
from 0, then message_delta and message_stop. Never ``[DONE]``.
"""

from __future__ import annotations

from typing import Any

import orjson
from apiswitch.runtime.fieldmaps import ANTHROPIC_TO_STOP, STOP_TO_ANTHROPIC
from apiswitch.runtime.hub import Usage
from apiswitch.runtime.ids import response_id
from apiswitch.runtime.spokes import anthropic as anthropic_spoke
from apiswitch.runtime.spokes._common import report_stop

from ..events import (
    ArgumentsDelta,
    CitationAdded,
    KeepAlive,
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFailed,
    ResponseFinished,
    ResponseStarted,
    SignatureDelta,
    TextDelta,
)
from ..mapping import anthropic_stop
from .base import StreamEncoder, foreign_signature, json_string_body

PING = b'event: ping\ndata: {"type":"ping"}\n\n'
DELTA_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
# The start of each delta kind after the block index; the value and the closing braces follow.
TEXT_DELTA = b',"delta":{"type":"text_delta","text":'
CITATIONS_DELTA = b',"delta":{"type":"citations_delta","citation":'
INPUT_JSON_DELTA = b',"delta":{"type":"input_json_delta","partial_json":'
THINKING_DELTA = b',"delta":{"type":"thinking_delta","thinking":'
SIGNATURE_DELTA = b',"delta":{"type":"signature_delta","signature":'


def frame(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class AnthropicEncoder(StreamEncoder):
    target = "anthropic"

    def __init__(self, context, losses, source: str = "") -> None:
        super().__init__(context, losses, source)
        self._next = 0
        # The open block: its Anthropic index as bytes (ready to splice), its hub index and kind.
        self._index_bytes = b"0"
        # The open block's text, input_json and thinking delta frames up to their value, kept with _index_bytes:
        # nearly every frame is one of these, its value and the closing braces.
        self._text_head = DELTA_HEAD + b"0" + TEXT_DELTA
        self._json_head = DELTA_HEAD + b"0" + INPUT_JSON_DELTA
        self._thinking_head = DELTA_HEAD + b"0" + THINKING_DELTA
        self._open_hub: int | None = None
        self._open_kind: str | None = None
        self._summary_index: int | None = None
        self._custom_opened = False
        # The Responses message item of the previous part, when it was text: adjacent items become one run of
        # text blocks, which reads back as one item (reported, as the non-streaming writer does).
        self._previous_item: str | None = None

    def keepalive(self) -> bytes:
        return PING

    def _response_started(self, event: ResponseStarted, out: list[bytes]) -> None:
        usage = event.usage if event.usage is not None else Usage()
        if not usage.input_tokens and not usage.cache_read_tokens:
            # The upstream reports input tokens only at the end: give the client an estimate now.
            usage = Usage(input_tokens=self.context.input_token_estimate)
        message = {
            "id": response_id(event.id, "anthropic"),
            "type": "message",
            "role": "assistant",
            "model": self.client_model(event.model),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": anthropic_spoke.usage_from_hub(usage, self.emit),
        }
        out.append(frame("message_start", {"type": "message_start", "message": message}))

    def _part_started(self, event: PartStarted, out: list[bytes]) -> None:
        part = event.part
        ptype = part["type"]
        item_id = part.get("item_id") if ptype in ("text", "refusal") else None
        if item_id is not None and self._previous_item not in (None, item_id) and not self.same_format:
            # A message part's path is output[i].content[j]; the item is what joins.
            item_path = self.part_path(event.index, part).partition(".content")[0]
            self.losses.coerced(
                item_path, "anthropic answers have no message items; it joins the message before it"
            )
        self._previous_item = item_id
        if ptype in ("text", "refusal"):
            block: dict[str, Any] = {"type": "text", "text": ""}
            # A refusal stays "refusal" until its first text: one that ends empty still needs its text.
            kind = ptype
            if ptype == "refusal":
                self.losses.coerced(
                    self.part_path(event.index, part),
                    "anthropic has no refusal block; the refusal is given as text",
                )
        elif ptype == "reasoning":
            if part.get("redacted"):
                block = {"type": "redacted_thinking", "data": part["redacted"]}
                kind = "redacted"
            else:
                block = {"type": "thinking", "thinking": "", "signature": ""}
                kind = "thinking"
                self._summary_index = None
        elif ptype == "tool_call":
            name = self.context.client_tool_name(part["name"])
            block = {
                "type": "tool_use",
                "id": part["id"],
                "name": name,
                "input": {},
            }
            kind = "custom" if part.get("kind") == "custom" else "tool"
        elif ptype == "opaque" and part.get("format") == "anthropic":
            block = part["block"]
            kind = "opaque"
        else:
            self.losses.dropped(
                self.part_path(event.index, part),
                f"a {part.get('format')} {ptype} item has no Anthropic block",
            )
            return
        self._open_hub = event.index
        if kind == "text" and not self.same_format:
            # Opened with its first text: an empty text block is what the non-streaming writer leaves out,
            # and what Anthropic rejects when the client sends the turn back.
            self._open_kind = "unopened"
            return
        self._open_block(block, kind, out)

    def _open_block(self, block: dict[str, Any], kind: str, out: list[bytes]) -> None:
        self._open_kind = kind
        self._index_bytes = str(self._next).encode()
        self._text_head = DELTA_HEAD + self._index_bytes + TEXT_DELTA
        self._json_head = DELTA_HEAD + self._index_bytes + INPUT_JSON_DELTA
        self._thinking_head = DELTA_HEAD + self._index_bytes + THINKING_DELTA
        self._next += 1
        out.append(
            frame(
                "content_block_start",
                {"type": "content_block_start", "index": self._next - 1, "content_block": block},
            )
        )

    def _delta(self, kind: bytes, value: Any) -> bytes:
        """One content_block_delta frame of the open block: bytes spliced, only the value serialised."""
        return DELTA_HEAD + self._index_bytes + kind + orjson.dumps(value) + b"}}\n\n"

    def _text(self, event: TextDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._open_kind != "text":
            if self._open_kind == "unopened":
                if not event.text:
                    return
                self._open_block({"type": "text", "text": ""}, "text", out)
            elif self._open_kind == "refusal":
                self._open_kind = "text"
        # self._delta(TEXT_DELTA, ...) written out: the frame of nearly every text event.
        out.append(self._text_head + orjson.dumps(event.text) + b"}}\n\n")

    def _citation(self, event: CitationAdded, out: list[bytes]) -> None:
        if event.index != self._open_hub or self._open_kind not in ("text", "unopened"):
            return
        if event.format != "anthropic":
            # Anthropic citations point into documents or search results the client supplied or saw.
            self.losses.dropped(event.path, "anthropic citations need source locations")
            return
        if self._open_kind == "unopened":
            self._open_block({"type": "text", "text": ""}, "text", out)
        out.append(self._delta(CITATIONS_DELTA, event.citation))

    def _arguments(self, event: ArgumentsDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        fragment = event.fragment
        if self._open_kind == "custom":
            # A custom tool's raw text becomes the string argument `input`, opened on the first fragment.
            fragment = json_string_body(fragment).decode()
            if not self._custom_opened:
                self._custom_opened = True
                fragment = '{"input":"' + fragment
        # self._delta(INPUT_JSON_DELTA, ...) written out, as for text.
        out.append(self._json_head + orjson.dumps(fragment) + b"}}\n\n")

    def _reasoning(self, event: ReasoningDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub or self._open_kind != "thinking":
            return
        text = event.text
        if event.summary_index is not None:
            # Responses summaries are separate paragraphs; Anthropic has one thinking text.
            if self._summary_index is not None and event.summary_index != self._summary_index:
                text = "\n\n" + text
            self._summary_index = event.summary_index
        # self._delta(THINKING_DELTA, ...) written out, as for text.
        out.append(self._thinking_head + orjson.dumps(text) + b"}}\n\n")

    def _signature(self, event: SignatureDelta, out: list[bytes]) -> None:
        if event.index == self._open_hub and self._open_kind == "thinking" and event.kind == "signature":
            out.append(self._delta(SIGNATURE_DELTA, event.signature))

    def _part_stopped(self, event: PartStopped, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._open_kind == "unopened":
            self._open_hub = self._open_kind = None
            return
        if self._open_kind == "thinking" and event.raw is not None and event.origin != "anthropic":
            # Reasoning state of another format travels opaquely in the signature, restored on the next turn.
            signature = foreign_signature(event.raw, event.origin or "", "anthropic", "signature")
            out.append(self._delta(SIGNATURE_DELTA, signature))
        elif self._open_kind == "custom":
            closing = '"}' if self._custom_opened else '{"input":""}'
            out.append(self._delta(INPUT_JSON_DELTA, closing))
            self._custom_opened = False
        elif self._open_kind == "refusal":
            # Anthropic rejects an empty text block when the client sends the turn back; the non-streaming
            # writer gives an empty refusal the same placeholder.
            out.append(self._delta(TEXT_DELTA, "(refused)"))
        self._summary_index = None
        out.append(
            b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
            + self._index_bytes
            + b"}\n\n"
        )
        self._open_hub = self._open_kind = None

    def _response_finished(self, event: ResponseFinished, out: list[bytes]) -> None:
        usage = event.usage or Usage()
        written = anthropic_stop(event.stop_reason)
        if self.same_format and event.stop_reason and event.stop_reason not in STOP_TO_ANTHROPIC:
            written = event.stop_reason  # an Anthropic upstream's own stop reason, unknown to the tables
        report_stop(event.stop_reason, ANTHROPIC_TO_STOP.get(written, written), self.emit)
        delta = {"stop_reason": written, "stop_sequence": event.stop_sequence}
        out.append(
            frame(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": delta,
                    "usage": anthropic_spoke.usage_from_hub(usage, self.emit),
                },
            )
        )
        out.append(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')

    def _failed(self, event: ResponseFailed, out: list[bytes]) -> None:
        error = {"type": event.error_type or "api_error", "message": event.message}
        out.append(frame("error", {"type": "error", "error": error}))

    _HANDLERS = {
        TextDelta: _text,
        ArgumentsDelta: _arguments,
        CitationAdded: _citation,
        ReasoningDelta: _reasoning,
        SignatureDelta: _signature,
        PartStarted: _part_started,
        PartStopped: _part_stopped,
        ResponseStarted: _response_started,
        ResponseFinished: _response_finished,
        ResponseFailed: _failed,
        KeepAlive: StreamEncoder.keepalive_event,
    }
