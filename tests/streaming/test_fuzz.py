"""Whatever an upstream sends, a translator never raises and the client always gets a stream its strict
checker accepts: the full answer, or the client format's own error."""

from __future__ import annotations

from apiswitch.runtime.streaming import StreamTranslator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged=damaged_streams(), target=st.sampled_from(FORMATS))
def test_damaged_upstreams_give_valid_client_streams(damaged, target):
    source, data = damaged
    translator = StreamTranslator(source, target, context=make_context(source, target))
    out = translator.feed(data) + translator.finish()
    # A dropped or corrupted argument fragment is the upstream's content, passed on as sent; the protocol
    # around it must still be exact.
    CHECKERS[target](out, json_arguments=False)
