"""A small SSE reader for tests: frames from a byte stream, kept close to the wire (event name, raw data)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(chunks: Iterable[bytes]) -> list[Event]:
    """Parses a whole SSE byte stream (any chunking). Comment lines (keep-alives) are skipped."""
    buffer = b"".join(chunks).replace(b"\r\n", b"\n")
    events = []
    for block in buffer.split(b"\n\n"):
        name, data = None, []
        for line in block.decode().split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append(Event(name, "\n".join(data)))
    return events
