"""The small endpoints: count_tokens, models, health, and the request log's retention."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import anthropic
import httpx
import openai
from apiswitch.runtime.proxy.requestlog import RequestLog, read_latest
from upstreams import Reply

from .harness import provider_toml


def test_count_tokens_is_forwarded_to_an_anthropic_upstream(proxy, scripted_upstream):
    upstream = scripted_upstream("anthropic")
    running = proxy(provider_toml("a", "anthropic", upstream.base_url) + '[routes]\n"*" = "a:upstream-model"\n')
    client = anthropic.Anthropic(base_url=running.url, api_key="k", max_retries=0)
    counted = client.messages.count_tokens(model="claude-x", messages=[{"role": "user", "content": "hello " * 50}])
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages/count_tokens" and sent.body["model"] == "upstream-model"
    assert counted.input_tokens == len(sent.raw_body) // 4  # what the scripted upstream computes


def test_count_tokens_is_estimated_for_other_upstreams(proxy, scripted_upstream):
    upstream = scripted_upstream("chat")
    running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c"\n')
    client = anthropic.Anthropic(base_url=running.url, api_key="k", max_retries=0)
    short = client.messages.count_tokens(model="claude-x", messages=[{"role": "user", "content": "hi"}])
    long = client.messages.count_tokens(model="claude-x", messages=[{"role": "user", "content": "hi " * 4000}])
    assert 0 < short.input_tokens < 100 < 2000 < long.input_tokens
    assert upstream.requests == []


def test_models_in_both_shapes(proxy, scripted_upstream):
    upstream = scripted_upstream("chat")
    running = proxy(provider_toml("c", "chat", upstream.base_url, extra='models = ["m-1"]')
                    + '[routes]\n"claude-opus-4-1" = "c:m-1"\n"gpt-*" = "c"\n')
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="k")
    listed = [m.id for m in client.models.list().data]
    assert listed == ["claude-opus-4-1", "c:m-1"]  # m-1 alone routes nowhere: only as its provider's address
    anthropic_models = anthropic.Anthropic(base_url=running.url, api_key="k").models.list()
    assert [m.id for m in anthropic_models.data] == listed
    assert httpx.get(running.url + "/v1/models/c:m-1").json()["id"] == "c:m-1"
    assert httpx.get(running.url + "/v1/models/nope").status_code == 404
    for name in listed:  # every model listed is one a client can use
        answer = client.chat.completions.create(model=name, messages=[{"role": "user", "content": "hi"}])
        assert answer.model == name
    assert [call.model for call in upstream.calls] == ["m-1", "m-1"]


def test_health_reports_breakers(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("x"))
    running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c"\n')
    assert httpx.get(running.url + "/healthz").json() == {"status": "ok", "version": "0.1.0", "providers": {}}
    assert httpx.get(running.url + "/").text == "apiswitch\n"


def test_retention_removes_old_rows(tmp_path):
    path = tmp_path / "r.db"
    log = RequestLog(path, retention_days=1)
    log.record({"ts": time.time() - 3 * 86400, "status": 200, "path": "/old"})
    log.record({"ts": time.time(), "status": 200, "path": "/new"})
    log.close()
    assert [r["path"] for r in read_latest(path, 10)] == ["/old", "/new"]
    reopened = RequestLog(path, retention_days=1)  # retention is enforced at start and then hourly
    reopened.close()
    assert [r["path"] for r in read_latest(path, 10)] == ["/new"]


def test_rows_with_different_columns_in_one_batch_are_all_written(tmp_path):
    path = tmp_path / "r.db"
    log = RequestLog(path, retention_days=1)
    now = time.time()
    log.record({"ts": now, "status": 200, "path": "/a", "ttfb_ms": None, "losses": '[{"path": "x"}]'})
    log.record({"path": "/b", "ts": now + 1, "error": "boom", "status": 502, "not_a_column": 1})
    log.record({"ts": now + 2, "status": 200, "path": "/c", "ttfb_ms": 1.5})
    log.record({"ts": now + 3, "status": 200, "path": "/d", "losses": "[]"})  # /a's columns again, after others
    log.close()
    rows = read_latest(path, 10)
    assert [(r["path"], r["status"], r["ttfb_ms"], r["error"], r["losses"]) for r in rows] == [
        ("/a", 200, None, None, '[{"path": "x"}]'), ("/b", 502, None, "boom", None), ("/c", 200, 1.5, None, None),
        ("/d", 200, None, None, "[]")]
    assert log.dropped == 0


def test_a_locked_log_database_does_not_hold_up_requests(proxy, scripted_upstream, tmp_path):
    upstream = scripted_upstream("anthropic", default=Reply.text("ok"))
    running = proxy(provider_toml("a", "anthropic", upstream.base_url) + '[routes]\n"*" = "a"\n')
    locker = sqlite3.connect(running.state.request_log.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # the writer thread now cannot write at all
    try:
        for _ in range(3):
            response = httpx.post(running.url + "/v1/messages", timeout=3, json={
                "model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "hi"}]})
            assert response.status_code == 200 and "message_stop" in response.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    rows = running.log_rows(3, timeout=15)
    assert len(rows) == 3  # written once the lock was gone, none dropped


def test_unknown_paths_and_methods_answer_in_an_api_error_shape(proxy):
    running = proxy("")
    missing = httpx.post(running.url + "/v1/embeddings", json={})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "POST /v1/embeddings is not an apiswitch endpoint"
    wrong = httpx.get(running.url + "/v1/messages")
    assert wrong.status_code == 405 and wrong.json()["type"] == "error"


class ForwardProxy:
    """A plain HTTP forward proxy on 127.0.0.1 (absolute-URI requests), counting what passes through.
    `hosts` maps names only it can resolve to 127.0.0.1 ports (proof that a request really went through it)."""

    def __init__(self, hosts: dict[str, int] | None = None) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                outer.seen.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
                target = httpx.URL(self.path)
                if target.host in (hosts or {}):
                    target = target.copy_with(host="127.0.0.1", port=hosts[target.host])
                reply = httpx.post(target, content=body, headers=headers)
                self.send_response(reply.status_code)
                self.send_header("Content-Type", reply.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def test_upstream_traffic_can_go_through_a_configured_proxy(proxy, scripted_upstream):
    upstream = scripted_upstream("chat", Reply.text("via the proxy"))
    forward = ForwardProxy()
    try:
        running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c"\n'
                        f'[server]\nupstream_proxy = "{forward.url}"\n')
        response = httpx.post(running.url + "/v1/chat/completions",
                              json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        assert response.json()["choices"][0]["message"]["content"] == "via the proxy"
        assert forward.seen == [upstream.base_url + "/chat/completions"]
    finally:
        forward.server.shutdown()
        forward.server.server_close()


def test_cached_tokens_are_logged_apart_from_input(proxy, scripted_upstream):
    from upstreams import Usage

    upstream = scripted_upstream("chat", Reply.text("ok", usage=Usage(input_tokens=10, output_tokens=3,
                                                                      cache_read_tokens=90)))
    running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c"\n')
    response = httpx.post(running.url + "/v1/chat/completions",
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json()["usage"]["prompt_tokens"] == 100  # the client sees its own format's numbers
    row = running.log_rows(1)[-1]
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (10, 90, 3)


def test_an_older_log_database_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE requests (id INTEGER PRIMARY KEY, ts REAL NOT NULL, status INTEGER)")
    old.execute("INSERT INTO requests (ts, status) VALUES (?, 200)", (time.time(),))
    old.commit()
    old.close()
    log = RequestLog(path, retention_days=1)
    log.record({"ts": time.time(), "status": 201, "provider": "p", "context": "{}"})
    log.close()
    assert [(r["status"], r["provider"]) for r in read_latest(path, 10)] == [(200, None), (201, "p")]


def test_bodies_and_the_translation_context_are_logged_when_asked(proxy, scripted_upstream, tmp_path):
    upstream = scripted_upstream("chat", Reply.text("ok"))
    running = proxy(provider_toml("c", "chat", upstream.base_url) + '[routes]\n"*" = "c:up-model"\n'
                    f'[log]\nbodies = true\npath = "{(tmp_path / "b.db").as_posix()}"\n')
    httpx.post(running.url + "/v1/messages", json={
        "model": "claude-x", "max_tokens": 9, "messages": [{"role": "user", "content": "hi"}]})
    row = running.log_rows(1)[-1]
    assert '"claude-x"' in row["request_body"] and '"content"' in row["response_body"]
    assert json.loads(row["context"])["client_model"] == "claude-x"
