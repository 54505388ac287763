from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from upstreams.fixtures import scripted_upstream  # noqa: F401 - a fixture used by the tests here

from .harness import RunningProxy, start_proxy
from .postgres_server import PostgresServer
from .postgres_server import missing as postgres_missing


@pytest.fixture
def proxy(tmp_path) -> Iterator[Callable[..., RunningProxy]]:
    """A factory: `proxy(toml_text, env={...})` starts a proxy with that config; all are stopped at teardown."""
    started: list[RunningProxy] = []

    def start(toml: str, env: dict[str, str] | None = None, loop: str = "asyncio") -> RunningProxy:
        running = start_proxy(toml, tmp_path, env, loop)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session's request-log tests; each test takes its own database."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.remove()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.new_database()
