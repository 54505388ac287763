"""One client request through its ordered candidates: translate, send, fail over, answer.

Failover is only possible until the first byte reaches the client. Until then a refused connection, a
timeout, a 429, a 5xx, or a stream whose first event is an error or garbage sends the original request,
translated afresh, to the next candidate. After that, an upstream failure becomes the client format's
in-band stream error and the stream ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from apiswitch.runtime.errors import TranslationError
from apiswitch.runtime.proxy import usage as usage_mod
from apiswitch.runtime.proxy.asgi import JSON, SSE, Responder
from apiswitch.runtime.proxy.breaker import CircuitBreaker
from apiswitch.runtime.proxy.config import Config
from apiswitch.runtime.proxy.errors import (
    ProxyError,
    client_error_from_upstream,
    error_type,
    stream_error_event,
    upstream_error,
)
from apiswitch.runtime.proxy.frames import FrameSplitter, first_event_problem, looks_like_events
from apiswitch.runtime.proxy.http1 import NoResponse, NotComplete, ProviderRequest, ProviderResponse
from apiswitch.runtime.proxy.keepalive import KeepAlive
from apiswitch.runtime.proxy.passback import passed_back
from apiswitch.runtime.proxy.redact import Redactor
from apiswitch.runtime.proxy.routing import Candidate, Decision
from apiswitch.runtime.proxy.translation import (
    Prepared,
    convert_response,
    prepare_request,
    stream_converter,
    wants_stream_usage,
)
from apiswitch.runtime.proxy.transport import EgressTransport
from apiswitch.runtime.proxy.upstream import MissingKey, adjust_body, endpoint, upstream_headers
from apiswitch.runtime.streaming.fold import StreamFailed, stream_as_response
from apiswitch.runtime.streaming.replay import is_whole_answer, response_as_stream

_MAX_ERROR_BODY = 64 * 1024
# The answer came as the other kind (a stream to a request without `stream`, or the reverse): said in the log.
_FOLDED = {"path": "", "action": "synthesized",
           "reason": "the provider answered with a stream; it was folded into one answer"}
_REPLAYED = {"path": "", "action": "synthesized",
             "reason": "the provider answered the stream request with a whole answer; it was replayed as a stream"}
log = logging.getLogger("apiswitch.proxy")


class AttemptFailed(Exception):
    """This candidate failed before anything reached the client; the next one may be tried."""

    def __init__(self, message: str, status: int | None = None, body: bytes = b"",
                 retry_after: float | None = None, upstream_format: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.upstream_format = upstream_format
        self.headers = headers or {}


class TooLossy(AttemptFailed):
    """Strict mode: this candidate would need fields dropped. Not the provider's fault: no breaker count."""


@dataclass
class Exchange:
    """Everything about one client request, filled in as it goes; becomes the request-log row."""

    client_format: str
    body: dict[str, Any]
    raw: bytes
    decision: Decision
    headers: dict[str, str]
    responder: Responder
    row: dict[str, Any]
    count_tokens: bool = False
    # Keeps a streaming client's connection alive while no candidate has produced an event yet.
    waiting: KeepAlive | None = None

    @property
    def client_model(self) -> str:
        return self.row["client_model"]


def _retry_after(response: ProviderResponse) -> float | None:
    value = response.header("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Forwarder:
    def __init__(self, config: Config, transport: EgressTransport, breaker: CircuitBreaker,
                 redactor: Redactor) -> None:
        self.config = config
        # A transport, not an AsyncClient: no cookie jar shared between clients, no redirect or auth
        # machinery, and a good part less work per request.
        self.transport = transport
        self.breaker = breaker
        self.redactor = redactor

    def ordered(self, candidates: tuple[Candidate, ...]) -> list[Candidate]:
        """Candidates with a closed breaker first, then open ones as a last resort (a probe beats certain
        failure); providers inside a 429's Retry-After are not asked at all."""
        breaker = self.breaker
        ready: list[Candidate] = []
        last_resort: list[Candidate] = []
        for candidate in candidates:
            name = candidate.provider.name
            if not breaker.rate_limited_for(name):
                (last_resort if breaker.is_open(name) else ready).append(candidate)
        return ready + last_resort if last_resort else ready

    def all_rate_limited(self, candidates: tuple[Candidate, ...]) -> ProxyError:
        wait = min(self.breaker.rate_limited_for(c.provider.name) for c in candidates)
        seconds = max(1, math.ceil(wait))
        names = ", ".join(dict.fromkeys(c.provider.name for c in candidates))
        return ProxyError(429, f"rate limited: {names} asked to wait (Retry-After); retry in {seconds}s",
                          headers={"retry-after": str(seconds)})

    async def run(self, ex: Exchange) -> None:
        if ex.row.get("stream") and not ex.count_tokens:
            ex.waiting = KeepAlive(ex.responder, self.config.server.keepalive_seconds, _waiting_comment).start()
        try:
            await self.try_candidates(ex)
        except ProxyError as error:
            if not ex.responder.started:
                raise
            # The client already has a 200 and keep-alive comments: the failure can only go in-band.
            async with ex.responder.lock:
                await ex.responder.write(stream_error_event(ex.client_format, error.message,
                                                            error_type(ex.client_format, error.status)), more=False)
        finally:
            stop_waiting(ex)

    async def try_candidates(self, ex: Exchange) -> None:
        failures: list[str] = []
        last: AttemptFailed | None = None
        candidates = self.ordered(ex.decision.candidates)
        if not candidates:
            ex.row["error"] = "every candidate is inside its Retry-After"
            raise self.all_rate_limited(ex.decision.candidates)
        for attempt, candidate in enumerate(candidates):
            ex.row.update(provider=candidate.provider.name, upstream_model=candidate.model, attempts=attempt + 1)
            # Classification and the first attempt can share the parsed body; later attempts start from the
            # original bytes, so nothing a translator changed in place can leak into the next one.
            body = ex.body if attempt == 0 else orjson.loads(ex.raw)
            try:
                await self.attempt(ex, candidate, body)
            except AttemptFailed as failure:
                failure.message = self.redactor.text(failure.message)
                failures.append(f"{candidate.provider.name}: {failure.message}")
                last = failure
                self.note_failure(candidate, failure)
                continue
            self.breaker.record_success(candidate.provider.name)
            if failures and not ex.row.get("error"):
                ex.row["error"] = "failed over after: " + "; ".join(failures)
            return
        ex.row["error"] = "; ".join(failures)
        raise self.final_error(ex, last, failures)

    def note_failure(self, candidate: Candidate, failure: AttemptFailed) -> None:
        if isinstance(failure, TooLossy):
            return
        name = candidate.provider.name
        if failure.status == 429 and failure.retry_after:
            cap = self.config.failover.retry_after_cap_seconds
            self.breaker.cool_down(name, min(failure.retry_after, cap), failure.message)
        else:
            self.breaker.record_failure(name, failure.message)

    def final_error(self, ex: Exchange, last: AttemptFailed | None, failures: list[str]) -> ProxyError:
        if isinstance(last, TooLossy) and all("strict mode:" in f for f in failures):
            # Every candidate would lose fields: the request itself is the problem, as a 400.
            return ProxyError(400, last.message if len(failures) == 1 else "; ".join(failures))
        if last is not None and last.status is not None and last.body and last.upstream_format:
            # One upstream answered with an error: show the client that error, in its own format.
            return _client_error(last.status, last.body, last.upstream_format, ex.client_format, last.headers)
        return ProxyError(502, "all providers failed: " + "; ".join(failures))

    # -- one attempt -------------------------------------------------------------------------------------------

    async def attempt(self, ex: Exchange, candidate: Candidate, body: dict[str, Any]) -> None:
        provider = candidate.provider
        quirks = provider.quirks
        count_tokens = ex.count_tokens
        options = {"model": candidate.model, "max_tokens_cap": provider.max_output_tokens,
                   "input_bytes": len(ex.raw), "chat_reasoning_state": quirks.reasoning_state_echo}
        prepared = prepare_request(body, ex.client_format, provider.format, options)
        adjust_body(prepared.body, provider, candidate.model, translated=ex.client_format != provider.format,
                    count_tokens=count_tokens)
        ex.row["losses"] = prepared.losses
        ex.row["context"] = prepared.context
        if self.config.server.strict:
            dropped = [loss for loss in prepared.losses if loss.get("action") == "dropped"]
            if dropped:
                listed = "; ".join(f"{loss['path']} ({loss['reason']})" for loss in dropped[:10])
                raise TooLossy(f"strict mode: a {provider.format} provider would drop: {listed}")
        try:
            headers = upstream_headers(provider, ex.headers, ex.client_format)
        except MissingKey as exc:
            raise AttemptFailed(str(exc)) from None
        # What the client asked decides the way back; what the provider was asked (a quirk may differ), the
        # read timeout.
        stream = bool(ex.body.get("stream")) and not count_tokens
        upstream_streams = bool(prepared.body.get("stream")) and not count_tokens
        timeouts = provider.timeouts
        # A provider answering whole sends its headers with the answer: waiting for them is waiting for all of
        # it, which `total` bounds (a long generation is not a dead provider).
        request = ProviderRequest(endpoint(provider, count_tokens), headers, orjson.dumps(prepared.body),
                                  connect=timeouts.connect, read=timeouts.idle if upstream_streams else timeouts.total,
                                  pool=timeouts.connect,
                                  first_byte=timeouts.first_byte if upstream_streams else timeouts.total)
        response = await self.open(request)
        try:
            if response.status_code >= 400:
                await self.upstream_failed(ex, candidate, response)
            if stream:
                await self.relay_stream(ex, candidate, prepared, response)
            else:
                await self.relay_unary(ex, candidate, prepared, response)
        finally:
            await response.aclose()

    async def open(self, request: ProviderRequest) -> ProviderResponse:
        try:
            return await self.transport.sender(request.target)(request)
        except NoResponse as exc:
            raise AttemptFailed(str(exc)) from None
        except httpx.TimeoutException as exc:
            raise AttemptFailed(f"timeout: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            raise AttemptFailed(f"connection failed: {type(exc).__name__}: {exc}") from None

    async def upstream_failed(self, ex: Exchange, candidate: Candidate, response: ProviderResponse) -> None:
        body = b""
        with contextlib.suppress(httpx.HTTPError):
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > _MAX_ERROR_BODY:
                    break
        body = self.redactor.bytes(body)
        status = response.status_code
        message = upstream_error(body)
        headers = response.header_dict()
        failure = AttemptFailed(f"HTTP {status}: {message}", status, body, _retry_after(response),
                                candidate.provider.format, headers)
        if status in (408, 429) or status >= 500:
            raise failure
        # A client error would fail the same way elsewhere: answer it now, in the client's format.
        raise _client_error(status, body, candidate.provider.format, ex.client_format, headers)

    async def relay_unary(self, ex: Exchange, candidate: Candidate, prepared: Prepared,
                          response: ProviderResponse) -> None:
        raw = await _whole_body(response, candidate)
        # (A JSON answer, nearly every one, is told by its first byte.)
        if not ex.count_tokens and ("text/event-stream" in (response.header("content-type") or "")
                                    or raw[:1] != b"{" and looks_like_events(raw[:64])):
            data = _folded(ex, candidate, raw)
        else:
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise AttemptFailed(f"malformed response body: {raw[:200]!r}") from None
        if not isinstance(data, dict) or (data.get("error") and data.get("type") != "message"):
            raise AttemptFailed(f"upstream answered 200 with an error: {upstream_error(raw)}", 502, raw)
        out = data if ex.count_tokens else _client_answer(ex, candidate, prepared, data, raw)
        encoded = orjson.dumps(out)
        ex.row["response_body"] = encoded
        await ex.responder.complete(200, encoded, [*JSON, *passed_back(response.raw_headers, ex.client_format)])

    async def replay_whole(self, ex: Exchange, candidate: Candidate, prepared: Prepared,
                           response: ProviderResponse, content_type: str, raw: bytes) -> None:
        """A stream request the provider answered with one JSON answer (a server that ignores `stream`): the
        client still gets the stream it asked for, the answer translated as a non-streaming one and replayed
        as its format's events. A body that is not an answer (an error, a page) fails the attempt."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if not is_whole_answer(data, candidate.provider.format):
            said = upstream_error(raw) if isinstance(data, dict) else repr(raw[:200])
            raise AttemptFailed(f"expected an event stream, got {content_type or 'no content type'}: {said}",
                                502, raw)
        out = _client_answer(ex, candidate, prepared, data, raw)
        try:
            stream = response_as_stream(out, ex.client_format, include_usage=wants_stream_usage(ex.body))
        except ValueError as exc:  # an answer its translation left without the shape of one
            raise AttemptFailed(f"malformed response body: {exc}", 502, raw) from None
        _note_losses(ex, [_REPLAYED])
        stop_waiting(ex)
        responder = ex.responder
        async with responder.lock:
            if not responder.started:
                await responder.start(200, [*SSE, *passed_back(response.raw_headers, ex.client_format)])
            await responder.write(stream, more=False)

    async def relay_stream(self, ex: Exchange, candidate: Candidate, prepared: Prepared,
                           response: ProviderResponse) -> None:
        provider = candidate.provider
        content_type = response.header("content-type") or ""
        chunks = response.aiter_raw()
        if "text/event-stream" not in content_type:
            # An answer as one body, or events under another content type: the first bytes tell.
            first = await _next_within(chunks, provider.timeouts.first_byte)
            if not looks_like_events(first):
                rest = await _next_within(_joined(chunks), provider.timeouts.total)
                await self.replay_whole(ex, candidate, prepared, response, content_type, first + rest)
                return
            chunks = _chained(first, chunks)
        splitter = FrameSplitter()
        held: list[bytes] = []
        started = False

        def hold(frames: list[bytes]) -> bool:
            """Keep frames back from the client; judge the first data event. True once it passed."""
            nonlocal started
            for frame in frames:
                held.append(frame)
                if not started and frame.find(b"data:") >= 0:
                    problem = first_event_problem(provider.format, frame)
                    if problem:
                        raise AttemptFailed(problem, 502, b"")
                    started = True
            return started

        before: list[bytes] = []  # what came before the first event, for the error if no event comes
        try:
            async with asyncio.timeout(provider.timeouts.first_byte):
                async for chunk in chunks:
                    if len(before) < 16:
                        before.append(chunk)
                    if hold(splitter.feed(chunk)):
                        break
                else:
                    if not hold(splitter.finish()):
                        # Some providers answer a stream request with a plain JSON error under an event-stream
                        # content type: its message is the one worth passing on.
                        said = b"".join(before)[:_MAX_ERROR_BODY].strip()
                        detail = f": {upstream_error(said)}" if said else ""
                        raise AttemptFailed(f"upstream stream ended without any event{detail}", 502, said)
        except TimeoutError:
            raise AttemptFailed(f"no stream event within {provider.timeouts.first_byte:g}s") from None
        except httpx.HTTPError as exc:
            raise AttemptFailed(f"stream broke before its first event: {type(exc).__name__}") from None
        # Committed: from here on the client has this upstream's answer.
        await self.pump(ex, candidate, prepared, response.body, chunks, splitter, held,
                        passed_back(response.raw_headers, ex.client_format))

    async def pump(self, ex: Exchange, candidate: Candidate, prepared: Prepared, body: Any, chunks: Any,
                   splitter: FrameSplitter, held: list[bytes], extra_headers: list[tuple[bytes, bytes]]) -> None:
        provider = candidate.provider
        converter = stream_converter(prepared, ex.client_format, provider.format, candidate.model, ex.client_model,
                                     ex.body, len(ex.raw))
        tap = usage_mod.StreamUsage(provider.format)
        responder = ex.responder
        stop_waiting(ex)
        async with responder.lock:
            if not responder.started:
                await responder.start(200, [*SSE, *extra_headers])
        ping = _anthropic_ping if ex.client_format == "anthropic" else _comment_ping
        keepalive = KeepAlive(responder, self.config.server.keepalive_seconds, ping,
                              quiet_until_first_byte=True).start()
        error: str | None = None
        try:
            async with asyncio.timeout(provider.timeouts.total):
                await self.emit(held, converter, tap, responder)
                if hasattr(body, "sink"):
                    # Events that arrive while this loop waits are relayed in the connection's callback; the
                    # loop below sees only what the relay declined (a client to drain, a keep-alive frame).
                    body.sink = DirectRelay(splitter, converter, tap, responder)
                try:
                    async for chunk in chunks:
                        await self.emit(splitter.feed(chunk), converter, tap, responder)
                    await self.emit(splitter.finish(), converter, tap, responder)
                    tail = converter.finish()
                    error = converter.error
                except httpx.HTTPError as exc:
                    error = f"upstream stream failed: {type(exc).__name__}"
                    tail = converter.fail(error)
                except Exception as exc:  # noqa: BLE001 - a translator bug must still end the stream in-band
                    log.exception("stream translation failed")
                    error = f"apiswitch could not translate the stream: {type(exc).__name__}: {exc}"
                    tail = converter.fail(error)  # which falls back on a plain error event if it breaks too
        except TimeoutError:
            error = f"upstream stream exceeded {provider.timeouts.total:g}s"
            tail = converter.fail(error)
        finally:
            keepalive.stop()
        async with responder.lock:
            await responder.write(tail, more=False)
        ex.row.update(tap.counts)
        _note_losses(ex, converter.losses)
        if error:
            ex.row["error"] = error

    @staticmethod
    async def emit(frames: list[bytes], converter: Any, tap: usage_mod.StreamUsage, responder: Responder) -> None:
        if not frames:
            return
        tap.observe_all(frames)
        out = converter.feed_all(frames)
        if out:
            async with responder.lock:
                await responder.write(out)


class DirectRelay:
    """`emit`, called by the upstream connection as body arrives: a stream's events then reach the client
    without a task switch each. It declines (False) a piece it could only write by waiting, which then goes
    the awaiting way, in order."""

    __slots__ = ("splitter", "converter", "tap", "responder")

    def __init__(self, splitter: FrameSplitter, converter: Any, tap: usage_mod.StreamUsage,
                 responder: Responder) -> None:
        self.splitter = splitter
        self.converter = converter
        self.tap = tap
        self.responder = responder

    def __call__(self, chunk: bytes) -> bool:
        responder = self.responder
        if not responder.can_write_now():
            return False
        frames = self.splitter.feed(chunk)
        if frames:
            self.tap.observe_all(frames)
            out = self.converter.feed_all(frames)
            if out:
                responder.write_now(out)
        return True


def _folded(ex: Exchange, candidate: Candidate, raw: bytes) -> dict[str, Any]:
    """A provider's event stream as the one answer its client asked for (the provider only streams, or took no
    notice of a request without `stream`). A stream that failed, or stopped short, fails the attempt."""
    try:
        data = stream_as_response(raw, candidate.provider.format)
    except StreamFailed as exc:
        raise AttemptFailed(f"the provider's stream failed: {exc}", 502, raw) from None
    _note_losses(ex, [_FOLDED])
    return data


async def _next_within(chunks: AsyncIterator[bytes], seconds: float) -> bytes:
    """The next piece of a body (b"" at its end) within `seconds`, or a failed attempt."""
    try:
        async with asyncio.timeout(seconds):
            return await anext(chunks, b"")
    except TimeoutError:
        raise AttemptFailed(f"no response body within {seconds:g}s") from None
    except httpx.HTTPError as exc:
        raise AttemptFailed(f"reading the response failed: {type(exc).__name__}") from None


async def _joined(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield b"".join([chunk async for chunk in chunks])


async def _chained(first: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in chunks:
        yield chunk


async def _whole_body(response: ProviderResponse, candidate: Candidate) -> bytes:
    try:
        return await response.aread(within=candidate.provider.timeouts.total)
    except NotComplete as exc:
        raise AttemptFailed(str(exc)) from None
    except httpx.HTTPError as exc:
        raise AttemptFailed(f"reading the response failed: {type(exc).__name__}") from None


def _client_answer(ex: Exchange, candidate: Candidate, prepared: Prepared, data: dict[str, Any],
                   raw: bytes) -> dict[str, Any]:
    """The provider's whole answer in the client's format, its usage and losses logged."""
    ex.row.update(usage_mod.from_response(candidate.provider.format, data))
    try:
        out, losses = convert_response(data, prepared, ex.client_format, candidate.provider.format,
                                       ex.client_model, len(ex.raw))
    except TranslationError as exc:  # the provider's answer, not the client's request, is at fault
        raise AttemptFailed(f"malformed response body: {exc}", 502, raw) from None
    _note_losses(ex, losses)
    return out


def _note_losses(ex: Exchange, losses: list[dict[str, str]]) -> None:
    """Losses added to the request's log row, after those its request's translation had."""
    if losses:
        ex.row["losses"] = [*ex.row.get("losses", []), *losses]


def _client_error(status: int, body: bytes, upstream_format: str, client_format: str,
                  upstream_headers: dict[str, str]) -> ProxyError:
    """An upstream's error in the client's format, with the provider headers a client should still see."""
    error = client_error_from_upstream(status, body, upstream_format, client_format, upstream_headers)
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in upstream_headers.items()]
    for name, value in passed_back(raw, client_format):
        error.headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return error


def stop_waiting(ex: Exchange) -> None:
    if ex.waiting is not None:
        ex.waiting.stop()
        ex.waiting = None


async def _waiting_comment(responder: Responder) -> None:
    """While the candidates are tried, a streaming client that waited `keepalive_seconds` gets its 200 and SSE
    comments, so that it and any middlebox do not give up on a slow provider. Failover goes on behind them
    (nothing of an answer has been sent), but a final failure must then be an in-band error event."""
    if not responder.started:
        await responder.start(200, SSE)
    await responder.comment(b"waiting for the provider")


async def _anthropic_ping(responder: Responder) -> None:
    await responder.write(b'event: ping\ndata: {"type": "ping"}\n\n')


async def _comment_ping(responder: Responder) -> None:
    await responder.write(b": keep-alive\n\n")
