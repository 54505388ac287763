"""Stream the raw text of a bridged custom tool out of its JSON arguments as they arrive.

A Responses ``custom`` tool (Codex's ``apply_patch``) goes to a chat or Anthropic upstream as a function
with one string argument, so the upstream streams ``{"input": "*** Begin Patch\\n...`` in fragments. The
Responses client wants the decoded text as ``custom_tool_call_input.delta`` events. ``CustomInputStreamer``
decodes the string value incrementally; when the arguments take any other shape (another key first,
a non-string value) it gives up and the caller decodes the whole arguments at the end.
"""

from __future__ import annotations

import json
import re

# `{ "input" : "` with any JSON whitespace, anchored at the start of the arguments.
_OPENING = re.compile(r'\s*\{\s*"input"\s*:\s*"')
_WHITESPACE = " \t\r\n"
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")


class CustomInputStreamer:
    __slots__ = ("_pending", "_state")

    def __init__(self) -> None:
        # Arguments text not decoded yet: the opening while looking for it, then string content.
        self._pending = ""
        # "opening" -> "string" -> "closed"; "failed" when the shape is not {"input": "..."}.
        self._state = "opening"

    @property
    def found_string(self) -> bool:
        """Whether the arguments opened as ``{"input": "``, so the fed text is the input (so far)."""
        return self._state in ("string", "closed")

    def feed(self, fragment: str) -> str:
        """The decoded text that ``fragment`` completes (possibly empty)."""
        if self._state in ("closed", "failed"):
            return ""
        self._pending += fragment
        if self._state == "opening":
            match = _OPENING.match(self._pending)
            if match is None:
                if not _could_still_open(self._pending):
                    self._state = "failed"
                return ""
            self._pending = self._pending[match.end() :]
            self._state = "string"
        return self._decode_available()

    def _decode_available(self) -> str:
        text = self._pending
        end = _closing_quote(text)
        if end is not None:
            self._state = "closed"
            self._pending = ""
            return json.loads('"' + text[:end] + '"')
        # Keep back an unfinished escape (a lone backslash, or \uXXXX still missing digits).
        cut = _safe_cut(text)
        self._pending = text[cut:]
        return json.loads('"' + text[:cut] + '"') if cut else ""


def _could_still_open(text: str) -> bool:
    """Whether more fragments could still turn ``text`` into the opening ``{"input": "``."""
    stripped = text.lstrip(_WHITESPACE)
    if not stripped:
        return True
    target = '{"input":"'
    compact = "".join(ch for ch in stripped if ch not in _WHITESPACE)
    return target.startswith(compact)


def _closing_quote(text: str) -> int | None:
    i = 0
    while True:
        i = text.find('"', i)
        if i < 0:
            return None
        backslashes = 0
        j = i - 1
        while j >= 0 and text[j] == "\\":
            backslashes += 1
            j -= 1
        if backslashes % 2 == 0:
            return i
        i += 1


def _safe_cut(text: str) -> int:
    """Length of the longest prefix of ``text`` that ends on a complete character or escape."""
    backslash = text.rfind("\\")
    if backslash < 0:
        return len(text)
    # Count the run of backslashes ending at `backslash`: an even run is all complete `\\` escapes.
    run = 0
    j = backslash
    while j >= 0 and text[j] == "\\":
        run += 1
        j -= 1
    if run % 2 == 0:
        return len(text)
    tail = text[backslash:]
    if len(tail) == 1:
        return _before_high_surrogate(text, backslash)
    if tail[1] == "u":
        if len(tail) < 6:
            return _before_high_surrogate(text, backslash)
    return _before_high_surrogate(text, len(text))


def _before_high_surrogate(text: str, cut: int) -> int:
    """Move ``cut`` back before a trailing high-surrogate escape: it must decode with its low half."""
    if cut >= 6 and _HIGH_SURROGATE.fullmatch(text, cut - 6, cut):
        run = 0
        j = cut - 7
        while j >= 0 and text[j] == "\\":
            run += 1
            j -= 1
        if run % 2 == 0:
            return cut - 6
    return cut
