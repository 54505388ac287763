"""The ASGI application: endpoints, access control, the request log, and the shared upstream client."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from apiswitch.runtime.fieldpath import model_of
from apiswitch.runtime.proxy.asgi import (
    JSON,
    BodyTooLarge,
    ClientGone,
    DisconnectWatch,
    Receive,
    Responder,
    Scope,
    Send,
    header_map,
    read_body,
)
from apiswitch.runtime.proxy.breaker import CircuitBreaker
from apiswitch.runtime.proxy.classify import estimate_tokens
from apiswitch.runtime.proxy.config import Config
from apiswitch.runtime.proxy.errors import ProxyError, error_body
from apiswitch.runtime.proxy.forward import Exchange, Forwarder
from apiswitch.runtime.proxy.redact import Redactor
from apiswitch.runtime.proxy.requestlog import RequestLog
from apiswitch.runtime.proxy.routing import NoRoute, Router
from apiswitch.runtime.proxy.transport import EgressTransport
from apiswitch.runtime.proxy.validate import parse_body, validate_full, validate_request
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from apiswitch import __version__

log = logging.getLogger("apiswitch.proxy")


class ProxyState:
    """What every request shares: config, router, breaker, redactor, the upstream client and the log."""

    def __init__(self, config: Config, request_log: RequestLog | None = None) -> None:
        self.config = config
        self.router = Router(config)
        self.breaker = CircuitBreaker(config.failover.breaker_failures, config.failover.breaker_cooldown_seconds)
        self.redactor = Redactor(config.secrets())
        self.request_log = request_log
        self.transport: EgressTransport | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.forwarder: Forwarder | None = None
        self.disconnects: DisconnectWatch | None = None

    async def open(self) -> None:
        self.loop = asyncio.get_running_loop()
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200, keepalive_expiry=60)
        self.transport = EgressTransport(self.config.server.egress, limits)
        self.forwarder = Forwarder(self.config, self.transport, self.breaker, self.redactor)
        self.disconnects = DisconnectWatch(self.loop)
        if self.config.server.validation == "full":
            for fmt in ("anthropic", "chat", "responses"):
                # Build the validators now rather than on a client's first request.
                model_of(fmt, request=True).model_rebuild()
        if self.request_log is None and self.config.log.enabled:
            self.request_log = RequestLog(self.config.log.location, self.config.log.retention_days)
        # Everything loaded so far (models, validators, translators) lives as long as the process: frozen out
        # of the cyclic collector, a full collection no longer walks it in the middle of a request.
        gc.collect()
        gc.freeze()

    async def close(self) -> None:
        if self.transport is not None:
            await self.transport.aclose()
        if self.request_log is not None:
            self.request_log.close()

    def authorized(self, headers: dict[str, str]) -> bool:
        token = self.config.server.access_token
        if not token:
            return True
        offered = headers.get("x-api-key") or ""
        auth = headers.get("authorization", "")
        if not offered and auth[:7].lower() == "bearer ":
            offered = auth[7:].strip()
        return hmac.compare_digest(offered.encode(), token.encode())

    def record(self, row: dict[str, Any]) -> None:
        if self.request_log is None:
            return
        if self.config.log.bodies:
            for name in ("request_body", "response_body"):
                value = row.get(name)
                if isinstance(value, bytes):
                    row[name] = self.redactor.text(value.decode("utf-8", "replace"))
            context = row.get("context")
            if context is not None and hasattr(context, "to_dict"):
                row["context"] = self.redactor.text(orjson.dumps(context.to_dict(), default=str).decode())
        else:
            for name in ("request_body", "response_body", "context"):
                row.pop(name, None)
        losses = row.get("losses")
        row["losses"] = orjson.dumps(losses).decode() if losses else None
        if row.get("error"):
            row["error"] = self.redactor.text(str(row["error"]))
        self.request_log.record(row)


class ProxyEndpoint:
    """POST /v1/messages, /v1/chat/completions, /v1/responses (and count_tokens): the proxied calls."""

    def __init__(self, state: ProxyState, client_format: str, count_tokens: bool = False) -> None:
        self.state = state
        self.client_format = client_format
        self.count_tokens = count_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        fmt = self.client_format
        started = time.perf_counter()
        responder = Responder(send, state.loop or asyncio.get_running_loop())
        row: dict[str, Any] = {"ts": time.time(), "client_format": fmt, "path": scope["path"]}
        try:
            await self.handle(scope, receive, responder, row)
        except ProxyError as exc:
            row["status"] = exc.status
            row.setdefault("error", exc.message)
            if not responder.started:
                headers = [*JSON, *((k.encode(), v.encode()) for k, v in exc.headers.items())]
                body = exc.body or error_body(fmt, exc.status, exc.message, exc.param)
                await responder.complete(exc.status, body, headers)
        except ClientGone:
            row["status"] = 499
            row["error"] = "client disconnected"
        except Exception as exc:  # noqa: BLE001 - answer in the client's format, never with a bare 500
            log.exception("request failed inside apiswitch")
            row["status"] = 500
            row["error"] = f"internal error: {type(exc).__name__}: {exc}"
            if not responder.started:
                message = f"apiswitch internal error: {type(exc).__name__}: {state.redactor.text(str(exc))}"
                await responder.complete(500, error_body(fmt, 500, message))
        finally:
            row.setdefault("status", responder.status)
            row["latency_ms"] = (time.perf_counter() - started) * 1000
            if responder.first_byte_at is not None:
                row["ttfb_ms"] = (responder.first_byte_at - started) * 1000
            row["stream"] = int(bool(row.get("stream")))
            if log.isEnabledFor(logging.INFO):
                log.info("%s %s %s -> %s:%s [%s] %s %.0fms%s", scope["method"], scope["path"],
                         row.get("client_model", "-"), row.get("provider", "-"), row.get("upstream_model", "-"),
                         row.get("rule") or row.get("route") or "-", row.get("status"), row["latency_ms"],
                         f"  error: {state.redactor.text(str(row['error']))}" if row.get("error") else "")
            state.record(row)

    async def handle(self, scope: Scope, receive: Receive, responder: Responder, row: dict[str, Any]) -> None:
        state = self.state
        fmt = self.client_format
        headers = header_map(scope)
        if not state.authorized(headers):
            raise ProxyError(401, "invalid access token: send the proxy's access token as your API key")
        try:
            raw = await read_body(receive, state.config.server.max_body_bytes)
        except BodyTooLarge:
            raise ProxyError(413, "request body is larger than server.max_body_bytes") from None
        body = parse_body(raw)
        validate_request(body, fmt, self.count_tokens)
        if state.config.server.validation == "full" and not self.count_tokens:
            validate_full(body, fmt)
        model = body["model"]
        row.update(client_model=model, stream=body.get("stream") is True, request_body=raw)
        try:
            decision = state.router.decide(model, body, fmt, len(raw))
        except NoRoute as exc:
            raise ProxyError(404, str(exc), param="model", code="model_not_found") from None
        row.update(route=decision.route, rule=decision.rule)
        if self.count_tokens and not any(c.provider.format == "anthropic" for c in decision.candidates):
            # Only Anthropic upstreams can count; anything else gets a local estimate rather than a failure.
            row["status"] = 200
            await responder.complete(200, orjson.dumps({"input_tokens": estimate_tokens(len(raw))}))
            return
        if self.count_tokens:
            decision = dataclasses.replace(decision, candidates=tuple(
                c for c in decision.candidates if c.provider.format == "anthropic"))
        exchange = Exchange(fmt, body, raw, decision, headers, responder, row, self.count_tokens)
        assert state.forwarder is not None and state.disconnects is not None
        await state.disconnects.run(state.forwarder.run(exchange), receive, responder)


def _models_body(router: Router, headers: dict[str, str]) -> dict[str, Any]:
    names = router.visible_models()
    if "anthropic-version" in headers or "x-api-key" in headers:
        data = [{"type": "model", "id": n, "display_name": n, "created_at": "1970-01-01T00:00:00Z"} for n in names]
        return {"data": data, "has_more": False, "first_id": names[0] if names else None,
                "last_id": names[-1] if names else None}
    return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "apiswitch"}
                                       for n in names]}


class ProxyApp:
    """The proxied POST paths straight to their endpoint; everything else through Starlette.

    Those few paths carry nearly all traffic, and Starlette's middleware and route matching around them cost
    about a tenth of the proxy's CPU per request while adding nothing (the endpoints answer every error
    themselves, in the client's format).
    """

    def __init__(self, app: Starlette, fast: dict[str, ProxyEndpoint]) -> None:
        self.app = app
        self.fast = fast
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.fast.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(config: Config, request_log: RequestLog | None = None) -> ProxyApp:
    state = ProxyState(config, request_log)

    async def root(request: Request) -> Response:
        # Claude Code's warm-up HEAD / must be answered at once, without touching any upstream.
        return Response(b"apiswitch\n" if request.method == "GET" else b"", media_type="text/plain")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__, "providers": state.breaker.snapshot()})

    async def models(request: Request) -> Response:
        headers = dict(request.headers)
        if not state.authorized(headers):
            return Response(error_body("chat", 401, "invalid access token"), 401, media_type="application/json")
        return JSONResponse(_models_body(state.router, headers))

    async def model(request: Request) -> Response:
        headers = dict(request.headers)
        if not state.authorized(headers):
            return Response(error_body("chat", 401, "invalid access token"), 401, media_type="application/json")
        wanted = request.path_params["model_id"]
        for item in _models_body(state.router, headers)["data"]:
            if item["id"] == wanted:
                return JSONResponse(item)
        fmt = "anthropic" if "anthropic-version" in headers else "chat"
        return Response(error_body(fmt, 404, f"model {wanted!r} not found"), 404, media_type="application/json")

    messages = ProxyEndpoint(state, "anthropic")
    count = ProxyEndpoint(state, "anthropic", count_tokens=True)
    chat = ProxyEndpoint(state, "chat")
    responses = ProxyEndpoint(state, "responses")
    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/health", health, methods=["GET", "HEAD"]),
        Route("/healthz", health, methods=["GET", "HEAD"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", model, methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count, methods=["POST"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        # Clients configured with a base URL lacking /v1 still arrive somewhere sensible.
        Route("/chat/completions", chat, methods=["POST"]),
        Route("/responses", responses, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.open()
        try:
            yield
        finally:
            await state.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        # Unknown paths and wrong methods still answer in an API's error shape, so that an SDK shows the
        # message instead of failing to parse a plain-text body.
        status = getattr(exc, "status_code", 500)
        fmt = "anthropic" if request.url.path.startswith("/v1/messages") or "anthropic-version" in request.headers \
            else "chat"
        message = f"{request.method} {request.url.path} is not an apiswitch endpoint" if status == 404 else \
            f"{request.method} is not allowed on {request.url.path}"
        return Response(error_body(fmt, status, message), status, media_type="application/json")

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: http_error, 405: http_error})
    app.state.proxy = state
    fast = {route.path: route.endpoint for route in routes
            if isinstance(route.endpoint, ProxyEndpoint) and "{" not in route.path}
    return ProxyApp(app, fast)
