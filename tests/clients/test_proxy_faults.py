"""Faults seen by the real CLIs through `apiswitch serve`: failover before the first byte is invisible to
them; a stream that breaks after it ends in an error they report, never in a hang or a quiet retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from upstreams import ErrorReply, Fault, Reply, ToolCall, refused_url, tool_loop

from . import harness

pytestmark = pytest.mark.usefixtures("real_clients")

PROMPT = "Run the command echo apiswitch-$((6*7)) and tell me its output."
MARKER = "apiswitch-42"
FINAL = f"The command printed {MARKER}."
BROKEN = Reply.text("This answer is cut off " * 10, fault=Fault(die_after_events=6))


def test_claude_code_finishes_when_the_first_provider_refuses_and_the_second_fails(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    call = ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "Print"}, id="call_failover_1")
    failing = scripted_upstream("chat", default=ErrorReply(503, "upstream overloaded"))
    working = scripted_upstream("responses", responder=tool_loop(call, FINAL, expect_output=MARKER))
    proxy = served_proxy(("chat", refused_url() + "/v1"), failing, working)
    run = harness.run_claude(PROMPT, base_url=proxy.url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert run.json()["result"] == FINAL
    working.assert_no_failures()
    assert failing.calls, "the failing provider was never tried"
    assert [r.call_id for r in working.calls[-1].tool_results()] == [call.id]


def test_codex_finishes_when_the_first_provider_is_rate_limited(scripted_upstream, served_proxy,
                                                                tmp_path: Path) -> None:
    call = ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id="call_failover_2")
    limited = scripted_upstream("anthropic", default=ErrorReply(429, "slow down", retry_after=30))
    working = scripted_upstream("chat", responder=tool_loop(call, FINAL, expect_output=MARKER))
    proxy = served_proxy(limited, working)
    run = harness.run_codex(PROMPT, base_url=proxy.url + "/v1", home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    messages = [e["item"]["text"] for e in run.jsonl()
                if e.get("type") == "item.completed" and e["item"]["type"] == "agent_message"]
    assert messages == [FINAL]
    working.assert_no_failures()
    assert len(limited.calls) == 1, "a provider that answered 429 with Retry-After: 30 was asked again"


@pytest.mark.parametrize("upstream_format", ["chat", "responses"])
def test_claude_code_reports_a_stream_broken_after_the_first_byte(
        upstream_format: str, scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = scripted_upstream(upstream_format, default=BROKEN)
    proxy = served_proxy(upstream)
    run = harness.run_claude("Say hi.", base_url=proxy.url, home=tmp_path / "home", workdir=tmp_path / "work",
                             timeout=120)
    assert run.returncode not in (0, -9), run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert run.json()["is_error"] is True
    assert all(c.stream for c in upstream.calls), "the proxy or the CLI retried without streaming"


@pytest.mark.parametrize("upstream_format", ["anthropic", "chat"])
def test_codex_reports_a_stream_broken_after_the_first_byte(
        upstream_format: str, scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = scripted_upstream(upstream_format, default=BROKEN)
    proxy = served_proxy(upstream)
    run = harness.run_codex("Say hi.", base_url=proxy.url + "/v1", home=tmp_path / "home",
                            workdir=tmp_path / "work", timeout=120)
    assert run.returncode not in (0, -9), run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert any(e.get("type") in ("turn.failed", "error") for e in run.jsonl()), run.describe()
    assert upstream.calls[0].wait_finished() == "dropped mid-stream"


def test_claude_code_non_streaming_fallback_is_served_through_proxy_to_chat(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """With Claude Code's default settings a broken stream is retried without streaming; the proxy must
    answer that request too, translated from a non-streaming chat completion."""
    upstream = scripted_upstream("chat", responder=lambda r: BROKEN if r.stream else Reply.text("Recovered."))
    proxy = served_proxy(upstream)
    run = harness.run_claude("Say hi.", base_url=proxy.url, home=tmp_path / "home", workdir=tmp_path / "work",
                             nonstreaming_fallback=True)
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert run.json()["result"] == "Recovered."
    assert upstream.calls[0].stream and not upstream.calls[-1].stream


def test_killing_claude_code_mid_stream_cancels_the_upstream_request(scripted_upstream, served_proxy,
                                                                     tmp_path: Path) -> None:
    """A user pressing Ctrl-C: the proxy must stop reading from (and paying for) the provider's stream."""
    endless = Reply.text("word " * 2000, chunk_size=5, fault=Fault(event_delay=0.05))  # far longer than the test
    upstream = scripted_upstream("chat", default=endless)
    proxy = served_proxy(upstream)
    cli = harness.spawn_claude("Write a long essay.", base_url=proxy.url, home=tmp_path / "home",
                               workdir=tmp_path / "work")
    try:
        streaming = upstream.wait_for_calls(1, timeout=60)[0]
        assert not streaming.finished.wait(1.0), "the scripted stream ended on its own; make it longer"
    finally:
        cli.kill()
        cli.wait(10)
    # The upstream notices on its next write once the proxy has closed the connection.
    assert streaming.wait_finished(timeout=10) == "client disconnected", proxy.output()
