"""apiswitch's HTTP/1.1 server protocol, over raw sockets: framing, pipelining, interim answers, refusals,
flow control and disconnects, against a small ASGI app run by uvicorn as `apiswitch serve` runs it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from apiswitch.runtime.proxy.httpserver import HttpProtocol

EVENTS: list[str] = []


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path = scope["path"]
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if path == "/late-body":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b"late", "more_body": False})
        return
    if path == "/wait-for-disconnect":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"started", "more_body": True})
        message = await receive()
        EVENTS.append(message["type"])
        return
    if path == "/fails":
        raise RuntimeError("boom")
    answer = b"%s %s %d %s" % (scope["method"].encode(), path.encode(), len(body), scope["query_string"])
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=HttpProtocol, log_level="critical", lifespan="on", timeout_keep_alive=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    sock.close()


def connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    READERS.pop(client.fileno(), None)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def read_until_closed(client: socket.socket) -> bytes:
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    return data


def read_response(client: socket.socket) -> tuple[bytes, bytes]:
    """One response framed by content-length or chunking: (head, body). Bytes after it stay unread."""
    reader = READERS.setdefault(client.fileno(), client.makefile("rb"))
    lines = []
    while (line := reader.readline()) not in (b"\r\n", b""):
        lines.append(line)
    assert lines, "closed before a head"
    head = b"".join(lines)
    lower = head.lower()
    if b"content-length:" in lower:
        return head, reader.read(int(lower.split(b"content-length:")[1].split(b"\r\n")[0]))
    body = b""
    while size := int(reader.readline().split(b";")[0], 16):
        body += reader.read(size)
        reader.readline()
    reader.readline()
    return head, body


READERS: dict[int, object] = {}


def post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n%s" % (path.encode(), len(body), extra, body)


def test_pipelined_requests_are_answered_in_order_on_one_connection(port):
    with connect(port) as client:
        client.sendall(post("/one", b"a") + post("/two?x=1", b"bb") + post("/three", b"ccc"))
        answers = [read_response(client)[1] for _ in range(3)]
    assert answers == [b"POST /one 1 ", b"POST /two 2 x=1", b"POST /three 3 "]


def test_a_small_answer_leaves_in_one_write_with_its_head(port):
    with connect(port) as client:
        client.sendall(post("/small", b"{}"))
        time.sleep(0.2)
        first = client.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"POST /small 2 ")


def test_expect_100_continue_gets_the_interim_answer_before_the_body_is_sent(port):
    with connect(port) as client:
        client.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = client.recv(65536)
        client.sendall(b"hello")
        _, body = read_response(client)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert body == b"POST /upload 5 "


def test_a_chunked_request_body_arrives_whole(port):
    with connect(port) as client:
        client.sendall(b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        _, body = read_response(client)
    assert body == b"POST /chunked 7 "


def test_a_large_body_past_the_read_high_water_arrives_whole(port):
    payload = b"x" * (3 * 1024 * 1024)
    with connect(port) as client:
        client.sendall(post("/large", payload))
        _, body = read_response(client)
    assert body == b"POST /large %d " % len(payload)


def test_head_answers_carry_no_body(port):
    with connect(port) as client:
        client.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.sendall(post("/after-head", b""))
        time.sleep(0.2)
        data = client.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"content-length: 9" in head.lower()  # "HEAD / 0 "
    assert rest.startswith(b"HTTP/1.1 200 OK")  # the next answer follows at once: no body bytes in between
    assert rest.endswith(b"POST /after-head 0 ")


def test_http_1_0_closes_after_the_answer(port):
    with connect(port) as client:
        client.sendall(b"POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi")
        data = read_until_closed(client)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"connection: close" in data.lower()
    assert data.endswith(b"POST /old 2 ")


def test_a_head_sent_before_a_late_body_reaches_the_client_at_once(port):
    with connect(port) as client:
        client.sendall(post("/late-body", b""))
        started = time.monotonic()
        first = client.recv(65536)
        waited = time.monotonic() - started
        rest = b""
        while not rest.endswith(b"0\r\n\r\n"):
            rest += client.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked" in first.lower()
    assert b"late" not in first and waited < 0.4
    assert b"4\r\nlate\r\n" in rest


@pytest.mark.parametrize("request_bytes", [b"NOT HTTP AT ALL\r\n\r\n",
                                           b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n"])
def test_a_malformed_request_is_refused_with_a_reason_and_the_connection_closed(port, request_bytes):
    with connect(port) as client:
        client.sendall(request_bytes)
        data = read_until_closed(client)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"invalid HTTP request" in data


def test_an_upgrade_request_is_refused_instead_of_hanging(port):
    with connect(port) as client:
        client.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
                       b"Content-Length: 2\r\n\r\nhi")
        data = read_until_closed(client)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"upgrades are not supported" in data


def test_an_app_failure_before_its_answer_is_a_500(port):
    with connect(port) as client:
        client.sendall(post("/fails", b""))
        head, body = read_response(client)
    assert head.startswith(b"HTTP/1.1 500 Internal Server Error") and body == b"Internal Server Error"


def test_a_client_that_leaves_mid_answer_is_told_to_the_app(port):
    EVENTS.clear()
    client = connect(port)
    client.sendall(post("/wait-for-disconnect", b""))
    assert b"started" in client.recv(65536)
    client.close()
    deadline = time.monotonic() + 5
    while not EVENTS and time.monotonic() < deadline:
        time.sleep(0.02)
    assert EVENTS == ["http.disconnect"]


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(port):
    with connect(port) as client:
        client.sendall(post("/idle", b""))
        read_response(client)
        started = time.monotonic()
        assert client.recv(65536) == b""  # closed by the server
        waited = time.monotonic() - started
    assert 0.5 < waited < 4
