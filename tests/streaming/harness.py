"""Shared pieces of the streaming tests: fixtures on disk, a real HTTP server for the official SDKs, and
the SDK accumulators used as oracles."""

from __future__ import annotations

import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import openai
from apiswitch.runtime.context import TranslationContext
from apiswitch.runtime.streaming import StreamTranslator
from openai import omit
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.lib.streaming.responses import ResponseStreamState

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = ("anthropic", "chat", "responses")


def fixture_bytes(name: str, fmt: str) -> bytes:
    return (FIXTURES / f"{name}.{fmt}.sse").read_bytes()


def all_fixtures() -> list[tuple[str, str]]:
    """(scenario, upstream format) for every fixture file."""
    out = []
    for path in sorted(FIXTURES.glob("*.sse")):
        name, fmt, _ = path.name.rsplit(".", 2)
        out.append((name, fmt))
    return out


def make_context(source: str, target: str, **overrides: Any) -> TranslationContext:
    """A context as translate_request would hand it over: ``source`` is the client's format here."""
    values: dict[str, Any] = {
        "source": target,
        "target": source,
        "client_model": "client-model",
        "stream": True,
        "client_wants_stream_usage": True,
        "input_token_estimate": 77,
    }
    values.update(overrides)
    return TranslationContext(**values)


def translate(
    data: bytes,
    source: str,
    target: str,
    context: TranslationContext | None = None,
    chunks: list[bytes] | None = None,
) -> bytes:
    translator = StreamTranslator(source, target, context=context or make_context(source, target))
    out = [translator.feed(chunk) for chunk in (chunks if chunks is not None else [data])]
    out.append(translator.finish())
    return b"".join(out)


def without_clock(stream: bytes) -> bytes:
    """The stream with creation times blanked: an Anthropic upstream has none, so chat and Responses
    clients get the current second, which two runs may not share."""
    return re.sub(rb'"(created|created_at)":\d+', rb'"\1":0', stream)


def random_chunks(data: bytes, seed: int, max_size: int = 40) -> list[bytes]:
    rng = random.Random(seed)
    chunks, pos = [], 0
    while pos < len(data):
        step = rng.randint(1, max_size)
        chunks.append(data[pos : pos + step])
        pos += step
    return chunks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class StreamServer:
    """A real HTTP server on 127.0.0.1 that answers every POST with the stream bytes it was given."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.body = b""  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accumulate(self, stream: bytes, fmt: str) -> dict[str, Any]:
        """What the official SDK of ``fmt`` makes of ``stream``: its final message / completion / response."""
        with self._lock:
            self._server.body = stream  # type: ignore[attr-defined]
            if fmt == "anthropic":
                client = anthropic.Anthropic(base_url=self.url, api_key="test", max_retries=0)
                with client.messages.stream(
                    model="client-model", max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
                ) as s:
                    return s.get_final_message().model_dump(mode="json", exclude_none=True)
            client = openai.OpenAI(base_url=self.url + "/v1", api_key="test", max_retries=0)
            if fmt == "chat":
                # The SDK's own accumulator, fed by its own stream; get_final_completion() would refuse
                # finish_reason "length" and "content_filter", which are valid answers here.
                state = ChatCompletionStreamState()
                stream_iter = client.chat.completions.create(
                    model="client-model", stream=True, messages=[{"role": "user", "content": "hi"}]
                )
                with stream_iter:
                    for chunk in stream_iter:
                        state.handle_chunk(chunk)
                return state.current_completion_snapshot.model_dump(mode="json", exclude_none=True)
            # As for chat: the SDK's accumulator over its own event stream, so that response.incomplete
            # (which responses.stream().get_final_response() refuses) is accumulated too.
            state = ResponseStreamState(input_tools=omit, text_format=omit)
            final = None
            events = client.responses.create(model="client-model", input="hi", stream=True)
            with events:
                for event in events:
                    for handled in state.handle_event(event):
                        if handled.type in ("response.completed", "response.incomplete"):
                            final = handled.response
                        elif handled.type == "response.failed":
                            raise RuntimeError(f"response.failed: {handled.response.error.message}")
            if final is None:
                raise AssertionError("the Responses stream ended without response.completed or incomplete")
            return final.model_dump(mode="json", exclude_none=True)
