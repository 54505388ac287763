"""What every stream encoder shares."""

from __future__ import annotations

from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.losses import LossCollector

from ..events import StreamEvent


class StreamEncoder:
    """Writes hub stream events as one client format's SSE bytes. One instance per stream."""

    target = ""

    def __init__(self, context: TranslationContext, losses: LossCollector) -> None:
        self.context = context
        self.losses = losses

    def encode(self, event: StreamEvent, out: list[bytes]) -> None:
        """Append the frames for ``event`` to ``out``."""
        raise NotImplementedError

    def keepalive(self) -> bytes:
        """Frames that keep an idle client connection open without changing the answer."""
        return b": keep-alive\n\n"

    def client_model(self, upstream_model: str | None) -> str:
        return self.context.client_model or upstream_model or "unknown"


def json_string_body(text: str) -> bytes:
    """``text`` escaped as the inside of a JSON string, to stream raw text into a JSON value piecewise."""
    import orjson

    return orjson.dumps(text)[1:-1]
