"""A long thinking is gathered in linear time: no delta is added onto the text gathered so far (which copies
that text each time, quadratic in its length); the pieces are joined once, when the part closes.

Counted, never timed: the deltas are ``Piece`` strings, and ``text += piece`` calls ``Piece.__radd__`` before
``str.__add__`` (Python tries a subclass's reflected method first), while ``"".join`` calls neither.
"""

from __future__ import annotations

import types

import orjson
import pytest
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.streaming.decoders import anthropic as anthropic_decoder
from apiswitch.runtime.streaming.decoders.base import text
from apiswitch.runtime.streaming.encoders import ENCODERS
from apiswitch.runtime.streaming.events import (
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFinished,
    ResponseStarted,
)

DELTAS = 500


class Piece(str):
    """A delta's text that counts the concatenations it takes part in."""

    added: list[str] = []

    def __radd__(self, other: str) -> str:
        Piece.added.append(other)
        return str.__add__(other, self)


@pytest.fixture(autouse=True)
def no_additions():
    Piece.added = []
    yield


def frames(out: list[bytes]) -> list[dict]:
    return [orjson.loads(line[6:]) for frame in out for line in frame.split(b"\n") if line.startswith(b"data: ")]


@pytest.mark.parametrize("source", ["anthropic", "responses"])
def test_the_responses_encoder_joins_reasoning_text_once(source):
    # From Anthropic the thinking becomes a summary part; from a Responses upstream it stays raw reasoning text.
    encoder = ENCODERS["responses"](TranslationContext(), LossCollector(), source)
    out: list[bytes] = []
    encoder.encode(ResponseStarted("msg_1", "m", 1), out)
    encoder.encode(PartStarted(0, {"type": "reasoning", "text": "", "summary": []}), out)
    for number in range(DELTAS):
        encoder.encode(ReasoningDelta(0, Piece(f"{number},")), out)
    encoder.encode(PartStopped(0), out)
    encoder.encode(ResponseFinished("end_turn"), out)

    assert Piece.added == []
    done = "response.reasoning_summary_text.done" if source == "anthropic" else "response.reasoning_text.done"
    expected = "".join(f"{number}," for number in range(DELTAS))
    assert [f["text"] for f in frames(out) if f["type"] == done] == [expected]
    item = next(f["item"] for f in frames(out) if f["type"] == "response.output_item.done")
    parts = item["summary"] if source == "anthropic" else item["content"]
    assert [part["text"] for part in parts] == [expected]


def _loads_with_pieces(data: str):
    """orjson.loads, with the text of thinking and signature deltas as Pieces."""
    value = orjson.loads(data)
    delta = value.get("delta") if isinstance(value, dict) else None
    if isinstance(delta, dict):
        for key in ("thinking", "signature"):
            if isinstance(delta.get(key), str):
                delta[key] = Piece(delta[key])
    return value


def test_the_anthropic_decoder_joins_thinking_once(monkeypatch):
    monkeypatch.setattr(anthropic_decoder, "orjson", types.SimpleNamespace(
        loads=_loads_with_pieces, dumps=orjson.dumps, JSONDecodeError=orjson.JSONDecodeError))
    # The decoder's check that a field is a str, letting a Piece through.
    monkeypatch.setattr(anthropic_decoder, "text", lambda value: value if isinstance(value, str) else text(value))
    decoder = anthropic_decoder.AnthropicDecoder(TranslationContext(), LossCollector(), "responses")
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "m"}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        *({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": f"{n},"}}
          for n in range(DELTAS)),
        *({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": s}}
          for s in ("Eq", "Q=")),
        {"type": "content_block_stop", "index": 0},
    ]
    hub = [event for body in events for event in decoder.read(orjson.dumps(body).decode(), body["type"])]

    assert Piece.added == []
    stopped = [event for event in hub if type(event) is PartStopped]
    assert [event.raw for event in stopped] == [
        {"type": "thinking", "thinking": "".join(f"{n}," for n in range(DELTAS)), "signature": "EqQ="}
    ]


def test_a_thinking_delta_to_a_redacted_block_is_still_malformed():
    decoder = anthropic_decoder.AnthropicDecoder(TranslationContext(), LossCollector(), "responses")
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "m"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "redacted_thinking", "data": "x"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "a"}},
    ]
    last = [decoder.read(orjson.dumps(body).decode(), body["type"]) for body in events][-1]
    assert [(type(e).__name__, e.code, e.message) for e in last] == [
        ("ResponseFailed", "upstream_malformed", "malformed anthropic stream event: content_block_delta without 'thinking'")
    ]
