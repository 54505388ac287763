"""The slot shortcut of the chat and Anthropic decoders changes nothing but speed.

A decoder reads a chunk that repeats the previous one's bytes around one new string through a StringSlot
(runtime/streaming/decoders/slot.py), parsing only that string and skipping checks the learnt chunk passed.
The oracle is the same decoder with the shortcut off (``slot_learnings = 0``: every chunk parsed whole): on
every stream, both give the same hub events at the same reads, the same decoder state after each read, the
same losses, and through the StreamTranslator the same client bytes.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from typing import Any

import orjson
import pytest
from apiswitch.runtime import ids
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.sse import SSEDecoder
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.streaming.decoders import DECODERS, AnthropicDecoder, ChatDecoder
from apiswitch.runtime.streaming.events import TextDelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import make_context, without_clock
from .slot_streams import SPELLINGS, TEXTS, anthropic_streams, chat_streams, render, spell, sse_reads

# Deterministic and short: the new tests together run in seconds. More examples for a hunt:
# `--hypothesis-seed` with a larger max_examples here, never in CI.
PROPERTY = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
STREAMS = {"chat": chat_streams(), "anthropic": anthropic_streams()}


def with_slots(decoder: type, learnings: int) -> type:
    return type(f"{decoder.__name__}With{learnings}Slots", (decoder,), {"slot_learnings": learnings})


# The oracles: every chunk parsed whole.
ORACLES = {"chat": with_slots(ChatDecoder, 0), "anthropic": with_slots(AnthropicDecoder, 0)}
# A decoder learns only its first few slots, for speed; correct whatever that number is, it is tried also with
# no limit, so that a slot is learnt from whatever chunk comes next, wherever in the stream it is.
EAGER = {"chat": with_slots(ChatDecoder, 10**9), "anthropic": with_slots(AnthropicDecoder, 10**9)}


class _CountedIds:
    """Stands in for the secrets module of apiswitch.runtime.ids: ids a stream makes up (a chat call without
    an id, a response without one) counted from 0, so that two runs of one stream can be compared."""

    def __init__(self) -> None:
        self._count = itertools.count()

    def token_hex(self, length: int) -> str:
        return f"{next(self._count):0{2 * length}x}"


@contextlib.contextmanager
def counted_ids():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ids, "secrets", _CountedIds())
        yield


def _state(decoder: Any) -> dict[str, Any]:
    """What a decoder keeps between reads, but its slot: a copy, as later reads change it."""
    kept = {k: v for k, v in vars(decoder).items() if k not in ("context", "losses") and not k.startswith("_slot")}
    return copy.deepcopy(kept)


def decode(decoder_class: type, reads: list[bytes], target: str) -> tuple[dict[str, Any], int]:
    """Everything a decoder gives for ``reads``, read by read, and how many events its slot read."""
    losses = LossCollector()
    decoder = decoder_class(TranslationContext(), losses, target)
    sse = SSEDecoder()
    trace: list[tuple[str, dict[str, Any]]] = []
    slot_reads = 0
    with counted_ids():
        for read in [*reads, None]:
            for data, name, _, _ in sse.feed_fields(read) if read is not None else sse.finish_fields():
                slot = getattr(decoder, "_slot", None)
                try:
                    # Written down as they come: an event must not change when later reads reuse the slot's
                    # object.
                    events = repr(decoder.read(data, name))
                except Exception as exc:  # noqa: BLE001 - the translator ends the stream there; so does this
                    trace.append((f"raised {exc!r}", _state(decoder)))
                    return {"trace": trace, "losses": [loss.to_dict() for loss in losses.losses]}, slot_reads
                # A read the slot took leaves the slot in place; any other drops it or learns a new one.
                slot_reads += slot is not None and getattr(decoder, "_slot", None) is slot
                trace.append((events, _state(decoder)))
        trace.append((repr(decoder.finish()), _state(decoder)))
    return {"trace": trace, "losses": [loss.to_dict() for loss in losses.losses],
            "closed": decoder.closed}, slot_reads


def assert_same_decoding(source: str, reads: list[bytes], target: str) -> int:
    """The decoder of ``source`` as shipped, and with no limit on its slots, give what it gives without
    them; how many events the slots read."""
    whole, _ = decode(ORACLES[source], reads, target)
    taken = 0
    for decoder in (DECODERS[source], EAGER[source]):
        fast, slot_reads = decode(decoder, reads, target)
        for number, (got, expected) in enumerate(zip(fast["trace"], whole["trace"], strict=True)):
            assert got == expected, f"{decoder.__name__}, event {number}"
        assert fast == whole, decoder.__name__
        taken += slot_reads
    return taken


def translate(source: str, target: str, reads: list[bytes], decoder: type) -> tuple[list[bytes], list, bool]:
    """The client bytes of each read (and of the end), the losses and whether the client stream ended, with
    ``decoder`` as the source's decoder."""
    with pytest.MonkeyPatch.context() as patch, counted_ids():
        patch.setitem(DECODERS, source, decoder)
        translator = StreamTranslator(source, target, context=make_context(source, target))
        out = [without_clock(translator.feed(read)) for read in reads]
        out.append(without_clock(translator.finish()))
    return out, [loss.to_dict() for loss in translator.losses], translator.closed


@settings(PROPERTY, max_examples=100)
@given(text=TEXTS, spelling=st.sampled_from(SPELLINGS), seed=st.integers(0, 2**16))
def test_every_spelling_of_a_drawn_string_reads_back_as_it(text, spelling, seed):
    # Else the properties below would mostly try literals that no reader takes.
    assert orjson.loads(spell(text, spelling, seed)) == text


# --- properties ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["chat", "anthropic"])
def test_the_slot_decodes_as_a_whole_parse(source):
    taken = []

    @PROPERTY
    @given(data=st.data(), target=st.sampled_from(["anthropic", "chat", "responses"]))
    def check(data, target):
        events = data.draw(STREAMS[source], label="events")
        reads = data.draw(sse_reads(events), label="reads")
        taken.append(assert_same_decoding(source, reads, target))

    check()
    # The property says little unless the shortcut was taken: most streams must have gone through a slot.
    assert sum(1 for count in taken if count) > len(taken) // 2, taken


@pytest.mark.parametrize(("source", "target"), [("chat", "anthropic"), ("chat", "responses"),
                                                ("anthropic", "chat"), ("anthropic", "responses")])
@settings(PROPERTY, max_examples=100)
@given(data=st.data())
def test_the_slot_translates_as_a_whole_parse(source, target, data):
    events = data.draw(STREAMS[source], label="events")
    reads = data.draw(sse_reads(events), label="reads")
    whole = translate(source, target, reads, ORACLES[source])
    assert translate(source, target, reads, DECODERS[source]) == whole
    assert translate(source, target, reads, EAGER[source]) == whole


# --- the cases most likely to break -------------------------------------------------------------------------

CHAT_HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
CHAT_TAIL = ',"logprobs":null,"finish_reason":null}]}'


def chat(delta: str, head: str = CHAT_HEAD, tail: str = CHAT_TAIL) -> str:
    return f'{head}"delta":{delta}{tail}'


def sse(*datas: str) -> list[bytes]:
    return [f"data: {data}\n\n".encode() for data in datas]


def events_of(source: str, reads: list[bytes], slots: bool = True) -> list[list[Any]]:
    """The hub events of each upstream event."""
    decoder = (DECODERS[source] if slots else ORACLES[source])(TranslationContext(), LossCollector(), "anthropic")
    sse_decoder = SSEDecoder()
    return [decoder.read(data, name) for read in reads for data, name, _, _ in sse_decoder.feed_fields(read)]


def flat(events: list[list[Any]]) -> list[Any]:
    return [event for group in events for event in group]


LEARNT = chat('{"content":"Hel"}')


@pytest.mark.parametrize("middle", [
    '"a","b"', '"a":"b"', '"a" "b"', "12", "-0.5e2", "null", "true", '{"x":"y"}', '["y"]', '""""', '"\\"',
    '"\\ud800"', '"a\tb"', '"abc', "",
], ids=repr)
def test_a_repeated_chunk_whose_middle_is_not_one_string_is_parsed_whole(middle):
    reads = sse(LEARNT, chat(f'{{"content":{middle}}}'), chat('{"content":"!"}'), "[DONE]")
    assert events_of("chat", reads) == events_of("chat", reads, slots=False)


@pytest.mark.parametrize("literal", ['"lo"', '"l\\u006f"', '"\\/o"', '"\\"o\\\\"', '"é🎉"', '"\\ud83c\\udf89"',
                                     '"\u2028"', '""', '"{\\"content\\":1}"', ' "lo" '], ids=repr)
def test_a_repeated_chunk_reads_any_spelling_of_its_string(literal):
    reads = sse(LEARNT, chat(f'{{"content":{literal}}}'), chat('{"content":"!"}'))
    got = events_of("chat", reads)
    assert got == events_of("chat", reads, slots=False)
    text = orjson.loads(literal)
    assert [e.text for e in flat(got) if type(e) is TextDelta] == ["Hel", *([text] if text else []), "!"]


def test_a_finish_reason_in_a_repeated_chunk_closes_the_text():
    finished = chat('{"content":"lo"}', tail=',"logprobs":null,"finish_reason":"stop"}]}')
    reads = sse(LEARNT, finished, "[DONE]")
    got = events_of("chat", reads)
    assert got == events_of("chat", reads, slots=False)
    assert [[type(e).__name__ for e in group] for group in got] == [
        ["ResponseStarted", "PartStarted", "TextDelta"], ["TextDelta", "PartStopped"], ["ResponseFinished"]]


def test_a_chunk_with_a_finish_reason_teaches_no_slot():
    finished = ',"logprobs":null,"finish_reason":"stop"}]}'
    reads = sse(chat('{"content":"a"}', tail=finished), chat('{"content":"b"}', tail=finished), "[DONE]")
    got = events_of("chat", reads)
    assert got == events_of("chat", reads, slots=False)
    # Each finish_reason closes the text it follows: two parts.
    assert [[type(e).__name__ for e in group] for group in got[1:]] == [
        ["PartStarted", "TextDelta", "PartStopped"], ["ResponseFinished"]]


def test_the_slot_finds_its_string_when_the_chunk_holds_it_twice():
    padded = ',"logprobs":null,"finish_reason":null}],"obfuscation":%s}'
    reads = sse(chat('{"content":"a"}', tail=padded % '"a"'), chat('{"content":"a"}', tail=padded % '"b"'),
                chat('{"content":"c"}', tail=padded % '"a"'), chat('{"role":"assistant","content":"assistant"}'),
                chat('{"role":"assistant","content":"x"}'), chat('{"role":"y","content":"assistant"}'))
    got = events_of("chat", reads)
    assert got == events_of("chat", reads, slots=False)
    assert [e.text for e in flat(got) if type(e) is TextDelta] == ["a", "a", "c", "assistant", "x", "assistant"]


@pytest.mark.parametrize("delta", [
    '{"content":%s,"refusal":"r"}', '{"refusal":"r","content":%s}', '{"reasoning_content":%s,"content":"t"}',
    '{"content":"t","reasoning_content":%s}', '{"content":%s,"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}',
    '{"reasoning":%s,"content":null,"x_note":"n"}', '{"content":%s,"x_note":"n"}',
])
def test_a_repeated_delta_with_text_beside_something_else_reads_both(delta):
    reads = sse(*(chat(delta % spell(text, "plain")) for text in ("a", "b", "c")), "[DONE]")
    assert events_of("chat", reads) == events_of("chat", reads, slots=False)


def test_a_chunk_with_another_id_is_parsed_whole():
    other = chat('{"content":"lo"}', head=CHAT_HEAD.replace("chatcmpl-1", "chatcmpl-2"))
    reads = sse(LEARNT, other, chat('{"content":"!"}'), chat('{"content":"?"}'))
    assert events_of("chat", reads) == events_of("chat", reads, slots=False)


def test_a_chunk_whose_head_matches_but_not_its_tail_is_parsed_whole():
    # The same bytes up to the string, then another choice, usage and an extra field.
    tails = [',"logprobs":null,"finish_reason":null},{"index":1,"delta":{"content":"x"}}]}',
             ',"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":2}}',
             ',"logprobs":null,"finish_reason":null,"extra":"kept?"}]}', '}']
    for tail in tails:
        reads = sse(LEARNT, chat('{"content":"lo"}', tail=tail), chat('{"content":"!"}'), "[DONE]")
        assert events_of("chat", reads) == events_of("chat", reads, slots=False), tail


def test_a_repeated_tool_arguments_chunk_after_the_call_changed_is_parsed_whole():
    header = chat('{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]}')
    fragment = chat('{"tool_calls":[{"index":0,"function":{"arguments":"{\\"a\\""}}]}')
    second = chat('{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":""}}]}')
    late = chat('{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}')
    reads = sse(header, fragment, fragment, second, late, chat('{}', tail=',"finish_reason":"tool_calls"}]}'), "[DONE]")
    assert events_of("chat", reads) == events_of("chat", reads, slots=False)


def test_deepseek_reasoning_beside_a_null_content_then_text():
    reasoning = [chat(f'{{"content":null,"reasoning_content":{spell(t, "ascii")}}}') for t in ("Th", "é", "")]
    reads = sse(*reasoning, chat('{"content":"A","reasoning_content":null}'), chat('{"content":"B"}'))
    assert events_of("chat", reads) == events_of("chat", reads, slots=False)


ANTHROPIC = [
    ("message_start", {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": {"input_tokens": 3}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
]


def anthropic(*extra: str) -> list[bytes]:
    style = {"colon": ": ", "comma": ", ", "spelling": "plain"}
    datas = [(name, render(body, style)) for name, body in ANTHROPIC] + [("content_block_delta", e) for e in extra]
    return [f"event: {name}\ndata: {data}\n\n".encode() for name, data in datas]


LEARNT_TEXT = render(ANTHROPIC[2][1], {"colon": ": ", "comma": ", ", "spelling": "plain"})


@pytest.mark.parametrize("replacement", [
    ('"Hi"', '" there"'), ('"Hi"', "7"), ('"Hi"', '"a", "text": "b"'), ('"Hi"', '{"x": "y"}'),
    ('"index": 0', '"index": 1'), ('"text_delta"', '"thinking_delta"'), ('"text": ', '"thinking": '),
    ("}}", '}, "extra": "x"}'),
], ids=repr)
def test_an_anthropic_delta_like_the_learnt_one_decodes_as_parsed_whole(replacement):
    old, new = replacement
    reads = anthropic(LEARNT_TEXT.replace(old, new), LEARNT_TEXT)
    assert events_of("anthropic", reads) == events_of("anthropic", reads, slots=False)


def test_an_anthropic_text_delta_after_its_block_closed_is_refused_with_the_slot_too():
    stop = render({"type": "content_block_stop", "index": 0}, {"colon": ": ", "comma": ", ", "spelling": "plain"})
    reads = anthropic(LEARNT_TEXT.replace('"Hi"', '"a"'), stop, LEARNT_TEXT.replace('"Hi"', '"b"'))
    got = events_of("anthropic", reads)
    assert got == events_of("anthropic", reads, slots=False)
    assert type(got[-1][-1]).__name__ == "ResponseFailed"
