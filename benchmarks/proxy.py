"""How much latency does `apiswitch serve` add? The same load against a scripted upstream, directly and
through the proxy, non-streaming and streaming, at concurrency 1 and 32.

    python benchmarks/proxy.py            # prints one table; numbers are from this one run
    python benchmarks/proxy.py --requests 100 --first-byte-ms 300 --event-ms 20
    python benchmarks/proxy.py --only instant --instant-requests 10000
    python benchmarks/proxy.py --only instant --lean-upstream   # capacity against a near-free upstream

The target (p50 overhead at most 1 ms, p99 at most 5 ms, at concurrency 32) applies to every row at 32
clients, with either upstream; the last lines give the verdict per upstream. On the paced rows "overhead" is
what the proxy adds to each request while 32 clients use it; on the instant rows it is mostly capacity (below).

Two upstreams, each its own process:
- "paced" answers like a model does, only faster than any real one: the first byte after --first-byte-ms
  (default 100) and stream events --event-ms apart (default 5), each at its time on the upstream's own clock
  as a model's tokens are. This is the proxy's added latency in use.
- "instant" answers at once. With 32 clients in a closed loop nobody ever waits for the upstream, so a
  request's latency is its wait behind the 31 others: the p50 is about 32 times the CPU time per request of
  the busiest process, and "overhead" compares the proxy's CPU per request with that of the scripted upstream
  sharing these cores. It therefore follows the fake upstream's own cost, not only the proxy's. The scripted
  upstream (a thread per connection) spends more CPU per request than the proxy; --lean-upstream replays its
  recorded answers from a minimal server that spends next to none, as a real provider spends none of this
  machine, and the same proxy's instant "overhead" then grows. Holding these rows to 1 ms would ask
  for a proxy that serves a request in about (1 ms + the direct p50) / 32 of CPU: against the lean upstream,
  some 40 us per request, HTTP parsing, routing, logging and translation included.
- "relay" is the floor, measured in the same run: a process that only copies bytes between client and
  upstream. What it adds is the cost of one more hop on this machine (two more socket writes and process
  wake-ups per message, which in a small VM can reach a millisecond once the processes idle); "-relay" is the
  proxy's latency above that floor, its own work.

"claude-code" rows send a request Claude Code really sent (tests/fixtures/captures, 88 KB: system prompt,
tools, a tool call and its result) instead of a one-line one: what the proxy costs on an agent's traffic.
Its direct row sends the chat body the proxy makes of it, so both rows ask the upstream the same.

Instant rows are measured in --rounds rounds (default 3), the paths taking turns within each, and every number
shown is the median over the rounds: on a shared machine one pause can otherwise move a row by milliseconds.

"cpu/req" is the proxy process's CPU time (user + system) per request of an instant row, from /proc: the least
noisy number here, and the one the proxy's capacity (and the instant rows' overhead) follows.

The upstream (a scripted chat provider from tests/upstreams) and the proxy (`apiswitch serve`) each run in
their own process, as in real use; the load generator is a third. "passthrough" is a chat client to a chat
provider (the proxy's own cost); "translated" is an anthropic client to the same chat provider (adds the
translators), measured when the translation layer is importable. Overhead = proxy minus direct, per
percentile. On a busy or small machine the p99 numbers mostly measure the scheduler: run it on an idle box.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

try:  # the load generator on the loop the proxy and the relay use: less of the machine than asyncio's own
    from uvloop import run
except ImportError:
    from asyncio import run

ROOT = Path(__file__).resolve().parent.parent
ANSWER = "The quick brown fox jumps over the lazy dog. " * 4  # about 45 tokens, 23 stream events
EVENTS = 23

UPSTREAM_SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT / 'tests')!r})
import gc
from upstreams import Fault, ScriptedUpstream, Reply
first_byte, event = float(sys.argv[1]), float(sys.argv[2])
reply = Reply.text({ANSWER!r}, chunk_size=8, fault=Fault(first_byte_delay=first_byte, event_delay=event))
# Keeps no requests, and its start-up heap is frozen: otherwise its full collections grow with every request
# served, until one stalls all its streams for 20 ms in the middle of a row and is charged to whatever path
# that row measures.
upstream = ScriptedUpstream("chat", default=reply, remember=0).start()
gc.collect()
gc.freeze()
print(upstream.port, flush=True)
sys.stdin.read()
"""

RELAY_SCRIPT = """
import asyncio, sys
try:
    import uvloop
    uvloop.install()
except ImportError:
    pass

async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()

async def serve(client_reader, client_writer):
    upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", int(sys.argv[1]))
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""

LEAN_UPSTREAM_SCRIPT = """
import asyncio, json, sys
try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
# The scripted upstream's own answers, recorded byte for byte: this server only parses framing and replays.
UNARY, STREAM = (open(path, "rb").read() for path in sys.argv[1:3])

class Replay(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.pending = transport, b""

    def data_received(self, data):
        self.pending += data
        while (end := self.pending.find(b"\\r\\n\\r\\n")) >= 0:
            head = self.pending[:end].lower()
            length = int(head.split(b"content-length:")[1].split(b"\\r\\n")[0])
            if len(self.pending) < end + 4 + length:
                return
            body, self.pending = self.pending[end + 4:end + 4 + length], self.pending[end + 4 + length:]
            self.transport.write(STREAM if json.loads(body).get("stream") else UNARY)

async def main():
    server = await asyncio.get_running_loop().create_server(Replay, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""

TARGET_P50_MS, TARGET_P99_MS = 1.0, 5.0
CHAT_BODY = {"model": "bench-model", "messages": [{"role": "user", "content": "Say the sentence."}]}
ANTHROPIC_BODY = {"model": "bench-model", "max_tokens": 200, "messages": [{"role": "user", "content": "Say it."}]}


@dataclass
class Sample:
    latency: float
    ttfb: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_upstream(first_byte: float = 0.0, event: float = 0.0) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, "-c", UPSTREAM_SCRIPT, str(first_byte), str(event)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


async def record_answer(port: int, path: str, body: dict, stream: bool) -> bytes:
    """One whole answer of the scripted upstream, head and body, exactly as it came."""
    connection = Connection("127.0.0.1", port)
    parts: list[bytes] = []
    try:
        await connection.request(path, payload(body, stream), keep=parts)
    finally:
        connection.close()
    return b"".join(parts)


def start_lean_upstream(scratch: Path) -> tuple[subprocess.Popen[str], int]:
    """A minimal server replaying the scripted upstream's instant answers: an upstream that costs this machine
    almost nothing per request, as a real provider costs it nothing at all."""
    scripted, port = start_upstream()
    try:
        unary = run(record_answer(port, "/v1/chat/completions", CHAT_BODY, False))
        stream = run(record_answer(port, "/v1/chat/completions", CHAT_BODY, True))
    finally:
        scripted.terminate()
        scripted.wait(10)
    (scratch / "unary.http").write_bytes(unary)
    (scratch / "stream.http").write_bytes(stream)
    process = subprocess.Popen([sys.executable, "-c", LEAN_UPSTREAM_SCRIPT, str(scratch / "unary.http"),
                                str(scratch / "stream.http")], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def start_relay(upstream_port: int) -> tuple[subprocess.Popen[str], int]:
    """The floor: one more hop that does nothing but copy bytes, in its own process like the proxy."""
    process = subprocess.Popen([sys.executable, "-c", RELAY_SCRIPT, str(upstream_port)], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def start_proxy(upstream_port: int, workdir: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = workdir / "bench.toml"
    config.write_text(f"""[server]
port = {port}

[log]
path = "{(workdir / 'requests.db').as_posix()}"

[providers.scripted]
format = "chat"
base_url = "http://127.0.0.1:{upstream_port}/v1"

[routes]
"*" = "scripted"
""")
    process = subprocess.Popen([sys.executable, "-m", "apiswitch", "serve", "--quiet", "--config", str(config),
                                "--workers", str(workers)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("apiswitch serve did not start")


class Connection(asyncio.Protocol):
    """A deliberately small HTTP/1.1 keep-alive client, so that the load generator spends as little of the
    machine as possible: on a small box the CPU it leaves free is what the upstream and the proxy share, and a
    client that costs much would crowd the proxied rows (three busy processes on the cores) more than the
    direct ones (two). It is a protocol rather than a stream reader, so that a read costs one callback instead
    of a coroutine step per line, and it reads only the framing: the status, then Content-Length or the chunk
    sizes up to the last chunk."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Sample] | None = None
        self.keep: list[bytes] | None = None
        self.lost: BaseException | None = None
        self.reset()

    def reset(self) -> None:
        self.buffer = b""
        self.at = -1  # where the body's next unread framing starts; -1 until the head is read
        self.length = -1  # Content-Length, or -1 for a chunked body
        self.status = 0
        self.start = self.first = 0.0

    async def request(self, path: str, body: bytes, keep: list[bytes] | None = None) -> Sample:
        """One exchange; `keep`, if given, receives the answer's bytes exactly as they came."""
        loop = asyncio.get_running_loop()
        if self.transport is None:
            await loop.create_connection(lambda: self, self.host, self.port)
        assert self.transport is not None
        if self.lost is not None:
            raise ConnectionError(f"{path}: connection lost") from self.lost
        self.reset()
        self.waiter, self.keep = loop.create_future(), keep
        self.start = time.perf_counter()
        self.transport.write(b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (path.encode(), self.host.encode(), len(body), body))
        sample = await self.waiter
        if self.status != 200:
            raise RuntimeError(f"{path}: HTTP {self.status}")
        return sample

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = exc or ConnectionError("closed by the server")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost mid-answer"))

    def data_received(self, data: bytes) -> None:
        if self.keep is not None:
            self.keep.append(data)
        buffer = self.buffer = self.buffer + data if self.buffer else data
        if self.at < 0:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = buffer[:head_end].lower()
            self.status = int(head.split(b" ", 2)[1])
            self.at = head_end + 4
            if b"transfer-encoding: chunked" not in head:
                self.length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
        if not self.first and len(buffer) > self.at:
            self.first = time.perf_counter()
        if self.length >= 0:
            end = self.at + self.length
            if len(buffer) < end:
                return
        else:
            end = -1
            while (line_end := buffer.find(b"\r\n", self.at)) >= 0:
                size = int(buffer[self.at:line_end].split(b";")[0], 16)
                if line_end + 4 + size > len(buffer):
                    break
                self.at = line_end + 4 + size
                if size == 0:
                    end = self.at
                    break
            if end < 0:
                if self.at:  # the read chunks go, so that no later read copies them again
                    self.buffer, self.at = buffer[self.at:], 0
                return
        assert self.waiter is not None
        if end != len(buffer):
            self.waiter.set_exception(RuntimeError(f"{len(buffer) - end} bytes after the answer"))
        else:
            self.waiter.set_result(Sample(time.perf_counter() - self.start, self.first - self.start))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def payload(body: dict, stream: bool) -> bytes:
    if stream and "messages" in body and "max_tokens" not in body:
        # A chat client asking for usage, as the proxy does for its anthropic clients: the same upstream work.
        body = dict(body, stream_options={"include_usage": True})
    return json.dumps(dict(body, stream=stream)).encode()


async def load(url: str, body: dict, stream: bool, concurrency: int, total: int,
               spread: float = 0.0) -> tuple[list[Sample], float]:
    """`total` requests from `concurrency` clients in a closed loop. `spread`: seconds over which the clients'
    first requests are staggered, so that clients of a paced upstream do not all wait, and then all get their
    answers, in the same instant forever after (real users are not synchronised)."""
    parsed = httpx.URL(url)
    data = payload(body, stream)
    connections = [Connection(parsed.host, parsed.port) for _ in range(concurrency)]
    try:
        for index in range(min(20, total)):  # warm the connections and both processes
            await connections[index % concurrency].request(parsed.path, data)
        samples: list[Sample] = []
        remaining = iter(range(total))

        async def worker(index: int, connection: Connection) -> None:
            await asyncio.sleep(spread * index / concurrency)
            for _ in remaining:
                samples.append(await connection.request(parsed.path, data))

        started = time.perf_counter()
        await asyncio.gather(*(worker(i, c) for i, c in enumerate(connections)))
        return samples, time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None where that cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Measure:
    """One path's numbers in one round."""

    rps: float
    p50: float
    p99: float
    ttfb50: float
    ttfb99: float
    cpu: float | None  # the proxy's CPU time per request, in microseconds


def measure(url: str, body: dict, stream: bool, concurrency: int, requests: int, spread: float,
            pid: int | None) -> Measure:
    before = cpu_seconds(pid)
    samples, elapsed = run(load(url, body, stream, concurrency, requests, spread))
    after = cpu_seconds(pid)
    latencies = [s.latency for s in samples]
    ttfbs = [s.ttfb for s in samples]
    cpu = (after - before) / len(samples) * 1e6 if before is not None and after is not None else None
    return Measure(len(samples) / elapsed, pct(latencies, 0.50), pct(latencies, 0.99), pct(ttfbs, 0.5),
                   pct(ttfbs, 0.99), cpu)


def middle(measures: list[Measure]) -> Measure:
    """Each number's median over the rounds."""
    def median(name: str) -> float:
        return statistics.median(getattr(m, name) for m in measures)

    cpus = [m.cpu for m in measures if m.cpu is not None]
    return Measure(median("rps"), median("p50"), median("p99"), median("ttfb50"), median("ttfb99"),
                   statistics.median(cpus) if cpus else None)


def run_rows(label: str, paths: list[tuple[str, str, dict]], requests: int, first_byte: float,
             event: float, concurrencies: tuple[int, ...] = (1, 32), proxy_pid: int | None = None,
             modes: tuple[bool, ...] = (False, True), rounds: int = 1) -> list[tuple[str, int, str, float, float]]:
    """Prints the rows; returns (mode, clients, path, +p50, +p99) of each proxied one.

    With several `rounds`, every path is measured once per round, the paths taking turns, and each number
    printed is its median over the rounds: a pause of the machine then spoils one round of one path instead
    of deciding a row, and a drift of the machine's speed during the run falls on every path alike.
    """
    overheads: list[tuple[str, int, str, float, float]] = []
    for stream in modes:
        for concurrency in concurrencies:
            spread = first_byte + (EVENTS * event if stream else 0.0)
            taken: dict[str, list[Measure]] = {name: [] for name, _, _ in paths}
            for _ in range(rounds):
                for name, url, body in paths:
                    # CPU only where requests come back to back: at a model's pace the process's idle ticks
                    # (timers, the log writer) would be charged to the few requests of the row.
                    proxied = name not in ("direct", "relay") and first_byte == 0
                    taken[name].append(measure(url, body, stream, concurrency, requests, spread,
                                               proxy_pid if proxied else None))
            base = middle(taken[paths[0][0]])
            floor = middle(taken["relay"]) if "relay" in taken else None
            for name, _, _ in paths:
                row = middle(taken[name])
                if name == paths[0][0]:
                    extra = f"{'':>8} {'':>8} {'':>8}"
                else:
                    relay = f"{row.p50 - floor.p50:>8.2f}" if floor is not None and name != "relay" else f"{'':>8}"
                    extra = f"{row.p50 - base.p50:>8.2f} {row.p99 - base.p99:>8.2f} {relay}"
                    if name != "relay":
                        overheads.append(("stream" if stream else "unary", concurrency, name, row.p50 - base.p50,
                                          row.p99 - base.p99))
                cpu = f"{row.cpu:>8.0f}" if row.cpu is not None else f"{'':>8}"
                print(f"{label:<8} {name:<12} {'stream' if stream else 'unary':<7} {concurrency:>4} "
                      f"{row.rps:>8.0f} {row.p50:>8.2f} {row.p99:>8.2f} {row.ttfb50:>9.2f} "
                      f"{row.ttfb99:>9.2f} {extra} {cpu}", flush=True)
    return overheads


def judge(label: str, overheads: list[tuple[str, int, str, float, float]]) -> str:
    """The target's verdict on one upstream's rows at 32 clients."""
    rows = [row for row in overheads if row[1] == 32]
    if not rows:
        return f"target, {label} upstream: not judged (no row at 32 clients in this run)"
    missed = [f"{mode} {path} {p50:+.2f}/{p99:+.2f} ms" for mode, _, path, p50, p99 in rows
              if p50 > TARGET_P50_MS or p99 > TARGET_P99_MS]
    verdict = "met" if not missed else "missed by " + ", ".join(missed)
    return (f"target, {label} upstream, 32 clients (p50 overhead <= {TARGET_P50_MS:g} ms, p99 <= "
            f"{TARGET_P99_MS:g} ms): {verdict}; worst p50 {max(r[3] for r in rows):+.2f} ms, "
            f"worst p99 {max(r[4] for r in rows):+.2f} ms")


def claude_code_bodies() -> tuple[dict, dict] | None:
    """A captured Claude Code request, and the chat body the proxy makes of it (from a child process, so that
    the translators never load into the load generator)."""
    capture = ROOT / "tests" / "fixtures" / "captures" / "claude-code-2.1.332-bash-turn2.json"
    if not capture.exists():
        return None
    body = json.loads(capture.read_text())["request"]["body"]
    body = {key: value for key, value in body.items() if key != "stream"}
    script = ("import json, sys\n"
              "from apiswitch.runtime.translate import translate_request\n"
              "body = json.load(sys.stdin)\n"
              "print(json.dumps(translate_request(body, 'anthropic', 'chat', options={'model': 'scripted'}).body))")
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(body), capture_output=True, text=True,
                          check=True)
    chat = {key: value for key, value in json.loads(done.stdout).items() if key not in ("stream", "stream_options")}
    return body, chat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per paced row (default 300)")
    parser.add_argument("--instant-requests", type=int, default=3000,
                        help="requests per instant row (default 3000: they take milliseconds each)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="instant rows: rounds per row, paths taking turns; each number is the median over "
                             "the rounds (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="proxy worker processes (default 1)")
    parser.add_argument("--first-byte-ms", type=float, default=100.0, help="paced upstream: time to first byte")
    parser.add_argument("--event-ms", type=float, default=5.0, help="paced upstream: time between stream events")
    parser.add_argument("--only", choices=("instant", "paced"), help="run one upstream only")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32], help="client counts (default 1 32)")
    parser.add_argument("--lean-upstream", action="store_true",
                        help="instant rows against a minimal server replaying the scripted upstream's answers "
                             "(labelled 'lean'): an upstream that takes next to no CPU of this machine")
    args = parser.parse_args()
    # Asked without importing it: the translators' import would grow this process's heap, and with it the
    # load generator's own collection pauses, which land on whichever request is in flight.
    translated = importlib.util.find_spec("apiswitch.runtime.translate") is not None
    large = claude_code_bodies() if translated else None
    gc.collect()
    gc.freeze()
    print(f"apiswitch proxy benchmark: {args.requests} requests per paced row, {args.instant_requests} per instant "
          f"row and round, {args.rounds} rounds (medians), {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]}, {args.workers} proxy worker(s); paced upstream: first byte "
          f"{args.first_byte_ms:g} ms, events {args.event_ms:g} ms apart")
    header = (f"{'upstream':<8} {'path':<12} {'mode':<7} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'ttfb p50':>9} {'ttfb p99':>9} {'+p50 ms':>8} {'+p99 ms':>8} {'-relay':>8} {'cpu/req':>8}")
    print(header)
    print("-" * len(header))
    upstreams = {"instant": (0.0, 0.0), "paced": (args.first_byte_ms / 1000, args.event_ms / 1000)}
    verdicts: dict[str, list[tuple[str, int, str, float, float]]] = {}
    for kind, (first_byte, event) in upstreams.items():
        if args.only and kind != args.only:
            continue
        with tempfile.TemporaryDirectory(prefix="apiswitch-bench-") as scratch:
            if kind == "instant" and args.lean_upstream:
                label = "lean"
                upstream, upstream_port = start_lean_upstream(Path(scratch))
            else:
                label = kind
                upstream, upstream_port = start_upstream(first_byte, event)
            try:
                proxy, proxy_port = start_proxy(upstream_port, Path(scratch), args.workers)
                relay, relay_port = start_relay(upstream_port)
                try:
                    paths = [("direct", f"http://127.0.0.1:{upstream_port}/v1/chat/completions", CHAT_BODY),
                             ("relay", f"http://127.0.0.1:{relay_port}/v1/chat/completions", CHAT_BODY),
                             ("passthrough", f"http://127.0.0.1:{proxy_port}/v1/chat/completions", CHAT_BODY)]
                    if translated:
                        paths.append(("translated", f"http://127.0.0.1:{proxy_port}/v1/messages", ANTHROPIC_BODY))
                    requests = args.instant_requests if kind == "instant" else args.requests
                    overheads = verdicts.setdefault(label, [])
                    rounds = args.rounds if kind == "instant" else 1
                    overheads += run_rows(label, paths, requests, first_byte, event, tuple(args.concurrency),
                                          proxy.pid, rounds=rounds)
                    if large is not None and kind == "instant":
                        agent, chat = large
                        overheads += run_rows(label, [
                            ("direct", f"http://127.0.0.1:{upstream_port}/v1/chat/completions", chat),
                            ("claude-code", f"http://127.0.0.1:{proxy_port}/v1/messages", agent)],
                            max(1, requests // 3), first_byte, event, tuple(args.concurrency), proxy.pid,
                            modes=(False,), rounds=rounds)
                finally:
                    for process in (proxy, relay):
                        process.terminate()
                        process.wait(10)
            finally:
                upstream.terminate()
                upstream.wait(10)
    for label, overheads in verdicts.items():
        print(judge(label, overheads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
