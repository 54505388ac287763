"""Hub stream events: what every stream decoder produces and every stream encoder consumes.

The hub stream is *sequential*: at most one part is open at a time, and part indices count up from 0 in
the order parts start. Decoders of upstreams that interleave (a chat chunk carrying reasoning, text and
tool calls at once) split and order the pieces; encoders can then write any target's protocol without
reordering. Part payloads use the hub content shapes of ``runtime/hub.py`` (``text``, ``reasoning``,
``tool_call``, ``refusal``, ``opaque``). A part may carry ``path``, where it sits in the upstream's answer,
for loss reports that name the same place the non-streaming translation names.

Plain classes with ``__slots__``: one is built per upstream delta, so they must be cheap.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.hub import Usage


class StreamEvent:
    __slots__ = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)


class ResponseStarted(StreamEvent):
    """The upstream opened its answer. ``usage`` holds whatever it already knows (often input tokens)."""

    __slots__ = ("id", "model", "created", "usage", "extra")

    def __init__(
        self,
        id: str | None,
        model: str | None,
        created: int | None = None,
        usage: Usage | None = None,
        extra: dict[str, Any] | None = None,
    ):
        self.id = id
        self.model = model
        self.created = created
        self.usage = usage
        # Top-level fields of the upstream's response that only the same format can carry back.
        self.extra = extra


class PartStarted(StreamEvent):
    """A content part begins. ``part`` carries the fields known up front (a tool call's id and name,
    a reasoning item's id); text fields start empty and grow through deltas."""

    __slots__ = ("index", "part")

    def __init__(self, index: int, part: dict[str, Any]):
        self.index = index
        self.part = part


class TextDelta(StreamEvent):
    """More text for a ``text`` or ``refusal`` part."""

    __slots__ = ("index", "text")

    def __init__(self, index: int, text: str):
        self.index = index
        self.text = text


class ReasoningDelta(StreamEvent):
    """More reasoning for a ``reasoning`` part. ``summary_index`` is None for the reasoning text itself
    (Anthropic thinking, chat ``reasoning_content``, Responses ``reasoning_text``) and the summary
    number for a Responses reasoning summary."""

    __slots__ = ("index", "text", "summary_index")

    def __init__(self, index: int, text: str, summary_index: int | None = None):
        self.index = index
        self.text = text
        self.summary_index = summary_index


class SignatureDelta(StreamEvent):
    """Opaque proof of a ``reasoning`` part: an Anthropic signature or Responses encrypted content.
    ``kind`` says which, so the same format gets it back verbatim."""

    __slots__ = ("index", "signature", "kind")

    def __init__(self, index: int, signature: str, kind: str = "signature"):
        self.index = index
        self.signature = signature
        self.kind = kind  # "signature" | "encrypted_content"


class CitationAdded(StreamEvent):
    """A citation of the open ``text`` part, in its upstream's own shape: ``format`` is ``anthropic`` (a
    ``citations_delta`` citation), ``responses`` (an ``output_text`` annotation) or ``url`` (the
    ``url_citation`` object of a chat annotation), as the hub's ``citations_format`` says for whole answers.
    ``path`` names the citations of the part in the upstream's answer, for loss reports."""

    __slots__ = ("index", "citation", "format", "path")

    def __init__(self, index: int, citation: dict[str, Any], format: str, path: str):
        self.index = index
        self.citation = citation
        self.format = format
        self.path = path


class ArgumentsDelta(StreamEvent):
    """A fragment of a tool call's arguments (JSON text, or raw text for a custom tool)."""

    __slots__ = ("index", "fragment")

    def __init__(self, index: int, fragment: str):
        self.index = index
        self.fragment = fragment


class PartStopped(StreamEvent):
    """A part is complete. For reasoning, ``raw`` is the upstream's own block (Anthropic thinking block,
    Responses reasoning item) and ``origin`` its format: another format can only carry it opaquely."""

    __slots__ = ("index", "raw", "origin")

    def __init__(self, index: int, raw: dict[str, Any] | None = None, origin: str | None = None):
        self.index = index
        self.raw = raw
        self.origin = origin


class ResponseFinished(StreamEvent):
    """The upstream's terminal event. ``usage`` is None when the upstream never reported any."""

    __slots__ = ("stop_reason", "stop_sequence", "usage")

    def __init__(self, stop_reason: str | None, stop_sequence: str | None = None, usage: Usage | None = None):
        self.stop_reason = stop_reason
        self.stop_sequence = stop_sequence
        self.usage = usage


class ResponseFailed(StreamEvent):
    """An upstream error event, a malformed event, or an upstream that ended without its terminal event.
    ``error_type`` uses Anthropic's vocabulary (``api_error``, ``overloaded_error``...)."""

    __slots__ = ("error_type", "message", "code")

    def __init__(self, error_type: str, message: str, code: str | None = None):
        self.error_type = error_type
        self.message = message
        self.code = code


class KeepAlive(StreamEvent):
    """The upstream is alive but has nothing to say (an Anthropic ``ping``)."""

    __slots__ = ()
