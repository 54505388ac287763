"""Provider traffic through an HTTP proxy: from `server.upstream_proxy`, or from the proxy environment
variables the way curl and the SDKs read them, with NO_PROXY and loopback providers going directly."""

from __future__ import annotations

import httpx
import pytest
from apiswitch.runtime.proxy.config import parse_config
from apiswitch.runtime.proxy.egress import ProxyPlan
from upstreams import Reply

from .harness import provider_toml
from .test_endpoints import ForwardProxy

ASK = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def plan(env: dict[str, str], toml: str = "") -> ProxyPlan:
    return parse_config(toml + '[providers.p]\nformat = "chat"\nbase_url = "https://api.example.com/v1"\n'
                        '[routes]\n"*" = "p"\n', "t.toml", env).server.egress


@pytest.mark.parametrize(("env", "url", "expected"), [
    ({}, "https://api.deepseek.com/v1", None),
    ({"HTTPS_PROXY": "http://corp:3128"}, "https://api.deepseek.com/v1", "http://corp:3128"),
    ({"https_proxy": "http://lower:3128"}, "https://api.deepseek.com/v1", "http://lower:3128"),
    ({"HTTPS_PROXY": "http://corp:3128"}, "http://vllm.internal:8000/v1", None),  # an http URL wants HTTP_PROXY
    ({"ALL_PROXY": "http://all:1"}, "http://vllm.internal:8000/v1", "http://all:1"),
    ({"HTTPS_PROXY": "http://corp:3128", "NO_PROXY": "deepseek.com"}, "https://api.deepseek.com/v1", None),
    ({"HTTPS_PROXY": "http://corp:3128", "NO_PROXY": ".deepseek.com"}, "https://api.deepseek.com/v1", None),
    ({"HTTPS_PROXY": "http://corp:3128", "NO_PROXY": "seek.com"}, "https://api.deepseek.com/v1", "http://corp:3128"),
    ({"HTTPS_PROXY": "http://corp:3128", "NO_PROXY": "api.deepseek.com:8443"}, "https://api.deepseek.com/v1",
     "http://corp:3128"),
    ({"HTTPS_PROXY": "http://corp:3128", "NO_PROXY": "*"}, "https://api.deepseek.com/v1", None),
    ({"HTTP_PROXY": "http://corp:3128", "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3:8000/v1", None),
    ({"HTTP_PROXY": "http://corp:3128"}, "http://127.0.0.1:11434/v1", None),  # loopback: always direct
    ({"HTTP_PROXY": "http://corp:3128"}, "http://localhost:11434/v1", None),
])
def test_environment_plan(env, url, expected):
    assert plan(env).proxy_for(httpx.URL(url)) == expected


def test_configured_proxy_wins_over_the_environment_and_none_turns_both_off():
    env = {"HTTPS_PROXY": "http://from-env:1"}
    assert plan(env, '[server]\nupstream_proxy = "http://configured:2"\n').proxy_for(
        httpx.URL("https://api.example.com")) == "http://configured:2"
    assert plan(env, '[server]\nupstream_proxy = "none"\n').proxy_for(httpx.URL("https://api.example.com")) is None


def test_provider_traffic_follows_http_proxy_from_the_environment(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("through the corporate proxy"))
    # A host name only the forward proxy knows: the request can only succeed by going through it.
    forward = ForwardProxy(hosts={"provider.test": upstream.port})
    try:
        running = proxy(provider_toml("c", "chat", f"http://provider.test:{upstream.port}/v1")
                        + '[routes]\n"*" = "c"\n', env={"HTTP_PROXY": forward.url})
        response = httpx.post(running.url + "/v1/chat/completions", json=ASK)
        assert response.json()["choices"][0]["message"]["content"] == "through the corporate proxy"
        assert forward.seen == [f"http://provider.test:{upstream.port}/v1/chat/completions"]
    finally:
        forward.server.shutdown()
        forward.server.server_close()


def test_no_proxy_and_loopback_providers_go_directly(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("direct"))
    forward = ForwardProxy()
    try:
        running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c"\n',
                        env={"HTTP_PROXY": forward.url, "HTTPS_PROXY": forward.url})
        response = httpx.post(running.url + "/v1/chat/completions", json=ASK)
        assert response.json()["choices"][0]["message"]["content"] == "direct"
        assert forward.seen == []
    finally:
        forward.server.shutdown()
        forward.server.server_close()


def test_the_console_names_the_proxy_without_its_credentials(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "p.toml"
    config.write_text('[server]\nport = 0\n[log]\nenabled = false\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HTTPS_PROXY": "http://alice:s3cret@corp.example:3128"}
    process = subprocess.Popen([sys.executable, "-m", "apiswitch", "serve", "--config", str(config)], env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stderr.readline() for _ in range(2)]
    finally:
        process.terminate()
        process.wait(10)
    banner = "".join(lines)
    assert "provider traffic goes through http://corp.example:3128 (from the proxy environment variables)" in banner
    assert "s3cret" not in banner and "alice" not in banner
