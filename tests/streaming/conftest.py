from __future__ import annotations

import pytest

from .harness import StreamServer


@pytest.fixture(scope="session")
def stream_server():
    server = StreamServer()
    yield server
    server.close()
