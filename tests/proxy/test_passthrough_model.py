"""Same-format streams report the client's model name: the first `"model"` field of each event is rewritten,
and nothing else. The rewrite remembers the upstream's model field between events (a byte replace instead of a
regular expression per event); it must give exactly what the regular expression gives."""

from __future__ import annotations

import random

import orjson
import pytest
from apiswitch.runtime.proxy.translation import _MODEL, PassthroughStream

PIECES = [b'"model":"up-1"', b'"model" : "up\\"2"', b'"model":1', b'"model":null', b'\\"model\\":\\"z\\"',
          b'"content":"the \\"model\\": field"', b'"x":"y"', b'"model":"up-1"', b"{", b"}", b",", b"[", b"]"]


@pytest.mark.parametrize("client_model", ["m", 'cli\\"ent', "org/model:tag", "ünï"])
def test_the_rewrite_matches_the_regular_expression_on_random_events(client_model):
    stream = PassthroughStream("chat", client_model)
    template = (b'"model":' + orjson.dumps(client_model)).replace(b"\\", b"\\\\")
    rng = random.Random(client_model)
    for _ in range(4000):
        frame = b"data: " + b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 7))) + b"\n\n"
        expected = _MODEL.sub(template, frame, count=1) if b'"model"' in frame else frame
        assert stream.feed(frame) == expected, frame


def test_only_the_first_model_field_of_an_event_is_the_clients():
    stream = PassthroughStream("chat", "asked")
    first = stream.feed(b'data: {"model":"served","choices":[{"delta":{"content":"x"}}]}\n\n')
    second = stream.feed(b'data: {"model":"served","meta":{"model":"served"}}\n\n')
    assert first == b'data: {"model":"asked","choices":[{"delta":{"content":"x"}}]}\n\n'
    assert second == b'data: {"model":"asked","meta":{"model":"served"}}\n\n'


def _random_frames(rng: random.Random, count: int) -> list[bytes]:
    endings = [b'"finish_reason":null', b'"finish_reason" : "stop"', b'"usage":{"prompt_tokens":3}',
               b'"usage":{"completion_tokens":4,"prompt_tokens":9}', b'"type":"message_stop"']
    frames = []
    for _ in range(count):
        if rng.random() < 0.2:  # a usage report the tap can read
            usage = {"prompt_tokens": rng.randint(0, 99), "completion_tokens": rng.randint(0, 99)}
            frames.append(b"data: " + orjson.dumps({"model": "up-1", "usage": usage}) + b"\n\n")
            continue
        body = b"".join(rng.choice(PIECES + endings) for _ in range(rng.randint(0, 6)))
        frames.append(rng.choice([b"data: ", b"event: x\ndata: "]) + body + b"\n\n")
    if rng.random() < 0.3:
        frames.append(b"data: [DONE]\n\n")
    return frames


@pytest.mark.parametrize("fmt", ["chat", "anthropic", "responses"])
def test_a_batch_of_events_gives_what_the_events_one_by_one_give(fmt):
    """The relay hands over whole reads (many events at once when the upstream is fast): the rewritten bytes,
    the end-of-stream verdict, the responses sequence count and the usage seen must not depend on how the
    events were grouped."""
    from apiswitch.runtime.proxy.usage import StreamUsage

    rng = random.Random(fmt)
    counted = 0
    for _ in range(1500):
        frames = _random_frames(rng, rng.randint(1, 8))
        one, batched = PassthroughStream(fmt, "asked"), PassthroughStream(fmt, "asked")
        seen_one, seen_batched = StreamUsage("chat"), StreamUsage("chat")
        expected = b"".join(one.feed(frame) for frame in frames)
        for frame in frames:
            seen_one.observe(frame)
        got, start = [], 0
        while start < len(frames):
            cut = rng.randint(start + 1, len(frames))
            got.append(batched.feed_all(frames[start:cut]))
            seen_batched.observe_all(frames[start:cut])
            start = cut
        assert b"".join(got) == expected, frames
        assert (batched.complete, batched.sequence) == (one.complete, one.sequence), frames
        assert seen_batched.counts == seen_one.counts, frames
        counted += bool(seen_one.counts)
    assert counted > 500  # the usage comparison was about real counts
