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
