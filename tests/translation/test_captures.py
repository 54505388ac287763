"""Requests captured from the real CLIs (tests/fixtures/captures), translated in every direction.

Each translation must give a body the target's SDK types accept, keep the conversation, and report only
the losses expected for that pair of formats.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apiswitch import translate_request

from .helpers import FORMATS
from .oracles import validate_request
from .test_properties import calls, paired_results, results, texts

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
FILES = sorted(CAPTURES.glob("*.json"))

# Every loss a capture may produce, per (client format, upstream format): (path pattern, action).
# Text blocks chat or Responses take as one string: each joined block is a reported coercion.
JOINED = [(r"system\[\d+\]", "coerced"), (r"(messages|input)\[\d+\]\.content\[\d+\]", "coerced"),
          (r"messages\[\d+\]\.content\[\d+\]", "coerced")]

# Claude Code's thinking settings: OpenAI has one effort where Anthropic has a budget, an effort and a display.
THINKING = [(r"thinking\.display", "dropped"), (r"thinking\.budget_tokens", "coerced"),
            (r"output_config\.effort", "coerced")]

EXPECTED = {
    ("anthropic", "chat"): [*JOINED, *THINKING,
        (r"stream_options", "synthesized"),  # usage is always asked of chat upstreams
        (r"system\[\d+\]\.cache_control", "dropped"),
        (r"messages\[\d+\]\.content\[\d+\]\.cache_control", "dropped"),
        (r"tools\[\d+\]\.input_schema\.\$schema", "dropped"),
        (r"tools\[\d+\]\.defer_loading", "dropped"),
        (r"messages\[\d+\]", "dropped"),  # the empty system message Claude Code sends
        (r"messages\[\d+\]", "coerced"),  # its early system message joins the leading one
        (r"messages\[\d+\]\.content\[\d+\]", "dropped"),  # thinking signature: text is carried
        (r"thinking", "dropped"),  # adaptive thinking has no chat equivalent
        (r"context_management", "dropped"),
        (r"messages\[\d+\]\.output_config", "dropped"),  # Claude Code puts one on a system message
    ],
    ("anthropic", "responses"): [*JOINED, *THINKING,
        (r"system\[\d+\]\.cache_control", "dropped"),
        (r"messages\[\d+\]\.content\[\d+\]\.cache_control", "dropped"),
        (r"tools\[\d+\]\.input_schema\.\$schema", "dropped"),
        (r"messages\[\d+\]", "dropped"),
        (r"messages\[\d+\]\.content\[\d+\]", "dropped"),  # an anthropic signature cannot go to OpenAI
        (r"thinking", "dropped"),
        (r"thinking", "synthesized"),  # reasoning summary, so the thinking is shown
        (r"include|store", "synthesized"),  # encrypted reasoning and store false, for replay
        (r"metadata\.user_id", "coerced"),  # Claude Code's JSON user id is longer than OpenAI allows
        (r"context_management", "dropped"),
        (r"messages\[\d+\]\.output_config", "dropped"),
    ],
    ("responses", "anthropic"): [*JOINED,
        (r"input\[\d+\]", "coerced"),  # Codex's separate user items form one anthropic turn
        (r"input\[\d+\]\.role", "coerced"),  # developer messages join the system prompt
        (r"max_tokens", "synthesized"),
        (r"tools\[\d+\]\.(external_web_access|search_content_types)", "dropped"),
        (r"tools\[\d+\]", "dropped"),  # client-side tool_search has no anthropic equivalent
        (r"tools\[\d+\]\.tools\[\d+\]", "coerced"),  # namespace flattened
        (r"tools\[\d+\]", "coerced"),  # apply_patch bridged to a function tool
        (r"reasoning\.summary", "dropped"),
        (r"text\.verbosity", "dropped"),
        (r"input\[\d+\]", "dropped"),  # encrypted OpenAI reasoning cannot go to anthropic
        (r"store|include|prompt_cache_key|client_metadata", "dropped"),
    ],
    ("responses", "chat"): [*JOINED,
        (r"stream_options", "synthesized"),
        (r"input\[\d+\]\.role", "coerced"),  # developer messages join the system message
        (r"input\[\d+\]", "coerced"),  # apply_patch calls sent as calls of the function stand-in
        (r"tools\[\d+\]", "dropped"),  # web_search
        (r"tools\[\d+\]\.tools\[\d+\]", "coerced"),
        (r"tools\[\d+\]", "coerced"),
        (r"input\[\d+\]", "dropped"),  # the encrypted part of reasoning; its summary text is carried
        (r"reasoning\.summary", "dropped"),
        (r"include|client_metadata", "dropped"),
    ],
}


def load(path: Path) -> tuple[str, dict]:
    capture = json.loads(path.read_text(encoding="utf-8"))
    client = "anthropic" if capture["client"].lower().startswith("claude") else "responses"
    return client, capture["request"]["body"]


def test_captures_are_present() -> None:
    if not FILES:
        pytest.fail(f"no captures in {CAPTURES}: run tests/clients/recorder.py (see its README)")
    clients = {load(path)[0] for path in FILES}
    assert clients == {"anthropic", "responses"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
@pytest.mark.parametrize("target", FORMATS)
def test_capture_translates_with_only_expected_losses(path: Path, target: str) -> None:
    client, body = load(path)
    original = json.dumps(body, sort_keys=True)
    out = translate_request(body, client, target)
    assert json.dumps(body, sort_keys=True) == original, "the client's body was changed"
    if target == client:
        assert out.body == body and out.losses == []
        return
    validate_request(target, out.body)
    allowed = EXPECTED[(client, target)]
    unexpected = [loss for loss in out.losses
                  if not any(re.fullmatch(pattern, loss.path) and action == loss.action for pattern, action in allowed)]
    assert not unexpected, "\n".join(f"{x.action} {x.path}: {x.reason}" for x in unexpected)
    # The conversation survives the trip there and back.
    back = translate_request(out.body, target, client).body
    after = "\x00".join(texts(back, client))
    assert all(text in after for text in texts(body, client))
    assert calls(back, client) == calls(body, client)
    assert results(back, client) == results(body, client) == paired_results(body, client)


def test_claude_code_turn_two_keeps_the_reasoning_for_a_chat_upstream() -> None:
    client, body = load(CAPTURES / "claude-code-2.1.332-bash-turn2.json")
    thinking = next(b for m in body["messages"] if isinstance(m["content"], list)
                    for b in m["content"] if b["type"] == "thinking")
    out = translate_request(body, client, "chat").body
    assistant = next(m for m in out["messages"] if m["role"] == "assistant")
    assert assistant["reasoning_content"] == thinking["thinking"]
    assert assistant["tool_calls"][0]["id"] == "toolu_scripted_bash_1"
    tool = next(m for m in out["messages"] if m["role"] == "tool")
    assert tool["tool_call_id"] == "toolu_scripted_bash_1"


def test_codex_namespace_and_custom_tools_are_remembered_for_the_answer() -> None:
    for path in FILES:
        client, body = load(path)
        if client != "responses":
            continue
        out = translate_request(body, client, "anthropic")
        namespaced = [t for t in body.get("tools", []) if t.get("type") == "namespace"]
        for namespace in namespaced:
            for tool in namespace["tools"]:
                flat = f"{namespace['name']}__{tool['name']}"
                assert out.context.namespaced_tools[flat] == [namespace["name"], tool["name"]]
        customs = [t["name"] for t in body.get("tools", []) if t.get("type") == "custom"]
        assert out.context.custom_tools == customs
