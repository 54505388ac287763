"""Generated upstream answers through every stream direction.

Each example is one answer (text, thinking with its signature, tool calls, refusals, usage, a stop reason),
written as the upstream format's SSE stream by the fixture writers (the wire habits of each API), re-chunked
at random byte offsets (so inside multi-byte UTF-8 and JSON escapes) and translated. The client stream must
pass the strict checker and the official SDK's accumulator, and must say what the non-streaming translation
of the same answer says, with the same losses.

Runs are deterministic and short by default. To hunt, set ``APISWITCH_STREAM_HUNT`` to a number of examples
per direction (random, not derandomized; ``APISWITCH_STREAM_SEED`` fixes the seed).
"""

from __future__ import annotations

import json
import os
import string

import pytest
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.translate import translate_response
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from .checkers import CHECKERS
from .fixtures import build
from .harness import FORMATS, make_context
from .test_directions import SDK_MODELS, _canonical, _non_streaming_body, _strip, _unspelled

HUNT = int(os.environ.get("APISWITCH_STREAM_HUNT", "0"))
PROPERTY = settings(
    max_examples=HUNT or 12,
    deadline=None,
    derandomize=not HUNT,
    database=None,
)
HUNT_SEED = os.environ.get("APISWITCH_STREAM_SEED")

DIRECTIONS = [(source, target) for source in FORMATS for target in FORMATS]

# Text with the characters that break naive splitting: multi-byte UTF-8 (2, 3 and 4 bytes), quotes,
# backslashes, newlines and the SSE field separator.
TEXT = (
    st.lists(st.sampled_from([*'ab Z09.\n"\\:{}é€🎉ü\t', "data: ", "\r\n"]), max_size=30).map("".join)
    | st.text(max_size=12)
    | st.just("x" * 300)
)
SIGNATURE = st.text(alphabet=string.ascii_letters + string.digits + "+/=", min_size=1, max_size=40)
TOOL_NAME = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def pieces(draw: st.DrawFn, text: str) -> list[str]:
    """``text`` cut at random character offsets (inside escapes such as ``\\u00e9`` too)."""
    if not text:
        return draw(st.sampled_from([[], [""]]))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=min(8, len(text)))))
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@st.composite
def tool_block(draw: st.DrawFn, number: int) -> build.Block:
    arguments = draw(st.dictionaries(TEXT, JSON_VALUE, max_size=4))
    text = json.dumps(
        arguments,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )
    return build.Block("tool", draw(pieces(text)), id=f"call_{number}", name=draw(TOOL_NAME))


@st.composite
def text_block(draw: st.DrawFn, kind: str = "text", empty: bool = False) -> build.Block:
    text = draw(TEXT if empty else TEXT.filter(bool))
    return build.Block(kind, draw(pieces(text)))


@st.composite
def thinking_block(draw: st.DrawFn, empty: bool = True) -> build.Block:
    return build.Block(
        "thinking", draw(pieces(draw(TEXT if empty else TEXT.filter(bool)))), signature=draw(SIGNATURE)
    )


@st.composite
def answers(draw: st.DrawFn, fmt: str) -> build.Scenario:
    """One answer in the shape ``fmt``'s API gives it.

    A Responses reasoning item has summary text: with none, the API sends `summary: []` and no summary
    part, while the fixture writer always writes one part. A chat message has one reasoning text, one content
    text and then its tool calls, so a chat answer is drawn in that order; the others interleave blocks."""
    refusal = draw(st.booleans()) if fmt != "anthropic" else False
    if refusal:
        # Narrowed: an empty refusal from chat streams as nothing but translates to a refusal (open:
        # test_regression_an_empty_chat_refusal_streams_as_the_body_translates).
        blocks = [draw(text_block("refusal", empty=fmt != "chat"))]
        stop = "refusal"
    else:
        if fmt == "chat":
            # Narrowed: an empty reasoning_content streams as nothing but translates to an empty thinking
            # block (open: test_regression_an_empty_chat_reasoning_streams_as_the_body_translates).
            blocks = draw(st.lists(thinking_block(empty=False), max_size=1)) + draw(
                st.lists(text_block(empty=True), max_size=1)
            )
            calls = draw(st.integers(0, 3))
            blocks += [draw(tool_block(n)) for n in range(calls)]
        else:
            blocks = []
            for n in range(draw(st.integers(0, 4))):
                kind = draw(st.sampled_from(["text", "thinking", "tool"]))
                blocks.append(
                    draw(
                        text_block(empty=True)
                        if kind == "text"
                        else thinking_block(empty=fmt != "responses")
                        if kind == "thinking"
                        else tool_block(n)
                    )
                )
        has_tools = any(b.kind == "tool" for b in blocks)
        choices = ["max_tokens"] + (["tool_use"] if has_tools else ["end"])
        if fmt == "anthropic" and not has_tools:
            choices.append("refusal")
        stop = draw(st.sampled_from(choices))
    # Every request has input tokens: a usage of all zeros is what a provider sends that does not count,
    # and the stream rightly treats it as no usage.
    usage = draw(
        st.none()
        | st.tuples(st.integers(1, 5000), st.integers(0, 5000), st.integers(0, 5000)).map(
            lambda u: (u[0] + u[2], u[1], u[2])
        )
    )
    return build.Scenario("generated", blocks, stop, usage=usage)


@st.composite
def rechunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    if not data:
        return [data]
    cuts = sorted(draw(st.sets(st.integers(1, len(data)), max_size=24)))
    bounds = [0, *cuts]
    if bounds[-1] != len(data):
        bounds.append(len(data))
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _unspelled_chat(value: dict) -> dict:
    """A chat message's `content: ""` / `refusal: ""` / `reasoning_content: ""` and a missing key say the same: the SDK's chunk
    accumulator cannot tell an empty string that was never streamed from none."""
    for choice in value.get("choices") or []:
        message = choice.get("message") or {}
        for key in ("content", "refusal", "reasoning_content"):
            if message.get(key) == "":
                del message[key]
    return value


def _maybe_seeded(test):
    return seed(int(HUNT_SEED))(test) if HUNT_SEED else test


@pytest.mark.parametrize(("source", "target"), DIRECTIONS, ids=[f"{s}-to-{t}" for s, t in DIRECTIONS])
@_maybe_seeded
@PROPERTY
@given(data=st.data())
def test_generated_answers_stream_as_they_translate(source, target, data, stream_server):
    answer = data.draw(answers(source), label="answer")
    upstream = build.WRITERS[source](answer).encode()
    chunks = data.draw(rechunked(upstream), label="chunks")

    translator = StreamTranslator(source, target, context=make_context(source, target))
    out = b"".join([*(translator.feed(c) for c in chunks), translator.finish()])

    # (a) the strict protocol checker
    summary = CHECKERS[target](out)
    assert summary.get("error") is None and summary.get("terminal") not in ("error", "response.failed")

    # (b) the official SDK accumulator
    streamed = stream_server.accumulate(out, target)

    # (c) the same answer as the non-streaming translation
    upstream_body = _non_streaming_body(stream_server.accumulate(upstream, source), source)
    translation = translate_response(upstream_body, source, target, make_context(source, target))
    expected = SDK_MODELS[target].model_validate(translation.body).model_dump(mode="json", exclude_none=True)
    no_usage = answer.usage is None
    if no_usage:
        # Both estimate the usage the upstream never reported (a same-format body excepted).
        streamed_usage = streamed["usage"]
        assert streamed_usage.get("output_tokens", streamed_usage.get("completion_tokens")) >= 0
    streamed_c, expected_c = (
        _strip(streamed, target, usage=no_usage),
        _strip(expected, target, usage=no_usage),
    )
    if source == target:
        streamed_c, expected_c = _unspelled(streamed_c), _unspelled(expected_c)
    if target == "chat":
        streamed_c, expected_c = _unspelled_chat(streamed_c), _unspelled_chat(expected_c)
    assert _canonical(streamed_c) == _canonical(expected_c)

    # (d) the same losses, the usage estimate included (a same-format body is the identity: no estimate)
    streamed_losses = {(loss.path, loss.action, loss.reason) for loss in translator.losses}
    if no_usage and source == target:
        streamed_losses = {loss for loss in streamed_losses if loss[:2] != ("usage", "synthesized")}
    assert streamed_losses == {(loss.path, loss.action, loss.reason) for loss in translation.losses}
