"""Every recorded upstream stream, in every client format, through the real proxy from an upstream that sends it
in pieces of random size at random moments (so that events arrive split, joined, while the proxy's stream loop
waits and while it is busy): the client gets what the translator gives offline. The same streams cut at a
random byte or corrupted at one: the client gets a stream its strict checker accepts, ending in the answer or
its format's in-band error, or, if nothing valid came first, an error response; never a hang.
"""

from __future__ import annotations

import json
import random
import socket
import socketserver
import threading
import time
import zlib
from typing import Any

import httpx
import pytest
from apiswitch.runtime.streaming import StreamTranslator
from streaming.checkers import CHECKERS, ProtocolError, parse_sse
from streaming.harness import FORMATS, all_fixtures, fixture_bytes, make_context
from streaming.test_replay import SDK_MODELS

from .harness import CLIENT_PATHS, provider_toml, stream_request

FIXTURES = all_fixtures()
# Fields that name or date this particular answer rather than say what it is.
VOLATILE = {"id", "created", "created_at", "model", "system_fingerprint"}


class TrickleUpstream:
    """A real HTTP/1.1 server on 127.0.0.1 that answers a POST with the stream registered under the request's
    model name, chunked, in the pieces and with the pauses registered with it."""

    def __init__(self) -> None:
        self.cases: dict[str, tuple[bytes, list[int], list[float]]] = {}
        cases = self.cases

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = sock.makefile("rb")
                try:
                    while True:
                        head = b""
                        while not head.endswith(b"\r\n\r\n"):
                            line = reader.readline()
                            if not line:
                                return
                            head += line
                        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"content-length:"))
                        model = json.loads(reader.read(length))["model"]
                        data, sizes, pauses = cases[model]
                        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n")
                        at = 0
                        for size, pause in zip(sizes, pauses, strict=True):
                            if pause:
                                time.sleep(pause)
                            sock.sendall(b"%x\r\n%s\r\n" % (size, data[at:at + size]))
                            at += size
                        sock.sendall(b"0\r\n\r\n")
                except OSError:
                    return

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def register(self, name: str, data: bytes, rng: random.Random) -> None:
        sizes: list[int] = []
        left = len(data)
        while left:
            size = min(left, rng.choice((1, 3, 17, 60, 200, 900)))
            sizes.append(size)
            left -= size
        # Mostly back to back (pieces then pile up in one read), sometimes a pause long enough for the proxy
        # to have relayed everything and be waiting again.
        pauses = [rng.choice((0, 0, 0, 0.002)) for _ in sizes]
        self.cases[name] = (data, sizes, pauses)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", params=["uvloop", "asyncio"])
def setup(request, tmp_path_factory):
    """On the loop `apiswitch serve` runs, and on asyncio's own."""
    from .harness import start_proxy

    upstream = TrickleUpstream()
    toml = "".join(provider_toml(f"up_{fmt}", fmt, upstream.url + ("" if fmt == "anthropic" else "/v1"))
                   for fmt in FORMATS)
    toml += "[routes]\n" + "".join(f'"{fmt}-*" = "up_{fmt}"\n' for fmt in FORMATS)
    proxy = start_proxy(toml, tmp_path_factory.mktemp("fuzz"), loop=request.param)
    yield upstream, proxy
    proxy.stop()
    upstream.close()




def seed_of(*parts: object) -> int:
    """A seed that is the same in every run (unlike hash(), which Python salts per process)."""
    return zlib.crc32(repr(parts).encode())


def ask(setup, name: str, source: str, client: str, data: bytes, seed: int) -> httpx.Response:
    upstream, proxy = setup
    model = f"{source}-{name}-{client}-{seed}"
    upstream.register(model, data, random.Random(seed))
    return httpx.post(proxy.url + CLIENT_PATHS[client], json=stream_request(client, model), timeout=30)


def offline(data: bytes, source: str, client: str) -> bytes:
    if source == client:
        return data
    translator = StreamTranslator(source, client, context=make_context(client, source))
    return translator.feed(data) + translator.finish()


def essence(value: Any) -> Any:
    """A checker's summary without the fields that differ between two translations of one answer."""
    if isinstance(value, dict):
        return {key: essence(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list | tuple):
        return [essence(item) for item in value]
    return value


def summary(client: str, stream: bytes, passthrough: bool = False) -> dict[str, Any]:
    if passthrough:
        # Relayed as the provider sent it (a fixture may lack what a real provider always sends): every
        # event's data, but for the model name, which becomes the client's, and a chat usage chunk, which the
        # proxy adds if the provider sent none (see usage_chunks).
        events = [essence(json.loads(data)) if data.startswith("{") else data for _, data in parse_sse(stream)]
        return {"events": [e for e in events if not (isinstance(e, dict) and e.get("choices") == [])]}
    result = dict(CHECKERS[client](stream))
    events = result.pop("events")
    # Keep-alives are the proxy's own, and the usage placeholder of a stream without one is an estimate of
    # the request the proxy made, not of the test's offline context.
    result["kinds"] = [name or json.loads(data).get("object") for name, data in events
                       if name != "ping" and data != "[DONE]"]
    result.pop("usage", None)
    if client == "responses":
        result["response"] = {key: value for key, value in result["response"].items() if key != "usage"}
    if client == "anthropic" and result.get("message"):
        result["message"] = {key: value for key, value in result["message"].items() if key != "usage"}
    return essence(result)


@pytest.mark.parametrize("client", FORMATS)
@pytest.mark.parametrize(("name", "source"), FIXTURES)
def test_a_whole_stream_arriving_in_random_pieces_reaches_the_client_as_translated_offline(
        setup, name, source, client):
    data = fixture_bytes(name, source)
    response = ask(setup, name, source, client, data, seed=seed_of(name, source, client))
    assert response.status_code == 200, response.text
    passthrough = source == client
    assert summary(client, response.content, passthrough) == summary(client, offline(data, source, client),
                                                                     passthrough)
    if client == "chat":  # it asked for usage: one usage chunk, the provider's or the proxy's estimate
        assert usage_chunks(response.content) == 1


def usage_chunks(stream: bytes) -> int:
    return sum(1 for _, data in parse_sse(stream) if data.startswith("{") and json.loads(data).get("usage"))


def damage(data: bytes, rng: random.Random, how: str) -> bytes:
    if how == "cut":
        return data[:rng.randint(0, len(data))]
    at = rng.randint(0, len(data) - 1)
    while data[at:at + 1] in (b"\n", b"\r"):  # a line break changes the framing, not the content
        at = rng.randint(0, len(data) - 1)
    return data[:at] + bytes([rng.choice(b'{}":,x\x00\xff')]) + data[at + 1:]


# A passthrough stream is relayed as the provider sent it, corrupted bytes included: only cut.
DAMAGES = [(name, source, client, how) for name, source in FIXTURES for client in FORMATS
           for how in ("cut", "corrupt") if how == "cut" or source != client]


def whole_events(data: bytes) -> bytes:
    """The events of a stream that was cut: those ended by a blank line, and a last one without it if its data
    is whole (a JSON value)."""
    end = data.rfind(b"\n\n") + 2 if b"\n\n" in data else 0
    rest = data[end:].strip(b"\n")
    lines = [line[5:].strip() for line in rest.split(b"\n") if line.startswith(b"data:")]
    if lines:
        try:
            json.loads(b"\n".join(lines))
        except ValueError:
            return data[:end]
        return data[:end] + rest + b"\n\n"
    return data[:end]


def strictly_valid(stream: bytes, fmt: str) -> bool:
    try:
        CHECKERS[fmt](stream)
    except ProtocolError:
        return False
    return True


@pytest.mark.parametrize(("name", "source", "client", "how"), DAMAGES)
def test_a_damaged_stream_still_gives_a_valid_answer_or_error(setup, name, source, client, how):
    whole = fixture_bytes(name, source)
    passthrough = source == client
    # Some recordings keep a provider's quirk (a tool call's header repeated, no usage) that a passthrough
    # relays as it is; the strict checker judges only streams the proxy wrote, or relayed from a valid one.
    checked = not passthrough or strictly_valid(whole, client)
    for seed in range(40):
        rng = random.Random(seed_of(name, source, client, how, seed))
        damaged = damage(whole, rng, how)
        response = ask(setup, name, source, client, damaged, seed)
        if response.status_code != 200:
            # Nothing valid came before the damage: the proxy gave up before answering, in the client's format.
            assert response.status_code == 502, response.text
            error = response.json()
            assert error.get("type") == "error" if client == "anthropic" else "error" in error
            continue
        if passthrough:
            # Every whole event the provider sent, as it sent it (but the model name), then at most the
            # proxy's own ending.
            relayed = summary(client, response.content, passthrough=True)["events"]
            sent = summary(client, whole_events(damaged), passthrough=True)["events"]
            assert relayed[:len(sent)] == sent, f"seed {seed}"
            assert len(relayed) - len(sent) <= 2, f"seed {seed}: {relayed[len(sent):]}"
        if checked:
            try:
                # A corrupted argument fragment is the upstream's content, passed on as sent.
                CHECKERS[client](response.content, json_arguments=False)
            except ProtocolError as exc:
                raise AssertionError(f"seed {seed}: {exc}\n{response.text[-2000:]}") from None


# --- streams to requests without `stream` ------------------------------------------------------------------
# The trickle upstream answers every request with its stream, asked or not, as a provider that only streams:
# the proxy folds it into the one answer. The oracle is the other path: the client's stream as the stream
# translator writes it offline, read by the strict checker, must say the same.

def unary_request(client: str, model: str) -> dict[str, Any]:
    body = stream_request(client, model)
    body.pop("stream")
    body.pop("stream_options", None)
    return body


def answer_facts(answer: dict[str, Any], fmt: str) -> dict[str, Any]:
    """What an answer says: its text, its tool calls and why it stopped."""
    if fmt == "anthropic":
        blocks = answer["content"]
        return {"text": "".join(b["text"] for b in blocks if b["type"] == "text"),
                "calls": [(b["id"], b["name"], b["input"]) for b in blocks if b["type"] == "tool_use"],
                "stop": answer["stop_reason"]}
    if fmt == "chat":
        message = answer["choices"][0]["message"]
        return {"text": message.get("content") or "",
                "calls": [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"] or "{}"))
                          for c in message.get("tool_calls") or ()],
                "stop": answer["choices"][0]["finish_reason"]}
    items = answer["output"]
    return {"text": "".join(part["text"] for item in items if item["type"] == "message"
                            for part in item["content"] if part["type"] == "output_text"),
            "calls": [(i["call_id"], i["name"], json.loads(i["arguments"] or "{}")) for i in items
                      if i["type"] == "function_call"],
            "stop": answer["status"]}


def stream_facts(stream: bytes, fmt: str) -> dict[str, Any]:
    seen = CHECKERS[fmt](stream)
    if fmt == "anthropic":
        return answer_facts({"content": seen["blocks"], "stop_reason": seen["stop_reason"]}, fmt)
    if fmt == "chat":
        return {"text": seen["content"], "calls": [(c["id"], c["name"], c["input"]) for c in seen["tool_calls"]],
                "stop": seen["finish_reason"]}
    return answer_facts(seen["response"], fmt)


# A stream cut by max_tokens inside a tool call's arguments has no arguments to compare as JSON.
FOLDABLE = [(name, source) for name, source in FIXTURES if name != "max_tokens_in_tool"]


@pytest.mark.parametrize("client", FORMATS)
@pytest.mark.parametrize(("name", "source"), FOLDABLE)
def test_a_stream_to_a_request_without_stream_is_folded_into_the_answer_the_stream_gives(
        setup, name, source, client):
    upstream, proxy = setup
    data = fixture_bytes(name, source)
    model = f"{source}-{name}-{client}-folded"
    upstream.register(model, data, random.Random(seed_of(name, source, client, "fold")))
    response = httpx.post(proxy.url + CLIENT_PATHS[client], json=unary_request(client, model), timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    folded = answer_facts(response.json(), client)
    # Through the stream translator even for one format: it writes what the strict checker can read from a
    # recording that lacks what a provider always sends (usage).
    translator = StreamTranslator(source, client, context=make_context(client, source))
    streamed = stream_facts(translator.feed(data) + translator.finish(), client)
    assert folded == streamed


@pytest.mark.parametrize(("name", "source", "client", "how"), DAMAGES)
def test_a_damaged_stream_to_a_request_without_stream_is_an_answer_or_an_error(setup, name, source, client, how):
    upstream, proxy = setup
    whole = fixture_bytes(name, source)
    for seed in range(40):
        rng = random.Random(seed_of(name, source, client, how, "fold", seed))
        damaged = damage(whole, rng, how)
        model = f"{source}-{name}-{client}-{how}-fold-{seed}"
        upstream.register(model, damaged, rng)
        response = httpx.post(proxy.url + CLIENT_PATHS[client], json=unary_request(client, model), timeout=30)
        if response.status_code == 200:
            # A whole answer of the client's format (a corrupted argument fragment is the provider's content,
            # passed on as sent).
            SDK_MODELS[client].model_validate(response.json())
            continue
        assert response.status_code == 502, f"seed {seed}: {response.status_code} {response.text}"
        error = response.json()
        assert error.get("type") == "error" if client == "anthropic" else "error" in error
