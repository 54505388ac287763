"""A sans-I/O Server-Sent Events codec.

``SSEDecoder`` is fed arbitrary byte chunks (a read may end anywhere: inside a line, inside a CRLF pair,
inside a multi-byte UTF-8 character) and returns the events completed so far. ``encode_event`` writes the
canonical frame. Nothing here touches a socket; the proxy and the stream translators drive it.

The decoder follows the WHATWG event-stream rules with two deliberate differences that upstream LLM
providers need: a final event that is not followed by a blank line is still delivered by ``finish()``
(several providers close the connection right after the last ``data:`` line), and ``data`` stays a ``str``
that callers usually hand straight to ``orjson.loads``.

Byte searches on the per-chunk paths here and in the proxy use ``find`` rather than ``in``: on Python 3.11
``needle in haystack`` for bytes first tries the needle as an integer and builds and discards a TypeError,
which makes it about twice as slow as ``find``.
"""

from __future__ import annotations

__all__ = ["ServerSentEvent", "SSEDecoder", "encode_event", "encode_comment", "DONE"]

# The sentinel the OpenAI chat stream sends last.
DONE = "[DONE]"


class ServerSentEvent:
    """One dispatched event. ``event`` is None when the stream had no ``event:`` line for it."""

    __slots__ = ("event", "data", "id", "retry")

    def __init__(self, data: str, event: str | None = None, id: str | None = None, retry: int | None = None):
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def __repr__(self) -> str:
        return f"ServerSentEvent(event={self.event!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )


# An event's data, event name, id and retry: the arguments of ServerSentEvent, in its order.
Fields = tuple[str, str | None, str | None, int | None]


class SSEDecoder:
    """Incremental event-stream parser. One instance per stream."""

    __slots__ = ("_parts", "_last_byte", "_cr_held", "last_event_id")

    def __init__(self) -> None:
        # Bytes after the last complete event, line endings already normalised to LF, kept as a list of
        # reads so that a large event arriving in many small reads costs linear, not quadratic, time.
        self._parts: list[bytes] = []
        self._last_byte = b""
        # A trailing CR may be the first half of a CRLF split across reads; decide when more bytes come.
        self._cr_held = False
        self.last_event_id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return [ServerSentEvent(*fields) for fields in self.feed_fields(chunk)]

    def finish(self) -> list[ServerSentEvent]:
        """End of stream: deliver a last event that lacked its terminating blank line."""
        return [ServerSentEvent(*fields) for fields in self.finish_fields()]

    def feed_fields(self, chunk: bytes) -> list[Fields]:
        """feed() as each event's fields instead of an object: for the stream translators, whose decoders
        read the data and the name and would only build the object to take them out again."""
        if not self._parts and not self._cr_held and type(chunk) is bytes:
            # Nearly every read: whole events and nothing held from the last one. Ending in a blank line, the
            # read is decoded whole but that line, as below, and its CR check done on the str.
            # (removesuffix hands back the chunk itself when it does not end so; a bytearray's would copy.)
            events = chunk.removesuffix(b"\n\n")
            if events is not chunk:
                text = events.decode("utf-8", "replace")
                if "\r" not in text:
                    return self._events(text)
        if self._cr_held:
            chunk = b"\r" + chunk
            self._cr_held = False
        if chunk.find(b"\r") >= 0:
            if chunk.endswith(b"\r"):
                chunk = chunk[:-1]
                self._cr_held = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if not chunk:
            return []
        # Only the new bytes, and the one byte before them, can complete an event.
        if chunk.find(b"\n\n") < 0 and not (self._last_byte == b"\n" and chunk[0] == 10):
            self._parts.append(chunk)
            self._last_byte = chunk[-1:]
            return []
        if self._parts:
            self._parts.append(chunk)
            buf = b"".join(self._parts)
        else:
            buf = chunk
        end = buf.rfind(b"\n\n")
        rest = buf[end + 2 :]
        self._parts = [rest] if rest else []
        self._last_byte = rest[-1:]
        # Decoded once for all its events: LF never belongs to a multi-byte character, so this gives each
        # line exactly what decoding it alone would (invalid bytes replaced the same way), for less work.
        return self._events(buf[:end].decode("utf-8", "replace"))

    def finish_fields(self) -> list[Fields]:
        block = b"".join(self._parts)
        self._parts = []
        self._last_byte = b""
        self._cr_held = False
        if not block.strip(b"\n"):
            return []
        return self._events(block.strip(b"\n").decode("utf-8", "replace"))

    def _events(self, text: str) -> list[Fields]:
        """The events of complete, decoded blocks separated by blank lines."""
        events = []
        # Usually one event: no list of one block to split off. A text without any newline, a chat chunk,
        # is told by the cheaper search for one character.
        one_block = "\n" not in text or "\n\n" not in text
        for block in (text,) if one_block else text.split("\n\n"):
            # The overwhelmingly common shapes `data: {...}` and `event: x\ndata: {...}` without a call each.
            # removeprefix checks and cuts in one go: it hands back the block itself when the prefix is not there.
            data = block.removeprefix("data: ")
            if data is not block:
                if "\n" not in data:
                    events.append((data, None, None, None))
                    continue
            else:
                head, sep, data = block.partition("\ndata: ")
                name = head.removeprefix("event: ")
                if sep and name is not head and "\n" not in name and "\n" not in data:
                    events.append((data, name, None, None))
                    continue
            if block:
                event = self._parse_general(block)
                if event is not None:
                    events.append(event)
        return events

    def _parse_general(self, block: str) -> Fields | None:
        data: list[str] = []
        event: str | None = None
        retry: int | None = None
        seen_id = False
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, colon, value = line.partition(":")
            if colon and value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value or None
            elif name == "id":
                if "\0" not in value:
                    self.last_event_id = value
                    seen_id = True
            elif name == "retry":
                if value.isdigit():
                    retry = int(value)
            # Unknown field names are ignored, as the spec says.
        if not data:
            # The spec dispatches nothing without data; an event-only block is not an event.
            return None
        return "\n".join(data), event, self.last_event_id if seen_id else None, retry


def encode_event(data: bytes | str, event: str | None = None) -> bytes:
    """One canonical frame: optional ``event:`` line, one ``data:`` line per data line, blank line."""
    if isinstance(data, str):
        data = data.encode()
    if data.find(b"\n") >= 0 or data.find(b"\r") >= 0:
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        body = b"".join(b"data: " + line + b"\n" for line in lines)
    else:
        body = b"data: " + data + b"\n"
    if event is not None:
        return b"event: " + event.encode() + b"\n" + body + b"\n"
    return body + b"\n"


def encode_comment(text: str = "") -> bytes:
    """A comment frame: ignored by every SSE parser, used as a keep-alive."""
    return b": " + text.encode() + b"\n\n" if text else b":\n\n"
