"""Stream translation: upstream SSE in one format -> client SSE in another, without I/O."""

from .events import (
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
    StreamEvent,
    TextDelta,
)
from .translator import StreamTranslator

__all__ = [
    "StreamTranslator",
    "StreamEvent",
    "ResponseStarted",
    "PartStarted",
    "TextDelta",
    "ReasoningDelta",
    "SignatureDelta",
    "ArgumentsDelta",
    "CitationAdded",
    "PartStopped",
    "ResponseFinished",
    "ResponseFailed",
    "KeepAlive",
]
