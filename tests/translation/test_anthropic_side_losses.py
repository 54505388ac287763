"""Fields the Anthropic side cannot carry, or has to make up, are reported at their source paths."""

from __future__ import annotations

from .helpers import losses_of, request

FUNCTION = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}, "strict": False}


def test_parallel_tool_calls_anthropic_has_no_place_for_are_reported() -> None:
    """Anthropic turns parallel tool use off on a tool choice; `none` and no tools leave it nowhere to go."""
    with_none = request({"model": "m", "input": "hi", "tools": [FUNCTION], "tool_choice": "none",
                         "parallel_tool_calls": False}, "responses", "anthropic")
    assert with_none.body["tool_choice"] == {"type": "none"}
    assert ("parallel_tool_calls", "dropped") in losses_of(with_none)
    without_tools = request({"model": "m", "input": "hi", "parallel_tool_calls": False}, "responses", "anthropic")
    assert "tool_choice" not in without_tools.body
    assert ("parallel_tool_calls", "dropped") in losses_of(without_tools)


def test_parallel_tool_calls_carried_by_a_tool_choice_are_not_reported() -> None:
    out = request({"model": "m", "input": "hi", "tools": [FUNCTION], "parallel_tool_calls": False},
                  "responses", "anthropic")
    assert out.body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert not any(path == "parallel_tool_calls" for path, _ in losses_of(out))
