"""A finished stream translator is freed by reference counting alone.

The proxy runs one translator per stream. If a translator (its decoder, encoder, loss collector) formed a
reference cycle, every stream would leave its whole state for the cyclic collector, whose pauses then land
in the middle of other streams. Here the collector is switched off while every fixture goes through every
direction; afterwards a collection must find nothing unreachable.
"""

from __future__ import annotations

import gc

import pytest
from apiswitch.runtime.streaming import StreamTranslator

from .harness import FORMATS, all_fixtures, fixture_bytes, make_context


@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("source", FORMATS)
def test_a_finished_stream_leaves_no_cyclic_garbage(source: str, target: str) -> None:
    streams = [fixture_bytes(name, fmt) for name, fmt in all_fixtures() if fmt == source]
    assert streams, f"no {source} fixtures"
    gc.collect()
    gc.disable()
    try:
        for data in streams:
            translator = StreamTranslator(source, target, context=make_context(source, target))
            translator.feed(data)
            translator.finish()
            translator.fail("after the end")
            del translator
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert unreachable == 0, f"{source} -> {target}: {unreachable} objects were only freed by the cyclic collector"
