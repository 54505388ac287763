"""Payloads built from the official SDK types: every field filled, one payload per union alternative.

`samples(T)` yields JSON-ready values; payload k takes alternative k (modulo its count) at every union,
so that together the payloads visit every member of every union the SDK declares.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Iterator

import typing_extensions
from apiswitch.codegen.coverage import _sdk_fields, _wrapper

MAX_DEPTH = 9


def _alternatives(ann: typing.Any) -> list[typing.Any]:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated or _wrapper(origin):
        return _alternatives(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        alts = [a for arg in typing.get_args(ann) for a in _alternatives(arg)]
        real = [a for a in alts if a is not type(None)]
        return real or alts
    return [ann]


def union_width(ann: typing.Any, depth: int = 0, seen: frozenset[int] = frozenset()) -> int:
    alts = _alternatives(ann)
    width = len(alts)
    if depth > MAX_DEPTH:
        return width
    for alt in alts:
        origin = typing.get_origin(alt)
        if origin is not None and origin is not typing.Literal:
            for arg in typing.get_args(alt):
                width = max(width, union_width(arg, depth + 1, seen))
            continue
        fields = _sdk_fields(alt)
        if fields and id(alt) not in seen:
            for _, f in fields:
                width = max(width, union_width(f, depth + 1, seen | {id(alt)}))
    return width


def build(ann: typing.Any, k: int, depth: int = 0, seen: frozenset[int] = frozenset()) -> typing.Any:
    alts = _alternatives(ann)
    ann = alts[k % len(alts)]
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Literal:
        return args[k % len(args)]
    if origin in (list, tuple, set, frozenset) or getattr(origin, "__name__", "") in ("Iterable", "Sequence"):
        item = args[0] if args else str
        return [] if depth > MAX_DEPTH else [build(item, k, depth + 1, seen)]
    if origin in (dict,) or getattr(origin, "__name__", "") in ("Mapping", "Dict"):
        return {"key": build(args[1], k, depth + 1, seen) if len(args) == 2 else "value"}
    fields = _sdk_fields(ann)
    if fields is not None:
        if id(ann) in seen or depth > MAX_DEPTH:
            return None
        return {name: build(f, k, depth + 1, seen | {id(ann)}) for name, f in fields}
    if ann is str:
        return "text"
    if ann is datetime.datetime:
        return "2026-01-01T00:00:00Z"
    if ann is datetime.date:
        return "2026-01-01"
    if ann is bool:
        return True
    if ann is int:
        return 1
    if ann is float:
        return 0.5
    if ann is type(None):
        return None
    if ann in (object, typing.Any) or ann is typing_extensions.Any:
        return {"any": [1, "two"]}
    if isinstance(ann, type) and issubclass(ann, bytes):
        return "Ynl0ZXM="
    return "text"


def samples(ann: typing.Any) -> Iterator[typing.Any]:
    for k in range(max(1, union_width(ann))):
        yield build(ann, k)


def prune_none(value: typing.Any) -> typing.Any:
    """Drop keys whose sample is None: a recursion cut, not a value the SDK would send."""
    if isinstance(value, dict):
        return {k: prune_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_none(v) for v in value if v is not None]
    return value
