"""Reading a stream chunk that repeats the previous one's bytes around one new string.

Most chat chunks are the same JSON text except for the few characters of their delta: the same id, model,
created time and choice wrapping around a new ``"content"`` string. ``orjson.loads`` of a whole chunk is
the biggest single cost of a streamed event; a ``StringSlot`` learnt from one parsed chunk recognises the
next ones by their unchanged head and tail bytes and parses only the string between them.

Why the result is exactly what parsing the whole chunk gives: the slot is learnt only after a probe, the
learnt chunk with a sentinel string in place of the value, parsed to the learnt object with the sentinel
at the value's place and nothing else changed. Any string literal in that place then parses the same way
(a string token between the same bytes), and ``read`` takes a chunk only when its middle is exactly one
string literal (``orjson.loads`` of the middle gives a ``str``). Anything else is left to the full parse.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# A JSON string literal, escapes included.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# No upstream sends this as a chunk's text; it marks the value's place in the probe.
_SENTINEL = "\x00apiswitch-slot\x00"
_SENTINEL_JSON = orjson.dumps(_SENTINEL).decode()


class StringSlot:
    """The bytes before and after one string value of a parsed chunk, and that chunk's object, which each
    read hands back with the new string in place (callers must keep no part of it between reads)."""

    __slots__ = ("head", "tail", "parsed", "_holder", "_key")

    def __init__(self, head: str, tail: str, parsed: dict[str, Any], holder: dict[str, Any], key: str) -> None:
        self.head = head
        self.tail = tail
        self.parsed = parsed
        self._holder = holder
        self._key = key

    @classmethod
    def learn(cls, data: str, parsed: dict[str, Any], path: tuple[Any, ...]) -> StringSlot | None:
        """The slot of the string at ``path`` in ``parsed`` (``orjson.loads(data)``), or None when its place
        in ``data`` cannot be told for certain."""
        holder = _at(parsed, path[:-1])
        key = path[-1]
        value = holder[key]
        for start, end in _places(data, value):
            head, tail = data[:start], data[end:]
            if not tail:
                continue
            try:
                if orjson.loads(data[start:end]) != value:
                    continue
                probe = orjson.loads(head + _SENTINEL_JSON + tail)
                probe_holder = _at(probe, path[:-1])
                if type(probe_holder) is not dict or probe_holder.get(key) != _SENTINEL:
                    continue
            except (orjson.JSONDecodeError, LookupError, TypeError):
                continue
            probe_holder[key] = value
            if probe == parsed:
                return cls(head, tail, parsed, holder, key)
        return None

    def read(self, data: str) -> str | None:
        """The new string of a chunk shaped like the learnt one (also put into ``parsed``), or None."""
        # removeprefix and removesuffix hand back their string itself when it lacks the head or the tail.
        rest = data.removeprefix(self.head)
        middle = rest.removesuffix(self.tail)
        if rest is data or middle is rest:
            return None
        try:
            value = orjson.loads(middle)
        except orjson.JSONDecodeError:
            return None
        if type(value) is not str:
            return None
        self._holder[self._key] = value
        return value


def _places(data: str, value: str):
    """Where the literal of ``value`` may be in ``data``: first where orjson would write it, as most
    upstreams do (found without a scan of every string in the chunk), then every string from the end."""
    literal = orjson.dumps(value).decode()
    at = data.rfind(literal)
    if at >= 0:
        yield at, at + len(literal)
    for match in reversed(list(_STRING.finditer(data))):
        yield match.span()


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value
