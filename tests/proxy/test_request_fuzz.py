"""Generated requests of every format, some with one field replaced by any JSON value, through the real proxy
to an upstream of every format, streaming or not: the proxy never answers 5xx (its own failure), and every
error it gives is in the client's format, naming what was wrong."""

from __future__ import annotations

import copy

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from properties.mutations import JSON_VALUES, paths_of, replaced
from translation.strategies import REQUESTS
from upstreams import Reply, ScriptedUpstream

from .harness import provider_toml, start_proxy

PATHS = {"anthropic": "/v1/messages", "chat": "/v1/chat/completions", "responses": "/v1/responses"}


@pytest.fixture(scope="module")
def proxy_url(tmp_path_factory):
    upstreams = {fmt: ScriptedUpstream(fmt, default=Reply.text("ok")).start() for fmt in PATHS}
    toml = "".join(provider_toml(f"up_{fmt}", fmt, upstream.base_url) for fmt, upstream in upstreams.items())
    toml += "[routes]\n" + "".join(f'"to-{fmt}" = "up_{fmt}"\n' for fmt in PATHS)
    running = start_proxy(toml, tmp_path_factory.mktemp("request-fuzz"))
    yield running.url
    running.stop()
    for upstream in upstreams.values():
        upstream.stop()


def is_client_format_error(client: str, body: object) -> bool:
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    if client == "anthropic":
        return body.get("type") == "error" and isinstance(error, dict) and bool(error.get("message"))
    return isinstance(error, dict) and bool(error.get("message"))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_request_gets_an_answer_or_an_error_in_its_format_and_never_a_5xx(proxy_url, data):
    client = data.draw(st.sampled_from(list(PATHS)))
    upstream = data.draw(st.sampled_from(list(PATHS)))
    body = copy.deepcopy(data.draw(REQUESTS[client]))  # strategies may share objects between draws
    body["model"] = f"to-{upstream}"
    body["stream"] = data.draw(st.booleans())
    if data.draw(st.booleans()):
        body = replaced(body, data.draw(st.sampled_from(list(paths_of(body)))), data.draw(JSON_VALUES))
    response = httpx.post(proxy_url + PATHS[client], json=body, timeout=30)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert is_client_format_error(client, response.json()), response.text
