"""Stream translation throughput for all six directions against a floor measured in the same run.

Run: python benchmarks/stream.py

The workload is one upstream answer of about 2,000 stream chunks in each source format: text deltas, then
three parallel tool calls with fragmented arguments, then usage. The floor is the least any translator must
do per chunk: split the SSE frames, ``orjson.loads`` each event and ``orjson.dumps`` it again. Each direction
prints upstream events per second and its ratio to the floor (target: chat -> anthropic within 3x), then the
memory held by one open translator.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import tracemalloc
from pathlib import Path

import orjson
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.streaming import StreamTranslator

FORMATS = ("anthropic", "chat", "responses")
ROOT = Path(__file__).resolve().parent.parent
READ_SIZE = 4096  # bytes per upstream read, about what a socket hands over under load


def load_builder():
    # The same scripted writers the streaming tests use for their fixtures.
    path = ROOT / "tests" / "streaming" / "fixtures" / "build.py"
    spec = importlib.util.spec_from_file_location("stream_fixture_build", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def workload(build) -> dict[str, bytes]:
    words = [f"word{i} " for i in range(1400)]
    tools = []
    for n in range(3):
        arguments = orjson.dumps({"path": f"src/module_{n}.py", "content": "x = 1\n" * 60}).decode()
        pieces = [arguments[i : i + 3] for i in range(0, len(arguments), 3)][:200]
        tools.append(build.Block("tool", pieces, id=f"call_{n}", name=f"tool_{n}"))
    scenario = build.Scenario("bench", [build.Block("text", words), *tools], "tool_use")
    return {fmt: build.WRITERS[fmt](scenario).encode() for fmt in FORMATS}


def reads(data: bytes) -> list[bytes]:
    return [data[i : i + READ_SIZE] for i in range(0, len(data), READ_SIZE)]


def floor(chunks: list[bytes]) -> int:
    pending = b""
    count = 0
    for chunk in chunks:
        frames = (pending + chunk).split(b"\n\n")
        pending = frames.pop()
        for frame in frames:
            data = frame[frame.find(b"data: ") + 6 :]
            if data != b"[DONE]":
                orjson.dumps(orjson.loads(data))
            count += 1
    return count


def translate(chunks: list[bytes], source: str, target: str) -> int:
    context = TranslationContext(
        source=target, target=source, client_model="bench", client_wants_stream_usage=True
    )
    translator = StreamTranslator(source, target, context=context)
    size = 0
    for chunk in chunks:
        size += len(translator.feed(chunk))
    return size + len(translator.finish())


def best_time(fn, *args, repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def memory_per_translator(source: str, target: str, data: bytes, n: int = 300) -> float:
    head = data[: len(data) // 20]  # mid-stream: a block open, state allocated
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = []
    for _ in range(n):
        translator = StreamTranslator(source, target, context=TranslationContext())
        translator.feed(head)
        keep.append(translator)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n


def main() -> None:
    streams = workload(load_builder())
    print(f"{'direction':<24}{'events':>8}{'events/s':>14}{'floor ev/s':>14}{'ratio':>8}{'KiB/open':>10}")
    for source in FORMATS:
        chunks = reads(streams[source])
        events = streams[source].count(b"\n\n")
        floor_time = best_time(floor, chunks)
        for target in FORMATS:
            spent = best_time(translate, chunks, source, target)
            memory = memory_per_translator(source, target, streams[source])
            print(
                f"{source + ' -> ' + target:<24}{events:>8}{events / spent:>14,.0f}{events / floor_time:>14,.0f}"
                f"{spent / floor_time:>7.2f}x{memory / 1024:>10.1f}"
            )


if __name__ == "__main__":
    main()
