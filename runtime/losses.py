"""What a translation could not carry over, as data.

Every spoke reports into a ``LossCollector`` instead of dropping silently; the
proxy logs the list and may refuse lossy translations in a strict mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LossAction = Literal["dropped", "coerced", "synthesized"]
ACTIONS: tuple[LossAction, ...] = ("dropped", "coerced", "synthesized")


@dataclass(frozen=True, slots=True)
class Loss:
    """One field that did not survive unchanged.

    ``path`` is a JSON path into the *source* body, e.g. ``messages[2].content[0].cache_control``.
    """

    path: str
    action: LossAction
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "action": self.action, "reason": self.reason}


def join_path(base: str, key: str | int) -> str:
    """Extend a JSON path with an object key or an array index."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


# The same losses come back request after request (the same tools, the history resent every turn), and
# building a frozen dataclass costs several times a dict lookup; a Loss cannot change, so one instance can
# stand for every report of it. Bounded: emptied when full, so a long-running proxy keeps the recent ones.
_INTERNED: dict[tuple[str, str, str], Loss] = {}
_INTERNED_MAX = 4096


def _new_loss(key: tuple[str, str, str]) -> Loss:
    if len(_INTERNED) >= _INTERNED_MAX:
        _INTERNED.clear()
    loss = _INTERNED[key] = Loss(*key)
    return loss


@dataclass(slots=True)
class LossCollector:
    """Accumulates losses in the order they were found, without duplicates."""

    losses: list[Loss] = field(default_factory=list)
    # Keyed by plain tuples: hashing a tuple is done in C, a frozen dataclass hashes in Python.
    _seen: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, path: str, action: LossAction, reason: str) -> None:
        key = (path, action, reason)
        if key not in self._seen:
            self._seen.add(key)
            self.losses.append(_INTERNED.get(key) or _new_loss(key))

    def dropped(self, path: str, reason: str) -> None:
        self.add(path, "dropped", reason)

    def coerced(self, path: str, reason: str) -> None:
        self.add(path, "coerced", reason)

    def synthesized(self, path: str, reason: str) -> None:
        self.add(path, "synthesized", reason)

    def __len__(self) -> int:
        return len(self.losses)
