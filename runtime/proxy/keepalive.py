"""Keep-alive frames on an idle client stream, driven by a timer rather than a task per stream.

A stream is idle for `interval` seconds only rarely (a slow provider, a long tool call); a sleeping task per
stream would cost two task switches and a coroutine for every stream just in case. Here a timer re-arms itself
for when the stream would next have been idle that long, and a task exists only while a frame is written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from apiswitch.runtime.proxy.asgi import Responder


class KeepAlive:
    """Calls `write(responder)` (under the responder's lock) whenever nothing was written for `interval`
    seconds, counting from `start()`; `quiet_until_first_byte`: not before the answer's first byte."""

    __slots__ = ("responder", "interval", "write", "quiet_until_first_byte", "timer", "task", "loop")

    def __init__(self, responder: Responder, interval: float, write: Callable[[Responder], Awaitable[None]],
                 quiet_until_first_byte: bool = False) -> None:
        self.responder = responder
        self.interval = interval
        self.write = write
        self.quiet_until_first_byte = quiet_until_first_byte
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None
        self.loop = responder.loop

    def start(self) -> KeepAlive:
        self.responder.last_write_at = max(self.responder.last_write_at, time.monotonic())
        self.timer = self.loop.call_later(self.interval, self._due)
        return self

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def _due(self) -> None:
        responder = self.responder
        idle = time.monotonic() - responder.last_write_at
        if idle < self.interval:
            self.timer = self.loop.call_later(self.interval - idle, self._due)
            return
        self.timer = self.loop.call_later(self.interval, self._due)
        if self.quiet_until_first_byte and responder.first_byte_at is None:
            return
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._send())

    async def _send(self) -> None:
        async with self.responder.lock:
            await self.write(self.responder)
