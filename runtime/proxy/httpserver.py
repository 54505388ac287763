"""The proxy's HTTP/1.1 server protocol: uvicorn runs the process (sockets, workers, signals, lifespan,
graceful shutdown) and hands each connection to this class (`uvicorn.Config(http=HttpProtocol)`).

Why not uvicorn's own protocol: for a proxy that answers in well under a millisecond of its own CPU, its
per-request machinery was a fifth of the work: a response head written in its own `send()` (two system calls
and two TCP segments for every small answer), an `asyncio.Event` and a dozen-field cycle object per request,
regular-expression checks on every header. Here a head waits for the first body bytes and both leave in one
write (or at the end of the loop iteration, if no body follows at once), and a request is one small object.
The app still sees plain ASGI 3: the Starlette routes are served through the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import urllib.parse
from collections import deque
from http import HTTPStatus
from typing import Any

import httptools

log = logging.getLogger("apiswitch.proxy")

_READ_HIGH_WATER = 64 * 1024
_DISCONNECT = {"type": "http.disconnect"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return b"HTTP/1.1 %d %s\r\n" % (status, phrase.encode())


# Checked on every response header; patterns, since `in` on bytes is slow on 3.11 (see runtime/sse.py).
_LINE_BREAK = re.compile(rb"[\r\n]")
_BAD_NAME = re.compile(rb"[\r\n:]")
_STATUS_LINES = {status: _status_line(status) for status in range(100, 600)}


class HttpProtocol(asyncio.Protocol):
    """One client connection: keep-alive, pipelined requests answered in order, flow control both ways."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.app_state = app_state
        self.root_path: str = config.root_path
        self.keep_alive_timeout: float = config.timeout_keep_alive
        self.parser = httptools.HttpRequestParser(self)
        with contextlib.suppress(AttributeError):  # httptools < 0.6.3
            # Answer a request even when the client already half-closed after sending it.
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.transport: asyncio.Transport | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.scheme = "http"
        self.current: Request | None = None  # being answered
        self.receiving: Request | None = None  # being parsed (a pipelined one may follow the current)
        self.pipeline: deque[Request] = deque()
        self.reading_paused = False
        self.writable: asyncio.Future[None] | None = None  # set while writing is paused
        self.idle_timer: asyncio.TimerHandle | None = None
        self.idle_since: float | None = None  # loop time the connection fell idle; None while in use
        # Per request, while its head is parsed:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.expect_continue = False

    # -- asyncio.Protocol ----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server_state.connections.add(self)
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        self.scheme = "https" if transport.get_extra_info("sslcontext") else "http"
        self._fell_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        for request in (self.current, *self.pipeline):
            if request is not None and not request.response_complete:
                request.disconnected = True
                request.wake()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def data_received(self, data: bytes) -> None:
        self.idle_since = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, b"protocol upgrades are not supported: send the request without an Upgrade header")
        except httptools.HttpParserError as exc:
            self._refuse(400, b"invalid HTTP request: " + str(exc).encode("ascii", "replace"))

    def pause_writing(self) -> None:
        if self.writable is None or self.writable.done():
            self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    # -- uvicorn's server interface ------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Graceful shutdown: close when idle, otherwise after the response in progress."""
        if self.current is None or self.current.response_complete:
            if self.transport is not None:
                self.transport.close()
        else:
            self.current.keep_alive = False

    # -- llhttp callbacks ----------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.expect_continue = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        if parser.should_upgrade():
            return  # data_received refuses it once llhttp stops at the upgrade
        version = parser.get_http_version()
        url = self.url
        if url[:1] == b"/":
            raw_path, _, query = url.partition(b"?")
            raw_path, _, _ = raw_path.partition(b"#")
        else:  # absolute form, as sent to a forward proxy
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path or b"/", parsed.query or b""
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": version,
            "server": self.server, "client": self.client, "scheme": self.scheme,
            "method": parser.get_method().decode("ascii"), "root_path": self.root_path,
            "path": self.root_path + path, "raw_path": raw_path, "query_string": query,
            "headers": self.headers, "state": self.app_state.copy(),
        }
        keep_alive = version == "1.1" and parser.should_keep_alive()
        request = Request(self, scope, keep_alive, self.expect_continue)
        self.receiving = request
        if self.current is None or self.current.response_complete:
            self._start(request)
        else:
            self.pipeline.append(request)
            self._pause_reading()

    def on_body(self, body: bytes) -> None:
        request = self.receiving
        if request is None or request.response_complete:
            return
        request.body += body
        if len(request.body) > _READ_HIGH_WATER:
            self._pause_reading()
        request.wake()

    def on_message_complete(self) -> None:
        request = self.receiving
        if request is None:
            return
        request.more_body = False
        request.wake()

    # -- requests ------------------------------------------------------------------------------------------

    def _start(self, request: Request) -> None:
        self.current = request
        task = self.loop.create_task(request.run(self.app))
        tasks = self.server_state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def response_complete(self, request: Request) -> None:
        self.server_state.total_requests += 1
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not request.keep_alive:
            transport.close()
            return
        self._resume_reading()
        if self.pipeline:
            self._start(self.pipeline.popleft())
        else:
            self._fell_idle()

    async def drain(self) -> None:
        if self.writable is not None:
            await self.writable

    def _pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.reading_paused and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()

    def _refuse(self, status: int, message: bytes) -> None:
        """A request we cannot parse: say why in plain text, and close (the byte stream is out of step)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.current is None or self.current.response_complete:
            transport.write(_STATUS_LINES[status] + b"content-type: text/plain; charset=utf-8\r\n"
                            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(message), message))
        transport.close()

    # The keep-alive timeout: one timer per connection that, when it fires, looks at how long the connection
    # has been idle and sets itself again for the rest, rather than a timer set and cancelled per request.

    def _fell_idle(self) -> None:
        self.idle_since = self.loop.time()
        if self.idle_timer is None:
            self.idle_timer = self.loop.call_later(self.keep_alive_timeout, self._check_idle)

    def _check_idle(self) -> None:
        self.idle_timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        left = self.keep_alive_timeout
        if self.idle_since is not None:
            left -= self.loop.time() - self.idle_since
            if left <= 0:
                transport.close()
                return
        self.idle_timer = self.loop.call_later(left, self._check_idle)


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


class Request:
    """One request and its response, as ASGI `receive` and `send`."""

    __slots__ = ("protocol", "scope", "keep_alive", "expect_continue", "body", "more_body", "delivered",
                 "waiter", "disconnected", "response_started", "response_complete", "chunked", "head",
                 "length_left", "is_head")

    def __init__(self, protocol: HttpProtocol, scope: dict[str, Any], keep_alive: bool,
                 expect_continue: bool) -> None:
        self.protocol = protocol
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.body = b""
        self.more_body = True
        self.delivered = False  # the whole request body went to the app
        self.waiter: asyncio.Future[None] | None = None
        self.disconnected = False
        self.response_started = False
        self.response_complete = False
        self.chunked = False
        self.head: bytes | None = None  # written with the first body bytes
        self.length_left: int | None = None
        self.is_head = scope["method"] == "HEAD"

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        self.waiter = self.protocol.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            self._abort()
            raise
        except Exception:
            log.exception("the app failed answering %s %s", self.scope["method"], self.scope["path"])
            if not self.response_started and not self.disconnected:
                body = b"Internal Server Error"
                await self.send({"type": "http.response.start", "status": 500,
                                 "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                             (b"content-length", b"%d" % len(body))]})
                await self.send({"type": "http.response.body", "body": body})
            else:
                self._abort()
        else:
            if not self.response_complete and not self.disconnected:
                log.error("the app returned without completing its response to %s", self.scope["path"])
                self._abort()

    def _abort(self) -> None:
        """A response that cannot be finished: the connection goes, so the client sees it was cut short."""
        transport = self.protocol.transport
        if transport is not None and not self.response_complete:
            transport.close()

    # -- ASGI ----------------------------------------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        protocol = self.protocol
        if self.expect_continue:
            self.expect_continue = False
            if protocol.transport is not None and not protocol.transport.is_closing() and not self.response_started:
                protocol.transport.write(_CONTINUE)
        if self.delivered:
            # Nothing more to read: what is left to tell is that the client left, or the response is done.
            while not (self.disconnected or self.response_complete):
                await self._wait()
            return _DISCONNECT
        while not self.body and self.more_body and not self.disconnected:
            protocol._resume_reading()
            await self._wait()
        if self.disconnected:
            return _DISCONNECT
        body, self.body = self.body, b""
        if not self.more_body:
            self.delivered = True
        return {"type": "http.request", "body": body, "more_body": self.more_body}

    async def send(self, message: dict[str, Any]) -> None:
        protocol = self.protocol
        if protocol.writable is not None and not protocol.writable.done() and not self.disconnected:
            await protocol.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected http.response.start, got {kind}")
            self._start_response(message["status"], message.get("headers", ()))
            # Written with the first body bytes; if none come in this loop iteration, on its own.
            protocol.loop.call_soon(self._flush_head)
            return
        if self.response_complete:
            raise RuntimeError(f"{kind} after the response was complete")
        if kind != "http.response.body":
            raise RuntimeError(f"expected http.response.body, got {kind}")
        self._write_body(message.get("body", b""), message.get("more_body", False))

    async def respond(self, status: int, headers: Any, body: bytes) -> None:
        """A whole response, head and body in one write: what `send` does with a start message and a last
        body message, minus the two messages and the head's flush callback (the proxy's every unary answer)."""
        protocol = self.protocol
        if protocol.writable is not None and not protocol.writable.done() and not self.disconnected:
            await protocol.drain()
        if self.disconnected:
            return
        if self.response_started:
            raise RuntimeError("respond() after the response was started")
        self._start_response(status, headers)
        self._write_body(body, False)

    def can_write_now(self) -> bool:
        """Whether `write_now` may be called: the response streams, and nothing waits to drain (`send` would
        not have to wait)."""
        writable = self.protocol.writable
        return self.response_started and not self.response_complete and (
            writable is None or writable.done() or self.disconnected)

    def write_now(self, body: bytes) -> None:
        """A body part of a started response, from a callback that cannot await (`can_write_now()` first);
        what `send` does with a body message that has more to come."""
        if not self.disconnected:
            self._write_body(body, True)

    def _write_body(self, body: bytes, more: bool) -> None:
        protocol = self.protocol
        if self.is_head:
            data = b""
        elif self.chunked:
            data = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            if not more:
                data += b"0\r\n\r\n"
        else:
            data = body
            if self.length_left is not None:
                self.length_left -= len(body)
                if self.length_left < 0:
                    raise RuntimeError("response body longer than its content-length")
        head = self.head
        if head is not None:
            self.head = None
            data = head + data
        if data:
            transport = protocol.transport
            assert transport is not None
            transport.write(data)
        if not more:
            if self.length_left and not self.is_head:
                raise RuntimeError("response body shorter than its content-length")
            self.response_complete = True
            self.wake()
            protocol.response_complete(self)

    def _start_response(self, status: int, headers: Any) -> None:
        self.response_started = True
        self.expect_continue = False
        parts = [_STATUS_LINES.get(status) or _status_line(status)]
        for name, value in self.protocol.server_state.default_headers:
            parts.append(b"%s: %s\r\n" % (name, value))
        framed = False
        for name, value in headers:
            if _LINE_BREAK.search(value) or _BAD_NAME.search(name):
                raise RuntimeError(f"invalid response header {name!r}")
            lower = name.lower()
            if lower == b"content-length":
                self.length_left = int(value)
                framed = True
            elif lower == b"transfer-encoding":
                self.chunked = b"chunked" in value.lower()
                framed = True
            elif lower == b"connection" and b"close" in value.lower():
                self.keep_alive = False
                continue  # written once, below
            parts.append(b"%s: %s\r\n" % (name, value))
        no_body = self.is_head or status in (204, 304) or status < 200
        if not framed and not no_body:
            if self.scope["http_version"] == "1.1":
                self.chunked = True
                parts.append(b"transfer-encoding: chunked\r\n")
            else:
                self.keep_alive = False  # an HTTP/1.0 body without a length ends with the connection
        if not self.keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        self.head = b"".join(parts)

    def _flush_head(self) -> None:
        head = self.head
        transport = self.protocol.transport
        if head is not None and not self.disconnected and transport is not None and not transport.is_closing():
            self.head = None
            transport.write(head)
