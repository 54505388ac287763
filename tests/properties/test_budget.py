"""The example budget: CI's default unless a bug hunt asks for more through the environment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .budget import EXAMPLES_VARIABLE, SEED_VARIABLE, property_run


def _drawn(monkeypatch: pytest.MonkeyPatch, **variables: str) -> list[int]:
    """The integers a property decorated under these variables draws, in order."""
    for name in (EXAMPLES_VARIABLE, SEED_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    seen: list[int] = []

    @property_run()
    @given(st.integers(0, 10**9))
    def record(value: int) -> None:
        seen.append(value)

    record()
    return seen


def test_default_is_ci_deterministic_run(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _drawn(monkeypatch)
    assert 0 < len(first) <= 100
    assert _drawn(monkeypatch) == first


def test_examples_variable_raises_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(set(_drawn(monkeypatch, **{EXAMPLES_VARIABLE: "300"}))) > 100


def test_a_seed_repeats_its_draw_and_another_seed_draws_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    seven = _drawn(monkeypatch, **{SEED_VARIABLE: "7"})
    assert _drawn(monkeypatch, **{SEED_VARIABLE: "7"}) == seven
    assert _drawn(monkeypatch, **{SEED_VARIABLE: "8"}) != seven


def test_a_budget_that_is_not_a_positive_count_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXAMPLES_VARIABLE, "0")
    with pytest.raises(ValueError, match=EXAMPLES_VARIABLE):
        property_run()
