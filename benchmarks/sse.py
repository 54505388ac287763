"""SSE parsing: apiswitch's decoder against httpx-sse on the same byte chunks.

Run: python benchmarks/sse.py. Prints events per second for both and the ratio (ours / httpx-sse).
httpx-sse is driven the way its EventSource drives it: incremental UTF-8 text decoding, its line
decoder, then its event decoder (whose default event name "message" counts as no name); both sides get identical chunks and must produce identical events.
"""

from __future__ import annotations

import codecs
import random
import time

import orjson
from apiswitch.runtime.sse import SSEDecoder, encode_event
from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
from httpx_sse._decoders import SSELineDecoder


def build_stream(n: int) -> bytes:
    frames = []
    for i in range(n):
        payload = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": f"tok{i} é"},
        }
        frames.append(encode_event(orjson.dumps(payload), "content_block_delta" if i % 2 else None))
    return b"".join(frames)


def chunked(stream: bytes, size: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(stream):
        step = rng.randint(size // 2, size * 3 // 2)
        out.append(stream[pos : pos + step])
        pos += step
    return out


def ours(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    decoder = SSEDecoder()
    events = []
    for chunk in chunks:
        events.extend((e.event, e.data) for e in decoder.feed(chunk))
    events.extend((e.event, e.data) for e in decoder.finish())
    return events


def httpx_sse(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    text_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    lines = SSELineDecoder()
    decoder = HttpxSSEDecoder()
    events = []
    for chunk in chunks:
        for line in lines.decode(text_decoder.decode(chunk)):
            sse = decoder.decode(line)
            if sse is not None:
                events.append((None if sse.event == "message" else sse.event, sse.data))
    for line in lines.flush() + [""]:
        sse = decoder.decode(line)
        if sse is not None:
            events.append((None if sse.event == "message" else sse.event, sse.data))
    return events


def best_rate(fn, chunks: list[bytes], n_events: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(chunks)
        best = min(best, time.perf_counter() - start)
    return n_events / best


def main() -> None:
    n = 20_000
    stream = build_stream(n)
    for size in (64, 1024, 16384):
        chunks = chunked(stream, size)
        assert ours(chunks) == httpx_sse(chunks), "decoders disagree"
        a = best_rate(ours, chunks, n)
        b = best_rate(httpx_sse, chunks, n)
        print(
            f"chunk ~{size:>5} B: apiswitch {a:>12,.0f} ev/s   httpx-sse {b:>12,.0f} ev/s   ratio {a / b:.2f}x"
        )


if __name__ == "__main__":
    main()
