"""What a scripted upstream answers, written once and rendered in any of the three wire formats.

A `Reply` is format-neutral: a list of output blocks (text, thinking, tool calls), a stop reason and usage.
The wire modules turn it into an Anthropic message, a Chat completion or a Responses response, streamed or
not. `ErrorReply` is an HTTP error in the format's own error body; a `Fault` bends the transport (delays,
slow or broken streams, dropped connections) around an otherwise normal reply.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .recorded import RecordedRequest

_ids = itertools.count(1)


def fresh_id(prefix: str) -> str:
    """A unique, recognisable id such as `toolu_scripted_7`; tests grep for them in what comes back."""
    return f"{prefix}_scripted_{next(_ids)}"


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Thinking:
    """Model reasoning. Rendered as an Anthropic `thinking` block with `signature`, as `reasoning_content`
    deltas in Chat (which has no signature), and as a Responses `reasoning` item whose `encrypted_content`
    is the signature and whose summary is the text."""

    text: str
    signature: str = "c2lnbmF0dXJlLXNjcmlwdGVk"


@dataclass(frozen=True)
class ToolCall:
    """A function/tool call. `id` is the Anthropic `tool_use.id`, the Chat `tool_calls[].id` and the
    Responses `call_id`; the same id must come back with the tool's result."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str = field(default_factory=lambda: fresh_id("call"))
    # Chat only: fields a provider adds to its call, such as Gemini's extra_content with a thought signature.
    chat_extra: dict[str, Any] | None = None

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, separators=(",", ":"))


@dataclass(frozen=True)
class CustomToolCall:
    """A Responses custom (freeform) tool call, such as Codex's `apply_patch`: plain text input, no JSON.

    Rendered natively only by the responses upstream. The others render it as the function call a provider
    makes when a custom tool is offered to it as a function with one string parameter, `input`."""

    name: str
    input: str
    id: str = field(default_factory=lambda: fresh_id("call"))

    def as_function_call(self) -> ToolCall:
        return ToolCall(self.name, {"input": self.input}, id=self.id)


Block = Text | Thinking | ToolCall | CustomToolCall
Stop = Literal["end", "tool_use", "max_tokens"]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 11
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Fault:
    """Transport misbehaviour applied while serving a reply.

    - `first_byte_delay`: seconds to wait before the status line (a first-byte timeout upstream).
    - `first_event_delay`: for streams, seconds between the response headers and the first event (a
      provider that answers 200 at once, then thinks).
    - `event_delay`: seconds between streamed events (a slow stream; keep-alive territory), kept to the
      upstream's clock: event n goes out `n * event_delay` after the first, however long writes took.
    - `die_after_events`: stream this many events, then drop the connection without ending the
      chunked body, so the client sees a broken transfer rather than a clean end.
    - `malformed_first_event`: the first SSE event carries bytes that are not JSON.
    - `error_first_event`: the stream opens (HTTP 200) and its first event is the format's in-band error.
    - `drop_connection`: read the request, then close the socket without any response.
    - `ignore_stream`: answer a stream request with the whole JSON answer, as a server that ignores `stream`.
    - `force_stream`: answer a request without `stream` with an event stream, as a server that only streams.
    """

    first_byte_delay: float = 0.0
    first_event_delay: float = 0.0
    event_delay: float = 0.0
    die_after_events: int | None = None
    malformed_first_event: bool = False
    error_first_event: bool = False
    drop_connection: bool = False
    ignore_stream: bool = False
    force_stream: bool = False


Check = Callable[["RecordedRequest"], None]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `check` runs against the request that received it; an AssertionError there
    is recorded on the server (and turned into a 400 for the client) so the test fails loudly."""

    blocks: tuple[Block, ...] = (Text("Hello from the scripted upstream."),)
    stop: Stop | None = None
    usage: Usage = Usage()
    model: str | None = None  # None echoes the requested model
    fault: Fault = Fault()
    check: Check | None = None
    chunk_size: int = 8  # characters per streamed text/argument delta
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (request ids, rate limits)

    @property
    def stop_reason(self) -> Stop:
        if self.stop is not None:
            return self.stop
        return "tool_use" if any(isinstance(b, ToolCall | CustomToolCall) for b in self.blocks) else "end"

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every call as a function call (custom calls in their function form)."""
        return [b.as_function_call() if isinstance(b, CustomToolCall) else b for b in self.blocks
                if isinstance(b, ToolCall | CustomToolCall)]

    def function_blocks(self) -> tuple[Text | Thinking | ToolCall, ...]:
        """The blocks with custom calls in their function form, for formats without custom calls."""
        return tuple(b.as_function_call() if isinstance(b, CustomToolCall) else b for b in self.blocks)

    @classmethod
    def text(cls, text: str, **kw: Any) -> Reply:
        return cls(blocks=(Text(text),), **kw)

    @classmethod
    def calls(cls, *calls: ToolCall | CustomToolCall, text: str | None = None, **kw: Any) -> Reply:
        """Tool calls (several = parallel tool calls), optionally preceded by a sentence."""
        lead: tuple[Block, ...] = (Text(text),) if text else ()
        return cls(blocks=lead + tuple(calls), **kw)


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error in the upstream format's error body. `retry_after` sets the Retry-After header."""

    status: int
    message: str = "scripted upstream error"
    retry_after: float | None = None
    body: dict[str, Any] | None = None  # a raw body instead of the format's standard error body
    headers: dict[str, str] = field(default_factory=dict)
    check: Check | None = None


Answer = Reply | ErrorReply
Responder = Callable[["RecordedRequest"], Answer]


def chunks(text: str, size: int) -> Iterable[str]:
    """Splits text into deltas; an empty text still yields no deltas (the block is empty)."""
    size = max(1, size)
    return (text[i : i + size] for i in range(0, len(text), size))


def tool_loop(call: ToolCall | CustomToolCall | Sequence[ToolCall | CustomToolCall], final: str, *,
              expect_output: str | dict[str, str] | None = None, first: Reply | None = None,
              usage: Usage | None = None) -> Responder:
    """The agent loop in one responder: answer with the call (several = parallel calls) until a request
    carries tool results, then check that every call's id came back and answer with `final`.

    Content-aware rather than a queue, so side calls a CLI makes on its own (titles, warm-ups) do not
    shift the script. `expect_output` is a substring every output must contain, or a map from call id to
    the substring that call's output must contain. `usage` applies to the call reply (unless `first` is
    given) and to the final one.
    """
    calls = tuple(call) if isinstance(call, Sequence) else (call,)
    expected = (expect_output if isinstance(expect_output, dict)
                else {c.id: expect_output for c in calls} if expect_output is not None else {})
    extra = {"usage": usage} if usage is not None else {}

    def respond(request: RecordedRequest) -> Answer:
        results = request.tool_results()
        if not results:
            return first if first is not None else Reply.calls(*calls, **extra)
        outputs = {r.call_id: r.output for r in results}
        for scripted in calls:
            assert scripted.id in outputs, f"tool result ids {list(outputs)} lack the scripted call id {scripted.id!r}"
        for call_id, needle in expected.items():
            assert needle in outputs[call_id], f"tool output {outputs[call_id]!r} for {call_id} lacks {needle!r}"
        return Reply.text(final, **extra)

    return respond
