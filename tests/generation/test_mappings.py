"""specs/mappings.md -> generated field maps, the compatibility matrix, and the runtime-conversion stubs."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from apiswitch.codegen.ir import SpecError
from apiswitch.codegen.mappings import read_mappings, render_fieldmaps, render_matrix

REPO = Path(__file__).resolve().parents[2]

DOC = """# Mappings

## Stop reasons

| concept | anthropic | chat | responses | notes |
|---|---|---|---|---|
| natural end | `end_turn` | `stop` | `completed` | |
| tool call | `tool_use` | `tool_calls` | `completed` | |
| paused | `pause_turn` | - | - | server tools only |

## Runtime

| runtime conversion | directions | implemented by |
|---|---|---|
| images in tool results | * -> chat | `os.path.join` |
"""


def test_tables_and_conversions_are_read() -> None:
    tables, conversions = read_mappings(DOC, "specs/mappings.md")
    assert [t.name for t in tables] == ["STOP_REASONS"]
    assert tables[0].rows[2].values == {"anthropic": "pause_turn", "chat": None, "responses": None}
    assert tables[0].rows[2].line == 9
    assert conversions[0].directions == [("anthropic", "chat"), ("responses", "chat")]


def test_fieldmaps_module_executes_and_looks_up(tmp_path: Path) -> None:
    tables, conversions = read_mappings(DOC, "specs/mappings.md")
    namespace: dict[str, object] = {}
    exec(compile(render_fieldmaps(tables, conversions, "specs/mappings.md"), "fieldmaps", "exec"), namespace)
    lookup = namespace["lookup"]
    assert lookup(namespace["STOP_REASONS"], "anthropic", "chat") == {  # type: ignore[operator]
        "end_turn": "stop", "tool_use": "tool_calls", "pause_turn": None}


def test_matrix_lists_carried_converted_and_dropped_per_direction() -> None:
    tables, conversions = read_mappings(DOC, "specs/mappings.md")
    matrix = render_matrix(tables, conversions, "specs/mappings.md")
    section = matrix.split("\n## anthropic → chat")[1].split("\n## ")[0]
    assert "Stop reasons: natural end: `end_turn` → `stop`" in section
    assert "Stop reasons: paused (`pause_turn`): server tools only" in section.split("### Dropped")[1]
    assert "images in tool results (runtime: `os.path.join`)" in section
    assert "images in tool results" not in matrix.split("\n## chat → anthropic")[1].split("\n## ")[0]


ONE_WAY = """# Mappings

## Parameter names

| concept | anthropic | chat | responses | notes |
|---|---|---|---|---|
| end-user id | → `metadata.user_id` | `user` | `user` | |
| safety identifier | → `metadata.user_id` | `safety_identifier` | `safety_identifier` | |
| anthropic end-user id | `metadata.user_id` | → `user` | -> `safety_identifier` | |
"""


def test_a_target_only_cell_is_written_to_but_never_read_from() -> None:
    """Two OpenAI keys both become one anthropic field, which comes back as one of them: the table says so
    with target-only cells, and the lookup, the matrix and the rows agree on each direction."""
    tables, conversions = read_mappings(ONE_WAY, "specs/mappings.md")
    rows = tables[0].rows
    assert [row.targets_only for row in rows] == [
        frozenset({"anthropic"}), frozenset({"anthropic"}), frozenset({"chat", "responses"})]
    assert rows[0].values["anthropic"] == "metadata.user_id" and rows[0].read_from("anthropic") is None
    namespace: dict[str, object] = {}
    exec(compile(render_fieldmaps(tables, conversions, "specs/mappings.md"), "fieldmaps", "exec"), namespace)
    lookup = namespace["lookup"]
    table = namespace["PARAMETER_NAMES"]
    assert lookup(table, "chat", "anthropic") == {  # type: ignore[operator]
        "user": "metadata.user_id", "safety_identifier": "metadata.user_id"}
    assert lookup(table, "anthropic", "responses") == {"metadata.user_id": "safety_identifier"}  # type: ignore[operator]
    assert lookup(table, "chat", "responses") == {  # type: ignore[operator]
        "user": "user", "safety_identifier": "safety_identifier"}
    matrix = render_matrix(tables, conversions, "specs/mappings.md")
    to_anthropic = matrix.split("\n## chat → anthropic")[1].split("\n## ")[0]
    assert "Parameter names: end-user id: `user` → `metadata.user_id`" in to_anthropic
    assert "Parameter names: safety identifier: `safety_identifier` → `metadata.user_id`" in to_anthropic
    assert "- nothing" in to_anthropic.split("### Dropped")[1]
    from_anthropic = matrix.split("\n## anthropic → chat")[1].split("\n## ")[0]
    assert from_anthropic.count("`metadata.user_id` →") == 1


def test_bad_direction_is_an_error_with_line() -> None:
    with pytest.raises(SpecError, match=r"specs/mappings.md:\d+: unknown format"):
        read_mappings(DOC.replace("* -> chat", "anthropic -> gemini"), "specs/mappings.md")


def test_every_runtime_conversion_named_in_the_spec_is_implemented() -> None:
    if not (REPO / "specs" / "mappings.md").is_file():
        pytest.fail("specs/mappings.md is missing: the correspondence tables and runtime conversions live there")
    fieldmaps = importlib.import_module("apiswitch.generated.fieldmaps")
    assert fieldmaps.RUNTIME_CONVERSIONS, "mappings.md names no runtime conversion"
    missing = []
    for what, _dirs, dotted in fieldmaps.RUNTIME_CONVERSIONS:
        module, _, attr = dotted.rpartition(".")
        try:
            target = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            missing.append(f"{what}: {dotted}")
            continue
        if not callable(target):
            missing.append(f"{what}: {dotted} is not callable")
    assert not missing, "unimplemented runtime conversions:\n" + "\n".join(missing)
