"""Hub stream events -> OpenAI Responses stream.

response.created, response.in_progress, then per output item output_item.added, its content parts and
deltas, their ``*.done`` events and output_item.done (Codex builds its answer from these), and finally
response.completed / response.incomplete / response.failed carrying the whole response. Every event has
a ``sequence_number``; ``output_index`` and ``item_id`` stay consistent from added to done.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from apiswitch.runtime.fieldmaps import STOP_TO_RESPONSES
from apiswitch.runtime.hub import Usage, tool_call_input
from apiswitch.runtime.ids import derived_id, response_id
from apiswitch.runtime.spokes import responses as responses_spoke
from apiswitch.runtime.spokes._common import report_stop
from apiswitch.runtime.spokes.responses.content import responses_annotation
from apiswitch.runtime.tools import CUSTOM_INPUT_KEY

from ..custom_input import CustomInputStreamer
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
from .base import StreamEncoder, foreign_signature

# Constant pieces of the delta frames nearly every upstream event becomes: the event line, and what follows
# the delta up to the sequence number.
TEXT_DELTA_HEAD = b"event: response.output_text.delta\ndata: "
TEXT_DELTA_TAIL = b',"logprobs":[],"type":"response.output_text.delta","sequence_number":'
ARGUMENTS_DELTA_HEAD = b"event: response.function_call_arguments.delta\ndata: "
ARGUMENTS_DELTA_TAIL = b',"type":"response.function_call_arguments.delta","sequence_number":'
SUMMARY_DELTA_HEAD = b"event: response.reasoning_summary_text.delta\ndata: "
SUMMARY_DELTA_TAIL = b',"type":"response.reasoning_summary_text.delta","sequence_number":'


class ResponsesEncoder(StreamEncoder):
    target = "responses"

    def __init__(self, context, losses, source: str = "") -> None:
        super().__init__(context, losses, source)
        self._seq = 0
        self._upstream_id: str | None = None
        self._response: dict[str, Any] = {}
        self._output: list[dict[str, Any]] = []
        # The open output item and, inside a message, the open content part.
        self._item: dict[str, Any] | None = None
        self._item_kind: str | None = None
        self._part: dict[str, Any] | None = None
        self._open_hub: int | None = None
        self._text: list[str] = []
        # The open part's delta frame up to its delta (see _frame_head), None until its first delta; cleared
        # wherever an item opens or closes or a content or summary part is added.
        self._delta_head: bytes | None = None
        # Citations of the open text part that need its final length: (citation, format, path).
        self._pending_citations: list[tuple[dict[str, Any], str, str]] = []
        self._summary_index: int | None = None
        # The text of the open summary part and of the open raw reasoning part, joined when the part closes:
        # adding each delta to the part's text would copy the text so far every time, quadratic in a long
        # thinking.
        self._summary_text: list[str] = []
        self._reasoning_text: list[str] = []
        # A text part from another format, waiting for its first text: an empty one is left out, as the
        # non-streaming writer leaves it out.
        self._unopened: dict[str, Any] | None = None
        self._arguments: list[str] = []
        self._custom_from_function = False
        self._custom_streamer: CustomInputStreamer | None = None
        self._custom_streamed: list[str] = []

    def _emit(self, out: list[bytes], kind: str, payload: dict[str, Any]) -> None:
        payload["type"] = kind
        payload["sequence_number"] = self._seq
        self._seq += 1
        out.append(b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n")

    def _derived_id(self, prefix: str) -> str:
        # Stable per response and position, so the same upstream stream always gives the same client stream.
        # Seeded like the non-streaming translation (runtime/spokes/responses.py), so both give the same ids.
        return derived_id(prefix, f"{self._upstream_id}:{self._output_index}")

    @property
    def _output_index(self) -> int:
        return len(self._output)

    # --- response ---------------------------------------------------------------------------------------

    def _response_started(self, event: ResponseStarted, out: list[bytes]) -> None:
        self._upstream_id = event.id
        self._response = {
            "id": response_id(event.id, "responses"),
            "object": "response",
            "created_at": event.created or int(time.time()),
            "status": "in_progress",
            "model": self.client_model(event.model),
            "output": [],
            "error": None,
            "incomplete_details": None,
            "usage": None,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
        if self.same_format and event.extra:
            self._response.update(event.extra)
        self._emit(out, "response.created", {"response": dict(self._response)})
        self._emit(out, "response.in_progress", {"response": dict(self._response)})

    def _response_finished(self, event: ResponseFinished, out: list[bytes]) -> None:
        self._close_message(out)
        status, reason = STOP_TO_RESPONSES.get(event.stop_reason or "end_turn", ("completed", None))
        read_back = responses_spoke.read_back_stop(status, reason, self._output)
        report_stop(event.stop_reason, read_back, self.emit, event.stop_sequence)
        response = dict(
            self._response,
            output=self._output,
            usage=responses_spoke.usage_from_hub(event.usage or Usage(), self.emit),
        )
        if status == "incomplete":
            response["status"] = "incomplete"
            response["incomplete_details"] = {"reason": reason}
            self._emit(out, "response.incomplete", {"response": response})
        else:
            response["status"] = "completed"
            self._emit(out, "response.completed", {"response": response})

    def _failed(self, event: ResponseFailed, out: list[bytes]) -> None:
        if not self._response:
            self._response_started(ResponseStarted(None, None), out)
        response = dict(
            self._response,
            output=self._output,
            status="failed",
            error={"code": _error_code(event), "message": event.message},
        )
        self._emit(out, "response.failed", {"response": response})

    # --- items ------------------------------------------------------------------------------------------

    def _open_item(self, out: list[bytes], item: dict[str, Any], kind: str) -> None:
        self._delta_head = None
        self._item, self._item_kind = item, kind
        self._emit(
            out, "response.output_item.added", {"output_index": self._output_index, "item": dict(item)}
        )

    def _close_item(self, out: list[bytes], raw: dict[str, Any] | None = None) -> None:
        self._delta_head = None
        item = self._item
        if self.same_format and raw is not None:
            # A Responses upstream's own item status (an incomplete call cut by max_output_tokens) stays.
            if "status" in raw:
                item["status"] = raw["status"]
        elif item["type"] != "reasoning":
            item["status"] = "completed"
        self._emit(out, "response.output_item.done", {"output_index": self._output_index, "item": item})
        self._output.append(item)
        self._item = self._item_kind = None

    def _close_message(self, out: list[bytes]) -> None:
        if self._item_kind == "message":
            self._close_item(out)

    def _part_started(self, event: PartStarted, out: list[bytes]) -> None:
        part = event.part
        ptype = part["type"]
        if ptype == "text" and not self.same_format:
            self._unopened = part
        elif ptype in ("text", "refusal"):
            self._start_message_part(part, out)
        elif ptype == "reasoning":
            self._close_message(out)
            item = {"id": part.get("item_id") or self._derived_id("rs_"), "type": "reasoning", "summary": []}
            self._summary_index = None
            self._reasoning_text = []
            self._open_item(out, item, "reasoning")
        elif ptype == "tool_call":
            self._close_message(out)
            self._open_tool(part, out)
        elif ptype == "opaque" and part.get("format") == "responses":
            self._close_message(out)
            self._open_item(out, dict(part["block"]), "opaque")
        else:
            self.losses.dropped(
                self.part_path(event.index, part),
                f"a {part.get('format')} {ptype} block has no Responses item",
            )
            return
        self._open_hub = event.index

    def _start_message_part(self, part: dict[str, Any], out: list[bytes]) -> None:
        item_id = part.get("item_id")
        if self._item_kind == "message" and item_id and item_id != self._item["id"]:
            self._close_message(out)
        if self._item_kind != "message":
            item = {
                "id": item_id or self._derived_id("msg_"),
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            self._open_item(out, item, "message")
        if part["type"] == "text":
            self._part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        else:
            self._part = {"type": "refusal", "refusal": ""}
        self._text = []
        self._emit(out, "response.content_part.added", self._where(part=dict(self._part)))

    def _open_tool(self, part: dict[str, Any], out: list[bytes]) -> None:
        upstream_name = part["name"]
        name = self.context.client_tool_name(upstream_name)
        call_id = part["id"]
        namespace = part.get("namespace")
        if upstream_name in self.context.namespaced_tools:
            namespace, name = self.context.namespaced_tools[upstream_name]
        self._arguments = []
        self._custom_from_function = part.get("kind") != "custom" and name in self.context.custom_tools
        self._custom_streamer = CustomInputStreamer() if self._custom_from_function else None
        self._custom_streamed = []
        if part.get("kind") == "custom" or self._custom_from_function:
            item = {
                "id": part.get("item_id") or derived_id("ctc_", call_id),
                "type": "custom_tool_call",
                "status": "in_progress",
                "call_id": call_id,
                "name": name,
                "input": "",
            }
            kind = "custom"
        else:
            item = {
                "id": part.get("item_id") or derived_id("fc_", call_id),
                "type": "function_call",
                "status": "in_progress",
                "arguments": "",
                "call_id": call_id,
                "name": name,
            }
            kind = "function"
        if namespace:
            item["namespace"] = namespace
        self._open_item(out, item, kind)

    def _where(self, **extra: Any) -> dict[str, Any]:
        where = {
            "item_id": self._item["id"],
            "output_index": self._output_index,
            "content_index": len(self._item["content"]),
        }
        where.update(extra)
        return where

    def _text_delta(self, event: TextDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._part is None:
            if self._unopened is None or not event.text:
                return
            self._start_unopened(out)
        self._text.append(event.text)
        if self._part["type"] == "output_text":
            # The frame of nearly every text event: _emit(..., self._where(...)) spliced from bytes that stay
            # the same while the part is open.
            head = self._delta_head
            if head is None:
                item = self._item
                where = {"item_id": item["id"], "output_index": self._output_index, "content_index": len(item["content"])}
                head = self._delta_head = _frame_head(TEXT_DELTA_HEAD, where)
            out.append(b"%b%b%b%d}\n\n" % (head, orjson.dumps(event.text), TEXT_DELTA_TAIL, self._seq))
            self._seq += 1
        else:
            self._emit(out, "response.refusal.delta", self._where(delta=event.text))

    def _start_unopened(self, out: list[bytes]) -> None:
        part, self._unopened = self._unopened, None
        self._start_message_part(part, out)

    def _citation(self, event: CitationAdded, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        if self._part is None and self._unopened is not None:
            self._start_unopened(out)
        if self._part is None or self._part["type"] != "output_text":
            return
        if event.format == "responses":
            # A Responses annotation already has its place in the text: passed on where it came.
            self._add_annotation(event.citation, out)
        else:
            self._pending_citations.append((event.citation, event.format, event.path))

    def _add_annotation(self, annotation: dict[str, Any], out: list[bytes]) -> None:
        annotations = self._part["annotations"]
        annotations.append(annotation)
        self._emit(
            out,
            "response.output_text.annotation.added",
            self._where(annotation_index=len(annotations) - 1, annotation=annotation),
        )

    def _reasoning_delta(self, event: ReasoningDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub or self._item_kind != "reasoning":
            return
        item = self._item
        where = {"item_id": item["id"], "output_index": self._output_index}
        if event.summary_index is None and self.source == "responses":
            # Raw reasoning text from a Responses upstream stays raw reasoning text.
            content = item.setdefault("content", [])
            if not content:
                self._delta_head = None
                content.append({"type": "reasoning_text", "text": ""})
                self._emit(
                    out,
                    "response.content_part.added",
                    dict(where, content_index=0, part={"type": "reasoning_text", "text": ""}),
                )
            self._reasoning_text.append(event.text)
            self._emit(out, "response.reasoning_text.delta", dict(where, content_index=0, delta=event.text))
            return
        # Anthropic thinking and chat reasoning_content reach Responses clients as a reasoning summary.
        index = event.summary_index or 0
        if self._summary_index != index:
            if not event.text and not self.same_format:
                # No summary part for no text (thinking shown as omitted sends only its signature), as the
                # non-streaming writer gives such reasoning `summary: []`.
                return
            self._close_summary(out)
            self._summary_index = index
            self._delta_head = None
            self._summary_text = []
            item["summary"].append({"type": "summary_text", "text": ""})
            self._emit(
                out,
                "response.reasoning_summary_part.added",
                dict(
                    where, summary_index=len(item["summary"]) - 1, part={"type": "summary_text", "text": ""}
                ),
            )
        self._summary_text.append(event.text)
        # The frame _emit would write for dict(where, summary_index=..., delta=...), spliced as for text.
        head = self._delta_head
        if head is None:
            head = self._delta_head = _frame_head(SUMMARY_DELTA_HEAD, dict(where, summary_index=len(item["summary"]) - 1))
        out.append(b"%b%b%b%d}\n\n" % (head, orjson.dumps(event.text), SUMMARY_DELTA_TAIL, self._seq))
        self._seq += 1

    def _close_summary(self, out: list[bytes]) -> None:
        if self._summary_index is None:
            return
        item = self._item
        summary = item["summary"][-1]
        summary["text"] = "".join(self._summary_text)
        self._summary_text = []
        where = {
            "item_id": item["id"],
            "output_index": self._output_index,
            "summary_index": len(item["summary"]) - 1,
        }
        self._emit(out, "response.reasoning_summary_text.done", dict(where, text=summary["text"]))
        self._emit(out, "response.reasoning_summary_part.done", dict(where, part=dict(summary)))
        self._summary_index = None

    def _signature(self, event: SignatureDelta, out: list[bytes]) -> None:
        if (
            event.index == self._open_hub
            and self._item_kind == "reasoning"
            and event.kind == "encrypted_content"
        ):
            self._item["encrypted_content"] = self._item.get("encrypted_content", "") + event.signature

    def _arguments_delta(self, event: ArgumentsDelta, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        self._arguments.append(event.fragment)
        if self._custom_streamer is not None:
            # The upstream writes {"input": "..."} for a bridged custom tool: pass on the decoded text.
            text = self._custom_streamer.feed(event.fragment)
            if text:
                self._custom_streamed.append(text)
                where = {"item_id": self._item["id"], "output_index": self._output_index, "delta": text}
                self._emit(out, "response.custom_tool_call_input.delta", where)
            return
        if self._item_kind == "function":
            # The frame _emit would write, spliced as for text deltas.
            head = self._delta_head
            if head is None:
                where = {"item_id": self._item["id"], "output_index": self._output_index}
                head = self._delta_head = _frame_head(ARGUMENTS_DELTA_HEAD, where)
            out.append(b"%b%b%b%d}\n\n" % (head, orjson.dumps(event.fragment), ARGUMENTS_DELTA_TAIL, self._seq))
            self._seq += 1
        elif self._item_kind == "custom":
            where = {"item_id": self._item["id"], "output_index": self._output_index, "delta": event.fragment}
            self._emit(out, "response.custom_tool_call_input.delta", where)

    def _part_stopped(self, event: PartStopped, out: list[bytes]) -> None:
        if event.index != self._open_hub:
            return
        self._open_hub = None
        if self._unopened is not None:
            part, self._unopened = self._unopened, None
            self.losses.dropped(self.part_path(event.index, part),
                                "an empty text: a Responses answer has no empty output_text")
            return
        kind = self._item_kind
        if kind == "message":
            text = "".join(self._text)
            part = self._part
            if part["type"] == "output_text":
                part["text"] = text
                if self._pending_citations:
                    self._resolve_citations(len(text), out)
                self._emit(out, "response.output_text.done", self._where(text=text, logprobs=[]))
            else:
                part["refusal"] = text
                self._emit(out, "response.refusal.done", self._where(refusal=text))
            self._emit(out, "response.content_part.done", self._where(part=part))
            self._delta_head = None
            self._item["content"].append(part)
            self._part = None
        elif kind == "reasoning":
            self._close_reasoning(event, out)
        elif kind == "function":
            arguments = "".join(self._arguments) or "{}"
            if not self._arguments:
                # A call without arguments still streams its "{}", so deltas and done agree.
                self._emit(
                    out,
                    "response.function_call_arguments.delta",
                    {"item_id": self._item["id"], "output_index": self._output_index, "delta": arguments},
                )
            self._item["arguments"] = arguments
            self._emit(
                out,
                "response.function_call_arguments.done",
                {
                    "item_id": self._item["id"],
                    "output_index": self._output_index,
                    "name": self._item["name"],
                    "arguments": arguments,
                },
            )
            self._close_item(out, event.raw)
        elif kind == "custom":
            text = "".join(self._arguments)
            where = {"item_id": self._item["id"], "output_index": self._output_index}
            if self._custom_streamer is not None:
                if self._custom_streamer.found_string:
                    text = "".join(self._custom_streamed)
                else:
                    # Arguments of another shape: decoded whole, sent as one delta.
                    text = _custom_input(text)
                    if text:
                        self._emit(out, "response.custom_tool_call_input.delta", dict(where, delta=text))
            self._item["input"] = text
            self._emit(out, "response.custom_tool_call_input.done", dict(where, input=text))
            self._close_item(out, event.raw)
        else:
            self._close_item(out, event.raw)

    def _resolve_citations(self, text_length: int, out: list[bytes]) -> None:
        pending, self._pending_citations = self._pending_citations, []
        for citation, fmt, path in pending:
            annotation = responses_annotation(citation, fmt, text_length, path, self.losses)
            if annotation is not None:
                self._add_annotation(annotation, out)

    def _close_reasoning(self, event: PartStopped, out: list[bytes]) -> None:
        self._close_summary(out)
        item = self._item
        if item.get("content"):
            item["content"][0]["text"] = "".join(self._reasoning_text)
            self._reasoning_text = []
            where = {"item_id": item["id"], "output_index": self._output_index, "content_index": 0}
            self._emit(out, "response.reasoning_text.done", dict(where, text=item["content"][0]["text"]))
            self._emit(out, "response.content_part.done", dict(where, part=dict(item["content"][0])))
        if event.raw is not None and event.origin not in (None, "responses"):
            # Another format's reasoning state travels opaquely, restored when Codex sends the item back.
            item["encrypted_content"] = foreign_signature(
                event.raw, event.origin, "responses", "encrypted_content"
            )
        self._close_item(out, event.raw)

    _HANDLERS = {
        TextDelta: _text_delta,
        ArgumentsDelta: _arguments_delta,
        CitationAdded: _citation,
        ReasoningDelta: _reasoning_delta,
        SignatureDelta: _signature,
        PartStarted: _part_started,
        PartStopped: _part_stopped,
        ResponseStarted: _response_started,
        ResponseFinished: _response_finished,
        ResponseFailed: _failed,
        KeepAlive: StreamEncoder.keepalive_event,
    }


def _frame_head(event_line: bytes, where: dict[str, Any]) -> bytes:
    """A delta frame up to its delta: the event line and ``where``'s fields, the same for every delta of the
    open part, so that a delta frame is this, the delta, a tail and the sequence number."""
    return event_line + orjson.dumps(where)[:-1] + b',"delta":'


def _custom_input(arguments: str) -> str:
    """The raw text of a bridged custom tool call, decoded as the non-streaming translation does."""
    value = tool_call_input({"arguments": arguments}).get(CUSTOM_INPUT_KEY, "")
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _error_code(event: ResponseFailed) -> str:
    return (
        "server_error"
        if event.error_type in ("api_error", "overloaded_error")
        else (event.code or "server_error")
    )
