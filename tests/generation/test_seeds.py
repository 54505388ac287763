"""The seed documents, written by nobody here, parse without an exception; what they yield is pinned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from apiswitch.codegen.build import read_spec

# (interfaces, aliases, fields, stream events, skipped) — change only with a reason in the commit.
EXPECTED = {
    "claude.schema.md": (27, 1, 91, 6, 42),
    "openai.schema.md": (105, 1, 408, 48, 73),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_counts_are_pinned(seeds: Path, name: str) -> None:
    spec = read_spec(seeds / name, strict=False)
    got = (len(spec.objects), len(spec.aliases), sum(len(o.fields) for o in spec.objects), len(spec.events),
           len(spec.skipped))
    assert got == EXPECTED[name]
    for skip in spec.skipped:
        assert skip.source.line > 0 and skip.reason


def test_claude_seed_request_and_events(seeds: Path) -> None:
    spec = read_spec(seeds / "claude.schema.md", strict=False)
    body = spec.types["PostV1MessagesRequest"]
    names = [f.name for f in body.fields]  # type: ignore[union-attr]
    assert names[:3] == ["model", "max_tokens", "messages"] and "thinking" in names
    assert [e.name for e in spec.events] == ["message_start", "content_block_start", "content_block_delta",
                                             "content_block_stop", "message_delta", "message_stop"]
    # Types used but never defined are reported with their line, not guessed.
    assert any("unknown type name `ToolChoice`" in s.reason for s in spec.skipped)


def test_openai_seed_events_named_after_their_type(seeds: Path) -> None:
    spec = read_spec(seeds / "openai.schema.md", strict=False)
    names = {e.name for e in spec.events}
    assert {"response.created", "response.output_item.added", "response.output_text.delta",
            "response.completed"} <= names
    assert "PostV1ChatCompletionsRequest" in spec.types and "PostV1ResponsesRequest" in spec.types


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inspect_command_prints_types_and_skips(seeds: Path, name: str) -> None:
    out = subprocess.run([sys.executable, "-m", "apiswitch", "gen", "--inspect", str(seeds / name)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "types:" in out.stdout and "skipped:" in out.stdout
    interfaces, *_ , skipped = EXPECTED[name]
    assert f"{interfaces} interfaces" in out.stdout and f"{skipped} skipped" in out.stdout
