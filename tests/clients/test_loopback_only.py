"""Set up as the harness sets them up, the real CLIs reach 127.0.0.1 and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from upstreams import ToolCall, tool_loop

from . import harness, nettrace

pytestmark = pytest.mark.usefixtures("real_clients")

PROMPT = "Run the command echo apiswitch-$((6*7)) and tell me its output."


@pytest.fixture(scope="module")
def tracing() -> None:
    reason = nettrace.unavailable_reason()
    if reason:
        print(f"\nloopback-only check skipped: {reason}")
        pytest.skip(reason)


def assert_loopback_only(trace: Path, upstream_port: int) -> None:
    text = trace.read_text()
    seen = nettrace.addresses(text)
    outside = sorted({a for a in seen if not nettrace.is_loopback(a)})
    assert not outside, f"the CLI tried to reach {outside}"
    assert f"htons({upstream_port})" in text, "the trace never shows the upstream connection; is it working?"


@pytest.mark.usefixtures("tracing")
def test_claude_code_reaches_only_loopback(scripted_upstream, tmp_path: Path) -> None:
    call = ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "Print"}, id="toolu_trace_1")
    up = scripted_upstream("anthropic", responder=tool_loop(call, "apiswitch-42", expect_output="apiswitch-42"))
    trace = tmp_path / "claude.strace"
    run = harness.run_claude(PROMPT, base_url=up.url, home=tmp_path / "home", workdir=tmp_path / "work",
                             wrapper=nettrace.wrapper(trace))
    assert run.returncode == 0, run.describe()
    assert len(up.calls) == 2
    assert_loopback_only(trace, up.port)


@pytest.mark.usefixtures("tracing")
def test_codex_reaches_only_loopback(scripted_upstream, tmp_path: Path) -> None:
    call = ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id="call_trace_1")
    up = scripted_upstream("responses", responder=tool_loop(call, "apiswitch-42", expect_output="apiswitch-42"))
    trace = tmp_path / "codex.strace"
    run = harness.run_codex(PROMPT, base_url=up.base_url, home=tmp_path / "home", workdir=tmp_path / "work",
                            model=harness.KNOWN_CODEX_MODEL, wrapper=nettrace.wrapper(trace))
    assert run.returncode == 0, run.describe()
    assert len(up.calls) == 2
    assert_loopback_only(trace, up.port)


def test_address_parsing_tells_loopback_from_outside() -> None:
    text = ('connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("104.18.1.1")}, 16)\n'
            'connect(4, {sa_family=AF_INET6, sin6_port=htons(80), inet_pton(AF_INET6, "::1", &sin6_addr)}, 28)\n'
            'connect(5, {sa_family=AF_INET6, sin6_port=htons(80), '
            'inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr)}, 28)\n')
    assert nettrace.addresses(text) == ["104.18.1.1", "::1", "::ffff:127.0.0.1"]
    assert [nettrace.is_loopback(a) for a in nettrace.addresses(text)] == [False, True, True]
