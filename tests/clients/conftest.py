"""Session setup for the real-CLI tests: the pinned CLIs are installed on first use."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from upstreams import ScriptedUpstream
from upstreams.fixtures import scripted_upstream  # noqa: F401 - a fixture used by the tests here

from . import harness
from .served_proxy import UPSTREAM_MODEL, ProxyNotReady, ServedProxy, free_port, proxy_config


@pytest.fixture(scope="session")
def real_clients() -> None:
    """Makes sure .clients/ holds the pinned Claude Code and Codex. Skips (with the reason printed) only
    when npm itself is missing; any other install failure fails the tests that need the CLIs."""
    if harness.installed():
        return
    reason = harness.install()
    if reason is None:
        return
    print(f"\nreal-CLI tests: {reason}", file=sys.stderr)
    if "npm is not installed" in reason:
        pytest.skip(reason)
    pytest.fail(reason)


@pytest.fixture
def served_proxy(tmp_path: Path) -> Iterator[Callable[..., ServedProxy]]:
    """Starts `apiswitch serve` routing every model to the given providers, in failover order. Each is a
    ScriptedUpstream or a `(format, base_url)` pair (for an address where nothing listens)."""
    started: list[ServedProxy] = []

    def start(*upstreams: ScriptedUpstream | tuple[str, str], provider_extra: str = "") -> ServedProxy:
        providers = []
        for index, upstream in enumerate(upstreams, 1):
            fmt, url = (upstream.format, upstream.base_url) if isinstance(upstream, ScriptedUpstream) else upstream
            providers.append((f"provider{index}", fmt, url))
        port = free_port()
        config = proxy_config(providers, UPSTREAM_MODEL, port, tmp_path / "requests.db", provider_extra)
        proxy = ServedProxy(config, port, tmp_path / f"proxy{len(started) + 1}")
        started.append(proxy)
        try:
            return proxy.start()
        except ProxyNotReady as not_ready:
            pytest.fail(f"the proxy is not usable, so this real-CLI test cannot run: {not_ready}")

    yield start
    for proxy in started:
        proxy.stop()
