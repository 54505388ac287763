"""Which way provider traffic leaves: directly, or through an HTTP proxy (corporate networks).

The plan comes from `server.upstream_proxy` when set (a URL for everything, or "none"), otherwise from the
environment the way curl and the SDKs read it: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (either case) by the
provider URL's scheme, and NO_PROXY for hosts that go directly; loopback providers (a local vLLM or Ollama)
then go directly too, since no outside proxy can reach this machine's loopback. A configured proxy takes
everything, loopback included (a local debugging proxy is a reason to configure one).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class ProxyPlan:
    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()  # host suffixes, "host:port" entries, IPs, or "*"
    source: str = "none"  # "config", "environment" or "none": said once at startup

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ProxyPlan:
        def read(name: str) -> str | None:
            return env.get(name.lower()) or env.get(name.upper()) or None

        fallback = read("all_proxy")
        https, http = read("https_proxy") or fallback, read("http_proxy") or fallback
        no_proxy = tuple(entry.strip().lower() for entry in (read("no_proxy") or "").split(",") if entry.strip())
        if not (https or http):
            return cls()
        return cls(http=http, https=https, no_proxy=no_proxy, source="environment")

    def proxy_for(self, url: httpx.URL) -> str | None:
        proxy = self.https if url.scheme == "https" else self.http
        if proxy is None or self._bypassed(url):
            return None
        return proxy

    def _bypassed(self, url: httpx.URL) -> bool:
        host = url.host.lower()
        if self.source == "environment" and _is_loopback(host):
            return True
        port = url.port or (443 if url.scheme == "https" else 80)
        for entry in self.no_proxy:
            if entry == "*":
                return True
            name, _, entry_port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
            if entry_port and entry_port != str(port):
                continue
            name = name.lstrip(".")
            if host == name or host.endswith("." + name) or _in_network(host, name):
                return True
        return False


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _in_network(host: str, entry: str) -> bool:
    if "/" not in entry:
        return False
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
