"""The proxy's own HTTP/1.1 client (runtime/proxy/http1.py) against small real servers on 127.0.0.1: keep-alive
reuse over TCP and TLS, an idle connection the server closed, chunked and EOF-delimited bodies, timeouts, a
response abandoned half-read, and connection errors as httpx's exceptions."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from apiswitch.runtime.proxy.http1 import Http1Transport, NoResponse, NotComplete, ProviderRequest, Target

BODY = b'{"ok":true}'
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=60)


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head, await reader.readexactly(length)


def fixed(close_after_response: bool = False) -> tuple[Handler, list[bytes]]:
    """Answers every request with BODY; records each request's head and body."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head, body = await read_request(reader)
                seen.append(head + body)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r1\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
                await writer.drain()
                if close_after_response:
                    writer.close()  # closed while the client keeps it as an idle keep-alive connection
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return handle, seen


async def start(handler: Handler, ssl_context: ssl.SSLContext | None = None):
    connections: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await handler(reader, writer)

    server = await asyncio.start_server(counted, "127.0.0.1", 0, ssl=ssl_context)
    return server, server.sockets[0].getsockname()[1], connections


def post(url: str, read: float = 5) -> ProviderRequest:
    return ProviderRequest(Target(url), {"content-type": "application/json"}, b'{"model":"m"}',
                           connect=5, read=read, pool=5)


class Fetched:
    def __init__(self, status_code: int, content: bytes, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers


async def fetch(transport: Http1Transport, url: str, read: float = 5) -> Fetched:
    response = await transport.send(post(url, read))
    content = await response.aread()
    await response.aclose()
    return Fetched(response.status_code, content, response.header_dict())


def test_keep_alive_reuses_one_connection_and_sends_the_request_whole():
    async def run():
        handler, seen = fixed()
        server, port, connections = await start(handler)
        async with server:
            transport = Http1Transport(LIMITS)
            first = await fetch(transport, f"http://127.0.0.1:{port}/v1/chat/completions")
            second = await fetch(transport, f"http://127.0.0.1:{port}/v1/chat/completions?x=1")
            await transport.aclose()
        return first, second, seen, len(connections)

    first, second, seen, connections = asyncio.run(run())
    assert (first.status_code, first.content, first.headers["x-request-id"]) == (200, BODY, "r1")
    assert second.content == BODY
    assert connections == 1
    assert seen[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert seen[1].startswith(b"POST /v1/chat/completions?x=1 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in seen[0] and b"\r\ncontent-length: 13\r\n" in seen[0].lower()
    assert seen[0].endswith(b'\r\n\r\n{"model":"m"}')


def test_an_idle_connection_closed_by_the_server_is_replaced():
    async def run():
        handler, _ = fixed(close_after_response=True)
        server, port, connections = await start(handler)
        async with server:
            transport = Http1Transport(LIMITS)
            bodies = []
            for _ in range(3):
                bodies.append((await fetch(transport, f"http://127.0.0.1:{port}/")).content)
                await asyncio.sleep(0.05)
            await transport.aclose()
        return bodies, len(connections)

    bodies, connections = asyncio.run(run())
    assert bodies == [BODY] * 3
    assert connections == 3


def test_chunked_body_streams_piece_by_piece():
    release = asyncio.Event

    async def run():
        gate = release()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(b"8\r\ndata: 1\n\r\n")
            await writer.drain()
            await gate.wait()  # the client must see the first piece before the second exists
            writer.write(b"8\r\ndata: 2\n\r\n0\r\n\r\n")
            await writer.drain()

        server, port, _ = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/"))
            pieces = []
            async for piece in response.aiter_raw():
                pieces.append(piece)
                gate.set()
            await response.aclose()
            reused = transport.idle_count
            await transport.aclose()
        return pieces, reused

    pieces, reused = asyncio.run(run())
    assert pieces == [b"data: 1\n", b"data: 2\n"]
    assert reused == 1


def test_a_body_without_length_ends_with_the_connection_and_is_not_reused():
    async def run():
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
            await writer.drain()
            writer.close()

        server, port, _ = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            response = await fetch(transport, f"http://127.0.0.1:{port}/")
            idle = transport.idle_count
            await transport.aclose()
        return response.content, idle

    assert asyncio.run(run()) == (b"until the end", 0)


def test_a_connection_cut_mid_body_is_a_protocol_error():
    async def run():
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
            await writer.drain()
            writer.close()

        server, port, _ = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            try:
                await fetch(transport, f"http://127.0.0.1:{port}/")
            finally:
                await transport.aclose()

    with pytest.raises(httpx.RemoteProtocolError, match="before the response was complete"):
        asyncio.run(run())


async def ask_a_silent_server(request_for, expected: type[Exception], match: str | None = None):
    """Send to a server that reads the request and never answers: (seconds until `expected`, (open, idle))."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    server, port, _ = await start(handle)
    async with server:
        transport = Http1Transport(LIMITS)
        started = time.monotonic()
        with pytest.raises(expected, match=match):
            await transport.send(request_for(f"http://127.0.0.1:{port}/"))
        waited = time.monotonic() - started
        state = (transport.open_count, transport.idle_count)
        await transport.aclose()
        server.close()
    return waited, state


def test_silence_is_a_read_timeout_and_the_connection_is_dropped():
    _, state = asyncio.run(ask_a_silent_server(lambda url: post(url, read=0.2), httpx.ReadTimeout))
    assert state == (0, 0)


def test_no_head_within_the_first_byte_time_is_no_response_even_with_a_longer_read_timeout():
    def request_for(url: str) -> ProviderRequest:
        request = post(url, read=5)
        request.first_byte = 0.2
        return request

    waited, state = asyncio.run(ask_a_silent_server(request_for, NoResponse, r"no response within 0\.2s"))
    assert waited < 2 and state == (0, 0)


def test_a_body_trickling_past_its_whole_time_is_not_complete():
    async def run():
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(50):  # each piece well inside the read timeout, all of them far past `within`
                writer.write(b"1\r\na\r\n")
                await writer.drain()
                await asyncio.sleep(0.05)

        server, port, _ = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/", read=1))
            with pytest.raises(NotComplete, match=r"not complete within 0\.3s"):
                await response.aread(within=0.3)
            state = (transport.open_count, transport.idle_count)
            await transport.aclose()
            server.close()
        return state

    assert asyncio.run(run()) == (0, 0)


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent():
    async def run():
        handler, seen = fixed()
        server, port, connections = await start(handler)
        async with server:
            transport = Http1Transport(LIMITS)
            request = post(f"http://127.0.0.1:{port}/")
            request.headers["x-note"] = "a\r\nx-injected: 1"
            with pytest.raises(httpx.LocalProtocolError, match="x-note"):
                await transport.send(request)
            await transport.aclose()
        return seen, len(connections)

    assert asyncio.run(run()) == ([], 0)


def test_a_response_abandoned_half_read_closes_its_connection():
    async def run():
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            await writer.drain()
            await asyncio.sleep(5)

        server, port, connections = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/"))
            async for piece in response.aiter_raw():
                assert piece == b"abc"
                break
            await response.aclose()
            state = (transport.open_count, transport.idle_count)
            await transport.aclose()
            server.close()
        return state

    assert asyncio.run(run()) == (0, 0)


def test_a_slow_reader_pauses_the_socket_instead_of_buffering_everything():
    async def run():
        size = 4 * 1024 * 1024

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            writer.write(b"x" * size)
            await writer.drain()

        server, port, _ = await start(handle)
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/"))
            await asyncio.sleep(0.3)  # nobody reads: the transport must stop taking bytes
            connection = next(iter(transport.in_use))
            buffered, paused = connection.buffered, connection.paused
            total = len(await response.aread())
            await response.aclose()
            await transport.aclose()
        return buffered, paused, total, size

    buffered, paused, total, size = asyncio.run(run())
    assert paused and buffered < size // 4
    assert total == size


def test_tls(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the TLS test")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))

    async def run():
        handler, _ = fixed()
        server, port, connections = await start(handler, server_context)
        async with server:
            transport = Http1Transport(LIMITS, client_context)
            bodies = [(await fetch(transport, f"https://localhost:{port}/")).content for _ in range(2)]
            await transport.aclose()
        return bodies, len(connections)

    assert asyncio.run(run()) == ([BODY, BODY], 1)


def test_connection_refused_is_a_connect_error_and_frees_its_slot():
    async def run():
        handler, _ = fixed()
        server, port, _ = await start(handler)
        server.close()
        await server.wait_closed()
        transport = Http1Transport(LIMITS)
        with pytest.raises(httpx.ConnectError):
            await transport.send(post(f"http://127.0.0.1:{port}/"))
        return transport.open_count

    assert asyncio.run(run()) == 0


def trickled(pieces: list[bytes], gap: float, stall: bool = False) -> Handler:
    """A chunked answer whose pieces leave `gap` seconds apart, each in a read of its own; with `stall`, the
    last chunk never comes."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in pieces:
            await asyncio.sleep(gap)
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
        if stall:
            await asyncio.sleep(30)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return handle


PIECES = [b"piece %d;" % i for i in range(8)]


def test_a_sink_takes_body_while_the_reader_waits_and_what_it_declines_comes_back_in_order():
    async def run():
        log: list[bytes] = []
        offers = 0

        def sink(data: bytes) -> bool:
            nonlocal offers
            offers += 1
            if offers % 3 == 0:
                return False  # declined: the reader must get it, before anything later
            log.append(data)
            return True

        server, port, _ = await start(trickled(PIECES, 0.02))
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/"))
            response.body.sink = sink
            returned = []
            async for chunk in response.aiter_raw():
                returned.append(chunk)
                log.append(chunk)
            reused = transport.idle_count
            await transport.aclose()
        return log, returned, offers, reused

    log, returned, offers, reused = asyncio.run(run())
    assert b"".join(log) == b"".join(PIECES)
    assert returned and len(log) > len(returned)  # both ways were used
    assert offers >= len(PIECES) - 1
    assert reused == 1  # read to its end either way: the connection is kept


def test_a_sink_that_fails_fails_the_reader_and_the_connection_is_not_kept():
    async def run():
        def sink(data: bytes) -> bool:
            raise ValueError("the translator broke")

        server, port, _ = await start(trickled(PIECES, 0.02))
        async with server:
            transport = Http1Transport(LIMITS)
            response = await transport.send(post(f"http://127.0.0.1:{port}/"))
            response.body.sink = sink
            with pytest.raises(ValueError, match="the translator broke"):
                async for _ in response.aiter_raw():
                    pass
            kept = transport.idle_count, len(transport.in_use)
            await transport.aclose()
        return kept

    assert asyncio.run(run()) == (0, 0)


@pytest.mark.parametrize("stall", [False, True])
def test_what_a_sink_takes_restarts_the_read_timeout(stall: bool):
    async def run():
        taken: list[bytes] = []
        server, port, _ = await start(trickled(PIECES, 0.1, stall=stall))
        async with server:
            transport = Http1Transport(LIMITS)
            # Eight pieces 0.1 s apart outlast a 0.35 s read timeout many times over, but none waits for it.
            response = await transport.send(post(f"http://127.0.0.1:{port}/", read=0.35))
            response.body.sink = lambda data: taken.append(data) is None
            started = time.monotonic()
            try:
                async for _ in response.aiter_raw():
                    pass
                outcome = "complete"
            except httpx.ReadTimeout:
                outcome = "timeout"
            elapsed = time.monotonic() - started
            await transport.aclose()
        return outcome, b"".join(taken), elapsed

    outcome, taken, elapsed = asyncio.run(run())
    assert taken == b"".join(PIECES)
    if stall:
        assert outcome == "timeout" and elapsed < 3  # the silence after the last piece, not the 30 s stall
    else:
        assert outcome == "complete"
