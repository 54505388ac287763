"""`apiswitch serve`, `config check` and `logs` as a user runs them: subprocesses in a scratch home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from upstreams import ErrorReply, Reply

from .harness import provider_toml

CANARY = "sk-cli-canary-1b9e0d77c3a54f21"


def scratch_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share")}
    env.update(extra)
    return env


def apiswitch(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apiswitch", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, args: list[str], env: dict[str, str], out: Path) -> None:
        self.out = out
        with out.open("wb") as sink:
            self.process = subprocess.Popen([sys.executable, "-m", "apiswitch", "serve", *args], env=env,
                                            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, url: str) -> None:
        for _ in range(300):
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.out.read_text()}")
            try:
                if httpx.head(url + "/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"serve did not start: {self.out.read_text()}")

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(10)
        return self.out.read_text()


def test_serve_without_config_uses_the_embedded_default(tmp_path):
    port = free_port()
    env = scratch_env(tmp_path)
    served = Served(["--port", str(port)], env, tmp_path / "out.txt")
    try:
        served.wait_ready(f"http://127.0.0.1:{port}")
        health = httpx.get(f"http://127.0.0.1:{port}/health").json()
        assert health["status"] == "ok"
        missing = httpx.post(f"http://127.0.0.1:{port}/v1/messages", json={
            "model": "claude-x", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
        assert missing.status_code == 404 and "no provider is configured" in missing.json()["error"]["message"]
    finally:
        output = served.stop()
    assert "no providers configured" in output and "[providers.deepseek]" in output
    database = Path(env["XDG_DATA_HOME"]) / "apiswitch" / "requests.db"
    assert database.exists()  # the embedded default logs to the user's data directory
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    assert oct(database.parent.stat().st_mode & 0o777) == "0o700"


def test_serve_refuses_a_public_host_without_a_token(tmp_path):
    result = apiswitch("serve", "--host", "0.0.0.0", env=scratch_env(tmp_path))
    assert result.returncode == 2
    assert "requires an access token" in result.stderr


def test_config_check(tmp_path):
    env = scratch_env(tmp_path)
    good = tmp_path / "good.toml"
    good.write_text(provider_toml("p", "chat", "http://h/v1", key_env="UNSET_KEY") + '[routes]\n"*" = "p"\n')
    result = apiswitch("config", "check", str(good), env=env)
    assert result.returncode == 0
    assert "OK (1 providers, 1 routes, 0 rules)" in result.stdout
    assert "environment variable UNSET_KEY is not set" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[providers.p]\nformat = "chat"\nbase_url = "ftp://h"\n\n[routes]\n"*" = "q"\n')
    result = apiswitch("config", "check", str(bad), env=env)
    assert result.returncode == 1
    assert f"{bad}:3: providers.p.base_url: must start with http:// or https://" in result.stderr
    assert f"{bad}:6: routes.*: unknown provider 'q'" in result.stderr


@pytest.mark.usefixtures("scripted_upstream")
def test_serve_logs_and_keeps_keys_off_the_console(tmp_path, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("hi there"), ErrorReply(401, f"bad key {CANARY}"))
    port = free_port()
    config = tmp_path / "proxy.toml"
    db = tmp_path / "log" / "requests.db"
    config.write_text(f"[server]\nport = {port}\n\n[log]\npath = \"{db.as_posix()}\"\nbodies = true\n\n"
                      + provider_toml("up", "chat", upstream.base_url, key_env="UP_KEY")
                      + '[routes]\n"*" = "up:up-model"\n')
    env = scratch_env(tmp_path, UP_KEY=CANARY)
    served = Served(["--config", str(config)], env, tmp_path / "out.txt")
    url = f"http://127.0.0.1:{port}"
    try:
        served.wait_ready(url)
        request = {"model": "gpt-x", "messages": [{"role": "user", "content": "hello"}]}
        assert httpx.post(url + "/v1/chat/completions", json=request).status_code == 200
        assert httpx.post(url + "/v1/chat/completions", json=request).status_code == 401
        for _ in range(100):
            logs = apiswitch("logs", "--config", str(config), env=env)
            if logs.stdout.count("\n") >= 2:
                break
            time.sleep(0.1)
    finally:
        output = served.stop()
    lines = logs.stdout.strip().splitlines()
    assert len(lines) == 2
    assert " 200 chat      gpt-x -> up:up-model [*] " in lines[0] and "tokens 11/7" in lines[0]
    assert " 401 " in lines[1] and "bad key [REDACTED]" in lines[1]
    assert "POST /v1/chat/completions gpt-x -> up:up-model" in output  # one console line per request
    written = b"".join(p.read_bytes() for p in db.parent.iterdir())
    for place in (output, logs.stdout, logs.stderr, written.decode("utf-8", "replace")):
        assert CANARY not in place
    as_json = apiswitch("logs", "--db", str(db), "--json", "-n", "1", env=env)
    assert '"status":401' in as_json.stdout and '"request_body":' in as_json.stdout


def test_logs_follow_prints_new_requests(tmp_path):
    from apiswitch.runtime.proxy.requestlog import RequestLog

    db = tmp_path / "follow.db"
    log = RequestLog(db, retention_days=1)
    log.record({"ts": time.time(), "status": 200, "client_format": "chat", "client_model": "first-model"})
    log.close()
    follower = subprocess.Popen([sys.executable, "-m", "apiswitch", "logs", "-f", "--db", str(db)],
                                env=scratch_env(tmp_path), stdout=subprocess.PIPE, text=True)
    try:
        assert "first-model" in follower.stdout.readline()
        log = RequestLog(db, retention_days=1)
        log.record({"ts": time.time(), "status": 502, "client_format": "anthropic", "client_model": "second-model",
                    "error": "all providers failed"})
        log.close()
        line = follower.stdout.readline()
        assert "second-model" in line and " 502 " in line and "all providers failed" in line
    finally:
        follower.terminate()
        follower.wait(5)


def test_serve_with_worker_processes(tmp_path, scripted_upstream):
    upstream = scripted_upstream("anthropic", default=Reply.text("from a worker"))
    port = free_port()
    config = tmp_path / "workers.toml"
    db = tmp_path / "w.db"
    config.write_text(f"[server]\nport = {port}\n\n[log]\npath = \"{db.as_posix()}\"\n\n"
                      + provider_toml("up", "anthropic", upstream.base_url) + '[routes]\n"*" = "up"\n')
    served = Served(["--config", str(config), "--workers", "2", "--quiet"], scratch_env(tmp_path),
                    tmp_path / "out.txt")
    url = f"http://127.0.0.1:{port}"
    try:
        served.wait_ready(url)
        for _ in range(4):
            response = httpx.post(url + "/v1/messages", json={
                "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
            assert response.json()["content"][0]["text"] == "from a worker"
    finally:
        served.stop()
    from apiswitch.runtime.proxy.requestlog import read_latest

    assert [row["status"] for row in read_latest(db, 10)] == [200, 200, 200, 200]
