"""Same-format streams: the proxy knows a stream is complete only from its terminal event.

A passthrough stream that stops without one was cut off, and the client must be told; a complete one must
not get an error appended. Text that merely mentions a terminal event's name is not one.
"""

from __future__ import annotations

import pytest
from apiswitch.runtime.proxy.translation import PassthroughStream

CHAT_CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'

COMPLETE = {
    "chat": [CHAT_CHUNK % b"hi", b'data: {"choices":[{"index":0,"delta":{},"finish_reason" : "stop"}]}\n\n'],
    "chat-n2": [b'data: {"choices":[{"index":0,"finish_reason":null},{"index":1,"finish_reason":"length"}]}\n\n'],
    "chat-done-only": [CHAT_CHUNK % b"hi", b"data:[DONE]\n\n"],
    "anthropic": [b'event: message_stop\ndata: {"type":"message_stop"}\n\n'],
    "responses": [b'event: response.incomplete\ndata: {"type":"response.incomplete","response":{}}\n\n'],
}
CUT_OFF = {
    "chat": [CHAT_CHUNK % b"data: [DONE]", CHAT_CHUNK % b'\\"finish_reason\\": null'],
    "anthropic": [b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                  b'"delta":{"type":"text_delta","text":"message_stop"}}\n\n'],
    "responses": [b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
                  b'"delta":"response.completed"}\n\n'],
}


@pytest.mark.parametrize("case", sorted(COMPLETE))
def test_a_stream_with_its_terminal_event_ends_cleanly(case: str) -> None:
    stream = PassthroughStream(case.split("-")[0], "client-model")
    for frame in COMPLETE[case]:
        stream.feed(frame)
    # A chat stream is whole at its finish_reason; its client still gets the [DONE] it reads to.
    left_out = case.startswith("chat") and not any(b"[DONE]" in frame for frame in COMPLETE[case])
    assert stream.finish() == (b"data: [DONE]\n\n" if left_out else b"")
    assert stream.error is None


@pytest.mark.parametrize("fmt", sorted(CUT_OFF))
def test_a_stream_that_only_mentions_its_terminal_event_was_cut_off(fmt: str) -> None:
    stream = PassthroughStream(fmt, "client-model")
    for frame in CUT_OFF[fmt]:
        stream.feed(frame)
    tail = stream.finish()
    assert stream.error == "upstream stream ended before its final event"
    assert b"ended before its final event" in tail
