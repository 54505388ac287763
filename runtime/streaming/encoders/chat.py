"""Hub stream events -> OpenAI Chat Completions stream.

``chat.completion.chunk`` objects without ``event:`` lines: the role on the first delta, each tool call
opened once with its index, id and name and then fed argument fragments, a ``finish_reason`` chunk, a usage
chunk when the client asked for one, then ``[DONE]``. Reasoning goes out as ``reasoning_content``, the
field DeepSeek-style clients read. URL citations go out as the message's ``annotations``, all in one delta
before the finish chunk: ``ChoiceDelta`` has no such field, but OpenAI's search models stream them this way
and the SDK accumulator puts them on the final message.
"""

from __future__ import annotations

import time

import orjson
from apiswitch.runtime.fieldmaps import CHAT_TO_STOP, STOP_TO_CHAT
from apiswitch.runtime.hub import Usage
from apiswitch.runtime.ids import response_id
from apiswitch.runtime.spokes import chat as chat_spoke
from apiswitch.runtime.spokes._common import report_stop
from apiswitch.runtime.spokes.chat import provider_state
from apiswitch.runtime.spokes.chat.content import REASONING_KEYS
from apiswitch.runtime.spokes.chat.response import chat_annotations

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
from ..mapping import chat_stop
from .base import StreamEncoder, json_string_body

DONE_FRAME = b"data: [DONE]\n\n"
JOINED_TEXT = "joined with the text before it into one string"
JOINED_REFUSAL = "joined with the refusal before it into one string"
REFUSAL_ORDER = "a chat answer holds its text and its refusal apart; the text comes back ahead of the refusal"
CHOICE_TAIL = b',"logprobs":null,"finish_reason":null}]}\n\n'
CONTENT_TAIL = b"}" + CHOICE_TAIL
ARGUMENTS_TAIL = b"}}]}" + CHOICE_TAIL


class ChatEncoder(StreamEncoder):
    target = "chat"

    def __init__(self, context, losses, source: str = "") -> None:
        super().__init__(context, losses, source)
        # Every chunk starts with the same bytes; built once when the response starts.
        self._head = b""
        # _head with the content key: a text delta is this, its text and CONTENT_TAIL (two copies, not four).
        self._content_head = b'{"content":'
        self._reasoning_head = b'{"reasoning_content":'
        self._chunk_fields: dict = {}
        self._open_hub: int | None = None
        self._open_kind: str | None = None
        self._tool_count = 0
        self._extras_sent: set[str] = set()  # calls whose provider fields went out with their header
        # The open tool call's argument delta up to the fragment, _head included.
        self._tool_head = b""
        self._custom_opened = False
        self._arguments_sent = False
        # Chat has one reasoning string: reasoning parts and summary parts are joined with a blank line, as
        # the non-streaming writer joins them. Whether some was written, whether the open part still owes
        # the separator, and the summary part last written to.
        self._reasoning_written = False
        self._reasoning_gap = False
        self._summary_index: int | None = None
        # What a chat message cannot keep apart, reported as the non-streaming writer reports it: the open
        # part's path and text length, how many texts came before, and where the first refusal came from.
        self._open_path = ""
        self._text_length = 0
        self._content_length = 0
        self._texts = 0
        self._refusal_path: str | None = None
        # The Responses message items whose text or refusals this answer holds: all go into one message.
        self._items: set[str] = set()
        # Citations of the open text part, and the message's annotations, sent in one delta at the end:
        # the SDK accumulator cannot merge annotation lists from several chunks.
        self._citations: list[CitationAdded] = []
        self._annotations: list[dict] = []

    def _delta(self, delta: bytes) -> bytes:
        return self._head + delta + CHOICE_TAIL

    def _response_started(self, event: ResponseStarted, out: list[bytes]) -> None:
        self._chunk_fields = {
            "id": response_id(event.id, "chat"),
            "object": "chat.completion.chunk",
            "created": event.created or int(time.time()),
            "model": self.client_model(event.model),
        }
        if self.same_format and event.extra:
            self._chunk_fields.update(event.extra)
        self._head = b"data: " + orjson.dumps(self._chunk_fields)[:-1] + b',"choices":[{"index":0,"delta":'
        self._content_head = self._head + b'{"content":'
        self._reasoning_head = self._head + b'{"reasoning_content":'
        # Whether text or only tool calls follow is not known yet, so the first delta carries just the role.
        out.append(self._delta(b'{"role":"assistant"}'))

    def _part_started(self, event: PartStarted, out: list[bytes]) -> None:
        part = event.part
        ptype = part["type"]
        path = self.part_path(event.index, part)
        item_id = part.get("item_id") if ptype in ("text", "refusal") else None
        if item_id is not None and item_id not in self._items:
            if self._items and not self.same_format:
                # A message part's path is output[i].content[j]; the item is what joins.
                self.losses.coerced(path.partition(".content")[0],
                                    "a chat answer is one message; it joins the first message item")
            self._items.add(item_id)
        if ptype == "tool_call":
            name = self.context.client_tool_name(part["name"])
            call = {
                "index": self._tool_count,
                "id": part["id"],
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            early = part.get(provider_state.CALL_EXTRAS)
            if early:
                call.update(early)
                self._extras_sent.add(part["id"])
            self._tool_head = (
                self._head
                + b'{"tool_calls":[{"index":'
                + str(self._tool_count).encode()
                + b',"function":{"arguments":'
            )
            self._tool_count += 1
            self._arguments_sent = False
            out.append(self._delta(b'{"tool_calls":[' + orjson.dumps(call) + b"]}"))
            ptype = "custom" if part.get("kind") == "custom" else "tool"
        elif ptype == "refusal":
            if self._refusal_path is None:
                self._refusal_path = path
            elif not self.same_format:
                self.losses.coerced(path, JOINED_REFUSAL)
        elif ptype == "reasoning":
            self._reasoning_gap = self._reasoning_written
            self._summary_index = None
            if part.get("key") in REASONING_KEYS:  # a chat upstream's own field for it, kept as it came
                self._reasoning_head = self._head + b'{"' + part["key"].encode() + b'":'

        elif ptype != "text":
            self.losses.dropped(path, f"a {part.get('format')} {ptype} item has no chat equivalent")
            return
        self._open_hub = event.index
        self._open_kind = ptype
        self._open_path = path
        self._text_length = 0

    def _text(self, event: TextDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._open_kind == "text":
            self._text_length += len(event.text)
            out.append(self._content_head + orjson.dumps(event.text) + CONTENT_TAIL)
        else:
            out.append(self._head + b'{"refusal":' + orjson.dumps(event.text) + b"}" + CHOICE_TAIL)

    def _citation(self, event: CitationAdded, out: list[bytes]) -> None:
        if event.index == self._open_hub and self._open_kind == "text":
            self._citations.append(event)

    def _reasoning(self, event: ReasoningDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        text = event.text
        if text:
            summary = event.summary_index
            if self._reasoning_gap or (
                summary is not None and self._summary_index is not None and summary != self._summary_index
            ):
                text = "\n\n" + text
            self._reasoning_gap = False
            self._reasoning_written = True
            self._summary_index = summary
        out.append(self._reasoning_head + orjson.dumps(text) + CONTENT_TAIL)

    def _arguments(self, event: ArgumentsDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        fragment = event.fragment
        self._arguments_sent = True
        if self._open_kind == "custom":
            fragment = json_string_body(fragment).decode()
            if not self._custom_opened:
                self._custom_opened = True
                fragment = '{"input":"' + fragment
        out.append(self._tool_head + orjson.dumps(fragment) + ARGUMENTS_TAIL)

    def _part_stopped(self, event: PartStopped, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._open_kind == "text":
            self._text_stopped()
        elif self._open_kind == "reasoning" and event.origin not in (None, "chat"):
            self.losses.dropped(
                self._open_path,
                f"chat has no place for {event.origin} reasoning state; only its text is carried",
            )
        elif self._open_kind == "reasoning" and isinstance(event.raw, dict):
            state = provider_state.state_of({"raw": event.raw, "origin": event.origin})
            if state is not None:
                self._provider_state(state, out)
        if self._open_kind == "custom":
            closing = '"}' if self._custom_opened else '{"input":""}'
            out.append(self._tool_head + orjson.dumps(closing) + ARGUMENTS_TAIL)
            self._custom_opened = False
        elif self._open_kind == "tool" and not self._arguments_sent:
            # A call without arguments is "{}", never "".
            out.append(self._tool_head + b'"{}"' + ARGUMENTS_TAIL)
        self._open_hub = self._open_kind = None

    def _provider_state(self, state: dict, out: list[bytes]) -> None:
        """A chat provider's own state, merged whole by the decoder: its reasoning details in one delta, and
        the extra fields of the calls they belong to in another."""
        details = state.get(provider_state.DETAILS)
        if details:
            out.append(self._delta(b'{"reasoning_details":' + orjson.dumps(details) + b"}"))
        extras = state.get(provider_state.CALL_EXTRAS) or {}
        for call_id in extras:
            if call_id not in self._extras_sent:
                # A chat stream cannot go back to a call once the next has begun (SDKs merge by the open one).
                self.losses.dropped(self._open_path, f"the provider's fields of tool call {call_id!r} came after "
                                                     "its stream had moved on")

    def _text_stopped(self) -> None:
        path = self._open_path
        # A chat upstream's parts are the fields the client gets back: joined and ordered as they came.
        lossy = not self.same_format
        if self._text_length:
            if self._texts and lossy:
                self.losses.coerced(path, JOINED_TEXT)
            self._texts += 1
        if self._refusal_path is not None and lossy:
            self.losses.coerced(self._refusal_path, REFUSAL_ORDER)
            self.losses.coerced(path, REFUSAL_ORDER)
        if self._citations:
            first = self._citations[0]
            citations = [c.citation for c in self._citations]
            self._annotations += chat_annotations(
                citations, first.format, self._text_length, self._content_length, first.path, self.losses
            )
            self._citations = []
        self._content_length += self._text_length

    def _response_finished(self, event: ResponseFinished, out: list[bytes]) -> None:
        if self._annotations:
            out.append(self._delta(b'{"annotations":' + orjson.dumps(self._annotations) + b"}"))
        finish = chat_stop(event.stop_reason)
        if self.same_format and event.stop_reason and event.stop_reason not in STOP_TO_CHAT:
            finish = event.stop_reason  # a chat upstream's own finish_reason, unknown to the tables
        report_stop(event.stop_reason, CHAT_TO_STOP.get(finish, finish), self.emit, event.stop_sequence)
        reason = orjson.dumps(finish)
        out.append(self._head + b'{},"logprobs":null,"finish_reason":' + reason + b"}]}\n\n")
        if self.context.client_wants_stream_usage:
            chunk = dict(
                self._chunk_fields,
                choices=[],
                usage=chat_spoke.usage_from_hub(event.usage or Usage(), self.emit),
            )
            out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
        out.append(DONE_FRAME)

    def _failed(self, event: ResponseFailed, out: list[bytes]) -> None:
        error = {"message": event.message, "type": event.error_type, "code": event.code}
        out.append(b"data: " + orjson.dumps({"error": error}) + b"\n\n")
        out.append(DONE_FRAME)

    def _ignore(self, event: SignatureDelta, out: list[bytes]) -> None:
        # Chat has no field for opaque reasoning state.
        return None

    _HANDLERS = {
        TextDelta: _text,
        ArgumentsDelta: _arguments,
        CitationAdded: _citation,
        ReasoningDelta: _reasoning,
        SignatureDelta: _ignore,
        PartStarted: _part_started,
        PartStopped: _part_stopped,
        ResponseStarted: _response_started,
        ResponseFinished: _response_finished,
        ResponseFailed: _failed,
        KeepAlive: StreamEncoder.keepalive_event,
    }
