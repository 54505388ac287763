"""A real HTTP server on 127.0.0.1 that plays one provider of one wire format from a script.

Threaded `http.server` with HTTP/1.1 keep-alive: every request runs on its own thread, so slow or broken
streams never block the others. Streams use chunked transfer encoding, so a stream that dies mid-way is a
broken transfer the client can tell from a clean end.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .recorded import RecordedRequest
from .script import Answer, ErrorReply, Reply, Responder
from .wire import WIRES
from .wire.sse import malformed

FORMATS = tuple(WIRES)


class ScriptedUpstream:
    """One scripted provider. Answers come from, in order: the queue given to the constructor or
    `script()` (one answer per request to the format's endpoint), then `responder`, then `default`.

    Use as a context manager or call `start()` / `stop()`. `requests` holds everything received (any path;
    only the latest `remember` requests when that is given);
    `calls` only the requests to the format's endpoint. Failed checks are collected in `failures`;
    `assert_no_failures()` raises them.
    """

    def __init__(self, format: str, *answers: Answer, responder: Responder | None = None,
                 default: Answer | None = None, remember: int | None = None) -> None:
        if format not in WIRES:
            raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
        self.format = format
        self.wire = WIRES[format]
        self.responder = responder
        self.default: Answer = default if default is not None else Reply()
        self.requests: list[RecordedRequest] = []
        # How many received requests `requests` keeps (None: all). A long-running load, such as the proxy
        # benchmark, keeps none: an ever-growing heap makes the process's garbage collections ever longer.
        self.remember = remember
        self.failures: list[str] = []
        self._queue: deque[Answer] = deque(answers)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> ScriptedUpstream:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"scripted-{self.format}-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "scripted upstream is not running"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The origin, `http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The base URL the format's official SDK expects: the origin for anthropic, `/v1` for OpenAI."""
        return self.url if self.format == "anthropic" else f"{self.url}/v1"

    @property
    def endpoint_url(self) -> str:
        return self.url + self.wire.ENDPOINT

    # -- script and assertions -------------------------------------------------------------------------

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._queue.extend(answers)

    @property
    def calls(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(self.wire.ENDPOINT)]

    def assert_no_failures(self) -> None:
        if self.failures:
            raise AssertionError(f"scripted {self.format} upstream: " + "; ".join(self.failures))

    def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Blocks until `count` endpoint calls have arrived (for tests that race a client)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while sum(r.path.endswith(self.wire.ENDPOINT) for r in self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} calls, got {len(self._calls_unlocked())}")
                self._arrived.wait(left)
            return self._calls_unlocked()

    def _calls_unlocked(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(self.wire.ENDPOINT)]

    # -- used by the handler ---------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            if self.remember is not None and len(self.requests) > self.remember:
                del self.requests[: len(self.requests) - self.remember]
            self._arrived.notify_all()

    def _fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)

    def _next_answer(self, request: RecordedRequest) -> Answer:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default


def refused_url() -> str:
    """An origin on 127.0.0.1 where nothing listens: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections when a benchmark opens 32 at once.
    request_queue_size = 256


def _handler_for(upstream: ScriptedUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.upstream = upstream
    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    upstream: ScriptedUpstream

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # keep pytest output clean; the recording is the log

    def do_HEAD(self) -> None:
        self._receive()
        self._send_json(200, None)

    def do_GET(self) -> None:
        request = self._receive()
        if request.path.endswith("/models"):
            model = {"id": "scripted-model", "object": "model", "created": 0, "owned_by": "scripted",
                     "type": "model", "display_name": "Scripted model", "created_at": "2025-01-01T00:00:00Z"}
            self._send_json(200, {"object": "list", "data": [model], "has_more": False,
                                  "first_id": model["id"], "last_id": model["id"]})
        elif request.path in ("", "/"):
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, self.upstream.wire.error_body(404, f"no route for GET {request.path}"))

    def do_POST(self) -> None:
        request = self._receive()
        try:
            self._serve(request)
        except (BrokenPipeError, ConnectionResetError):
            request.outcome = "client disconnected"
            self.close_connection = True
        except Exception as bug:  # a broken script must fail the test, not just log a traceback
            # Closing without an answer makes the client fail too; the failure is kept for the test.
            self.upstream._fail(f"the script raised {bug!r} on {request.path}")
            self.close_connection = True
        finally:
            request.finished.set()

    def _serve(self, request: RecordedRequest) -> None:
        wire = self.upstream.wire
        if request.path.endswith("/v1/messages/count_tokens") and self.upstream.format == "anthropic":
            self._send_json(200, {"input_tokens": max(1, len(request.raw_body) // 4)})
            return
        if not request.path.endswith(wire.ENDPOINT):
            self._send_json(404, wire.error_body(404, f"no route for POST {request.path}"))
            return
        if not isinstance(request.body, dict):
            self.upstream._fail(f"{request.path} received a body that is not a JSON object")
            self._send_json(400, wire.error_body(400, "body is not a JSON object"))
            return
        try:
            answer = self.upstream._next_answer(request)
            request.answer = answer
            if answer.check is not None:
                answer.check(request)
        except AssertionError as failed:
            message = f"check failed on call {len(self.upstream.calls)}: {failed}"
            self.upstream._fail(message)
            self._send_json(400, wire.error_body(400, f"scripted upstream {message}"))
            return
        if isinstance(answer, ErrorReply):
            self._send_error_reply(answer)
        else:
            self._send_reply(answer, request)

    # -- receiving -------------------------------------------------------------------------------------

    def _receive(self) -> RecordedRequest:
        path, _, query = self.path.partition("?")
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(format=self.upstream.format, method=self.command, path=path, query=query,
                                  headers={k.lower(): v for k, v in self.headers.items()},
                                  raw_body=raw, body=body)
        self.upstream._record(request)
        return request

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # the empty line after the last chunk (no trailers expected)
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- sending ---------------------------------------------------------------------------------------

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_error_reply(self, answer: ErrorReply) -> None:
        headers = dict(answer.headers)
        if answer.retry_after is not None:
            headers["Retry-After"] = f"{answer.retry_after:g}"
        body = answer.body if answer.body is not None else self.upstream.wire.error_body(answer.status,
                                                                                         answer.message)
        self._send_json(answer.status, body, headers)

    def _send_reply(self, reply: Reply, request: RecordedRequest) -> None:
        fault = reply.fault
        if fault.drop_connection:
            self._drop()
            return
        if fault.first_byte_delay:
            time.sleep(fault.first_byte_delay)
        if (not request.stream and not fault.force_stream) or fault.ignore_stream:
            self._send_json(200, self.upstream.wire.body(reply, request), reply.headers)
            return
        self.send_response(200)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if fault.first_event_delay:
                self.wfile.flush()
                time.sleep(fault.first_event_delay)
            # Events keep to the upstream's own clock, as a model's tokens do: time this thread loses to the
            # scheduler after a write must not push every later event back.
            paced_from = time.monotonic()
            for count, event in enumerate(self._stream_events(reply, request)):
                if fault.die_after_events is not None and count >= fault.die_after_events:
                    request.outcome = "dropped mid-stream"
                    self._drop()
                    return
                if count and fault.event_delay:
                    time.sleep(max(0.0, paced_from + count * fault.event_delay - time.monotonic()))
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            request.outcome = "client disconnected"
            self.close_connection = True
            return
        request.outcome = "completed"

    def _stream_events(self, reply: Reply, request: RecordedRequest) -> Iterator[bytes]:
        wire = self.upstream.wire
        fault = reply.fault
        if fault.error_first_event:
            return iter([wire.error_event(529 if self.upstream.format == "anthropic" else 500,
                                          "scripted overload in the first event")])
        events: Iterable[bytes] = wire.events(reply, request)
        if fault.malformed_first_event:
            first_name = {"anthropic": "message_start", "responses": "response.created"}.get(self.upstream.format)
            events = [malformed(first_name), *events]
        return iter(events)

    def _drop(self) -> None:
        # Closing both directions without a final chunk: the client sees the connection break mid-body.
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
