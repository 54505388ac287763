"""Cut an upstream SSE byte stream into whole events, without decoding them.

The proxy forwards, inspects and interleaves keep-alives only at event boundaries, so a chunk that ends in the
middle of an event is held back until the rest arrives. Line endings are normalised to LF, which every SSE
parser accepts; the event text itself is untouched.
"""

from __future__ import annotations

from typing import Any

import orjson


class FrameSplitter:
    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """Complete events (each ending in a blank line) found so far."""
        # find, not `in`: see runtime/sse.py
        if chunk.find(b"\r") >= 0 or self._pending.endswith(b"\r"):
            data = (self._pending + chunk)
            if data.endswith(b"\r"):
                # A CR may be half of a CRLF split across reads: keep it for the next chunk.
                self._pending = data
                return []
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            data = self._pending + chunk
        if data.find(b"\n\n") < 0:
            self._pending = data
            return []
        parts = data.split(b"\n\n")
        self._pending = parts.pop()
        return [part + b"\n\n" for part in parts if part.strip(b"\n")]

    def finish(self) -> list[bytes]:
        """The last event of a stream that ended without a blank line, if that event is whole: its data a
        JSON value or [DONE] (some servers end their last event with a single newline). What a stream cut
        inside an event leaves is a fragment that no client may parse as an event (an SSE reader discards
        it), so it is not passed on: the stream then lacks its final event, and the client is told so."""
        rest, self._pending = self._pending.replace(b"\r\n", b"\n").strip(b"\n"), b""
        if not rest:
            return []
        _, data = frame_fields(rest)
        if data is None:
            return []
        if data.strip() != b"[DONE]":
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError:
                return []
        return [rest + b"\n\n"]


def frame_fields(frame: bytes) -> tuple[str | None, bytes | None]:
    """The event name and the joined data of one frame; (None, None) for a comment-only frame."""
    event = None
    data: list[bytes] = []
    for line in frame.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(b" ") else value)
        elif line.startswith(b"event:"):
            event = line[6:].strip().decode("utf-8", "replace")
    return event, (b"\n".join(data) if data else None)


def frame_object(frame: bytes) -> dict[str, Any] | None:
    """The JSON object an event frame carries; None for a comment, [DONE], or data that is not one."""
    _, data = frame_fields(frame)
    if not data:
        return None
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def first_event_problem(fmt: str, frame: bytes) -> str | None:
    """Why the first data event of an upstream stream means the attempt failed, or None if it is fine.

    Failing over is still possible at this point because nothing has reached the client yet.
    """
    event, data = frame_fields(frame)
    if data is None:
        return None
    if data.strip() == b"[DONE]":
        return "upstream stream ended before any event"
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        return f"upstream sent a malformed first event: {data[:200]!r}"
    if not isinstance(payload, dict):
        return "upstream sent a first event that is not a JSON object"
    kind = payload.get("type")
    if event == "error" or kind == "error" or (fmt == "chat" and payload.get("error")):
        error = payload.get("error")
        message = error.get("message") if isinstance(error, dict) else payload.get("message") or error
        return f"upstream stream started with an error: {message}"
    if fmt == "responses" and kind == "response.failed":
        return "upstream response failed before its first output"
    return None


# How an event stream's first line can begin (a field name and its colon, or a comment), after any blank lines.
_EVENT_STARTS = (b"data:", b"event:", b":", b"id:", b"retry:")


def looks_like_events(first: bytes) -> bool:
    """Whether a body's first bytes are an event stream's, whatever its content type said: some servers send
    their events as text/plain or application/json, and the SDKs read them regardless."""
    return first.lstrip(b"\xef\xbb\xbf").lstrip().startswith(_EVENT_STARTS)
