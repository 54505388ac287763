"""StreamTranslator: upstream SSE bytes in one format -> client SSE bytes in another, sans I/O.

    translator = StreamTranslator("chat", "anthropic", context=translation.context)
    for chunk in upstream: client.write(translator.feed(chunk))
    client.write(translator.finish())          # or translator.fail(exc) when the upstream broke

SSE decoder -> the source's stream decoder (hub events) -> the target's stream encoder. Between the two
sit the few rules that need the whole stream: a stop reason that agrees with the content, and usage that
is never silently zero.
"""

from __future__ import annotations

from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.hub import USAGE_ESTIMATED, counts_nothing, estimated_usage
from apiswitch.runtime.ids import valid_tool_id
from apiswitch.runtime.losses import Loss, LossCollector
from apiswitch.runtime.spokes._common import STOP_PATHS, own_stop, report_stop
from apiswitch.runtime.sse import SSEDecoder

from .decoders import DECODERS
from .encoders import ENCODERS
from .events import (
    ArgumentsDelta,
    PartStarted,
    ReasoningDelta,
    ResponseFailed,
    ResponseFinished,
    StreamEvent,
    TextDelta,
)

# Where each upstream format says why an answer stopped, for loss reports about it.


class StreamTranslator:
    __slots__ = (
        "source",
        "target",
        "context",
        "_losses",
        "_sse",
        "_decoder",
        "_encoder",
        "_closed",
        "_chars",
        "_tool_calls",
        "_tool_ids",
        "failure",
    )

    def __init__(self, source: str, target: str, context: TranslationContext | None = None) -> None:
        if source not in DECODERS or target not in ENCODERS:
            raise ValueError(f"unknown stream direction {source!r} -> {target!r}")
        self.source = source
        self.target = target
        self.context = context if context is not None else TranslationContext(source=target, target=source)
        self._losses = LossCollector()
        self._sse = SSEDecoder()
        self._decoder = DECODERS[source](self.context, self._losses, target)
        self._encoder = ENCODERS[target](self.context, self._losses, source)
        self._closed = False
        self._chars = 0
        self._tool_calls = 0
        self._tool_ids: set[str] = set()
        # The message of the error the client stream ended with, if it ended in one (for a log to record).
        self.failure: str | None = None

    @property
    def losses(self) -> list[Loss]:
        return self._losses.losses

    @property
    def closed(self) -> bool:
        """True once the client stream has its terminal event; later input is ignored."""
        return self._closed

    def feed(self, data: bytes) -> bytes:
        if self._closed:
            return b""
        out: list[bytes] = []
        decoder = self._decoder
        emit = self._emit
        try:
            # Events as their fields, not ServerSentEvent objects: nothing but the decoder reads them.
            for sse_data, name, _, _ in self._sse.feed_fields(data):
                for event in decoder.read(sse_data, name):
                    emit(event, out)
                if self._closed:
                    break
        except Exception as exc:  # noqa: BLE001 - whatever the upstream sent, the client gets a clean end
            self._internal_error(exc, out)
        return b"".join(out)

    def finish(self) -> bytes:
        """The upstream's bytes ended. A stream cut before its terminal event ends in the client's error."""
        if self._closed:
            return b""
        out: list[bytes] = []
        try:
            for sse_data, name, _, _ in self._sse.finish_fields():
                for event in self._decoder.read(sse_data, name):
                    self._emit(event, out)
            if not self._closed:
                for event in self._decoder.finish():
                    self._emit(event, out)
        except Exception as exc:  # noqa: BLE001 - see feed()
            self._internal_error(exc, out)
        return b"".join(out)

    def fail(self, error: BaseException | str) -> bytes:
        """The upstream connection broke (or the proxy gave up): end the client stream with its own error."""
        if self._closed:
            return b""
        message = str(error) or type(error).__name__
        out: list[bytes] = []
        self._emit(ResponseFailed("api_error", f"upstream stream failed: {message}", "upstream_error"), out)
        return b"".join(out)

    def _internal_error(self, exc: Exception, out: list[bytes]) -> None:
        """An event this translator could not handle: end the client stream with its own error event
        rather than an exception halfway through a frame (frames already in ``out`` are complete)."""
        self._losses.dropped("", f"stream translation stopped: {type(exc).__name__}: {exc}")
        if not self._closed:
            self._closed = True
            error = ResponseFailed(
                "api_error", f"apiswitch could not translate the upstream stream: {exc}", "translation_error"
            )
            self.failure = error.message
            try:
                self._encoder.encode(error, out)
            except Exception:  # noqa: BLE001 - the encoder itself is broken; the stream just ends
                pass

    def keepalive(self) -> bytes:
        """A frame to send during long upstream silences (Anthropic ``ping``, an SSE comment otherwise)."""
        return b"" if self._closed else self._encoder.keepalive()

    def _emit(self, event: StreamEvent, out: list[bytes]) -> None:
        kind = type(event)
        # Text and argument deltas, nearly every event, go straight to their writer in the encoder's table.
        if kind is TextDelta:
            self._chars += len(event.text)
            encoder = self._encoder
            encoder._HANDLERS[kind](encoder, event, out)
            return
        if kind is ArgumentsDelta:
            self._chars += len(event.fragment)
            encoder = self._encoder
            encoder._HANDLERS[kind](encoder, event, out)
            return
        if kind is ReasoningDelta:
            self._chars += len(event.text)
        elif kind is PartStarted:
            if event.part["type"] == "tool_call":
                self._tool_calls += 1
                if self.source != self.target:
                    # Ids of the shape every format accepts, unique in the answer, as translate_response does.
                    event.part["id"] = valid_tool_id(event.part["id"], self._tool_ids)
                    self._tool_ids.add(event.part["id"])
        elif kind is ResponseFinished:
            event = self._settle(event)
        elif kind is ResponseFailed:
            self.failure = event.message
        self._encoder.encode(event, out)
        if kind is ResponseFinished or kind is ResponseFailed:
            # Closed only once the terminal frames are written: if writing them fails, the error path
            # still owes the client its terminal event.
            self._closed = True

    def _settle(self, event: ResponseFinished) -> ResponseFinished:
        stop, own = own_stop(event.stop_reason, self.source == self.target)
        # `tool_use` only with a tool call, and a tool call always reported as `tool_use`.
        if stop == "tool_use" and not self._tool_calls:
            self._losses.coerced(STOP_PATHS[self.source], "tool_use without a tool call; end_turn used")
            stop = "end_turn"
        elif stop in (None, "end_turn", "stop_sequence") and self._tool_calls:
            stop = "tool_use"
        if own is not None:
            report_stop(own, stop or "end_turn", self._encoder.emit)
        usage = event.usage
        if counts_nothing(usage):
            usage = estimated_usage(self.context.input_token_estimate, self._chars)
            self._losses.synthesized("usage", USAGE_ESTIMATED)
        return ResponseFinished(stop or "end_turn", event.stop_sequence, usage)
