"""Issue 5's real-CLI points: Claude Code and Codex finish a tool task through `apiswitch serve` to a
provider of another format. The scripted upstream checks what arrives (the tool result's id and output,
the provider's key, the routed model name); the CLI's own output shows the answer made it back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from upstreams import Reply, ScriptedUpstream, Text, Thinking, ToolCall, tool_loop

from . import harness
from .served_proxy import UPSTREAM_KEY, UPSTREAM_MODEL

pytestmark = pytest.mark.usefixtures("real_clients")

PROMPT = "Run the command echo apiswitch-$((6*7)) and tell me its output."
MARKER = "apiswitch-42"
FINAL = f"The command printed {MARKER}."
PATCH_PROMPT = "Create marker.txt containing apiswitch-42."
PATCH = "*** Begin Patch\n*** Add File: marker.txt\n+apiswitch-42\n*** End Patch\n"


def assert_provider_side(upstream: ScriptedUpstream, call: ToolCall) -> None:
    """What every provider-side request must look like, whoever the client was."""
    upstream.assert_no_failures()
    turns = upstream.calls
    assert len(turns) >= 2, f"expected a tool turn and a follow-up, got {len(turns)} calls"
    for turn in turns:
        assert turn.model == UPSTREAM_MODEL
        values = " ".join(turn.headers.values())
        assert harness.CLIENT_KEY not in values, "the client's key was forwarded to the provider"
        assert UPSTREAM_KEY in values, "the provider's key was not sent"
    results = turns[-1].tool_results()
    assert [r.call_id for r in results] == [call.id]
    assert MARKER in results[0].output
    assert turns[-1].tool_call_ids() == [call.id]


def claude_through(upstream_format: str, scripted_upstream, served_proxy, tmp_path: Path,
                   thinking: Thinking | None = None, provider_extra: str = "",
                   chat_extra: dict | None = None) -> ScriptedUpstream:
    """Claude Code runs the Bash task through the proxy; the first reply is the call (with `chat_extra`'s
    fields, for a chat provider), led by `thinking` if given, else by a sentence."""
    call = ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "Print the marker"},
                    id=f"call_{upstream_format}_bash_1", chat_extra=chat_extra)
    lead = thinking or Text("Running it.")
    first = Reply(blocks=(lead, call), usage=harness.USAGE)
    upstream = scripted_upstream(upstream_format, responder=tool_loop(call, FINAL, expect_output=MARKER, first=first,
                                                                      usage=harness.USAGE))
    proxy = served_proxy(upstream, provider_extra=provider_extra)
    run = harness.run_claude(PROMPT, base_url=proxy.url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    result = run.json()
    assert result["is_error"] is False and result["result"] == FINAL, run.describe()
    assert_provider_side(upstream, call)
    turns = len(upstream.calls)
    assert harness.claude_usage(result) == (turns * 1200, turns * 300, turns * 34), "usage lost or mismapped"
    return upstream


def codex_through(upstream_format: str, scripted_upstream, served_proxy, tmp_path: Path,
                  thinking: Thinking | None = None, provider_extra: str = "",
                  chat_extra: dict | None = None) -> ScriptedUpstream:
    """Codex runs the command task through the proxy; the first reply is the call (with `chat_extra`'s
    fields, for a chat provider), led by `thinking` if given (a text lead would be a second agent message)."""
    call = ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id=f"call_{upstream_format}_exec_1",
                    chat_extra=chat_extra)
    first = Reply(blocks=(thinking, call) if thinking else (call,), usage=harness.USAGE)
    upstream = scripted_upstream(upstream_format, responder=tool_loop(call, FINAL, expect_output=MARKER, first=first,
                                                                      usage=harness.USAGE))
    proxy = served_proxy(upstream, provider_extra=provider_extra)
    run = harness.run_codex(PROMPT, base_url=proxy.url + "/v1", home=tmp_path / "home",
                            workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    events = run.jsonl()
    messages = [e["item"]["text"] for e in events
                if e.get("type") == "item.completed" and e["item"]["type"] == "agent_message"]
    assert messages == [FINAL], run.describe() + "\n--- proxy ---\n" + proxy.output()
    commands = [e["item"] for e in events
                if e.get("type") == "item.completed" and e["item"]["type"] == "command_execution"]
    assert len(commands) == 1 and MARKER in commands[0]["aggregated_output"]
    assert_provider_side(upstream, call)
    turns = len(upstream.calls)
    assert harness.codex_usage(events) == (turns * 1500, turns * 300, turns * 34), "usage lost or mismapped"
    return upstream


def test_claude_code_bash_task_through_proxy_to_chat(scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = claude_through("chat", scripted_upstream, served_proxy, tmp_path)
    assert "Bash" in upstream.calls[0].tool_names()


def test_claude_code_bash_task_through_proxy_to_responses(scripted_upstream, served_proxy,
                                                          tmp_path: Path) -> None:
    upstream = claude_through("responses", scripted_upstream, served_proxy, tmp_path)
    assert "Bash" in upstream.calls[0].tool_names()


def test_codex_function_call_through_proxy_to_anthropic(scripted_upstream, served_proxy,
                                                        tmp_path: Path) -> None:
    upstream = codex_through("anthropic", scripted_upstream, served_proxy, tmp_path)
    assert upstream.calls[0].headers.get("anthropic-version")
    assert "exec_command" in upstream.calls[0].tool_names()


def test_codex_function_call_through_proxy_to_chat(scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = codex_through("chat", scripted_upstream, served_proxy, tmp_path)
    assert "exec_command" in upstream.calls[0].tool_names()


# -- reasoning survives the round trip through a CLI ---------------------------------------------------------


def test_claude_code_thinking_from_a_responses_provider_comes_back_encrypted(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """A Responses reasoning item reaches Claude Code as a thinking block; on the next turn the proxy must
    hand the provider back the same encrypted_content."""
    upstream = claude_through(
        "responses", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("Running it.", signature="ZW5jcnlwdGVkLXZpYS1wcm94eQ=="))
    assert upstream.calls[0].body.get("include") and "reasoning.encrypted_content" in upstream.calls[0].body["include"]
    echoed = [i for i in upstream.calls[-1].body["input"] if i.get("type") == "reasoning"]
    assert [i.get("encrypted_content") for i in echoed] == ["ZW5jcnlwdGVkLXZpYS1wcm94eQ=="]


def test_claude_code_thinking_from_a_deepseek_style_chat_provider_is_echoed_back(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """DeepSeek-style providers stream their thinking as reasoning_content and want it back on the assistant
    turn that made the tool call (the `reasoning_content_echo` quirk)."""
    upstream = claude_through(
        "chat", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("The user wants the marker."),
        provider_extra="quirks = { reasoning_content_echo = true }")
    assistant = [m for m in upstream.calls[-1].body["messages"] if m["role"] == "assistant"]
    assert [m.get("reasoning_content") for m in assistant] == ["The user wants the marker."]


def test_codex_thinking_from_a_deepseek_style_chat_provider_is_echoed_back(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """reasoning_content reaches Codex as a reasoning item; when Codex sends it back, the provider gets it
    as reasoning_content on the assistant turn with the tool call."""
    upstream = codex_through(
        "chat", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("I should run the command."),
        provider_extra="quirks = { reasoning_content_echo = true }")
    assistant = [m for m in upstream.calls[-1].body["messages"] if m["role"] == "assistant"]
    assert [m.get("reasoning_content") for m in assistant] == ["I should run the command."]


GEMINI_SIGNATURE = {"extra_content": {"google": {"thought_signature": "CiQBjz1rX3Rocm91Z2gtcHJveHk="}}}


@pytest.mark.parametrize("client", ["claude", "codex"])
def test_a_gemini_thought_signature_survives_a_cli_turn(client: str, scripted_upstream, served_proxy,
                                                        tmp_path: Path) -> None:
    """Gemini (OpenAI-compatible) puts a thought signature on its tool call and refuses the next turn without
    it: the CLI keeps it as reasoning state, and the provider gets it back on the same call."""
    through = claude_through if client == "claude" else codex_through
    upstream = through("chat", scripted_upstream, served_proxy, tmp_path, chat_extra=GEMINI_SIGNATURE,
                       provider_extra="quirks = { reasoning_state_echo = true }")
    calls = [c for m in upstream.calls[-1].body["messages"] if m["role"] == "assistant"
             for c in m.get("tool_calls") or ()]
    assert [c.get("extra_content") for c in calls] == [GEMINI_SIGNATURE["extra_content"]]


def test_codex_thinking_from_an_anthropic_provider_keeps_its_signature(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """An Anthropic thinking block reaches Codex as a reasoning item; Codex echoes it and the provider must
    get the thinking block back with its signature byte for byte, before the tool_use."""
    upstream = codex_through(
        "anthropic", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("I will run it.", signature="c2lnbmF0dXJlLXZpYS1wcm94eQ=="))
    assistant = [m for m in upstream.calls[-1].body["messages"] if m["role"] == "assistant"]
    blocks = [b for m in assistant for b in m["content"] if isinstance(m["content"], list)]
    thinking = [b for b in blocks if b.get("type") == "thinking"]
    assert [(b["thinking"], b["signature"]) for b in thinking] == [("I will run it.", "c2lnbmF0dXJlLXZpYS1wcm94eQ==")]
    kinds = [b["type"] for b in blocks]
    assert kinds.index("thinking") < kinds.index("tool_use")


def test_codex_with_its_own_model_name_applies_a_patch_through_proxy_to_anthropic(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """Codex as people run it against Claude: a model name Codex knows, so apply_patch is a custom
    (freeform) tool. The anthropic provider sees it as a function with one string argument, `input`."""
    call = ToolCall("apply_patch", {"input": PATCH}, id="call_anthropic_patch_1")
    upstream = scripted_upstream("anthropic", responder=tool_loop(call, "Created marker.txt.",
                                                                  expect_output="marker.txt"))
    proxy = served_proxy(upstream)
    run = harness.run_codex(PATCH_PROMPT, base_url=proxy.url + "/v1", home=tmp_path / "home",
                            workdir=tmp_path / "work", model=harness.KNOWN_CODEX_MODEL)
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert (tmp_path / "work" / "marker.txt").read_text() == f"{MARKER}\n", run.describe()
    upstream.assert_no_failures()
    assert "apply_patch" in upstream.calls[0].tool_names()
    assert upstream.calls[-1].tool_call_ids() == [call.id]


# -- parallel tool calls: none may be lost on the way out or on the way back ----------------------------------

SECOND_MARKER = "second-5"  # echo second-$((2+3))


def test_claude_code_parallel_bash_calls_through_proxy_to_chat(scripted_upstream, served_proxy,
                                                               tmp_path: Path) -> None:
    calls = [ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "First"}, id="call_par_1"),
             ToolCall("Bash", {"command": "echo second-$((2+3))", "description": "Second"}, id="call_par_2")]
    upstream = scripted_upstream("chat", responder=tool_loop(
        calls, FINAL, expect_output={"call_par_1": MARKER, "call_par_2": SECOND_MARKER}))
    proxy = served_proxy(upstream)
    run = harness.run_claude("Run both commands: echo apiswitch-$((6*7)) and echo second-$((2+3)).",
                             base_url=proxy.url, home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    assert run.json()["result"] == FINAL
    upstream.assert_no_failures()
    last = upstream.calls[-1]
    assert sorted(r.call_id for r in last.tool_results()) == ["call_par_1", "call_par_2"]
    assert last.tool_call_ids() == ["call_par_1", "call_par_2"]  # one assistant turn, in the original order


def test_codex_parallel_function_calls_through_proxy_to_anthropic(scripted_upstream, served_proxy,
                                                                  tmp_path: Path) -> None:
    calls = [ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id="call_par_3"),
             ToolCall("exec_command", {"cmd": "echo second-$((2+3))"}, id="call_par_4")]
    upstream = scripted_upstream("anthropic", responder=tool_loop(
        calls, FINAL, expect_output={"call_par_3": MARKER, "call_par_4": SECOND_MARKER}))
    proxy = served_proxy(upstream)
    run = harness.run_codex("Run both commands: echo apiswitch-$((6*7)) and echo second-$((2+3)).",
                            base_url=proxy.url + "/v1", home=tmp_path / "home", workdir=tmp_path / "work")
    assert run.returncode == 0, run.describe() + "\n--- proxy ---\n" + proxy.output()
    upstream.assert_no_failures()
    last = upstream.calls[-1]
    assert sorted(r.call_id for r in last.tool_results()) == ["call_par_3", "call_par_4"]
    assistant = [m for m in last.body["messages"] if m["role"] == "assistant"]
    uses = [[b["id"] for b in m["content"] if b.get("type") == "tool_use"] for m in assistant]
    assert uses == [["call_par_3", "call_par_4"]], "parallel calls must stay in one assistant message"
    # Anthropic requires every tool_result of a turn in the one user message right after the calls.
    after = last.body["messages"][last.body["messages"].index(assistant[-1]) + 1]
    assert sorted(b["tool_use_id"] for b in after["content"] if b.get("type") == "tool_result") == \
        ["call_par_3", "call_par_4"]


# -- same format on both sides: the proxy as a logging, failover pass-through ---------------------------------


def test_claude_code_through_proxy_to_anthropic_keeps_thinking_and_beta_headers(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = claude_through(
        "anthropic", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("Running it.", signature="c2lnbmF0dXJlLXBhc3M="))
    assistant = [m for m in upstream.calls[-1].body["messages"] if m["role"] == "assistant"][-1]["content"]
    assert assistant[0] == {"type": "thinking", "thinking": "Running it.", "signature": "c2lnbmF0dXJlLXBhc3M="}
    assert "claude-code-20250219" in upstream.calls[0].headers.get("anthropic-beta", "")


def test_codex_through_proxy_to_responses_echoes_encrypted_reasoning(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = codex_through(
        "responses", scripted_upstream, served_proxy, tmp_path,
        thinking=Thinking("I will run it.", signature="ZW5jcnlwdGVkLXBhc3M="))
    echoed = [i for i in upstream.calls[-1].body["input"] if i.get("type") == "reasoning"]
    assert [i.get("encrypted_content") for i in echoed] == ["ZW5jcnlwdGVkLXBhc3M="]


# -- a provider that cannot stream -----------------------------------------------------------------------------


def test_claude_code_through_proxy_to_a_chat_provider_that_cannot_stream(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    """Claude Code streams every turn; the provider is asked without `stream` and its whole answers are
    replayed to Claude Code as Anthropic events (the `no_streaming` quirk)."""
    upstream = claude_through("chat", scripted_upstream, served_proxy, tmp_path,
                              provider_extra="quirks = { no_streaming = true }")
    assert [turn.stream for turn in upstream.calls] == [False] * len(upstream.calls)


def test_codex_through_proxy_to_an_anthropic_provider_that_cannot_stream(
        scripted_upstream, served_proxy, tmp_path: Path) -> None:
    upstream = codex_through("anthropic", scripted_upstream, served_proxy, tmp_path,
                             provider_extra="quirks = { no_streaming = true }")
    assert [turn.stream for turn in upstream.calls] == [False] * len(upstream.calls)
