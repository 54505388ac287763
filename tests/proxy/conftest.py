from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from upstreams.fixtures import scripted_upstream  # noqa: F401 - a fixture used by the tests here

from .harness import RunningProxy, start_proxy


@pytest.fixture
def proxy(tmp_path) -> Iterator[Callable[..., RunningProxy]]:
    """A factory: `proxy(toml_text, env={...})` starts a proxy with that config; all are stopped at teardown."""
    started: list[RunningProxy] = []

    def start(toml: str, env: dict[str, str] | None = None) -> RunningProxy:
        running = start_proxy(toml, tmp_path, env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
