"""The one transport the forwarder sends provider requests through."""

from __future__ import annotations

import httpx
from apiswitch.runtime.proxy.egress import ProxyPlan
from apiswitch.runtime.proxy.http1 import Http1Transport


class EgressTransport(httpx.AsyncBaseTransport):
    """Sends each request directly (our HTTP/1.1 client) or through its proxy (httpx's transport, which
    tunnels https with CONNECT); one transport per proxy URL, made on first use."""

    def __init__(self, plan: ProxyPlan, limits: httpx.Limits) -> None:
        self.plan = plan
        self.limits = limits
        self.direct = Http1Transport(limits)
        self.via: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.plan.proxy_for(request.url)
        if proxy is None:
            return await self.direct.handle_async_request(request)
        transport = self.via.get(proxy)
        if transport is None:
            transport = self.via[proxy] = httpx.AsyncHTTPTransport(limits=self.limits, retries=0, proxy=proxy)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.direct.aclose()
        for transport in self.via.values():
            await transport.aclose()
