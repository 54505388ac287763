"""SSE framing shared by the renderers."""

from __future__ import annotations

import json
from typing import Any


def frame(data: Any, event: str | None = None) -> bytes:
    """One SSE event. Data is compact JSON (or a literal string such as `[DONE]`)."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def malformed(event: str | None = None) -> bytes:
    """An event whose data is not JSON: what a broken gateway or a truncated write looks like."""
    head = f"event: {event}\n" if event else ""
    return f'{head}data: {{"type": "oops\n\n'.encode()
