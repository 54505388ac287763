"""Pytest fixtures for scripted upstreams. Import them into a conftest.py:

    from upstreams.fixtures import scripted_upstream  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import ScriptedUpstream

StartUpstream = Callable[..., ScriptedUpstream]


@pytest.fixture
def scripted_upstream() -> Iterator[StartUpstream]:
    """A factory: `scripted_upstream("chat", Reply.text("hi"))` starts a server (same arguments as
    ScriptedUpstream). Every server started is stopped at teardown, and a failed scripted check fails
    the test there even if the client swallowed the 400 it got."""
    started: list[ScriptedUpstream] = []

    def start(format: str, *answers: Any, **options: Any) -> ScriptedUpstream:
        upstream = ScriptedUpstream(format, *answers, **options).start()
        started.append(upstream)
        return upstream

    yield start
    for upstream in started:
        upstream.stop()
    for upstream in started:
        upstream.assert_no_failures()
