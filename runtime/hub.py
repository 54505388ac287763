"""The canonical conversation every format is translated through.

Each format's spoke reads its own body into these objects (``*_to_hub``) and
writes them back out (``*_from_hub``).  The hub is a superset of the three
formats so that X -> hub -> X is lossless: fields only one format knows keep a
place here (thinking signatures, encrypted reasoning, item ids, cache hints,
citations), and fields nobody mapped travel in ``extra`` so the same format
can restore them while any other format reports them as losses.

Content parts are plain dicts keyed by ``type`` (cheap to build, easy to
compare in tests).  Their shapes:

``{"type": "text", "text", "cache_control"?, "citations"?: [...], "citations_format"?}``
   (citations as the source wrote them; ``citations_format`` says whose shape they have)
``{"type": "image", "source": {"kind": "base64"|"url"|"file", "media_type"?, "data"?, "url"?,
   "file_id"?}, "detail"?, "cache_control"?}``
``{"type": "document", "source": {"kind": "base64"|"url"|"text"|"file", "media_type"?, "data"?,
   "url"?, "file_id"?}, "filename"?, "title"?, "context"?, "citations_config"?, "cache_control"?}``
``{"type": "reasoning", "text", "summary": [str], "origin": format, "raw": original block}``
   (the original block holds the opaque state: signature, redacted data or encrypted_content)
``{"type": "tool_call", "id", "name", "kind": "function", "arguments"?: str, "input"?: dict,
   "namespace"?, "cache_control"?}``  (``arguments`` or ``input``, whichever the source had)
``{"type": "tool_call", "id", "name", "kind": "custom", "custom_input": str, "namespace"?}``
``{"type": "tool_result", "tool_call_id", "content": str | [part], "content_is_string"?, "is_error"?,
   "kind": "function"|"custom", "cache_control"?}``
``{"type": "refusal", "text", "as_field"?}``  (``as_field``: chat's own `refusal` field, not a content part)
``{"type": "opaque", "format", "block"}``: a block only its own format understands (server tool
   calls and results, new block types); passed through to that format, reported by the others.

Any part may also carry ``original`` (the source block itself), ``extra`` (unmapped keys of the source
block, reported when another format is written), ``quiet`` (bookkeeping such as item ids and statuses,
not missed by other formats) and ``path`` (where it came from in the source body, for loss reports).

Writing the format a body came from gives back the ``original`` blocks, messages, tools and usage: the
same format loses nothing, not even a key order or an explicit null, while every other format is written
from the mapped fields.  Reasoning
parts keep their original block in ``raw`` with its format in ``origin``, see reasoning.py.

The spokes and ``translate.py`` build the dataclasses below positionally and then set the remaining fields
one by one, rather than calling them with keywords: in CPython 3.11 a class called with keyword arguments
first gathers them into a dict, which costs more than setting the fields, and this runs for every message,
tool and answer of every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

Part = dict[str, Any]

# Hub stop reasons.  The spokes map their own values onto these (see specs/mappings.md).
STOP_REASONS = (
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "content_filter",
    "context_window_exceeded",
    "error",
)


@dataclass(slots=True)
class Message:
    role: str  # user | assistant | system | developer
    content: list[Part] = field(default_factory=list)
    # The source wrote the content as a bare string rather than a list of parts.
    content_is_string: bool = False
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Bookkeeping keys (item ids, statuses) the same format gets back but nobody else misses.
    quiet: dict[str, Any] = field(default_factory=dict)
    # Chat `content: null` on an assistant message with tool calls.
    null_content: bool = False
    # The source's own message (or Responses item), given back as it is when writing the same format.
    original: dict[str, Any] | None = None


@dataclass(slots=True)
class Tool:
    # function | custom (freeform text input) | server (a provider-hosted tool, see `raw`)
    kind: str
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None  # JSON schema of a function tool
    parameters_path: str = ""  # where the schema sits in the source body
    strict: bool | None = None
    # Where the source wrote `strict: null` (chat and Responses allow it: each server's own default), if it did.
    strict_null_path: str | None = None
    # Grammar or text format of a custom tool, exactly as the source gave it.
    format: dict[str, Any] | None = None
    namespace: str | None = None
    namespace_description: str | None = None
    defer_loading: bool | None = None
    cache_control: dict[str, Any] | None = None
    # The original definition of a server tool in its own format (`raw_format`).
    raw: dict[str, Any] | None = None
    raw_format: str | None = None
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    quiet: dict[str, Any] = field(default_factory=dict)
    original: dict[str, Any] | None = None  # the source's definition, for the same format


def server_tool(name: str, raw: dict[str, Any], raw_format: str, path: str) -> Tool:
    """A provider-hosted tool, kept as its format defined it."""
    tool = Tool("server", name)
    tool.raw, tool.raw_format, tool.path = raw, raw_format, path
    return tool


@dataclass(slots=True)
class ToolChoice:
    mode: str  # auto | any | none | tool
    name: str | None = None
    kind: str = "function"  # function | custom, for mode == "tool"
    path: str = "tool_choice"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Reasoning:
    # enabled (with a budget) | adaptive | disabled | None when the request says nothing
    mode: str | None = None
    budget_tokens: int | None = None
    effort: str | None = None  # none | minimal | low | medium | high | xhigh | max
    summary: str | None = None  # Responses `reasoning.summary`
    display: str | None = None  # Anthropic adaptive `display`
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OutputFormat:
    type: str  # text | json_object | json_schema
    schema: dict[str, Any] | None = None
    name: str | None = None
    strict: bool | None = None
    description: str | None = None
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    original: dict[str, Any] | None = None  # the source's format object, for the same format


@dataclass(slots=True)
class Request:
    source: str
    model: str | None = None
    # Top-level system prompt: Anthropic `system`, Responses `instructions`.
    system: list[Part] = field(default_factory=list)
    system_is_string: bool = False
    messages: list[Message] = field(default_factory=list)
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    max_tokens_key: str | None = None  # which chat key carried it: max_tokens | max_completion_tokens
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = None
    stop_is_string: bool = False
    seed: int | None = None
    reasoning: Reasoning | None = None
    output_format: OutputFormat | None = None
    effort: str | None = None  # Anthropic `output_config.effort`
    verbosity: str | None = None
    user: str | None = None  # metadata.user_id / user / safety_identifier
    user_key: str | None = None  # which key carried it in the source
    metadata: dict[str, Any] | None = None
    stream: bool | None = None
    stream_include_usage: bool | None = None
    # Top-level keys of the source that no mapping covers, kept for a round trip to the same format.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Usage:
    # Anthropic semantics: `input_tokens` excludes cache reads and cache writes.
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    original: dict[str, Any] | None = None  # the source's usage object, for the same format

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens as OpenAI counts them: cached ones included."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens


# A usage the upstream never reported is estimated, the same way for a body and for a stream.
CHARS_PER_TOKEN = 4
USAGE_ESTIMATED = "the upstream reported no usage; token counts are estimates"


def counts_nothing(usage: Usage | None) -> bool:
    """No usage, or counts of all zeros: a provider that does not count, not an empty answer."""
    return usage is None or not (usage.input_tokens or usage.output_tokens or usage.cache_read_tokens)


def estimated_usage(input_tokens: int, chars: int) -> Usage:
    """The request's estimate in, about CHARS_PER_TOKEN characters of answer a token out."""
    return Usage(input_tokens=input_tokens, output_tokens=-(-chars // CHARS_PER_TOKEN))


def answer_chars(resp: Response) -> int:
    """The characters of text, reasoning and tool arguments a stream of this answer would have carried."""
    chars = 0
    for part in resp.content:
        kind = part["type"]
        if kind in ("text", "reasoning", "refusal"):
            chars += len(part.get("text") or "")
        elif kind == "tool_call":
            chars += len(part.get("arguments") or part.get("custom_input") or "")
    return chars


@dataclass(slots=True)
class Response:
    source: str
    id: str | None = None
    model: str | None = None
    content: list[Part] = field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None
    created: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Echoes of the request and other bookkeeping only the same format wants back.
    quiet: dict[str, Any] = field(default_factory=dict)
    # The source's own answer object (chat: the first choice), given back as it is to the same format.
    answer_original: dict[str, Any] | None = None
    # The top-level keys of the source's answer, in order: the same format gets no defaults it did not have.
    original_keys: tuple[str, ...] | None = None
    # Paths of source fields no mapping carries; reported as losses when another format is written.
    unmapped: list[str] = field(default_factory=list)


def tool_call_input(part: Part) -> dict[str, Any]:
    """The arguments of a tool call as an object; empty or invalid JSON gives ``{}``.

    A freeform (custom) call's text becomes ``{"input": text}``, the shape of its function stand-in."""
    if part.get("kind") == "custom" and "custom_input" in part:
        return {"input": part["custom_input"]}
    if part.get("input") is not None:
        value = part["input"]
        return value if isinstance(value, dict) else {"input": value}
    text = part.get("arguments") or ""
    if not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        # Keep what the model wrote rather than lose the call; the client sees the raw text.
        return {"_raw_arguments": text}
    return value if isinstance(value, dict) else {"input": value}


def tool_call_arguments(part: Part) -> str:
    """The arguments of a tool call as JSON text; a call without arguments gives ``"{}"``."""
    if part.get("kind") == "custom" and "custom_input" in part:
        return orjson.dumps({"input": part["custom_input"]}).decode()
    if part.get("arguments") is not None:
        text = part["arguments"]
        return text if text.strip() else "{}"
    return orjson.dumps(part.get("input") or {}).decode()


# Plain loops: any() or all() over a generator costs more than the scan itself for the few parts of a message.

def has_part(parts: list[Part], kind: str) -> bool:
    """Whether any of ``parts`` is of type ``kind``."""
    for part in parts:
        if part["type"] == kind:
            return True
    return False


def only_parts(parts: list[Part], kind: str) -> bool:
    """Whether every one of ``parts`` is of type ``kind`` (true for no parts)."""
    for part in parts:
        if part["type"] != kind:
            return False
    return True


def has_tool_calls(parts: list[Part]) -> bool:
    return has_part(parts, "tool_call")


def text_of(parts: list[Part] | str) -> str:
    """The text parts joined, for targets that only take a string."""
    if isinstance(parts, str):
        return parts
    return "".join(p["text"] for p in parts if p["type"] == "text")
