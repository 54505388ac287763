"""Shares the scripted upstream fixture with the tests in this folder."""

from upstreams.fixtures import scripted_upstream  # noqa: F401
