"""The real CLIs against a scripted upstream of their own format, no proxy in between.

These prove the harness and the scripted upstreams: if they fail, the proxy tests below them mean nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from upstreams import CustomToolCall, Fault, Reply, Thinking, ToolCall, tool_loop

from . import harness

pytestmark = pytest.mark.usefixtures("real_clients")

PROMPT = "Run the command echo apiswitch-$((6*7)) and tell me its output."
MARKER = "apiswitch-42"  # only the shell can produce it: the prompt holds the arithmetic, not the result
FINAL = f"The command printed {MARKER}."
PATCH_PROMPT = "Create marker.txt containing apiswitch-42."
PATCH = "*** Begin Patch\n*** Add File: marker.txt\n+apiswitch-42\n*** End Patch\n"
CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
def claude_bash_call() -> ToolCall:
    return ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "Print the marker"},
                    id="toolu_direct_bash_1")


def test_claude_code_runs_bash_and_returns_the_result(scripted_upstream, tmp_path: Path) -> None:
    call = claude_bash_call()
    first = Reply(blocks=(Thinking("Running it.", signature="c2lnbmF0dXJlLWRpcmVjdA=="), call), usage=harness.USAGE)
    up = scripted_upstream("anthropic", responder=tool_loop(call, FINAL, expect_output=MARKER, first=first,
                                                            usage=harness.USAGE))
    run = harness.run_claude(PROMPT, base_url=up.url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe()
    result = run.json()
    assert result["is_error"] is False and result["result"] == FINAL, run.describe()
    up.assert_no_failures()
    assert harness.claude_usage(result) == (2 * 1200, 2 * 300, 2 * 34)
    turns = up.calls
    assert len(turns) == 2 and all(t.stream and t.query == "beta=true" for t in turns)
    assert turns[0].headers["x-api-key"] == harness.CLIENT_KEY
    assistant = [m for m in turns[1].body["messages"] if m["role"] == "assistant"][-1]["content"]
    assert assistant[0] == {"type": "thinking", "thinking": "Running it.", "signature": "c2lnbmF0dXJlLWRpcmVjdA=="}
    assert [r.call_id for r in turns[1].tool_results()] == [call.id]


def test_codex_runs_a_function_call_and_returns_the_result(scripted_upstream, tmp_path: Path) -> None:
    call = ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id="call_direct_exec_1")
    first = Reply(blocks=(Thinking("I will run it.", signature="ZW5jcnlwdGVkLWRpcmVjdA=="), call), usage=harness.USAGE)
    up = scripted_upstream("responses", responder=tool_loop(call, FINAL, expect_output=MARKER, first=first,
                                                            usage=harness.USAGE))
    run = harness.run_codex(PROMPT, base_url=up.base_url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe()
    events = run.jsonl()
    messages = [e["item"]["text"] for e in events
                if e.get("type") == "item.completed" and e["item"]["type"] == "agent_message"]
    assert messages == [FINAL], run.describe()
    commands = [e["item"] for e in events
                if e.get("type") == "item.completed" and e["item"]["type"] == "command_execution"]
    assert len(commands) == 1 and MARKER in commands[0]["aggregated_output"]
    assert harness.codex_usage(events) == (2 * 1500, 2 * 300, 2 * 34)
    up.assert_no_failures()
    turns = up.calls
    assert len(turns) == 2 and all(t.stream for t in turns)
    assert turns[0].headers["authorization"] == f"Bearer {harness.CLIENT_KEY}"
    echoed = [i for i in turns[1].body["input"] if i.get("type") == "reasoning"]
    assert [i["encrypted_content"] for i in echoed] == ["ZW5jcnlwdGVkLWRpcmVjdA=="]
    assert [r.call_id for r in turns[1].tool_results()] == [call.id]


def test_codex_applies_a_patch_through_its_custom_tool(scripted_upstream, tmp_path: Path) -> None:
    """With a model name Codex knows, apply_patch is a custom (freeform) tool; the patch lands on disk."""
    patch = CustomToolCall("apply_patch", PATCH, id="call_direct_patch_1")
    up = scripted_upstream("responses", responder=tool_loop(patch, "Created marker.txt.", expect_output="marker.txt"))
    run = harness.run_codex(PATCH_PROMPT, base_url=up.base_url, home=tmp_path / "home", workdir=tmp_path / "work",
                            model=harness.KNOWN_CODEX_MODEL)
    assert run.returncode == 0, run.describe()
    assert (tmp_path / "work" / "marker.txt").read_text() == f"{MARKER}\n"
    up.assert_no_failures()
    assert ("custom", "apply_patch") in [(t.get("type"), t.get("name")) for t in up.calls[0].body["tools"]]
    assert up.calls[-1].tool_call_ids() == [patch.id]


def test_claude_code_request_shape_matches_the_capture(scripted_upstream, tmp_path: Path) -> None:
    """The pinned CLI still sends what tests/fixtures/captures/ recorded (a drift alarm for the pin)."""
    capture = json.loads((CAPTURES / f"claude-code-{harness.CLAUDE_CODE_VERSION}-bare.json").read_text())
    up = scripted_upstream("anthropic", Reply.text("Hello."))
    extra = ["--bare", "--tools", "Bash", "--system-prompt", "You are a terse assistant."]
    run = harness.run_claude("Say hello.", base_url=up.url, home=tmp_path / "home", workdir=tmp_path / "work",
                             extra=extra)
    assert run.returncode == 0, run.describe()
    body, recorded = up.calls[0].body, capture["request"]["body"]
    assert sorted(body) == sorted(recorded)
    assert [t["name"] for t in body["tools"]] == [t["name"] for t in recorded["tools"]] == ["Bash"]
    assert body["tools"][0]["input_schema"] == recorded["tools"][0]["input_schema"]
    assert body["thinking"] == recorded["thinking"]
    assert up.calls[0].headers["anthropic-beta"] == capture["request"]["headers"]["anthropic-beta"]


def test_claude_code_fails_on_a_broken_stream_instead_of_falling_back(scripted_upstream, tmp_path: Path) -> None:
    """With the non-streaming fallback off, a stream that breaks fails the run: so a proxy test that passes
    did get whole streams, and never a quiet non-streaming retry."""
    broken = Reply.text("a long answer " * 20, fault=Fault(die_after_events=5))
    up = scripted_upstream("anthropic", default=broken)
    run = harness.run_claude("Say hi.", base_url=up.url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode != 0 and run.json()["is_error"] is True, run.describe()
    assert up.calls and all(c.stream for c in up.calls), "a non-streaming retry was sent"
    assert {c.wait_finished() for c in up.calls} == {"dropped mid-stream"}


def test_claude_code_retries_a_broken_stream_without_streaming_by_default(scripted_upstream, tmp_path: Path) -> None:
    """What users get without CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK: the same request, stream false."""
    broken = Reply.text("a long answer " * 20, fault=Fault(die_after_events=5))
    up = scripted_upstream("anthropic", responder=lambda r: broken if r.stream else Reply.text("Recovered."))
    run = harness.run_claude("Say hi.", base_url=up.url, home=tmp_path / "home", workdir=tmp_path / "work",
                             nonstreaming_fallback=True)
    assert run.returncode == 0 and run.json()["result"] == "Recovered.", run.describe()
    streams, plain = up.calls[:-1], up.calls[-1]
    assert streams and all(c.stream for c in streams)
    assert plain.body.get("stream") is False and plain.body["messages"] == streams[0].body["messages"]
