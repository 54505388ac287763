"""Session setup for the real-CLI tests: the pinned CLIs are installed on first use."""

from __future__ import annotations

import sys

import pytest
from upstreams.fixtures import scripted_upstream  # noqa: F401 - a fixture used by the tests here

from . import harness


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
