"""What every stream encoder shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apiswitch.runtime import reasoning
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.spokes._common import Emit

from ..events import StreamEvent


class StreamEncoder:
    """Writes hub stream events as one client format's SSE bytes. One instance per stream."""

    target = ""

    def __init__(self, context: TranslationContext, losses: LossCollector, source: str = "") -> None:
        self.context = context
        self.losses = losses
        self.source = source
        # The spokes' writers take an Emit; usage is written by them so streams and bodies agree.
        self.emit = Emit(
            source=source, target=self.target, losses=losses, context=context, direction="response"
        )

    @property
    def same_format(self) -> bool:
        return self.source == self.target

    # Event type -> the method that writes it, one table per subclass. Not bound methods held by each instance:
    # those would make every encoder a reference cycle, left for the cyclic collector instead of freed when
    # its stream ends.
    _HANDLERS: dict[type, Callable[[Any, Any, list[bytes]], None]] = {}

    def encode(self, event: StreamEvent, out: list[bytes]) -> None:
        """Append the frames for ``event`` to ``out``."""
        self._HANDLERS[type(event)](self, event, out)

    def keepalive_event(self, event: StreamEvent, out: list[bytes]) -> None:
        out.append(self.keepalive())

    def keepalive(self) -> bytes:
        """Frames that keep an idle client connection open without changing the answer."""
        return b": keep-alive\n\n"

    def part_path(self, index: int, part: dict | None = None) -> str:
        """Where a hub part came from in the upstream's answer, for loss reports: the ``path`` its decoder
        gave it, else a best effort from its index (chat parts are fields of one message)."""
        if part is not None and "path" in part:
            return part["path"]
        if self.source == "chat":
            return "choices[0].message"
        return f"{'content' if self.source == 'anthropic' else 'output'}[{index}]"

    def client_model(self, upstream_model: str | None) -> str:
        return self.context.client_model or upstream_model or "unknown"


def foreign_signature(raw: dict, origin: str, target: str, field: str) -> str:
    """The opaque reasoning state a ``target`` client gets for reasoning that came from ``origin``:
    the target's own original value when the block is one of our envelopes coming home, else an envelope
    around the upstream's block (``runtime/reasoning.py``), as the non-streaming translation does."""
    state = reasoning.opaque_state_of({"raw": raw, "origin": origin})
    if state is not None and state[0] == target and isinstance(state[1].get(field), str):
        return state[1][field]
    return reasoning.wrap(origin, raw)


def json_string_body(text: str) -> bytes:
    """``text`` escaped as the inside of a JSON string, to stream raw text into a JSON value piecewise."""
    import orjson

    return orjson.dumps(text)[1:-1]
