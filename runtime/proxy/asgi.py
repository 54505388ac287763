"""Small ASGI helpers: read a body, answer, stream, and notice a client that went away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

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

    __slots__ = ("send", "loop", "started", "finished", "status", "first_byte_at", "last_write_at", "lock")

    def __init__(self, send: Send, loop: asyncio.AbstractEventLoop) -> None:
        self.send = send
        # The request's loop, for its timers: asking asyncio for it costs a getpid() system call in Python 3.11.
        self.loop = loop
        self.started = False
        self.finished = False
        self.status: int | None = None
        self.first_byte_at: float | None = None
        self.last_write_at = 0.0
        # A keep-alive task and the stream loop both write; a lock keeps their events whole.
        self.lock = asyncio.Lock()

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

    async def comment(self, text: bytes) -> None:
        """An SSE comment: keeps the connection busy without being the answer's first byte."""
        self.last_write_at = time.monotonic()
        await self.send({"type": "http.response.body", "body": b": " + text + b"\n\n", "more_body": True})

    async def complete(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = JSON) -> None:
        await self.start(status, [*headers, (b"content-length", str(len(body)).encode())])
        await self.write(body, more=False)


# Requests that finish sooner never look for a disconnect: that costs a task and a wake-up per request, a
# good part of a fast answer's whole cost. Slower ones (every real model's) are watched from then on, well
# within the second a gone client's upstream request must be cancelled in.
WATCH_AFTER_SECONDS = 0.2


async def until_disconnect(work: Awaitable[Any], receive: Receive, responder: Responder,
                          watch_after: float = WATCH_AFTER_SECONDS) -> Any:
    """Await `work` in this task; if the client disconnects first, cancel it (and so the upstream request)
    and raise ClientGone."""
    loop = responder.loop
    task = asyncio.current_task(loop)
    assert task is not None
    watcher: asyncio.Task[None] | None = None
    gone = False

    async def watch() -> None:
        nonlocal gone
        await _wait_for_disconnect(receive)
        # The server also says "disconnect" once the response is complete: that is no reason to cancel.
        if not responder.finished:
            gone = True
            task.cancel()

    def start_watching() -> None:
        nonlocal watcher
        watcher = asyncio.ensure_future(watch())

    timer = loop.call_later(watch_after, start_watching)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone:
            raise
        task.uncancel()
        raise ClientGone() from None
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
