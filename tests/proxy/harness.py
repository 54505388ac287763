"""A real proxy on 127.0.0.1 for tests: uvicorn with apiswitch's HTTP protocol in a thread, a config written as
TOML text."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from apiswitch.runtime.proxy.app import build_app
from apiswitch.runtime.proxy.config import Config, parse_config
from apiswitch.runtime.proxy.httpserver import HttpProtocol


def provider_toml(name: str, fmt: str, base_url: str, *, key_env: str | None = None, extra: str = "") -> str:
    lines = [f"[providers.{name}]", f'format = "{fmt}"', f'base_url = "{base_url}"']
    if key_env:
        lines.append(f'api_key_env = "{key_env}"')
    return "\n".join(lines) + "\n" + extra + "\n"


class RunningProxy:
    """`loop`: "asyncio", or "uvloop" as `apiswitch serve` runs (their transports differ in when they write,
    pause and call back)."""

    def __init__(self, config: Config, loop: str = "asyncio") -> None:
        self.config = config
        self.loop = loop
        self.app = build_app(config)
        # IPPROTO_TCP spelled out: asyncio only sets TCP_NODELAY on accepted sockets whose protocol says TCP,
        # and without it small writes wait on delayed ACKs (40 ms a response).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._socket = sock
        server_config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                       timeout_graceful_shutdown=2, http=HttpProtocol)
        self.server = uvicorn.Server(server_config)
        self._thread = threading.Thread(target=self._run, name="apiswitch-test-proxy", daemon=True)

    def _run(self) -> None:
        if self.loop == "uvloop":
            import uvloop

            uvloop.run(self.server.serve(sockets=[self._socket]))
        else:
            asyncio.run(self.server.serve(sockets=[self._socket]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self):
        return self.app.state.proxy

    def start(self) -> RunningProxy:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test proxy did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def log_rows(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Waits until the background writer has stored `count` rows, then returns them oldest first."""
        from apiswitch.runtime.proxy.requestlog import read_latest

        path = self.state.request_log.path
        deadline = time.monotonic() + timeout
        while True:
            rows = read_latest(Path(path), 1000)
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.02)


def start_proxy(toml: str, tmp_path: Path, env: dict[str, str] | None = None, loop: str = "asyncio") -> RunningProxy:
    if "[log]" not in toml:
        toml += f'\n[log]\npath = "{(tmp_path / "requests.db").as_posix()}"\n'
    return RunningProxy(parse_config(toml, "test.toml", env or {}), loop).start()


CLIENT_PATHS = {"anthropic": "/v1/messages", "chat": "/v1/chat/completions", "responses": "/v1/responses"}


def stream_request(client: str, model: str = "m") -> dict[str, Any]:
    """The smallest streaming request of each client format; a chat client asks for usage, as SDK users do."""
    if client == "anthropic":
        return {"model": model, "max_tokens": 100, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    if client == "chat":
        return {"model": model, "stream": True, "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "hi"}]}
    return {"model": model, "stream": True, "input": "hi"}


class CannedUpstream:
    """A real HTTP server on 127.0.0.1 that answers every POST with the same bytes and ends them cleanly
    (Content-Length), for streams the scripted upstreams cannot produce, such as one cut short on purpose."""

    def __init__(self, body: bytes, content_type: str = "text/event-stream") -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                canned.received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                canned.calls += 1
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.calls = 0
        self.received: list[bytes] = []  # the request bodies, in order
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> CannedUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
