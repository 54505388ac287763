"""Where two JSON bodies differ, as loss-style paths, and whether reported losses account for it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from apiswitch.runtime.losses import join_path


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """The shallowest paths at which ``after`` differs from ``before``.

    Objects are compared key by key and lists of the same length item by item; a list whose length changed
    is one difference at the list itself (its items no longer line up).
    """
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(before.keys() | after.keys()):
            if key not in before or key not in after:
                found.append(join_path(path, key))
            else:
                found += differences(before[key], after[key], join_path(path, key))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found += differences(old, new, join_path(path, index))
        return found
    if before == after and type(before) is type(after):
        return []
    return [path]


def _segments(path: str) -> list[str]:
    return re.findall(r"[^.\[\]]+|\[\d+\]", path)


def related(a: str, b: str) -> bool:
    """One path is the other or lies inside it (segment-wise: ``tools`` is not inside ``tool``)."""
    left, right = _segments(a), _segments(b)
    shorter = min(len(left), len(right))
    return left[:shorter] == right[:shorter]


def unexplained(before: Any, after: Any, reported: Iterable[str], dropped_items: Iterable[str] = (),
                moved_items: Iterable[str] = ()) -> list[str]:
    """Differences no reported loss path accounts for.

    A loss explains a difference at its own path, inside it (a dropped block changes everything in it) and
    around it (a list that lost an item has another length; a content whose only image was dropped became
    a string). A dropped whole list item (``input[3]``) also explains differences at the items after it in
    the same list, which moved up by one; a whole item coerced to another place (a system message moved to the
    front) explains differences at the items before it, which moved down by one.
    """
    reported = list(reported)
    dropped = [_item(path) for path in dropped_items if _item(path)]
    moved = [_item(path) for path in moved_items if _item(path)]
    return [path for path in differences(before, after)
            if not any(related(path, loss) for loss in reported)
            and not any(_after_item(path, item) for item in dropped)
            and not any(_after_item(path, (item[0], 0)) and not _after_item(path, (item[0], item[1] + 1))
                        for item in moved)]


def _item(path: str) -> tuple[str, int] | None:
    found = re.fullmatch(r"(.*)\[(\d+)\]", path)
    return (found.group(1), int(found.group(2))) if found else None


def _after_item(path: str, item: tuple[str, int]) -> bool:
    found = re.match(re.escape(item[0]) + r"\[(\d+)\]", path)
    return bool(found) and int(found.group(1)) >= item[1]
