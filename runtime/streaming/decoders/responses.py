"""OpenAI Responses stream -> hub stream events.

Output items map to hub parts one to one, except messages: each content part of a message is a hub
``text`` or ``refusal`` part carrying the message's ``item_id``.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..events import (
    ArgumentsDelta,
    CitationAdded,
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFinished,
    ResponseStarted,
    SignatureDelta,
    StreamEvent,
    TextDelta,
)
from ..mapping import stop_from_responses_incomplete, usage_from_responses
from . import citations
from .base import StreamDecoder, optional_text, text

# Response fields the stream rebuilds itself; the others go back unchanged to a Responses client.
OWN_KEYS = frozenset(
    {"id", "object", "created_at", "status", "model", "output", "usage", "error", "incomplete_details"}
)
TOOL_ITEMS = {"function_call": "function", "custom_tool_call": "custom"}


class ResponsesDecoder(StreamDecoder):
    source = "responses"

    def __init__(self, context, losses, target) -> None:
        super().__init__(context, losses, target)
        self._started = False
        self._next = 0
        # output_index -> item type, and the hub index of its open part (tool calls and reasoning).
        self._items: dict[int, dict[str, Any]] = {}
        # (output_index, content_index) -> hub index, for message content parts.
        self._contents: dict[tuple[int, int], int] = {}
        self._open: int | None = None
        self._saw_tool_call = False
        self._saw_refusal = False
        # Annotations the open output_text part has announced, to add those only its done part lists, and
        # whether any of its text was streamed, to take the text from the done part when none was.
        self._annotations = 0
        self._streamed = False

    def read(self, text_data: str, name: str | None) -> list[StreamEvent]:
        if self.closed:
            return []
        try:
            data = orjson.loads(text_data)
            kind = data.get("type") or name
        except (orjson.JSONDecodeError, AttributeError):
            return self.malformed("not a JSON object")
        handler = HANDLERS.get(kind)
        if handler is None:
            return []
        try:
            return handler(self, data)
        except (KeyError, TypeError, AttributeError) as exc:
            return self.malformed(f"{kind} without {exc}")

    def _new_part(self, part: dict[str, Any]) -> PartStarted:
        index = self._next
        self._next += 1
        self._open = index
        return PartStarted(index, part)

    def _created(self, data):
        if self._started:
            return []
        self._started = True
        response = data["response"]
        extra = {k: v for k, v in response.items() if k not in OWN_KEYS}
        return [
            ResponseStarted(
                optional_text(response.get("id")),
                optional_text(response.get("model")),
                response.get("created_at"),
                None,
                extra,
            )
        ]

    def _item_added(self, data):
        if not self._started or self._open is not None:
            return self.malformed("output_item.added before response.created or with an item open")
        item = data["item"]
        itype = item["type"]
        state: dict[str, Any] = {"type": itype, "id": item.get("id")}
        self._items[data["output_index"]] = state
        if itype == "message":
            return []
        if itype == "reasoning":
            state["index"] = self._next
            part = {"type": "reasoning", "text": "", "summary": [], "item_id": item.get("id")}
            part["path"] = f"output[{data['output_index']}]"
            return [self._new_part(part)]
        if itype in TOOL_ITEMS:
            self._saw_tool_call = True
            state["index"] = self._next
            part = {
                "type": "tool_call",
                "id": text(item["call_id"]),
                "name": text(item["name"]),
                "kind": TOOL_ITEMS[itype],
                "item_id": item.get("id"),
                "path": f"output[{data['output_index']}]",
            }
            if item.get("namespace"):
                part["namespace"] = item["namespace"]
            out: list[StreamEvent] = [self._new_part(part)]
            initial = optional_text(item.get("arguments") if itype == "function_call" else item.get("input"))
            state["streamed"] = bool(initial)
            if initial:
                out.append(ArgumentsDelta(state["index"], initial))
            return out
        # Hosted tool calls and new item types: only Responses clients understand them; kept whole at done.
        return []

    def _content_added(self, data):
        item = self._items.get(data["output_index"])
        if item is not None and item["type"] == "reasoning" and item.get("index") == self._open:
            # The reasoning_text part of a reasoning item: its deltas feed the open reasoning part.
            return []
        if item is None or item["type"] != "message" or self._open is not None:
            return self.malformed("content_part.added outside an open message")
        ptype = data["part"]["type"]
        if ptype not in ("output_text", "refusal"):
            self._contents[(data["output_index"], data["content_index"])] = -1
            return []
        kind = "text" if ptype == "output_text" else "refusal"
        if kind == "refusal":
            self._saw_refusal = True
        key = (data["output_index"], data["content_index"])
        self._contents[key] = self._next
        self._annotations = 0
        self._streamed = False
        path = f"output[{key[0]}].content[{key[1]}]"
        return [self._new_part({"type": kind, "text": "", "item_id": item["id"], "path": path})]

    def _text_delta(self, data):
        index = self._contents.get((data["output_index"], data["content_index"]))
        if index is None or index != self._open:
            return self.malformed("text delta for a content part that is not open")
        delta = data["delta"]
        if not delta:
            return []
        self._streamed = True
        return [TextDelta(index, delta if type(delta) is str else text(delta))]

    def _annotation(self, data):
        index = self._contents.get((data["output_index"], data["content_index"]))
        if index is None or index != self._open:
            return self.malformed("annotation for a content part that is not open")
        self._annotations += 1
        annotation = citations.readable(data.get("annotation"), "responses", _citations_path(data), self.losses)
        if annotation is None:
            return []
        return [CitationAdded(index, annotation, "responses", _citations_path(data))]

    def _content_done(self, data):
        item = self._items.get(data["output_index"])
        if item is not None and item["type"] == "reasoning":
            return []
        index = self._contents.get((data["output_index"], data["content_index"]))
        if index is None:
            return self.malformed("content_part.done for an unknown part")
        if index < 0:
            return []
        self._open = None
        out: list[StreamEvent] = []
        part = data.get("part") or {}
        full = part.get("refusal") if part.get("type") == "refusal" else part.get("text")
        if full and not self._streamed:
            # Upstreams that send a part's text (a refusal, say) only when it is done: never lose it.
            out.append(TextDelta(index, text(full)))
        # Upstreams that list annotations only in the finished part never announced them: add them now.
        annotations = part.get("annotations") or ()
        for annotation in annotations[self._annotations :]:
            citation = citations.readable(annotation, "responses", _citations_path(data), self.losses)
            if citation is not None:
                out.append(CitationAdded(index, citation, "responses", _citations_path(data)))
        out.append(PartStopped(index))
        return out

    def _reasoning_delta(self, data, summary: bool):
        item = self._items.get(data["output_index"])
        if item is None or item["type"] != "reasoning" or item["index"] != self._open:
            return self.malformed("reasoning delta outside an open reasoning item")
        delta = data["delta"]
        if not delta:
            return []
        return [
            ReasoningDelta(
                item["index"],
                delta if type(delta) is str else text(delta),
                data.get("summary_index", 0) if summary else None,
            )
        ]

    def _arguments_delta(self, data):
        item = self._items.get(data["output_index"])
        if item is None or item["type"] not in TOOL_ITEMS or item["index"] != self._open:
            return self.malformed("arguments delta outside an open tool call")
        item["streamed"] = True
        delta = data["delta"]
        return [ArgumentsDelta(item["index"], delta if type(delta) is str else text(delta))] if delta else []

    def _item_done(self, data):
        item = self._items.get(data["output_index"])
        if item is None:
            return self.malformed("output_item.done for an item never added")
        done = data["item"]
        itype = item["type"]
        if itype == "reasoning":
            self._open = None
            out: list[StreamEvent] = []
            if done.get("encrypted_content"):
                encrypted = text(done["encrypted_content"])
                out.append(SignatureDelta(item["index"], encrypted, "encrypted_content"))
            out.append(PartStopped(item["index"], done, "responses"))
            return out
        if itype in TOOL_ITEMS:
            self._open = None
            out = []
            if not item.get("streamed"):
                # Upstreams that send the arguments only in the done item.
                full = optional_text(done.get("arguments") if itype == "function_call" else done.get("input"))
                if full:
                    out.append(ArgumentsDelta(item["index"], full))
            out.append(PartStopped(item["index"], done, "responses"))
            return out
        if itype == "message":
            return []
        index = self._next
        self._next += 1
        path = f"output[{data['output_index']}]"
        return [
            PartStarted(index, {"type": "opaque", "format": "responses", "block": done, "path": path}),
            PartStopped(index),
        ]

    def _completed(self, data):
        response = data["response"]
        status = response.get("status") or data["type"].removeprefix("response.")
        if status == "incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            stop = stop_from_responses_incomplete(reason)
        elif self._saw_tool_call:
            stop = "tool_use"
        elif self._saw_refusal:
            stop = "refusal"
        else:
            stop = "end_turn"
        if self._open is not None or not self._started:
            return self.malformed("response ended before response.created or with an item still open")
        usage = usage_from_responses(response["usage"]) if response.get("usage") else None
        self.closed = True
        return [ResponseFinished(stop, None, usage)]

    def _failed(self, data):
        response = data.get("response") or {}
        error = response.get("error") or data.get("error") or data
        return self.fail(str(error.get("code") or "upstream_error"), error.get("message") or "upstream error")


def _citations_path(data: dict[str, Any]) -> str:
    return f"output[{data['output_index']}].content[{data['content_index']}].citations"


HANDLERS = {
    "response.created": ResponsesDecoder._created,
    "response.output_item.added": ResponsesDecoder._item_added,
    "response.content_part.added": ResponsesDecoder._content_added,
    "response.output_text.delta": ResponsesDecoder._text_delta,
    "response.refusal.delta": ResponsesDecoder._text_delta,
    "response.output_text.annotation.added": ResponsesDecoder._annotation,
    "response.content_part.done": ResponsesDecoder._content_done,
    "response.reasoning_summary_text.delta": lambda self, d: self._reasoning_delta(d, True),
    "response.reasoning_text.delta": lambda self, d: self._reasoning_delta(d, False),
    "response.function_call_arguments.delta": ResponsesDecoder._arguments_delta,
    "response.custom_tool_call_input.delta": ResponsesDecoder._arguments_delta,
    "response.output_item.done": ResponsesDecoder._item_done,
    "response.completed": ResponsesDecoder._completed,
    "response.incomplete": ResponsesDecoder._completed,
    "response.failed": ResponsesDecoder._failed,
    "error": ResponsesDecoder._failed,
}
