"""The SSE codec against the event-stream rules and against what LLM upstreams actually send."""

from __future__ import annotations

import random

import orjson
from apiswitch.runtime.sse import DONE, ServerSentEvent, SSEDecoder, encode_comment, encode_event
from hypothesis import given, settings
from hypothesis import strategies as st


def decode_all(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.finish())
    return events


def split_at(data: bytes, offsets: list[int]) -> list[bytes]:
    cuts = sorted({0, len(data), *(o % (len(data) + 1) for o in offsets)})
    return [data[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def as_tuples(events: list[ServerSentEvent]) -> list[tuple[str | None, str]]:
    return [(e.event, e.data) for e in events]


def test_event_lines_and_data_lines_are_paired():
    stream = b'event: message_start\ndata: {"a":1}\n\nevent: ping\ndata: {"type": "ping"}\n\n'
    assert as_tuples(decode_all([stream])) == [("message_start", '{"a":1}'), ("ping", '{"type": "ping"}')]


def test_lost_event_lines_regression_split_between_event_and_data():
    # A read ending right after the event line must not lose the name of the event.
    stream = b'event: content_block_delta\ndata: {"x":1}\n\n'
    for cut in range(1, len(stream)):
        assert as_tuples(decode_all([stream[:cut], stream[cut:]])) == [("content_block_delta", '{"x":1}')]


def test_crlf_cr_and_lf_line_endings_are_equivalent():
    lf = b"event: a\ndata: 1\n\ndata: 2\n\n"
    expected = [("a", "1"), (None, "2")]
    assert as_tuples(decode_all([lf])) == expected
    assert as_tuples(decode_all([lf.replace(b"\n", b"\r\n")])) == expected
    assert as_tuples(decode_all([lf.replace(b"\n", b"\r")])) == expected


def test_crlf_split_between_reads_is_one_line_ending():
    assert as_tuples(decode_all([b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n"])) == [(None, "1"), (None, "2")]


def test_comments_are_ignored_and_keepalive_only_blocks_dispatch_nothing():
    stream = b": OPENROUTER PROCESSING\n\n:\n\ndata: 1\n: inline comment\n\n"
    assert as_tuples(decode_all([stream])) == [(None, "1")]


def test_multi_line_data_is_joined_with_newlines():
    assert as_tuples(decode_all([b"data: first\ndata:second\ndata:  third\n\n"])) == [
        (None, "first\nsecond\n third")
    ]


def test_done_sentinel_is_plain_data():
    events = decode_all([b'data: {"choices":[]}\n\ndata: [DONE]\n\n'])
    assert events[-1].data == DONE


def test_json_with_whitespace_padding_parses():
    stream = b'event: message_delta\ndata: {"type": "message_delta",  "usage": {"output_tokens": 7} }\n\n'
    (event,) = decode_all([stream])
    assert orjson.loads(event.data)["usage"]["output_tokens"] == 7


def test_last_event_without_blank_line_is_delivered_at_finish():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\ndata: 2") == [ServerSentEvent("1")]
    assert decoder.finish() == [ServerSentEvent("2")]


def test_utf8_character_split_across_reads():
    text = "héllo → 世界 🎉"
    stream = b"data: " + orjson.dumps({"t": text}) + b"\n\n"
    for cut in range(1, len(stream)):
        (event,) = decode_all([stream[:cut], stream[cut:]])
        assert orjson.loads(event.data)["t"] == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=4), st.sampled_from(["", "event: e\n"]))
def test_invalid_utf8_is_replaced_line_by_line(values, head):
    # The decoder decodes many events at once; each line must still read as if decoded alone, even when
    # a truncated character sits right before a line break.
    values = [value.replace(b"\n", b"").replace(b"\r", b"") for value in values]
    stream = b"".join(head.encode() + b"data: " + value + b"\n\n" for value in values)
    expected = [value.decode("utf-8", "replace") for value in values]
    assert [e.data for e in decode_all([stream])] == expected


def test_id_and_retry_fields():
    (event,) = decode_all([b"id: 7\nretry: 1500\ndata: x\n\n"])
    assert (event.id, event.retry, event.data) == ("7", 1500, "x")


def test_event_without_data_is_not_dispatched():
    assert decode_all([b"event: ping\n\n"]) == []


def test_encode_round_trips_multi_line_data_and_comments():
    frame = encode_event('{"a":\n1}', "x") + encode_comment("keep-alive") + encode_event(b"[DONE]")
    assert frame.startswith(b"event: x\ndata: {")
    assert as_tuples(decode_all([frame])) == [("x", '{"a":\n1}'), (None, "[DONE]")]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    payloads=st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=6),
    names=st.lists(st.one_of(st.none(), st.sampled_from(["a", "content_block_delta", "response.created"]))),
    ending=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    offsets=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_any_rechunking_of_any_stream_gives_the_same_events(payloads, names, ending, offsets):
    events = []
    stream = b""
    for i, text in enumerate(payloads):
        name = names[i] if i < len(names) else None
        data = orjson.dumps({"t": text})
        frame = encode_event(data, name).replace(b"\n", ending)
        stream += frame
        events.append((name, data.decode()))
    assert as_tuples(decode_all(split_at(stream, offsets))) == events


def test_random_byte_chunking_of_a_long_stream():
    rng = random.Random(4)
    frames = [
        encode_event(orjson.dumps({"i": i, "s": "ü" * (i % 5)}), "e" if i % 2 else None) for i in range(300)
    ]
    stream = b"".join(frames)
    whole = as_tuples(decode_all([stream]))
    assert len(whole) == 300
    for _ in range(5):
        offsets = [rng.randrange(len(stream)) for _ in range(200)]
        assert as_tuples(decode_all(split_at(stream, offsets))) == whole
