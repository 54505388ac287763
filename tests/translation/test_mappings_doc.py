"""specs/mappings.md says what the runtime does: check the tables against the translations themselves."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from apiswitch.codegen.mappings import read_mappings
from apiswitch.generated import fieldmaps as generated_fieldmaps
from apiswitch.runtime import errors, fieldmaps, hub, reasoning
from hypothesis import given
from hypothesis import strategies as st

from apiswitch import translate_request

from .helpers import response
from .strategies import FEW, REQUESTS

DOC = Path(__file__).resolve().parents[2] / "specs" / "mappings.md"


@pytest.fixture(scope="module")
def tables() -> dict[str, list]:
    found, _ = read_mappings(DOC.read_text(encoding="utf-8"), "specs/mappings.md")
    return {t.name: t.rows for t in found}


def first_values(rows: list, source: str, target: str) -> dict[str, str | None]:
    """What the generated `lookup` gives: the first row of each source value wins."""
    found: dict[str, str | None] = {}
    for row in rows:
        value = row.read_from(source)
        if value is not None and value not in found:
            found[value] = row.values[target]
    return found


def test_every_runtime_conversion_is_implemented() -> None:
    _, conversions = read_mappings(DOC.read_text(encoding="utf-8"), "specs/mappings.md")
    assert len(conversions) >= 10
    for conversion in conversions:
        module, _, name = conversion.implemented_by.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), conversion.name


def test_every_stop_concept_has_its_hub_name() -> None:
    assert set(fieldmaps.HUB_STOP_REASONS) == {row["concept"] for row in generated_fieldmaps.STOP_REASONS}
    assert set(fieldmaps.HUB_STOP_REASONS.values()) == set(hub.STOP_REASONS)


def test_runtime_maps_follow_the_generated_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing a table of specs/mappings.md (and regenerating) changes what the runtime does."""
    edited = tuple(row | {"chat": "tool_use"} if row["concept"] == "tool call" else row
                   for row in generated_fieldmaps.STOP_REASONS)
    choices = tuple(row | {"responses": "any"} if row["concept"] == "must call some tool" else row
                    for row in generated_fieldmaps.TOOL_CHOICE)
    try:
        monkeypatch.setattr(generated_fieldmaps, "STOP_REASONS", edited)
        monkeypatch.setattr(generated_fieldmaps, "TOOL_CHOICE", choices)
        importlib.reload(fieldmaps)
        assert fieldmaps.STOP_TO_CHAT["tool_use"] == "tool_use"
        assert fieldmaps.CHAT_TO_STOP["tool_use"] == "tool_use"
        assert fieldmaps.TOOL_CHOICE_TO_RESPONSES["any"] == "any"
    finally:
        monkeypatch.undo()
        importlib.reload(fieldmaps)
    assert fieldmaps.STOP_TO_CHAT["tool_use"] == "tool_calls"


def _anthropic_answer(stop: str) -> dict:
    content = [{"type": "text", "text": "x"}]
    if stop == "tool_use":
        content.append({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}})
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": content,
            "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}


def _chat_answer(finish: str) -> dict:
    message: dict = {"role": "assistant", "content": "x"}
    if finish == "tool_calls":
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}]}


def test_stop_reason_table_matches_the_translations(tables: dict) -> None:
    rows = tables["STOP_REASONS"]
    for stop, finish in first_values(rows, "anthropic", "chat").items():
        if finish is not None:
            assert response(_anthropic_answer(stop), "anthropic", "chat").body["choices"][0]["finish_reason"] == finish
    for finish, stop in first_values(rows, "chat", "anthropic").items():
        assert response(_chat_answer(finish), "chat", "anthropic").body["stop_reason"] == stop
    for stop, status in first_values(rows, "anthropic", "responses").items():
        if status is not None:
            assert response(_anthropic_answer(stop), "anthropic", "responses").body["status"] == status, stop


def test_tool_choice_table_matches_the_translations(tables: dict) -> None:
    seen: set[str] = set()
    for row in tables["TOOL_CHOICE"]:
        anthropic_value = row.values["anthropic"]
        if anthropic_value is None or anthropic_value in seen:
            continue  # translating from anthropic, the first row of a value is the one used
        seen.add(anthropic_value)
        choice = {"type": anthropic_value} | ({"name": "f"} if anthropic_value == "tool" else {})
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
                "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": choice}
        chat = translate_request(body, "anthropic", "chat").body["tool_choice"]
        responses = translate_request(body, "anthropic", "responses").body["tool_choice"]
        assert (chat if isinstance(chat, str) else chat["type"]) == row.values["chat"]
        assert (responses if isinstance(responses, str) else responses["type"]) == row.values["responses"]


def test_thinking_budget_table_matches_the_runtime(tables: dict) -> None:
    for row in tables["THINKING_BUDGET_AND_EFFORT"]:
        budget, effort = row.values["anthropic"], row.values["chat"]
        if budget == "disabled":
            assert reasoning.effort_to_budget(effort) is None
            continue
        assert reasoning.effort_to_budget(effort) == int(budget)
        assert reasoning.budget_to_effort(int(budget)) == effort
        if "below" in row.notes:
            limit = int(row.notes.split("below")[1].strip())
            assert reasoning.budget_to_effort(limit - 1) == effort
            assert reasoning.budget_to_effort(limit) != effort


def test_error_tables_match_the_runtime(tables: dict) -> None:
    kinds = {row.concept: row for row in tables["ERROR_STATUSES"]}
    types = {row.concept: row for row in tables["ERROR_TYPES"]}
    assert kinds.keys() == types.keys()
    for concept, row in kinds.items():
        kind = concept.replace(" ", "_")
        assert kind in errors.ANTHROPIC_ERRORS, concept
        assert errors.ANTHROPIC_ERRORS[kind] == (int(row.values["anthropic"]), types[concept].values["anthropic"])
        status, error_type, _ = errors.OPENAI_ERRORS[kind]
        assert (status, error_type) == (int(row.values["chat"]), types[concept].values["chat"])
        assert row.values["chat"] == row.values["responses"]


def test_parameter_names_table_matches_the_translations(tables: dict) -> None:
    """Each parameter set on an anthropic request lands at the path the table names for the target."""
    body = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}],
            "stop_sequences": ["END"], "temperature": 0.5, "top_p": 0.9, "stream": True,
            "metadata": {"user_id": "u1"}, "output_config": {"effort": "low", "format": {
                "type": "json_schema", "schema": {"type": "object"}}},
            "tools": [{"name": "f", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}
    checked = 0
    for row in tables["PARAMETER_NAMES"]:
        source_path = row.read_from("anthropic")
        if source_path is None or not _has_path(body, source_path):
            continue
        for target in ("chat", "responses"):
            target_path = row.values[target]
            out = translate_request(body, "anthropic", target).body
            if target_path is None:
                assert not _has_path(out, source_path) or source_path in ("temperature", "top_p", "stream"), row.concept
            else:
                assert _has_path(out, target_path), (row.concept, target, target_path)
                checked += 1
    assert checked >= 12


@pytest.mark.parametrize("source", ["chat", "responses"])
@pytest.mark.parametrize("key", ["user", "safety_identifier"])
def test_openai_end_user_keys_land_where_the_table_says(tables: dict, source: str, key: str) -> None:
    """Both OpenAI end-user keys become anthropic's `metadata.user_id`; the table must not call them dropped."""
    first = {"chat": {"messages": [{"role": "user", "content": "x"}]}, "responses": {"input": "x"}}[source]
    body = {"model": "m", **first, key: "u1"}
    [row] = [row for row in tables["PARAMETER_NAMES"] if row.read_from(source) == key]
    for target in ("anthropic", "chat", "responses"):
        if target == source:
            continue
        target_path = row.values[target]
        assert target_path is not None, (row.concept, target)
        assert _value(translate_request(body, source, target).body, target_path) == "u1", (row.concept, target)


def _has_path(body: dict, path: str) -> bool:
    node: object = body
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


# Settings whose absence in the target changes nothing, so no loss is reported for them.
HARMLESS = {
    ("chat", "stream_options.include_usage"): "anthropic and responses streams always carry usage",
}
# Settings about tool calls mean nothing in a request without tools.
TOOL_SETTINGS = {"parallel_tool_calls", "tool_choice.disable_parallel_tool_use"}


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in ("anthropic", "chat", "responses")
                                                for t in ("anthropic", "chat", "responses") if s != t])
@FEW
@given(data=st.data())
def test_parameters_are_carried_or_reported(tables: dict, source: str, target: str, data: st.DataObject) -> None:
    """Every parameter of the table that a request sets arrives at the target's path or is a reported loss."""
    body = data.draw(REQUESTS[source])
    out = translate_request(body, source, target)
    lost = [loss.path for loss in out.losses]
    # A source parameter may map to several target paths (an effort becomes a thinking budget or an
    # effort); arriving at any of them is carrying it.
    targets: dict[str, list[str]] = {}
    for row in tables["PARAMETER_NAMES"]:
        if row.read_from(source) is not None:
            targets.setdefault(row.read_from(source), []).extend([row.values[target]] if row.values[target] else [])
    for source_path, target_paths in targets.items():
        if not _has_path(body, source_path) or (source, source_path) in HARMLESS:
            continue
        if _value(body, source_path) in (None, {"type": "text"}):
            continue  # unset, or plain text output: the default everywhere
        if source_path in TOOL_SETTINGS and (not body.get("tools") or body.get("tool_choice") in (
                "none", {"type": "none"})):
            continue
        carried = any(_arrived(out.body, path) for path in target_paths)
        reported = any(p == source_path or p.startswith(source_path.split(".")[0]) for p in lost)
        assert carried or reported, (source_path, target_paths, lost)


def _value(body: dict, path: str) -> object:
    node: object = body
    for key in path.split("."):
        node = node[key]  # type: ignore[index]
    return node


def _arrived(body: dict, path: str) -> bool:
    # An effort of `none` arrives as thinking disabled, which has no budget.
    return _has_path(body, path) or (path == "thinking.budget_tokens" and _has_path(body, "thinking"))
