"""The one transport the forwarder sends provider requests through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from apiswitch.runtime.proxy.egress import ProxyPlan
from apiswitch.runtime.proxy.http1 import (
    Http1Transport,
    NoResponse,
    NotComplete,
    ProviderRequest,
    ProviderResponse,
    Target,
)


class EgressTransport:
    """Sends each request directly (our HTTP/1.1 client) or through its proxy (httpx's transport, which
    tunnels https with CONNECT); one transport per proxy URL, made on first use."""

    def __init__(self, plan: ProxyPlan, limits: httpx.Limits) -> None:
        self.plan = plan
        self.limits = limits
        self.direct = Http1Transport(limits)
        self.via: dict[str, httpx.AsyncHTTPTransport] = {}
        self.proxy_of: dict[Target, str | None] = {}  # the plan's answer per endpoint, asked once

    def sender(self, target: Target) -> Callable[[ProviderRequest], Awaitable[ProviderResponse]]:
        """What sends a request to this endpoint: our client directly, or through the endpoint's proxy.
        (A function to await rather than a coroutine of our own around it: one level less on every request.)"""
        try:
            proxy = self.proxy_of[target]
        except KeyError:
            proxy = self.proxy_of[target] = self.plan.proxy_for(target.url)
        return self.direct.send if proxy is None else self._send_via

    async def send(self, request: ProviderRequest) -> ProviderResponse:
        return await self.sender(request.target)(request)

    async def _send_via(self, request: ProviderRequest) -> ProviderResponse:
        proxy = self.proxy_of[request.target]
        assert proxy is not None
        transport = self.via.get(proxy)
        if transport is None:
            transport = self.via[proxy] = httpx.AsyncHTTPTransport(limits=self.limits, retries=0, proxy=proxy)
        timeout = {"connect": request.connect_timeout, "read": request.read_timeout,
                   "write": request.connect_timeout, "pool": request.pool_timeout}
        outgoing = httpx.Request("POST", request.target.url, headers=request.headers, content=request.body,
                                 extensions={"timeout": timeout})
        try:
            async with asyncio.timeout(request.first_byte):
                response = await transport.handle_async_request(outgoing)
        except TimeoutError:
            raise NoResponse(f"no response within {request.first_byte:g}s") from None
        return ProviderResponse(response.status_code, response.headers.raw, _HttpxBody(response))

    async def aclose(self) -> None:
        await self.direct.aclose()
        for transport in self.via.values():
            await transport.aclose()


class _HttpxBody:
    """The body of a response that came through an outbound proxy."""

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def read_all(self, within: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(within):
                return await self.response.aread()
        except TimeoutError:
            raise NotComplete(f"response not complete within {within:g}s") from None

    async def aclose(self) -> None:
        await self.response.aclose()
