"""Fold hub stream events into the hub ``Response`` a non-streaming call would have produced.

For callers that need the whole answer of a stream as data (a request log, a cache, tests that compare a
decoder with the spokes' non-streaming readers) without writing any client format.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.hub import Response, Usage

from .events import (
    ArgumentsDelta,
    CitationAdded,
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFailed,
    ResponseFinished,
    ResponseStarted,
    SignatureDelta,
    StreamEvent,
    TextDelta,
)


class HubAccumulator:
    __slots__ = ("response", "_arguments", "failed", "finished")

    def __init__(self, source: str) -> None:
        self.response = Response(source=source)
        # Argument fragments per part index, joined once when the part stops.
        self._arguments: dict[int, list[str]] = {}
        self.failed: ResponseFailed | None = None
        self.finished = False

    @property
    def parts(self) -> list[dict[str, Any]]:
        return self.response.content

    def add(self, event: StreamEvent) -> None:
        kind = type(event)
        if kind is TextDelta:
            part = self.parts[event.index]
            part["text"] = part.get("text", "") + event.text
        elif kind is ArgumentsDelta:
            self._arguments.setdefault(event.index, []).append(event.fragment)
        elif kind is ReasoningDelta:
            part = self.parts[event.index]
            if event.summary_index is None:
                part["text"] = part.get("text", "") + event.text
            else:
                summary = part.setdefault("summary", [])
                while len(summary) <= event.summary_index:
                    summary.append("")
                summary[event.summary_index] += event.text
        elif kind is PartStarted:
            part = dict(event.part)
            if part["type"] == "tool_call":
                part.setdefault("arguments", "")
            self.parts.append(part)
        elif kind is PartStopped:
            fragments = self._arguments.pop(event.index, None)
            part = self.parts[event.index]
            if fragments is not None:
                part["arguments"] = part.get("arguments", "") + "".join(fragments)
            if event.raw is not None:
                part["raw"] = event.raw
                part["origin"] = event.origin
        elif kind is SignatureDelta:
            part = self.parts[event.index]
            part[event.kind] = part.get(event.kind, "") + event.signature
        elif kind is CitationAdded:
            part = self.parts[event.index]
            part.setdefault("citations", []).append(event.citation)
            part["citations_format"] = event.format
        elif kind is ResponseStarted:
            self.response.id = event.id
            self.response.model = event.model
            self.response.created = event.created
            if event.usage is not None:
                self.response.usage = event.usage
        elif kind is ResponseFinished:
            self.response.stop_reason = event.stop_reason
            self.response.stop_sequence = event.stop_sequence
            self.response.usage = event.usage or self.response.usage or Usage()
            self.finished = True
        elif kind is ResponseFailed:
            self.failed = event
