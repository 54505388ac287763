"""Small ASGI helpers: read a body, answer, stream, and notice a client that went away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apiswitch.runtime.proxy.httpserver import Request

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON = [(b"content-type", b"application/json")]
SSE = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
       (b"x-accel-buffering", b"no")]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected; the upstream request was cancelled."""


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class Responder:
    """Writes one response and remembers when the first body byte left, for the log's time to first byte."""

    __slots__ = ("send", "whole", "request", "loop", "started", "finished", "status", "first_byte_at",
                 "last_write_at", "_lock")

    def __init__(self, send: Send, loop: asyncio.AbstractEventLoop) -> None:
        self.send = send
        # Our own server answers a whole response in one call (see Request.respond); other servers get the
        # two ASGI messages.
        server_request = getattr(send, "__self__", None)
        self.request = server_request if isinstance(server_request, Request) else None
        self.whole = server_request.respond if isinstance(server_request, Request) else None
        # The request's loop, for its timers: asking asyncio for it costs a getpid() system call in Python 3.11.
        self.loop = loop
        self.started = False
        self.finished = False
        self.status: int | None = None
        self.first_byte_at: float | None = None
        self.last_write_at = 0.0
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        """A keep-alive task and the stream loop both write; a lock keeps their events whole. Made on first
        use: a unary answer never needs one."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.started = True
        self.status = status
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def write(self, data: bytes, more: bool = True) -> None:
        if self.first_byte_at is None and data:
            self.first_byte_at = time.perf_counter()
        self.last_write_at = time.monotonic()
        if not more:
            self.finished = True
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    def can_write_now(self) -> bool:
        """Whether `write_now` may be called: our own server, a started response with nothing to drain, and no
        keep-alive frame being written under the lock."""
        request = self.request
        return request is not None and (self._lock is None or not self._lock.locked()) and request.can_write_now()

    def write_now(self, data: bytes) -> None:
        """`write(data)` from a callback that cannot await, once `can_write_now()` said so."""
        if self.first_byte_at is None and data:
            self.first_byte_at = time.perf_counter()
        self.last_write_at = time.monotonic()
        assert self.request is not None
        self.request.write_now(data)

    async def comment(self, text: bytes) -> None:
        """An SSE comment: keeps the connection busy without being the answer's first byte."""
        self.last_write_at = time.monotonic()
        await self.send({"type": "http.response.body", "body": b": " + text + b"\n\n", "more_body": True})

    async def complete(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = JSON) -> None:
        headers = [*headers, (b"content-length", b"%d" % len(body))]
        if self.whole is None:
            await self.start(status, headers)
            await self.write(body, more=False)
            return
        self.started = self.finished = True
        self.status = status
        if body:
            self.first_byte_at = time.perf_counter()
        self.last_write_at = time.monotonic()
        await self.whole(status, headers, body)


# Requests that finish sooner never look for a disconnect: that costs a task and a wake-up per request, a
# good part of a fast answer's whole cost. Slower ones (every real model's) are watched from then on, well
# within the second a gone client's upstream request must be cancelled in.
WATCH_AFTER_SECONDS = 0.2


class DisconnectWatch:
    """Work in flight, to be watched for its client leaving once it has run WATCH_AFTER_SECONDS.

    One timer, that runs only while something is in flight, looks over all of it every half of that time;
    a timer set and cancelled per request cost more than the rest of its disconnect handling.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, watch_after: float = WATCH_AFTER_SECONDS) -> None:
        self.loop = loop
        self.watch_after = watch_after
        self.pending: dict[_Watched, float] = {}  # -> loop time to start watching at
        self.timer: asyncio.TimerHandle | None = None

    async def run(self, work: Awaitable[Any], receive: Receive, responder: Responder) -> Any:
        """Await `work` in this task; if the client disconnects first, cancel it (and so the upstream
        request) and raise ClientGone."""
        task = asyncio.current_task(self.loop)
        assert task is not None
        watched = _Watched(task, receive, responder)
        self.pending[watched] = self.loop.time() + self.watch_after
        if self.timer is None:
            self.timer = self.loop.call_later(self.watch_after / 2, self._sweep)
        try:
            return await work
        except asyncio.CancelledError:
            if not watched.gone:
                raise
            task.uncancel()
            raise ClientGone() from None
        finally:
            self.pending.pop(watched, None)
            if watched.watcher is not None:
                watched.watcher.cancel()

    def _sweep(self) -> None:
        self.timer = None
        now = self.loop.time()
        due = [watched for watched, at in self.pending.items() if at <= now]
        for watched in due:
            del self.pending[watched]
            watched.watcher = asyncio.ensure_future(watched.watch(), loop=self.loop)
        if self.pending:
            self.timer = self.loop.call_later(self.watch_after / 2, self._sweep)


class _Watched:
    __slots__ = ("task", "receive", "responder", "watcher", "gone")

    def __init__(self, task: asyncio.Task[Any], receive: Receive, responder: Responder) -> None:
        self.task = task
        self.receive = receive
        self.responder = responder
        self.watcher: asyncio.Future[None] | None = None
        self.gone = False

    async def watch(self) -> None:
        await _wait_for_disconnect(self.receive)
        # The server also says "disconnect" once the response is complete: that is no reason to cancel.
        if not self.responder.finished:
            self.gone = True
            self.task.cancel()


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
