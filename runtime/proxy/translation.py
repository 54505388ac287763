"""The proxy's side of the translators: same-format passthrough, or the runtime's translators.

Passthrough keeps the client's body and the upstream's events as they are, except for the model name:
responses always report the model the client asked for.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from apiswitch.runtime.errors import parse_error
from apiswitch.runtime.hub import CHARS_PER_TOKEN, USAGE_ESTIMATED, Usage, answer_chars, estimated_usage
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.proxy.errors import ProxyError, stream_error_event
from apiswitch.runtime.proxy.frames import frame_fields, frame_object
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.translate import SPOKES, translate_request, translate_response


class Prepared:
    """A request ready for one upstream, and what the way back needs."""

    __slots__ = ("body", "losses", "context")

    def __init__(self, body: dict[str, Any], losses: list[dict[str, str]], context: Any) -> None:
        self.body = body
        self.losses = losses
        self.context = context


def _losses(items: Any) -> list[dict[str, str]]:
    return [loss.to_dict() if hasattr(loss, "to_dict") else dict(loss) for loss in items or ()]


def prepare_request(body: dict[str, Any], client_format: str, upstream_format: str,
                    options: dict[str, Any] | None = None) -> Prepared:
    if client_format == upstream_format:
        return Prepared(dict(body), [], None)
    try:
        result = translate_request(body, client_format, upstream_format, options=options)
    except ValueError as exc:  # the translators' TranslationError is a ValueError carrying the field path
        raise ProxyError(400, str(exc), param=getattr(exc, "param", None)) from None
    return Prepared(dict(result.body), _losses(result.losses), result.context)


def convert_response(body: dict[str, Any], prepared: Prepared, client_format: str, upstream_format: str,
                     client_model: str, input_bytes: int = 0) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """`input_bytes`: the request's size, for the usage of an answer its provider sent none with."""
    if client_format == upstream_format:
        if "model" in body:
            body["model"] = client_model
        if body.get("usage") is None:
            # Kept as the provider sent it but for this: a client reading usage must find some (the Anthropic
            # SDK's Message requires it), as a passthrough stream's chat client finds its usage chunk.
            body["usage"] = estimated_usage_body(body, client_format, input_bytes)
            return body, [USAGE_ESTIMATE_LOSS]
        return body, []
    result = translate_response(body, upstream_format, client_format, context=prepared.context)
    out = dict(result.body)
    if "model" in out:
        out["model"] = client_model
    return out, _losses(result.losses)


USAGE_ESTIMATE_LOSS = {"path": "usage", "action": "synthesized", "reason": USAGE_ESTIMATED}


def estimated_usage_body(answer: dict[str, Any], fmt: str, input_bytes: int) -> dict[str, Any]:
    """The usage of an answer its provider counted nothing for, in `fmt`'s shape: the request's size in, what
    the model wrote out, counted as the translators count it (hub.answer_chars)."""
    try:
        chars = answer_chars(SPOKES[fmt].response_to_hub(answer, LossCollector()))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        chars = 0  # an answer its format's reader cannot read still goes back as it came: none of it counted
    return usage_body(fmt, estimated_usage(input_bytes // CHARS_PER_TOKEN, chars))


def usage_body(fmt: str, usage: Usage) -> dict[str, Any]:
    """Input and output counts as `fmt`'s usage object."""
    total = usage.input_tokens + usage.output_tokens
    if fmt == "anthropic":
        return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if fmt == "chat":
        return {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens, "total_tokens": total}
    return {"input_tokens": usage.input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": total}


# The event that ends a complete stream, per format. A stream that stops without it was cut off, and the
# client must hear so: the SDKs quietly accept a truncated stream as if it were a short answer.
_TERMINAL = {
    "anthropic": re.compile(rb'"type"\s*:\s*"message_stop"|^event: ?message_stop', re.M),
    "chat": re.compile(rb'^data: ?\[DONE\]', re.M),
    "responses": re.compile(rb'"type"\s*:\s*"response\.(?:completed|failed|incomplete)"'
                            rb'|^event: ?response\.(?:completed|failed|incomplete)', re.M),
}
# Bytes every terminal event contains: the other events, nearly all of a stream, skip the regular expression.
_TERMINAL_HINTS = {
    "anthropic": (b"message_stop",),
    "chat": (b"[DONE]",),
    "responses": (b"response.completed", b"response.failed", b"response.incomplete"),
}
# Every chat chunk has a finish_reason; only the last one's is a string. One search over a batch of events
# (the pattern starts with a literal, which the regex engine scans for quickly).
_STRING_FINISH_REASON = re.compile(rb'"finish_reason"\s*:\s*"')


def _on_line_of(hint: bytes, pattern: re.Pattern[bytes], batch: bytes) -> re.Match[bytes] | None:
    """`pattern` searched from the start of the line where `hint` first occurs, if it does: a pattern
    anchored at line starts has no literal to scan for, and would otherwise try every byte of a batch."""
    at = batch.find(hint)  # find, not `in`: see runtime/sse.py
    if at < 0:
        return None
    return pattern.search(batch, batch.rfind(b"\n", 0, at) + 1)


def _ends_stream(fmt: str, frame: bytes) -> bool:
    if fmt == "chat" and _STRING_FINISH_REASON.search(frame) is not None:
        return True
    for hint in _TERMINAL_HINTS[fmt]:
        if frame.find(hint) >= 0:
            return _on_line_of(hint, _TERMINAL[fmt], frame) is not None
    return False


# The upstream's own in-band error ends its stream as surely as a terminal event does: the client has it, and
# must not get the proxy's "ended before its final event" after it. (A Responses upstream's `error` event is
# followed by the proxy's response.failed, the event a Responses client ends a failed stream with.)
_UPSTREAM_ERROR = {
    "anthropic": (b"error\n", re.compile(rb"^event: ?error[ \t]*\n", re.M)),
    "chat": (b'"error"', re.compile(rb'^data: ?\{\s*"error"\s*:', re.M)),
    "responses": (b"error\n", re.compile(rb"^event: ?error[ \t]*\n", re.M)),
}


def _upstream_error(fmt: str, batch: bytes) -> str | None:
    """The message of an in-band error event of the upstream's in `batch`, or None if there is none."""
    match = _on_line_of(*_UPSTREAM_ERROR[fmt], batch)
    if match is None:
        return None
    end = batch.find(b"\n\n", match.start())
    payload = frame_object(batch[match.start():end if end >= 0 else len(batch)])
    # Read as the format's error bodies are (a Responses error event carries its message at the top).
    message = parse_error(0, payload, fmt).message if payload else "no message"
    return f"upstream stream error: {message}"


_DONE = b"data: [DONE]\n\n"
_DONE_FRAME = re.compile(rb"^data: ?\[DONE\][ \t]*\n\n", re.M)
_ITEM_DONE = b'"response.output_item.done"'
_USAGE_OBJECT = re.compile(rb'"usage"\s*:\s*\{')
_MODEL = re.compile(rb'"model"\s*:\s*"(?:[^"\\]|\\.)*"')


class PassthroughStream:
    """Forwards upstream frames unchanged except for the model name, which becomes the client's."""

    def __init__(self, client_format: str, client_model: str, wants_usage: bool = False,
                 input_tokens: int = 0) -> None:
        self.client_format = client_format
        self.complete = False
        # Chat only: a client that asked for usage (stream_options.include_usage) gets a usage chunk before
        # [DONE]; if the provider sends none (it was not asked: the no_stream_usage quirk; or ignores the
        # option), an estimated one, reported as a loss. `input_tokens` is the request's estimate.
        self.owed_usage = client_format == "chat" and wants_usage
        self.input_tokens = input_tokens
        self.events = 0  # chat events so far, while a usage may be owed: about a token each
        # The stream's first frames, read only if an event of the proxy's own must repeat their ids: the
        # chat usage chunk, or a Responses failure (the response its response.created announced).
        self.opening: list[bytes] | None = None
        # Chat only: a stream is whole at its string finish_reason (some servers never send [DONE]), but its
        # client still gets the [DONE] it reads to, added at the end if the upstream left it out.
        self.done = client_format != "chat"
        self.error: str | None = None
        # Any model value, not only the name asked for: providers answer with dated or aliased names.
        self.pair = b'"model":' + orjson.dumps(client_model)
        self.replacement = self.pair.replace(b"\\", b"\\\\")  # a template for re.sub
        # The upstream's own model field as last seen: the next event nearly always has it the same.
        self.seen: bytes | None = None
        self.losses: list[dict[str, str]] = []
        self.sequence = 0
        self.client_model = client_model
        # Responses only: the frames of the items done so far, for the output of a response.failed of our own.
        self.items_done: list[bytes] = []

    def feed(self, frame: bytes) -> bytes:
        return self.feed_all([frame])

    def feed_all(self, frames: list[bytes]) -> bytes:
        # The checks that concern the stream as a whole look at the batch at once; only the model name is
        # a matter of each event.
        batch = frames[0] if len(frames) == 1 else b"".join(frames)
        withhold = False
        if self.client_format == "responses":
            if not self.sequence:
                self.opening = frames
            # Events, not frames: a provider's comment frames have no number. (A data line starts a line, and
            # JSON text has no raw line break.)
            self.sequence += batch.count(b"\ndata:") + (batch[:5] == b"data:")
            if batch.find(_ITEM_DONE) >= 0:
                self.items_done += [frame for frame in frames if frame.find(_ITEM_DONE) >= 0]
        elif self.owed_usage:
            if not self.events:
                self.opening = frames
            self.events += len(frames)
        if not self.complete:
            if _ends_stream(self.client_format, batch):
                self.complete = True
            else:
                error = _upstream_error(self.client_format, batch)
                if error is not None:
                    self.owed_usage, self.error = False, error
                    # A Responses stream still owes its client the response.failed that ends a failed one.
                    self.complete = self.client_format != "responses"
        if self.complete and not self.done:
            if self.owed_usage and _USAGE_OBJECT.search(batch) is not None:
                self.owed_usage = False
            if _on_line_of(b"[DONE]", _TERMINAL["chat"], batch) is not None:
                # With a usage still owed, [DONE] waits for it: finish() sends both.
                withhold = self.owed_usage
                self.done = not withhold
        out = self._rename(frames, batch)
        return _DONE_FRAME.sub(b"", out) if withhold else out

    def _rename(self, frames: list[bytes], batch: bytes) -> bytes:
        if batch.find(b'"model"') < 0:
            return batch
        # The first "model" of an event is the response's own: it comes before any content in every format's
        # events. Nearly always it reads as in the previous event, which the loop handles itself.
        out: list[bytes] = []
        for frame in frames:
            at = frame.find(b'"model"')
            seen = self.seen
            if at < 0:
                out.append(frame)
            elif seen is not None and frame[at:at + len(seen)] == seen:  # not startswith(seen, at): see below
                out += (frame[:at], self.pair, frame[at + len(seen):])
            else:
                out.append(self._renamed(frame, at))
        return b"".join(out)

    # (In Python 3.11 bytes.startswith and bytes.find parse their arguments the slow, general way, a good
    # part of their cost on an event; a slice compared does not.)

    def _renamed(self, frame: bytes, at: int) -> bytes:
        match = _MODEL.match(frame, at)
        if match is None:
            return _MODEL.sub(self.replacement, frame, count=1)
        self.seen = match.group()
        return frame[:at] + self.pair + frame[match.end():]

    def finish(self) -> bytes:
        if self.complete:
            usage = self._usage_chunk() if self.owed_usage else b""
            return usage if self.done else usage + _DONE
        self.error = self.error or "upstream stream ended before its final event"
        return self.fail(self.error)

    def _first_event(self) -> dict[str, Any]:
        """The stream's first event (comments skipped), or {} if it is not a JSON object."""
        for frame in self.opening or ():
            if frame_fields(frame)[1] is not None:
                return frame_object(frame) or {}
        return {}

    def _usage_chunk(self) -> bytes:
        first = self._first_event()
        output = max(0, self.events - 2)  # not the finish chunk and [DONE]
        chunk = {"id": first.get("id", "chatcmpl-apiswitch"), "object": "chat.completion.chunk",
                 "created": first.get("created", 0), "model": self.client_model, "choices": [],
                 "usage": usage_body("chat", Usage(input_tokens=self.input_tokens, output_tokens=output))}
        self.losses.append(USAGE_ESTIMATE_LOSS)
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    def fail(self, message: str) -> bytes:
        response = self._first_event().get("response") if self.client_format == "responses" else None
        if isinstance(response, dict) and "model" in response:
            response = dict(response, model=self.client_model)
        if isinstance(response, dict) and self.items_done:
            # What the client has already been given, as the failed response's output (as the translators do).
            done = [frame_object(frame) or {} for frame in self.items_done]
            response = dict(response, output=[event["item"] for event in done if isinstance(event.get("item"), dict)])
        return stream_error_event(self.client_format, message, sequence_number=self.sequence,
                                  response=response if isinstance(response, dict) else None)


class TranslatedStream:
    """Upstream frames in, client-format events out, through the runtime's StreamTranslator."""

    def __init__(self, client_format: str, upstream_format: str, prepared: Prepared) -> None:
        self.client_format = client_format
        self.translator = StreamTranslator(upstream_format, client_format, context=prepared.context)

    @property
    def error(self) -> str | None:
        """Why the client's stream ended in an error (the upstream's error event, a cut, a malformed event)."""
        return self.translator.failure

    @property
    def losses(self) -> list[dict[str, str]]:
        return _losses(getattr(self.translator, "losses", ()))

    def feed(self, frame: bytes) -> bytes:
        return self.translator.feed(frame)

    def feed_all(self, frames: list[bytes]) -> bytes:
        # One call for the lot: the translator's own SSE reader splits them again, once.
        return self.translator.feed(frames[0] if len(frames) == 1 else b"".join(frames))

    def finish(self) -> bytes:
        return self.translator.finish()

    def fail(self, message: str) -> bytes:
        try:
            return self.translator.fail(message)
        except Exception:  # noqa: BLE001 - a broken error path must still end the stream in-band
            return stream_error_event(self.client_format, message)


def stream_converter(prepared: Prepared, client_format: str, upstream_format: str, upstream_model: str,
                     client_model: str, client_body: dict[str, Any] | None = None,
                     input_bytes: int = 0) -> PassthroughStream | TranslatedStream:
    """`client_body`: the request as the client sent it (a provider quirk may have taken `stream_options` out
    of the prepared one); `input_bytes`: its size, for a usage estimate."""
    if client_format == upstream_format:
        return PassthroughStream(client_format, client_model, wants_stream_usage(client_body or {}),
                                 input_bytes // CHARS_PER_TOKEN)
    return TranslatedStream(client_format, upstream_format, prepared)


def wants_stream_usage(body: dict[str, Any]) -> bool:
    """Whether a chat client asked for the usage chunk of its stream (`stream_options.include_usage`)."""
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True
