"""The proxy's HTTP/1.1 client for provider traffic, on asyncio protocols and llhttp.

Why not httpcore: under load its connection pool scans every pooled connection several times per request and
its h11 parser is pure Python; together they were over a third of the proxy's CPU. Here a request is one
`write`, the response is parsed in C (httptools), and the pool is a stack of idle connections per origin.
Why not httpx's Request and Response either: building them (URL and header normalisation, byte-stream
wrappers) cost more than everything else here together, for a client that only ever POSTs whole bodies.
It raises httpx's exceptions, so the forwarding code handles failures the same with either transport.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, cast

import httptools
import httpx

Origin = tuple[bytes, str, int]
# Past this much unread body the socket stops being read, so a slow client cannot make the proxy buffer an
# upstream's whole answer.
_HIGH_WATER = 256 * 1024


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses one response at a time."""

    # Callbacks this protocol does not use. httptools looks every one up on each new parser, and one found as
    # None costs nothing, where one missing raises and catches an AttributeError.
    on_message_begin = on_status = on_chunk_header = on_chunk_complete = None

    def __init__(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self.origin = origin
        # Held rather than asked for: in Python 3.11 every asyncio.get_running_loop() is a getpid() system call.
        self.loop = loop
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
        self.read_deadline: float | None = None  # loop time the body wait in progress fails at
        self.read_timeout = 0.0  # its timeout, for the error message
        self.read_timer: asyncio.TimerHandle | None = None
        self.until_eof = False
        self.keep_alive = False
        # While a reader waits with nothing queued, body goes to its sink (if it set one) in this protocol's
        # own callback: no wake-up, task step and generator resumption per piece. A sink that returns False
        # declines the piece, which is then queued for the reader as usual.
        self.sink: Callable[[bytes], bool] | None = None
        # What the sink gets from one read: the parser reports a provider's every event as a body piece of
        # its own, and one write of all that one read brought costs the client's side far less than one each.
        self.sunk: list[bytes] = []

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
        if self.sunk:
            self._sink_pieces()

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
        if self.sink is not None:  # set only while the reader waits on an empty queue, so the order holds
            self.sunk.append(body)
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        # _wake(), inline: this runs for every HTTP chunk, and a stream's every event is one.
        wakeup = self.wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def on_message_complete(self) -> None:
        if self.status < 200:
            return
        if self.sunk:  # the body's last pieces reach the sink before the reader hears that it ended
            self._sink_pieces()
        self.complete = True
        # llhttp forgets this once the message is over, so it is read now.
        self.keep_alive = self.parser.should_keep_alive()
        self._wake()

    def _sink_pieces(self) -> None:
        sunk = self.sunk
        data = sunk[0] if len(sunk) == 1 else b"".join(sunk)
        sunk.clear()
        sink = self.sink
        if sink is not None:  # (always, as one read is parsed; were it not, the reader gets the data)
            try:
                taken = sink(data)
            except Exception as exc:  # noqa: BLE001 - the sink's failure is the reader's, raised where it waits
                self.sink = None
                if self.error is None:
                    self.error = exc
                self._wake()
                return
            if taken:
                if self.read_deadline is not None:  # data came: the wait's read timeout starts again
                    self.read_deadline = self.loop.time() + self.read_timeout
                return
            self.sink = None
        # Declined: queued for the reader, as on_body queues what comes while no sink is set.
        self.on_body(data)

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
        self.head_done = self.loop.create_future()
        self.transport.write(data)
        return self.head_done

    async def next_chunk(self, timeout: float | None, sink: Callable[[bytes], bool] | None = None) -> bytes | None:
        """The body received since the last call (waiting for some if there is none), or None at its end.
        While it waits, `sink` (if given) is offered the body first; what it takes is not returned here."""
        while not self.chunks:
            if self.error is not None:
                raise self.error
            if self.complete:
                return None
            loop = self.loop
            self.wakeup = waiter = loop.create_future()
            if timeout is not None:
                self._read_by(loop.time() + timeout, timeout)
            self.sink = sink
            try:
                await waiter
            finally:
                self.sink = None
                self.wakeup = None
                self.read_deadline = None
        chunks = self.chunks
        if len(chunks) == 1:
            chunk = chunks.popleft()
        else:
            # Everything that arrived since the last read, as one piece: a provider streams one HTTP chunk per
            # event, and a reader that fell behind then forwards them in one write instead of one each.
            chunk = b"".join(chunks)
            chunks.clear()
        self.buffered -= len(chunk)
        if self.paused and self.buffered <= _HIGH_WATER // 4 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk

    # The read timeout. A wait happens once per body chunk of every stream: rather than a timer set and
    # cancelled for each (or asyncio.timeout(), dearer still), one timer per connection that, when it fires,
    # fails the wait in progress if that wait is past its deadline, and otherwise sets itself again.

    def _read_by(self, deadline: float, timeout: float) -> None:
        self.read_deadline = deadline
        self.read_timeout = timeout
        timer = self.read_timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self.read_timer = self.loop.call_at(deadline, self._check_read)

    def _check_read(self) -> None:
        self.read_timer = None
        waiter, deadline = self.wakeup, self.read_deadline
        if waiter is None or waiter.done() or deadline is None:
            return  # no wait in progress: the next one sets the timer again
        if self.loop.time() >= deadline:
            waiter.set_exception(httpx.ReadTimeout(f"no data within {self.read_timeout:g}s"))
        else:
            self.read_timer = self.loop.call_at(deadline, self._check_read)

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self.error is None

    def close(self) -> None:
        self.closed = True
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None
        if self.transport is not None:
            self.transport.close()


class NoResponse(httpx.TimeoutException):
    """The provider did not answer within the request's first-byte time."""


class NotComplete(httpx.TimeoutException):
    """A response body did not arrive whole within the time allowed for all of it."""


def _head_timed_out(head_done: asyncio.Future[None], error: type[httpx.TimeoutException], limit: float) -> None:
    if not head_done.done():
        head_done.set_exception(error(f"no response within {limit:g}s"))


class Target:
    """A provider endpoint, parsed once: where to connect, and how every request head to it begins."""

    __slots__ = ("url", "origin", "head")

    def __init__(self, url: str | httpx.URL, method: str = "POST") -> None:
        parsed = httpx.URL(url)
        scheme = parsed.raw_scheme
        self.url = parsed
        self.origin: Origin = (scheme, parsed.host, parsed.port or (443 if scheme == b"https" else 80))
        self.head = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), parsed.raw_path, parsed.netloc)


class ProviderRequest:
    """One request to a provider: a whole body (the proxy never streams one upward) and its timeouts."""

    __slots__ = ("target", "headers", "body", "connect_timeout", "read_timeout", "pool_timeout", "first_byte")

    def __init__(self, target: Target, headers: dict[str, str], body: bytes, *, connect: float | None = None,
                 read: float | None = None, pool: float | None = None, first_byte: float | None = None) -> None:
        self.target = target
        self.headers = headers
        self.body = body
        self.connect_timeout = connect
        self.read_timeout = read
        self.pool_timeout = pool
        # From sending until the response head, connecting included: past it, NoResponse.
        self.first_byte = first_byte

    def encode(self) -> bytes:
        """Head and body as one buffer, so that the request leaves in one write."""
        key = tuple(self.headers.items())
        block = _header_blocks.get(key)
        if block is None:
            block = _header_block(self.headers)
            if len(_header_blocks) >= _MAX_HEADER_BLOCKS:
                _header_blocks.clear()
            _header_blocks[key] = block
        return b"".join((self.target.head, block, b"Content-Length: %d\r\n\r\n" % len(self.body), self.body))


def _header_block(headers: dict[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        if name.lower() in _SET_HERE:
            continue
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise httpx.LocalProtocolError(f"header {name!r} has a line break in it")
        lines.append(f"{name}: {value}\r\n".encode())
    return b"".join(lines)


# A provider's requests carry the same few headers every time: their encoded lines are kept, keyed by the
# headers themselves (so a changed key or header makes a new entry), in a cache too small to matter.
_header_blocks: dict[tuple[tuple[str, str], ...], bytes] = {}
_MAX_HEADER_BLOCKS = 256


# Framing is the transport's business, whatever the caller's headers say.
_SET_HERE = frozenset(("host", "connection", "transfer-encoding", "content-length"))


class ProviderResponse:
    """A provider's answer: status and headers at once, the body on demand. `aclose` gives the connection
    back to its pool (or closes it, if body was left unread)."""

    __slots__ = ("status_code", "raw_headers", "body")

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: ResponseBody) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.body = body

    def header(self, name: str) -> str | None:
        """The first value of a header (`name` in lower case)."""
        wanted = name.encode("latin-1")
        for key, value in self.raw_headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def header_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.raw_headers:
            out.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        return out

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self.body.chunks()

    async def aread(self, within: float | None = None) -> bytes:
        """The whole body; NotComplete if it takes longer than `within` seconds."""
        return await self.body.read_all(within)

    async def aclose(self) -> None:
        await self.body.aclose()


class ResponseBody(Protocol):
    def chunks(self) -> AsyncIterator[bytes]: ...
    async def read_all(self, within: float | None = None) -> bytes: ...
    async def aclose(self) -> None: ...


class _Body:
    """The body of a response on one of our connections."""

    __slots__ = ("pool", "connection", "read_timeout", "sink")

    def __init__(self, pool: Http1Transport, connection: _Connection, read_timeout: float | None) -> None:
        self.pool = pool
        self.connection: _Connection | None = connection
        self.read_timeout = read_timeout
        # Set by a reader of `chunks()` that can take body as it arrives: see _Connection.sink.
        self.sink: Callable[[bytes], bool] | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self.connection
        if connection is None:
            raise httpx.StreamClosed()
        while True:
            try:
                chunk = await connection.next_chunk(self.read_timeout, self.sink)
            except BaseException:
                await self.aclose()
                raise
            if chunk is None:
                await self.aclose()  # read to its end: the connection goes back to the pool
                return
            yield chunk

    async def read_all(self, within: float | None = None) -> bytes:
        # A loop rather than `chunks()`: an async generator per unary answer costs more than the read.
        connection = self.connection
        if connection is None:
            raise httpx.StreamClosed()
        if connection.complete and connection.error is None and not connection.paused:
            # All of it arrived with the head, as a small answer does: nothing to wait for or time.
            chunks = connection.chunks
            body = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            connection.buffered = 0
            await self.aclose()
            return body
        loop = connection.loop
        deadline = None if within is None else loop.time() + within
        wait = self.read_timeout
        parts = []
        try:
            while True:
                if deadline is not None:
                    left = deadline - loop.time()
                    if left <= 0:
                        raise NotComplete(f"response not complete within {within:g}s")
                    wait = left if self.read_timeout is None else min(self.read_timeout, left)
                try:
                    chunk = await connection.next_chunk(wait)
                except httpx.ReadTimeout:
                    if deadline is not None and loop.time() >= deadline:
                        raise NotComplete(f"response not complete within {within:g}s") from None
                    raise
                if chunk is None:
                    break
                parts.append(chunk)
        finally:
            await self.aclose()
        return parts[0] if len(parts) == 1 else b"".join(parts)

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


class Http1Transport:
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
        self.loop: asyncio.AbstractEventLoop | None = None  # the one it first sends on

    async def send(self, request: ProviderRequest) -> ProviderResponse:
        target = request.target
        origin = target.origin
        if origin[0] not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {origin[0].decode()!r}")
        data = request.encode()
        loop = self.loop or self._bind_loop()
        first_byte = request.first_byte
        deadline = None if first_byte is None else loop.time() + first_byte
        for reused in (True, False):
            connection = self._idle_connection(origin) if reused else None
            if reused and connection is None:
                continue
            if connection is None:
                connection = await self._connect_before(origin, request, deadline)
            self.in_use.add(connection)
            wait, error, limit = request.read_timeout, httpx.ReadTimeout, request.read_timeout
            if deadline is not None:
                left = max(0.0, deadline - loop.time())
                if wait is None or left < wait:
                    wait, error, limit = left, NoResponse, first_byte
            timer = None
            try:
                head_done = connection.begin(data)
                if wait is not None:
                    # A bare timer: this wait happens once per provider request. The error is made only if it
                    # fires: an exception and its message per request would cost more than the wait.
                    timer = loop.call_later(wait, _head_timed_out, head_done, error, limit)
                await head_done
            except httpx.RemoteProtocolError:
                self._discard(connection)
                if reused and not connection.received_any:
                    continue  # the server had closed this idle connection: a fresh one gets the request
                raise
            except BaseException:
                self._discard(connection)
                raise
            finally:
                if timer is not None:
                    timer.cancel()
            return ProviderResponse(connection.status, connection.headers,
                                    _Body(self, connection, request.read_timeout))
        raise AssertionError("unreachable")

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        self.loop = asyncio.get_running_loop()
        return self.loop

    async def _connect_before(self, origin: Origin, request: ProviderRequest, deadline: float | None) -> _Connection:
        """A new connection, within the request's connect time and what is left of its first-byte time."""
        if deadline is None:
            return await self._connect(origin, request.connect_timeout, request.pool_timeout)
        left = max(0.0, deadline - (self.loop or self._bind_loop()).time())
        connect, pool = request.connect_timeout, request.pool_timeout
        if connect is None or left < connect:
            try:
                return await self._connect(origin, left, left if pool is None else min(pool, left))
            except (httpx.ConnectTimeout, httpx.PoolTimeout):
                raise NoResponse(f"no response within {request.first_byte:g}s") from None
        return await self._connect(origin, connect, pool)

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
                    lambda: _Connection(origin, loop), host, port, ssl=tls, server_hostname=host if tls else None)
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

