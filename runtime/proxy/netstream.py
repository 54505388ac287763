"""An asyncio-native network backend for httpcore (which httpx uses underneath).

httpcore's default backend goes through anyio, whose per-call bookkeeping is a large part of a proxied
request's cost, and it sends a request's head and body in separate system calls. This backend speaks plain
asyncio streams and holds writes until the connection next reads, so a request leaves in one write. It
implements httpcore's documented `AsyncNetworkBackend` interface, TLS included (StreamWriter.start_tls).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class AsyncioStream(httpcore.AsyncNetworkStream):
    __slots__ = ("reader", "writer", "pending")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.pending: list[bytes] = []

    async def _flush(self) -> None:
        if not self.pending:
            return
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending.clear()
        try:
            self.writer.write(data)
            await self.writer.drain()
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            if timeout is None:
                await self._flush()
                return await self.reader.read(max_bytes)
            async with asyncio.timeout(timeout):
                await self._flush()
                return await self.reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data within {timeout:g}s") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            # Sent with the next read: httpcore always reads the response after writing a request.
            self.pending.append(buffer)

    async def aclose(self) -> None:
        self.pending.clear()
        self.writer.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._flush()
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout:g}s") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle keep-alive connection with data or EOF waiting was closed by the server.
            return bool(self.reader._buffer) or self.reader.at_eof() or self.writer.is_closing()
        if info == "client_addr":
            return self.writer.get_extra_info("sockname")
        if info == "server_addr":
            return self.writer.get_extra_info("peername")
        return self.writer.get_extra_info(info)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=local)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            with contextlib.suppress(OSError):
                sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def upstream_transport(limits: httpx.Limits, proxy: str | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's transport on the asyncio backend; the stock backend through a proxy, or if this httpx is
    shaped differently."""
    transport = httpx.AsyncHTTPTransport(limits=limits, retries=0, proxy=proxy)
    pool = getattr(transport, "_pool", None)
    if type(pool) is httpcore.AsyncConnectionPool:
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=pool._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=AsyncioBackend(),
        )
    return transport
