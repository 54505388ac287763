"""Upstream streams for the tests of the slot shortcut (runtime/streaming/decoders/slot.py).

The shortcut reads a chunk that repeats the previous chunk's bytes around one new string. So the streams
drawn here are mostly runs of such chunks, as upstreams write them: one envelope (id, model, choice wrapping,
extra fields) written the same way in every chunk, around a delta string spelt in any way JSON allows
(escapes, ``\\/``, ``\\u0041``, raw non-ASCII, surrogate pairs). Between them come the chunks that must not
be taken by the shortcut: copies of the previous chunk with one token swapped (another string in another
place or a key, a number, two strings, an object, a broken literal), other delta kinds, a finish_reason,
usage, errors, other choices, duplicate keys. Every stream is written as SSE bytes and cut at random byte
offsets, as the proxy reads it.
"""

from __future__ import annotations

import random
import re
from typing import Any

import orjson
from hypothesis import strategies as st

# --- JSON text with a drawn spelling ------------------------------------------------------------------------

# Characters that JSON writers spell in different ways, or that look like JSON or SSE syntax.
_TRICKY = ['a', 'Z', ' ', '"', '\\', '/', 'A', 'é', '€', '🎉', '\u2028', '\u2029', '\n', '\r', '\t', '\x00',
           '\x1f', '\x7f', '{', '}', ':', ',', '[', ']', 'u', '0', 'data: ']
_SOME_TEXT = st.one_of(
    st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=8).map("".join),
    st.sampled_from(['"a","b"', "null", "1", '{"x":1}', "\\u0041", "\\", '"', "[DONE]", "x" * 40]),
    st.text(min_size=1, max_size=6),
)
# An empty delta now and then: the slot reads it, but the decoder must treat it as the whole parse does.
TEXTS = st.one_of(_SOME_TEXT, _SOME_TEXT, _SOME_TEXT, _SOME_TEXT, st.just(""))
# Strings outside the delta: ids, names, reasons. Kept plain so that the envelope stays readable in a failure.
NAMES = st.text(alphabet="abcXYZ_-019é/", min_size=1, max_size=6)

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# How a string literal is spelt: as orjson writes it, as json.dumps(ensure_ascii=True) does, with `/` escaped,
# every character a \u escape, or each character one of these at random.
SPELLINGS = ("plain", "ascii", "slash", "unicode", "mixed")


def _unicode_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        # Both cases of hex digits, as JSON allows.
        return f"\\u{code:04x}" if code % 2 else f"\\u{code:04X}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def spell(text: str, spelling: str, seed: int = 0) -> str:
    """The JSON string literal of ``text``, spelt ``spelling``."""
    rng = random.Random(seed)
    out = ['"']
    for char in text:
        way = rng.choice(("plain", "ascii", "unicode")) if spelling == "mixed" else spelling
        if way == "unicode":
            out.append(_unicode_escape(char))
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char < " ":
            out.append(_unicode_escape(char))
        elif char == "/" and way == "slash":
            out.append("\\/")
        elif char > "\x7e" and way == "ascii":
            out.append(_unicode_escape(char))
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


class Lit:
    """A string with its own spelling (a delta's text); a plain str takes the stream's spelling."""

    __slots__ = ("text", "spelling", "seed")

    def __init__(self, text: str, spelling: str, seed: int) -> None:
        self.text, self.spelling, self.seed = text, spelling, seed


class Pairs(list):
    """A JSON object written as these (key, value) pairs, so that a key may come twice."""


@st.composite
def lits(draw: st.DrawFn, texts: st.SearchStrategy[str] = TEXTS) -> Lit:
    return Lit(draw(texts), draw(st.sampled_from(SPELLINGS)), draw(st.integers(0, 2**16)))


@st.composite
def styles(draw: st.DrawFn) -> dict[str, str]:
    """How one upstream lays out its JSON: the same in every chunk."""
    colon, comma = draw(st.sampled_from([(":", ","), (": ", ", "), (" : ", " ,"), (":\n ", ",\n\t")]))
    return {"colon": colon, "comma": comma, "spelling": draw(st.sampled_from(("plain", "ascii", "slash")))}


def render(value: Any, style: dict[str, str]) -> str:
    if isinstance(value, Lit):
        return spell(value.text, value.spelling, value.seed)
    if isinstance(value, str):
        return spell(value, style["spelling"])
    if isinstance(value, dict | Pairs):
        pairs = value.items() if isinstance(value, dict) else value
        inner = style["comma"].join(f"{render(k, style)}{style['colon']}{render(v, style)}" for k, v in pairs)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + style["comma"].join(render(v, style) for v in value) + "]"
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


# --- copies of a chunk with one token swapped ---------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false')
_DELTA_KEYS = re.compile(r'"(?:content|reasoning_content|reasoning|arguments|text|refusal)"\s*:\s*$')
# What may take a token's place besides another string: every JSON value that is not one string, and
# literals that are no JSON at all.
NOT_ONE_STRING = st.sampled_from([
    "0", "-1.5e3", "null", "true", "{}", '{"a":"b"}', "[]", '["x"]', '"x","y"', '"x":"y"', '"x" "y"', '"x"1',
    ' "x" ', '"\\ud800"', '"\\x"', '"a\tb"', '"abc', 'abc"', '""""', '"\\"', "",
])


def _value(literal: str) -> Any:
    try:
        return orjson.loads(literal)
    except orjson.JSONDecodeError:
        return None


@st.composite
def swapped(draw: st.DrawFn, data: str) -> str:
    """``data`` with one token (a string, key or not, a number, a literal) replaced by another."""
    tokens = list(_TOKEN.finditer(data))
    if not tokens:
        return data
    in_delta = [t for t in tokens if _DELTA_KEYS.search(data, 0, t.start()) and t.group().startswith('"')]
    keys = [t for t in tokens if t.group().startswith('"') and data[t.end():].lstrip().startswith(":")]
    # Another literal of a delta's string (the same text twice in a chunk): the slot must not take it for it.
    said = {_value(t.group()) for t in in_delta}
    twins = [t for t in tokens if t not in in_delta and t not in keys and _value(t.group()) in said]
    place = draw(st.sampled_from(["delta", "delta", "delta", "twin", "twin", "key", "any"]))
    pools = {"delta": in_delta, "twin": twins, "key": keys}
    pool = pools.get(place) or tokens
    token = draw(st.sampled_from(pool))
    if draw(st.integers(0, 3)):
        lit = draw(lits())
        new = spell(lit.text, lit.spelling, lit.seed)
    else:
        new = draw(NOT_ONE_STRING)
    return data[: token.start()] + new + data[token.end():]


# --- chat chunks --------------------------------------------------------------------------------------------

FINISH_REASONS = st.sampled_from(["stop", "length", "tool_calls", "content_filter", ""])


@st.composite
def chat_streams(draw: st.DrawFn) -> list[tuple[str | None, str]]:
    """A chat completion stream as (event name, data) pairs: an envelope kept for the whole stream around
    runs of deltas, with chunks that break a run inside and between them.

    A decoder learns only its first few slots, so what may break a slot comes inside the first runs too."""
    style = draw(styles())
    envelope: dict[str, Any] = {"id": "chatcmpl-" + draw(NAMES), "object": "chat.completion.chunk",
                                "created": draw(st.integers(0, 2**31)), "model": draw(NAMES)}
    for key in draw(st.sets(st.sampled_from(["system_fingerprint", "service_tier", "x_gateway"]))):
        envelope[key] = draw(NAMES)
    choice_keys = draw(st.permutations(["index", "delta", "logprobs", "finish_reason"]))
    if draw(st.booleans()):
        choice_keys.remove("logprobs")
    after = draw(st.sampled_from([[], ["usage"], ["obfuscation"], ["usage", "obfuscation"]]))
    # OpenAI pads each chunk with a new `obfuscation` string, which makes every chunk's tail new. Here also
    # the same padding throughout, or the delta's text again (the same string twice in a chunk: the slot
    # must find the right one).
    padding = draw(st.sampled_from(["same", "same", "new", "echo", "echo"]))
    fixed_padding = draw(NAMES)
    role_last = draw(st.booleans())  # {"content": ..., "role": "assistant"}: the role after the text

    def chunk(delta: Any, finish: Any = None, index: int = 0, echo: Any = "", **top: Any) -> str:
        values = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        body = dict(envelope)
        body["choices"] = [{key: values[key] for key in choice_keys}]
        for key in after:
            body[key] = None if key == "usage" else {
                "same": fixed_padding, "new": draw(NAMES), "echo": echo.text if isinstance(echo, Lit) else echo,
            }[padding]
        body.update(top)
        return render(body, style)

    out: list[tuple[str | None, str]] = []
    tools = 0

    def odd() -> None:
        """A chunk that a slot learnt from the run so far must not take as one of its own."""
        kind = draw(st.sampled_from(["copy"] * 6 + [
            "finish", "finish", "usage", "done", "error", "choice", "extra", "refusal", "mixed", "mixed",
            "annotations", "broken", "duplicate",
        ]))
        if kind == "copy":
            pass
        elif kind == "finish":
            text = draw(lits())
            delta = draw(st.sampled_from([{}, {"content": ""}, {"content": text}]))
            out.append((None, chunk(delta, draw(FINISH_REASONS), echo=text)))
        elif kind == "usage":
            usage = {"prompt_tokens": draw(st.integers(0, 99)), "completion_tokens": draw(st.integers(0, 99))}
            if draw(st.booleans()):
                # vLLM's continuous usage stats: usage in a chunk with text.
                out.append((None, chunk({"content": draw(lits())}, usage=usage)))
            else:
                out.append((None, render(dict(envelope, choices=[], usage=usage), style)))
        elif kind == "done":
            out.append((None, "[DONE]"))
        elif kind == "error":
            error = draw(st.sampled_from([{"message": "overloaded", "code": 529}, "boom", {"type": "x"}]))
            out.append((None, render({"error": error}, style)))
        elif kind == "choice":
            out.append((None, chunk({"content": draw(lits())}, index=draw(st.integers(1, 2)))))
        elif kind == "extra":
            extra = draw(st.sampled_from([{"x_note": draw(lits())}, {"audio": None}, {"function_call": {}}]))
            out.append((None, chunk({"content": draw(lits()), **extra})))
        elif kind == "refusal":
            out.append((None, chunk({"refusal": draw(lits())})))
        elif kind == "mixed":
            # Text beside something else: reasoning (either order), a refusal or a tool call.
            other = draw(st.sampled_from([
                {"reasoning_content": draw(lits())}, {"reasoning": draw(lits())}, {"refusal": draw(lits())},
                {"tool_calls": [{"index": 0, "function": {"arguments": draw(lits())}}]},
            ]))
            text = {"content": draw(lits())}
            out.append((None, chunk({**text, **other} if draw(st.booleans()) else {**other, **text})))
        elif kind == "annotations":
            citation = {"type": "url_citation", "url_citation": {"url": "https://x", "title": draw(NAMES)}}
            out.append((None, chunk({"content": draw(lits()), "annotations": [citation]})))
        elif kind == "broken":
            whole = chunk({"content": draw(lits())})
            out.append((None, draw(st.sampled_from([whole[: len(whole) // 2], "[1]", '"text"', "", "{}"]))))
        elif kind == "duplicate":
            key = draw(st.sampled_from(["content", "reasoning_content"]))
            out.append((None, chunk(Pairs([(key, draw(lits())), (key, draw(lits()))]))))
        # Copies of the chunk with a token swapped: after a chunk a slot was learnt from, one it must refuse.
        if out and (kind == "copy" or draw(st.booleans())):
            name, data = out[-1]
            for _ in range(draw(st.integers(1, 3))):
                data = draw(swapped(data))
                out.append((name, data))

    for run in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "text", "reasoning", "tool"] + (["odd"] if run else [])))
        if kind == "odd":
            odd()
            continue
        if kind == "tool":
            number = draw(st.sampled_from([tools, tools, tools, tools - 1, None]))
            tools += 1
            call: dict[str, Any] = {"index": number, "id": f"call_{number}", "type": "function",
                                    "function": {"name": draw(NAMES), "arguments": ""}}
            if number is None:
                del call["index"]
            if draw(st.integers(0, 5)) == 0:
                del call["function"]["name"]  # the name in a later chunk, or never
            out.append((None, chunk({"tool_calls": [call]})))
        elif kind == "reasoning":
            field = draw(st.sampled_from(["reasoning_content", "reasoning"]))
            # DeepSeek's `content: null` beside the reasoning, an OpenRouter `content: ""`, or none.
            company = draw(st.sampled_from([{}, {"content": None}, {"content": ""}, {"role": "assistant"}]))
        for position in range(draw(st.integers(2, 6))):
            if draw(st.integers(0, 4)) == 0:
                odd()
            text = draw(lits(TEXTS | st.just("assistant")))
            if kind == "text":
                delta: Any = {"content": text}
                if position == 0 and draw(st.booleans()):
                    delta = {"content": text, "role": "assistant"} if role_last else {"role": "assistant", **delta}
            elif kind == "reasoning":
                delta = {field: text, **company} if role_last else {**company, field: text}
            else:
                fragment: dict[str, Any] = {"index": number, "function": {"arguments": text}}
                if number is None:
                    del fragment["index"]
                delta = {"tool_calls": [fragment]}
            out.append((None, chunk(delta, echo=text)))
    if draw(st.integers(0, 3)):
        out.append((None, chunk({}, draw(FINISH_REASONS))))
        if draw(st.booleans()):
            out.append((None, "[DONE]"))
    return out


# --- Anthropic events ---------------------------------------------------------------------------------------


@st.composite
def anthropic_streams(draw: st.DrawFn) -> list[tuple[str | None, str]]:
    """A Messages stream as (event name, data) pairs: blocks opened, streamed and closed in order, with
    copies of a delta event with one token swapped, pings and events out of place in between."""
    style = draw(styles())
    named = draw(st.booleans())  # Anthropic names every event; some gateways leave the names out

    def event(body: dict[str, Any]) -> tuple[str | None, str]:
        return (body["type"] if named else None, render(body, style))

    usage = {"input_tokens": draw(st.integers(0, 99)), "output_tokens": draw(st.integers(0, 9))}
    message = {"id": "msg_" + draw(NAMES), "type": "message", "role": "assistant", "content": [],
               "model": draw(NAMES), "stop_reason": None, "stop_sequence": None, "usage": usage}
    out = [event({"type": "message_start", "message": message})]
    number = 0
    for run in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text"] if run == 0 else
                                    ["text", "text", "text", "thinking", "tool", "copy", "ping", "wild"]))
        if kind == "copy" and out:
            name, data = out[-1]
            for _ in range(draw(st.integers(1, 3))):
                data = draw(swapped(data))
                out.append((name, data))
            continue
        if kind == "ping":
            out.append(("ping", render({"type": "ping"}, style)))
            continue
        if kind == "wild":
            wild = draw(st.sampled_from([
                {"type": "content_block_delta", "index": number, "delta": {"type": "text_delta", "text": "x"}},
                {"type": "content_block_stop", "index": number},
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "citations_delta", "citation": {"cited_text": "c"}}},
                {"type": "something_new"},
            ]))
            out.append(event(wild))
            continue
        block: dict[str, Any] = {
            "text": {"type": "text", "text": ""},
            "thinking": {"type": "thinking", "thinking": "", "signature": ""},
            "tool": {"type": "tool_use", "id": "toolu_" + draw(NAMES), "name": draw(NAMES), "input": {}},
        }[kind]
        out.append(event({"type": "content_block_start", "index": number, "content_block": block}))
        delta_type, field = {"text": ("text_delta", "text"), "thinking": ("thinking_delta", "thinking"),
                             "tool": ("input_json_delta", "partial_json")}[kind]
        for _ in range(draw(st.integers(2, 8))):
            # Deltas now and then to another index, or of another type: both must be refused the same way.
            index = number + (draw(st.integers(0, 30)) == 0)
            dtype = delta_type if draw(st.integers(0, 30)) else "thinking_delta" if kind == "text" else "text_delta"
            value: Any = draw(lits()) if draw(st.integers(0, 30)) else draw(st.sampled_from([1, None, ["x"]]))
            delta = {"type": dtype, {"text_delta": "text"}.get(dtype, field): value}
            body: Any = {"type": "content_block_delta", "index": index, "delta": delta}
            if draw(st.integers(0, 11)) == 0:
                body = Pairs([*body.items(), ("delta", {"type": dtype, "text": draw(lits())})])
            out.append(event(body) if isinstance(body, dict) else ("content_block_delta", render(body, style)))
        if kind == "thinking":
            out.append(event({"type": "content_block_delta", "index": number,
                              "delta": {"type": "signature_delta", "signature": draw(NAMES)}}))
        if draw(st.integers(0, 7)):
            out.append(event({"type": "content_block_stop", "index": number}))
        number += 1
    if draw(st.integers(0, 4)):
        stop = {"stop_reason": draw(st.sampled_from(["end_turn", "max_tokens", "tool_use"])), "stop_sequence": None}
        out.append(event({"type": "message_delta", "delta": stop, "usage": {"output_tokens": draw(st.integers(0, 99))}}))
        out.append(event({"type": "message_stop"}))
    return out


# --- SSE bytes ----------------------------------------------------------------------------------------------


@st.composite
def sse_reads(draw: st.DrawFn, events: list[tuple[str | None, str]]) -> list[bytes]:
    """``events`` as an upstream writes them (a data line per line of the JSON, LF or CRLF line ends), cut
    into reads at random byte offsets: inside multi-byte characters, escapes and line ends too."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    frames = []
    for name, data in events:
        lines = [f"event: {name}"] if name else []
        lines += [f"data: {line}" for line in data.split("\n")]
        frames.append(newline.join(lines) + newline + newline)
    stream = "".join(frames).encode()
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(stream) - 1)), max_size=12)))
    bounds = [0, *(c for c in cuts if c < len(stream)), len(stream)]
    return [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
