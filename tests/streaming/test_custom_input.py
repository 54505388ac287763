"""Incremental decoding of a bridged custom tool's `{"input": "..."}` arguments."""

from __future__ import annotations

import json
import random

from apiswitch.runtime.streaming.custom_input import CustomInputStreamer


def stream_in_pieces(arguments: str, sizes: list[int]) -> tuple[str, CustomInputStreamer]:
    streamer = CustomInputStreamer()
    out, pos, i = [], 0, 0
    while pos < len(arguments):
        size = sizes[i % len(sizes)]
        out.append(streamer.feed(arguments[pos : pos + size]))
        pos += size
        i += 1
    return "".join(out), streamer


def test_every_split_of_escapes_and_surrogate_pairs_decodes_to_the_original_text():
    text = 'line "1"\n\tback\\slash \u00e9 \U0001f389 end'
    for arguments in (
        json.dumps({"input": text}),
        json.dumps({"input": text}, ensure_ascii=False),
        '{ "input" :  ' + json.dumps(text) + " }",
    ):
        rng = random.Random(7)
        for _ in range(40):
            sizes = [rng.randint(1, 6) for _ in range(8)]
            decoded, streamer = stream_in_pieces(arguments, sizes)
            assert decoded == text and streamer.found_string


def test_text_is_released_as_it_arrives_not_at_the_end():
    streamer = CustomInputStreamer()
    assert streamer.feed('{"inp') == ""
    assert streamer.feed('ut": "*** Begin') == "*** Begin"
    assert streamer.feed(" Patch\\") == " Patch"
    assert streamer.feed('n***"}') == "\n***"


def test_arguments_of_another_shape_are_left_to_the_caller():
    for arguments in ('{"other": 1, "input": "x"}', '{"input": 5}', "[1]"):
        decoded, streamer = stream_in_pieces(arguments, [3])
        assert decoded == "" and not streamer.found_string
