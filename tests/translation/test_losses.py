"""The loss collector: order, no duplicates, and shared Loss instances that stay correct past the bound."""

from __future__ import annotations

from apiswitch.runtime import losses as losses_module
from apiswitch.runtime.losses import Loss, LossCollector


def test_reports_in_order_without_duplicates() -> None:
    collector = LossCollector()
    collector.dropped("a", "why")
    collector.coerced("b", "why")
    collector.dropped("a", "why")
    collector.synthesized("c", "why")
    collector.add("b", "coerced", "why")
    assert collector.losses == [Loss("a", "dropped", "why"), Loss("b", "coerced", "why"),
                                Loss("c", "synthesized", "why")]


def test_each_collector_has_its_own_list_even_for_shared_losses() -> None:
    first, second = LossCollector(), LossCollector()
    first.dropped("a", "why")
    second.dropped("a", "why")
    assert first.losses == second.losses == [Loss("a", "dropped", "why")]
    assert first.losses is not second.losses


def test_losses_stay_right_when_the_shared_instances_are_emptied(monkeypatch) -> None:
    monkeypatch.setattr(losses_module, "_INTERNED_MAX", 2)
    collector = LossCollector()
    for i in range(5):
        collector.dropped(f"p{i}", "why")
    assert [loss.path for loss in collector.losses] == ["p0", "p1", "p2", "p3", "p4"]
    assert len(losses_module._INTERNED) <= 2
