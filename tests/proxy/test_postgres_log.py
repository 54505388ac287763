"""The request log in a real PostgreSQL server: what the proxy writes, several proxies sharing it, an
unreachable database, retention, an older table, `apiswitch logs`, and the URL's password kept secret."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import anthropic
import httpx
import openai
import psycopg
import pytest
from apiswitch.runtime.proxy.config import ConfigError, parse_config
from apiswitch.runtime.proxy.pglog import display_url
from apiswitch.runtime.proxy.requestlog import RequestLog, read_latest
from upstreams import Reply

from .harness import provider_toml
from .postgres_server import PostgresServer
from .test_cli import apiswitch, scratch_env


def wait_rows(url: str, count: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        rows = read_latest(url, 1000)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def chat_proxy_toml(upstream_url: str) -> str:
    return (provider_toml("c", "chat", upstream_url) + '[routes]\n"*" = "c:up-model"\n'
            '[log]\npostgres_url_env = "APISWITCH_TEST_LOG_URL"\n')


def test_proxied_requests_are_logged_in_postgres(proxy, scripted_upstream, postgres_url):
    upstream = scripted_upstream("chat", default=Reply.text("hello there"))
    running = proxy(chat_proxy_toml(upstream.base_url), env={"APISWITCH_TEST_LOG_URL": postgres_url})
    client = anthropic.Anthropic(base_url=running.url, api_key="k", max_retries=0)
    client.messages.create(model="claude-x", max_tokens=20, messages=[{"role": "user", "content": "hi"}])
    with client.messages.stream(model="claude-x", max_tokens=20,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        assert stream.get_final_text() == "hello there"
    rows = wait_rows(postgres_url, 2)
    assert [(r["client_format"], r["path"], r["client_model"], r["provider"], r["upstream_model"], r["status"],
             r["stream"]) for r in rows] == [
        ("anthropic", "/v1/messages", "claude-x", "c", "up-model", 200, 0),
        ("anthropic", "/v1/messages", "claude-x", "c", "up-model", 200, 1)]
    for row in rows:
        assert row["input_tokens"] > 0 and row["output_tokens"] > 0 and row["latency_ms"] > 0
        assert row["request_body"] is None  # bodies only when asked for
    assert rows[0]["id"] < rows[1]["id"]


def test_two_proxies_share_one_log(proxy, scripted_upstream, postgres_url):
    upstream = scripted_upstream("chat", default=Reply.text("ok"))
    env = {"APISWITCH_TEST_LOG_URL": postgres_url}
    first = proxy(chat_proxy_toml(upstream.base_url), env=env)
    second = proxy(chat_proxy_toml(upstream.base_url), env=env)
    for index, running in enumerate([first, second, first, second, second]):
        client = openai.OpenAI(base_url=running.url + "/v1", api_key="k", max_retries=0)
        client.chat.completions.create(model=f"model-{index}", messages=[{"role": "user", "content": "hi"}])
    rows = wait_rows(postgres_url, 5)
    assert sorted(r["client_model"] for r in rows) == [f"model-{i}" for i in range(5)]
    assert len({r["id"] for r in rows}) == 5


def test_an_unreachable_database_holds_up_rows_but_never_requests(proxy, scripted_upstream):
    server = PostgresServer().start()
    try:
        url = server.new_database()
        server.stop()  # down before the proxy starts, and while it answers
        upstream = scripted_upstream("chat", default=Reply.text("still answering"))
        running = proxy(chat_proxy_toml(upstream.base_url), env={"APISWITCH_TEST_LOG_URL": url})
        for _ in range(3):
            started = time.monotonic()
            response = httpx.post(running.url + "/v1/chat/completions", timeout=5, json={
                "model": "m", "messages": [{"role": "user", "content": "hi"}]})
            assert response.status_code == 200
            assert response.json()["choices"][0]["message"]["content"] == "still answering"
            assert time.monotonic() - started < 2
        server.start()  # back within the writer's retries: the rows arrive, none dropped
        rows = wait_rows(url, 3, timeout=15)
        assert [r["status"] for r in rows] == [200, 200, 200]
        assert running.state.request_log.dropped == 0
    finally:
        server.remove()


def test_the_log_reconnects_after_the_database_restarts(proxy, scripted_upstream):
    server = PostgresServer().start()
    try:
        url = server.new_database()
        upstream = scripted_upstream("chat", default=Reply.text("ok"))
        running = proxy(chat_proxy_toml(upstream.base_url), env={"APISWITCH_TEST_LOG_URL": url})
        request = {"model": "before", "messages": [{"role": "user", "content": "hi"}]}
        assert httpx.post(running.url + "/v1/chat/completions", json=request).status_code == 200
        assert len(wait_rows(url, 1)) == 1
        server.stop()  # the writer's open connection dies with it
        server.start()
        assert httpx.post(running.url + "/v1/chat/completions", json=dict(request, model="after")).status_code == 200
        rows = wait_rows(url, 2, timeout=15)
        assert [r["client_model"] for r in rows] == ["before", "after"]
        assert running.state.request_log.dropped == 0
    finally:
        server.remove()


def test_retention_removes_old_rows(postgres_url):
    log = RequestLog(postgres_url, retention_days=1)
    log.record({"ts": time.time() - 3 * 86400, "status": 200, "path": "/old"})
    log.record({"ts": time.time(), "status": 200, "path": "/new"})
    log.close()
    assert [r["path"] for r in read_latest(postgres_url, 10)] == ["/old", "/new"]
    RequestLog(postgres_url, retention_days=1).close()  # enforced at start, then hourly
    assert [r["path"] for r in read_latest(postgres_url, 10)] == ["/new"]


def test_a_table_from_an_older_version_gets_the_new_columns(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE requests (id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, "
                     "status BIGINT)")
        conn.execute("INSERT INTO requests (ts, status) VALUES (%s, 200)", (time.time(),))
    log = RequestLog(postgres_url, retention_days=1)
    log.record({"ts": time.time(), "status": 201, "provider": "p", "losses": '[{"path": "x"}]'})
    log.close()
    rows = read_latest(postgres_url, 10)
    assert [(r["status"], r["provider"], r["losses"]) for r in rows] == [(200, None, None),
                                                                         (201, "p", '[{"path": "x"}]')]


def test_apiswitch_logs_reads_postgres(postgres_url, tmp_path):
    log = RequestLog(postgres_url, retention_days=1)
    log.record({"ts": time.time(), "status": 200, "client_format": "chat", "client_model": "listed-model"})
    log.record({"ts": time.time(), "status": 502, "client_format": "anthropic", "client_model": "failing-model",
                "error": "all providers failed"})
    log.close()
    env = scratch_env(tmp_path, APISWITCH_TEST_LOG_URL=postgres_url)
    by_url = apiswitch("logs", "--db", postgres_url, "--json", env=env)
    assert by_url.returncode == 0, by_url.stderr
    listed = [json.loads(line) for line in by_url.stdout.splitlines()]
    assert [(r["client_model"], r["status"]) for r in listed] == [("listed-model", 200), ("failing-model", 502)]
    config = tmp_path / "pg.toml"
    config.write_text('[log]\npostgres_url_env = "APISWITCH_TEST_LOG_URL"\n')
    by_config = apiswitch("logs", "--config", str(config), "-n", "1", env=env)
    assert by_config.returncode == 0, by_config.stderr
    assert "failing-model" in by_config.stdout and "all providers failed" in by_config.stdout
    assert "listed-model" not in by_config.stdout


def test_apiswitch_logs_follows_postgres_over_one_connection(postgres_url, tmp_path):
    log = RequestLog(postgres_url, retention_days=1)
    log.record({"ts": time.time(), "status": 200, "client_format": "chat", "client_model": "first-model"})
    log.close()
    follower = subprocess.Popen([sys.executable, "-m", "apiswitch", "logs", "-f", "--db", postgres_url],
                                env=scratch_env(tmp_path), stdout=subprocess.PIPE, text=True)

    def reader_backends() -> list[int]:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            return [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'apiswitch logs'")]

    try:
        assert "first-model" in follower.stdout.readline()
        first = reader_backends()
        log = RequestLog(postgres_url, retention_days=1)
        log.record({"ts": time.time(), "status": 502, "client_format": "anthropic", "client_model": "second-model",
                    "error": "all providers failed"})
        log.close()
        line = follower.stdout.readline()
        assert "second-model" in line and " 502 " in line
        time.sleep(1.2)  # a couple more polls
        assert len(first) == 1 and reader_backends() == first  # the same backend: one connection throughout
    finally:
        follower.terminate()
        follower.wait(5)


def test_apiswitch_logs_says_when_the_database_is_unreachable(tmp_path):
    unreachable = "postgresql://apiswitch:hunter2-secret@127.0.0.1:9/none"
    done = apiswitch("logs", "--db", unreachable, env=scratch_env(tmp_path))
    assert done.returncode == 1
    assert "cannot read the request log" in done.stderr and "127.0.0.1" in done.stderr
    assert "hunter2-secret" not in done.stderr + done.stdout


def test_serve_shows_the_log_url_without_its_password(tmp_path, postgres_server):
    from .test_cli import Served, free_port

    url = postgres_server.url(postgres_server.new_database().rsplit("/", 1)[1], password="pg-pass-1234")
    port = free_port()
    config = tmp_path / "serve.toml"
    config.write_text(f'[server]\nport = {port}\n[log]\npostgres_url_env = "APISWITCH_TEST_LOG_URL"\n')
    served = Served(["--config", str(config)], scratch_env(tmp_path, APISWITCH_TEST_LOG_URL=url),
                    tmp_path / "out.txt")
    try:
        served.wait_ready(f"http://127.0.0.1:{port}")
        httpx.get(f"http://127.0.0.1:{port}/health")
    finally:
        served.stop()
    console = (tmp_path / "out.txt").read_text()
    assert "request log: postgresql://apiswitch:***@127.0.0.1" in console
    assert "pg-pass-1234" not in console


def test_postgres_settings_are_validated():
    env = {"LOG_URL": "postgresql://u:secret-pw@db.internal/logs"}
    config = parse_config('[log]\npostgres_url_env = "LOG_URL"\n', "t.toml", env)
    assert config.log.postgres_url == env["LOG_URL"] and config.log.location == env["LOG_URL"]
    assert "secret-pw" in config.secrets() and not config.warnings
    literal = parse_config('[log]\npostgres_url = "postgresql://u:pw-in-file@db/logs"\n', "t.toml", {})
    assert any("log.postgres_url" in str(w) and "password" in str(w) for w in literal.warnings)
    assert not parse_config('[log]\npostgres_url = "postgresql://u@db/logs"\n', "t.toml", {}).warnings
    for text, field, words in [
        ('[log]\npath = "x.db"\npostgres_url = "postgresql://u@db/logs"\n', "log.path", "not both"),
        ('[log]\npostgres_url = "mysql://u@db/logs"\n', "log.postgres_url", "postgresql://"),
        ('[log]\npostgres_url_env = "NOT_SET_ANYWHERE"\n', "log.postgres_url_env", "NOT_SET_ANYWHERE"),
    ]:
        with pytest.raises(ConfigError) as raised:
            parse_config(text, "t.toml", {})
        assert any(field in str(issue) and words in str(issue) for issue in raised.value.issues), raised.value


def test_display_url_hides_only_the_password():
    assert display_url("postgresql://me:p%40ss@db:5432/logs?sslmode=require") == \
        "postgresql://me:***@db:5432/logs?sslmode=require"
    assert display_url("postgresql://me@db/logs") == "postgresql://me@db/logs"
