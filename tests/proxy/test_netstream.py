"""The asyncio network backend under httpcore: plain and TLS connections, keep-alive reuse, and an idle
connection the server closed being replaced instead of failing the next request."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess

import httpcore
import pytest
from apiswitch.runtime.proxy.netstream import AsyncioBackend

BODY = b'{"ok":true}'


async def serve(ssl_context: ssl.SSLContext | None, close_after_response: bool):
    """A minimal HTTP/1.1 server; counts connections, answers every request with BODY."""
    connections = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(BODY), BODY))
                await writer.drain()
                if close_after_response:
                    # Closed while the client thinks the connection is an idle keep-alive one.
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ssl_context)
    return server, server.sockets[0].getsockname()[1], connections


async def two_requests(scheme: str, port: int, client_context: ssl.SSLContext | None) -> list[bytes]:
    async with httpcore.AsyncConnectionPool(ssl_context=client_context, network_backend=AsyncioBackend()) as pool:
        bodies = []
        for _ in range(2):
            response = await pool.request("POST", f"{scheme}://localhost:{port}/v1/chat/completions",
                                          content=b'{"model":"m"}', extensions={"timeout": {"read": 5}})
            bodies.append(response.content)
            await asyncio.sleep(0.05)
        return bodies


def test_plain_http_reuses_the_connection():
    async def run():
        server, port, connections = await serve(None, close_after_response=False)
        async with server:
            assert await two_requests("http", port, None) == [BODY, BODY]
            return len(connections)

    assert asyncio.run(run()) == 1


def test_an_idle_connection_closed_by_the_server_is_replaced():
    async def run():
        server, port, connections = await serve(None, close_after_response=True)
        async with server:
            assert await two_requests("http", port, None) == [BODY, BODY]
            return len(connections)

    assert asyncio.run(run()) == 2


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
        server, port, connections = await serve(server_context, close_after_response=False)
        async with server:
            assert await two_requests("https", port, client_context) == [BODY, BODY]
            return len(connections)

    assert asyncio.run(run()) == 1


def test_connection_refused_is_a_connect_error():
    async def run():
        server, port, _ = await serve(None, close_after_response=False)
        server.close()
        await server.wait_closed()
        async with httpcore.AsyncConnectionPool(network_backend=AsyncioBackend()) as pool:
            await pool.request("GET", f"http://127.0.0.1:{port}/")

    with pytest.raises(httpcore.ConnectError):
        asyncio.run(run())
