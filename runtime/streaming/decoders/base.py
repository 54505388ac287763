"""What every stream decoder shares: terminal-state bookkeeping and the error for a broken upstream."""

from __future__ import annotations

from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.sse import ServerSentEvent

from ..events import ResponseFailed, StreamEvent


def text(value: object) -> str:
    """A field that must be a string; anything else makes the event malformed (decoders catch TypeError).

    The per-delta paths write ``value if type(value) is str else text(value)``: the same check without a
    call for the string nearly every event has, and this function's error for anything else."""
    if type(value) is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def json_object(value: object) -> dict:
    """A field that must be a JSON object (decoders catch the TypeError as a malformed event)."""
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def optional_text(value: object) -> str | None:
    return None if value is None else text(value)


class StreamDecoder:
    """Turns one upstream's SSE events into hub stream events. One instance per stream."""

    source = ""

    def __init__(self, context: TranslationContext, losses: LossCollector, target: str) -> None:
        self.context = context
        self.losses = losses
        # The client's format: a few losses exist only when the answer leaves its own format.
        self.target = target
        # True once the upstream's terminal event (or an error) has been turned into hub events.
        self.closed = False

    def event(self, sse: ServerSentEvent) -> list[StreamEvent]:
        """The hub events of one upstream SSE event."""
        return self.read(sse.data, sse.event)

    def read(self, data: str, name: str | None) -> list[StreamEvent]:
        """event() for an event given as its data and its name (None without an ``event:`` line)."""
        raise NotImplementedError

    def finish(self) -> list[StreamEvent]:
        """The upstream's bytes ended. A stream that never reached its terminal event is an error."""
        if self.closed:
            return []
        return self.fail(
            "upstream_incomplete", f"the {self.source} upstream ended the stream before its terminal event"
        )

    def fail(self, code: str, message: str, error_type: str = "api_error") -> list[StreamEvent]:
        self.closed = True
        return [ResponseFailed(error_type, message, code)]

    def malformed(self, detail: str) -> list[StreamEvent]:
        return self.fail("upstream_malformed", f"malformed {self.source} stream event: {detail}")
