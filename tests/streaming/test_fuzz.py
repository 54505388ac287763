"""Whatever an upstream sends, a translator never raises and the client always gets a stream its strict
checker accepts: the full answer, or the client format's own error."""

from __future__ import annotations

import json

from apiswitch.runtime.streaming import StreamTranslator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from properties.mutations import JSON_VALUES, paths_of, replaced

from .checkers import CHECKERS
from .harness import FORMATS, all_fixtures, fixture_bytes, make_context

FIXTURES = all_fixtures()


def frames_of(data: bytes) -> list[bytes]:
    return [f + b"\n\n" for f in data.split(b"\n\n") if f]


@st.composite
def damaged_streams(draw):
    name, source = draw(st.sampled_from(FIXTURES))
    frames = frames_of(fixture_bytes(name, source))
    operation = draw(st.sampled_from(["drop", "duplicate", "swap", "truncate", "corrupt", "cut"]))
    i = draw(st.integers(0, len(frames) - 1))
    j = draw(st.integers(0, len(frames) - 1))
    if operation == "drop":
        del frames[i]
    elif operation == "duplicate":
        frames.insert(i, frames[i])
    elif operation == "swap":
        frames[i], frames[j] = frames[j], frames[i]
    elif operation == "truncate":
        frames = frames[:i]
    elif operation == "corrupt":
        frame = frames[i]
        at = draw(st.integers(0, len(frame) - 3))
        frames[i] = frame[:at] + draw(st.binary(min_size=1, max_size=4)) + frame[at + 1 :]
    else:
        data = b"".join(frames)
        return source, data[: draw(st.integers(0, len(data)))]
    return source, b"".join(frames)


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(damaged=damaged_streams(), target=st.sampled_from(FORMATS))
def test_damaged_upstreams_give_valid_client_streams(damaged, target):
    source, data = damaged
    translator = StreamTranslator(source, target, context=make_context(source, target))
    out = translator.feed(data) + translator.finish()
    # A dropped or corrupted argument fragment is the upstream's content, passed on as sent; the protocol
    # around it must still be exact.
    CHECKERS[target](out, json_arguments=False)


@st.composite
def mutated_events(draw):
    """A real fixture with one field somewhere in one event replaced by an arbitrary JSON value."""
    name, source = draw(st.sampled_from(FIXTURES))
    frames = frames_of(fixture_bytes(name, source))
    i = draw(st.integers(0, len(frames) - 1))
    head, _, data = frames[i].rstrip(b"\n").rpartition(b"data: ")
    if data == b"[DONE]":
        return source, b"".join(frames)
    payload = json.loads(data)
    path = draw(st.sampled_from(list(paths_of(payload))))
    payload = replaced(payload, path, draw(JSON_VALUES))
    frames[i] = head + b"data: " + json.dumps(payload).encode() + b"\n\n"
    return source, b"".join(frames)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutated=mutated_events(), target=st.sampled_from(FORMATS))
# Once found by the random search: a stop reason of the wrong JSON type must still end the stream.
@example(mutated=("anthropic", (
    b'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_01", "type": "message", '
    b'"role": "assistant", "model": "m", "content": [], "stop_reason": null, "stop_sequence": null, '
    b'"usage": {"input_tokens": 0, "output_tokens": 0}}}\n\n'
    b'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, '
    b'"content_block": {"type": "text", "text": ""}}\n\n'
    b'event: content_block_stop\ndata: {"type": "content_block_stop", "index": 0}\n\n'
    b'event: message_delta\ndata: {"type": "message_delta", "delta": {"stop_reason": [null]}, '
    b'"usage": {"output_tokens": 0}}\n\n'
    b'event: message_stop\ndata: {"type": "message_stop"}\n\n')), target="anthropic")

def test_events_with_fields_of_the_wrong_shape_never_raise_and_end_in_a_valid_stream(mutated, target):
    source, data = mutated
    translator = StreamTranslator(source, target, context=make_context(source, target))
    out = translator.feed(data) + translator.finish()
    CHECKERS[target](out, json_arguments=False)
