"""The proxy's HTTP/1.1 client for provider traffic: an httpx transport on asyncio protocols and llhttp.

Why not httpcore: under load its connection pool scans every pooled connection several times per request and
its h11 parser is pure Python; together they were over a third of the proxy's CPU. Here a request is one
`write`, the response is parsed in C (httptools), and the pool is a stack of idle connections per origin.
The transport keeps httpx's interface (requests in, `httpx.Response` with a byte stream out) and raises
httpx's exceptions, so the forwarding code reads the same with either transport.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools
import httpx

Origin = tuple[bytes, str, int]
# Past this much unread body the socket stops being read, so a slow client cannot make the proxy buffer an
# upstream's whole answer.
_HIGH_WATER = 256 * 1024


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses one response at a time."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.parser: Any = None
        self.received_any = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done: asyncio.Future[None] | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.paused = False
        self.complete = False
        self.error: Exception | None = None
        self.wakeup: asyncio.Future[None] | None = None
        self.until_eof = False
        self.keep_alive = False

    # -- asyncio.Protocol ----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but have its interface.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            # Bytes nobody asked for on an idle connection: it can no longer be trusted.
            self._fail(httpx.RemoteProtocolError("unexpected data on an idle connection"))
            return
        self.received_any = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        self._closed_by_peer()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed_by_peer(exc)

    # -- llhttp callbacks ----------------------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 200:  # an interim 1xx answer; the real one follows
            self.headers = []
            return
        names = {name.lower() for name, _ in self.headers}
        self.until_eof = b"content-length" not in names and b"transfer-encoding" not in names
        if self.head_done is not None and not self.head_done.done():
            self.head_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.status < 200:
            return
        self.complete = True
        # llhttp forgets this once the message is over, so it is read now.
        self.keep_alive = self.parser.should_keep_alive()
        self._wake()

    # -- state changes -------------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self.error is None and not self.complete:
            self.error = error
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        if self.head_done is not None and not self.head_done.done():
            self.head_done.set_exception(self.error or error)
            self.head_done.exception()  # retrieved here: the waiter may already be gone
        self._wake()

    def _closed_by_peer(self, exc: Exception | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        if self.parser is None or self.complete:
            return
        if self.head_done is not None and self.head_done.done() and self.until_eof:
            # A body without length or chunking ends where the connection does.
            self.complete = True
            self._wake()
            return
        reason = f": {exc}" if exc else ""
        self._fail(httpx.RemoteProtocolError(f"server disconnected before the response was complete{reason}"))

    # -- one exchange --------------------------------------------------------------------------------------

    def begin(self, data: bytes) -> asyncio.Future[None]:
        assert self.transport is not None
        self.parser = httptools.HttpResponseParser(self)
        self.received_any = False
        self.status = 0
        self.headers = []
        self.chunks.clear()
        self.buffered = 0
        self.complete = False
        self.error = None
        self.until_eof = False
        self.keep_alive = False
        self.head_done = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.head_done

    async def next_chunk(self, timeout: float | None) -> bytes | None:
        """The next piece of body, or None at its end."""
        while not self.chunks:
            if self.error is not None:
                raise self.error
            if self.complete:
                return None
            loop = asyncio.get_running_loop()
            self.wakeup = waiter = loop.create_future()
            # A bare timer rather than asyncio.timeout(): this runs once per body chunk of every stream, and
            # the timeout context (task lookup, cancellation bookkeeping) costs twice the wait it guards.
            timer = None if timeout is None else loop.call_later(timeout, _read_timed_out, waiter, timeout)
            try:
                await waiter
            finally:
                self.wakeup = None
                if timer is not None:
                    timer.cancel()
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered <= _HIGH_WATER // 4 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self.error is None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _read_timed_out(waiter: asyncio.Future[None], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout(f"no data within {timeout:g}s"))


class _Body(httpx.AsyncByteStream):
    def __init__(self, pool: Http1Transport, connection: _Connection, read_timeout: float | None) -> None:
        self.pool = pool
        self.connection: _Connection | None = connection
        self.read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self.connection
        if connection is None:
            raise httpx.StreamClosed()
        while True:
            try:
                chunk = await connection.next_chunk(self.read_timeout)
            except BaseException:
                await self.aclose()
                raise
            if chunk is None:
                await self.aclose()  # read to its end: the connection goes back to the pool
                return
            yield chunk

    async def aclose(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if connection.complete and not connection.chunks:
            self.pool.release(connection)
        else:
            # Unread body left on the wire: the connection cannot carry another request.
            connection.close()
            self.pool.forget(connection)


class Http1Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive over TCP or TLS; no proxies (the httpx transport serves those)."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self.max_connections = limits.max_connections or 1_000_000
        self.max_idle = limits.max_keepalive_connections or 0
        self.keepalive_expiry = limits.keepalive_expiry if limits.keepalive_expiry is not None else 60.0
        self.ssl_context = ssl_context
        self.idle: dict[Origin, list[_Connection]] = {}
        self.idle_count = 0
        self.open_count = 0
        self.slots = asyncio.Semaphore(self.max_connections)
        self.in_use: set[_Connection] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme.decode()!r}")
        port = url.port or (443 if scheme == b"https" else 80)
        origin = (scheme, url.host, port)
        timeouts = request.extensions.get("timeout", {})
        head = self._head(request)
        body = request.content  # always bytes here: the proxy sends whole bodies
        data = head + body
        for reused in (True, False):
            connection = self._idle_connection(origin) if reused else None
            if reused and connection is None:
                continue
            if connection is None:
                connection = await self._connect(origin, timeouts.get("connect"), timeouts.get("pool"))
            self.in_use.add(connection)
            try:
                await self._wait_head(connection.begin(data), timeouts.get("read"))
            except httpx.RemoteProtocolError:
                self._discard(connection)
                if reused and not connection.received_any:
                    continue  # the server had closed this idle connection: a fresh one gets the request
                raise
            except BaseException:
                self._discard(connection)
                raise
            headers = connection.headers
            return httpx.Response(connection.status, headers=headers, request=request,
                                  stream=_Body(self, connection, timeouts.get("read")),
                                  extensions={"http_version": b"HTTP/1.1"})
        raise AssertionError("unreachable")

    @staticmethod
    async def _wait_head(head_done: asyncio.Future[None], timeout: float | None) -> None:
        try:
            if timeout is None:
                await head_done
            else:
                async with asyncio.timeout(timeout):
                    await head_done
        except TimeoutError:
            raise httpx.ReadTimeout(f"no response within {timeout:g}s") from None

    @staticmethod
    def _head(request: httpx.Request) -> bytes:
        url = request.url
        target = url.raw_path
        lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), target)]
        has_host = False
        for name, value in request.headers.raw:
            lower = name.lower()
            if lower == b"host":
                has_host = True
            elif lower in (b"connection", b"transfer-encoding"):
                continue
            lines.append(b"%s: %s\r\n" % (name, value))
        if not has_host:
            lines.insert(1, b"Host: %s\r\n" % url.netloc)
        if "content-length" not in request.headers:
            lines.append(b"Content-Length: %d\r\n" % len(request.content))
        lines.append(b"\r\n")
        return b"".join(lines)

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        stack = self.idle.get(origin)
        now = time.monotonic()
        while stack:
            connection = stack.pop()
            self.idle_count -= 1
            if not connection.closed and now - connection.idle_since < self.keepalive_expiry:
                return connection
            self._discard(connection)
        return None

    async def _connect(self, origin: Origin, timeout: float | None, pool_timeout: float | None) -> _Connection:
        try:
            if pool_timeout is None:
                await self.slots.acquire()
            else:
                async with asyncio.timeout(pool_timeout):
                    await self.slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(f"no free upstream connection within {pool_timeout:g}s") from None
        self.open_count += 1
        scheme, host, port = origin
        tls = None
        if scheme == b"https":
            tls = self.ssl_context or httpx.create_ssl_context()
            self.ssl_context = tls
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(origin), host, port, ssl=tls, server_hostname=host if tls else None)
        except TimeoutError:
            self._freed()
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout:g}s") from None
        except (OSError, ssl.SSLError) as exc:
            self._freed()
            raise httpx.ConnectError(f"{host}:{port}: {exc or type(exc).__name__}") from exc
        except BaseException:
            self._freed()
            raise
        return protocol

    def _freed(self) -> None:
        self.open_count -= 1
        self.slots.release()

    def release(self, connection: _Connection) -> None:
        """A response was read to its end: keep the connection for the next request to its origin."""
        self.in_use.discard(connection)
        if connection.reusable() and self.idle_count < self.max_idle:
            connection.parser = None
            connection.idle_since = time.monotonic()
            self.idle.setdefault(connection.origin, []).append(connection)
            self.idle_count += 1
        else:
            connection.close()
            self._freed()

    def forget(self, connection: _Connection) -> None:
        if connection in self.in_use:
            self.in_use.discard(connection)
            self._freed()

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        if connection in self.in_use:
            self.in_use.discard(connection)
        self._freed()

    async def aclose(self) -> None:
        for stack in self.idle.values():
            for connection in stack:
                connection.close()
        self.idle.clear()
        self.idle_count = 0
        for connection in list(self.in_use):
            connection.close()
        self.in_use.clear()

