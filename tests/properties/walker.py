"""Hypothesis strategies read off the generated pydantic models, field by field.

The walker turns a model's field annotations into a strategy for the JSON dict of that model: literals,
scalars, lists, dicts, plain unions and our discriminated ``Annotated[M, Tag(...)]`` unions (never their
``UnknownVariant`` member, which stands for blocks no spec names yet). Optional fields are sometimes absent
and never ``null``: absent is what a client that does not set a field sends, and null-valued fields have
their own property in tests/translation.

A random instance of a whole API model is rarely a *valid* request (it would hold every hosted tool and
beta block the spec knows), so a ``Focus`` says which models may appear at all, pins the values the
real API constrains beyond their type (ids, base64 data, JSON schemas), and narrows unions per field.
Everything else comes from the annotations.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from apiswitch.generated._support import UnknownVariant
from hypothesis import strategies as st
from pydantic import BaseModel

Strategy = st.SearchStrategy[Any]

# Small on purpose: every property runs through every format pair on a shared two-core machine.
MAX_LIST = 3
MAX_DEPTH = 6

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                max_size=12).filter(lambda s: s.strip() == s and s != "")
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), words)
json_keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
json_objects = st.dictionaries(json_keys, st.one_of(json_scalars, st.lists(json_scalars, max_size=2)),
                               max_size=3)


@dataclass(frozen=True)
class Focus:
    """What part of one format's API the walker may generate.

    ``models``: names of the models allowed anywhere (a union loses its other members; an optional field
    whose every member is out of focus is never set). ``values``: ``"Model.field"`` -> a strategy used
    instead of the annotation. ``members``: ``"Model.field"`` -> the model names allowed in that field's
    unions (e.g. which blocks an assistant turn may hold). ``skip``: ``"Model.field"`` never set.
    ``always``: optional ``"Model.field"`` the real API always sends (an answer's usage, an item's id).
    """

    module: types.ModuleType
    models: frozenset[str]
    values: dict[str, Strategy] = field(default_factory=dict)
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()
    always: frozenset[str] = frozenset()


class NotGeneratable(Exception):
    """An annotation that only leads to models out of focus."""


class Walker:
    def __init__(self, focus: Focus) -> None:
        self.focus = focus
        self._models: dict[tuple[str, int], Strategy] = {}

    def model(self, name: str | type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
        """Strategy for the JSON dict of a model (by name or class), as a client would send it."""
        cls = getattr(self.focus.module, name) if isinstance(name, str) else name
        key = (cls.__name__, depth)
        if key not in self._models:
            self._models[key] = self._build_model(cls, depth)
        return self._models[key]

    def field(self, model: str, field_name: str, depth: int = 0) -> Strategy:
        """Strategy for one field's value, with the focus applied (for builders that assemble by hand)."""
        cls = getattr(self.focus.module, model)
        cls.model_rebuild()
        info = cls.model_fields[field_name]
        return self._field_value(cls.__name__, field_name, _without_none(info.annotation), depth)

    def _build_model(self, cls: type[BaseModel], depth: int) -> Strategy:
        if cls.__name__ not in self.focus.models:
            raise NotGeneratable(cls.__name__)
        cls.model_rebuild()
        required: dict[str, Strategy] = {}
        optional: dict[str, Strategy] = {}
        for name, info in cls.model_fields.items():
            where = f"{cls.__name__}.{name}"
            if where in self.focus.skip:
                if info.is_required():
                    raise ValueError(f"{where} is required and cannot be skipped")
                continue
            key = info.alias or name
            if info.is_required() or where in self.focus.always:
                annotation = info.annotation if info.is_required() else _without_none(info.annotation)
                required[key] = self._field_value(cls.__name__, name, annotation, depth)
                continue
            if depth >= MAX_DEPTH:
                continue
            try:
                optional[key] = self._field_value(cls.__name__, name, _without_none(info.annotation), depth)
            except NotGeneratable:
                continue
        return st.fixed_dictionaries(required, optional=optional)

    def _field_value(self, model: str, name: str, annotation: Any, depth: int) -> Strategy:
        where = f"{model}.{name}"
        if where in self.focus.values:
            return self.focus.values[where]
        return self.annotation(annotation, depth + 1, self.focus.members.get(where))

    def annotation(self, tp: Any, depth: int, allowed: frozenset[str] | None = None) -> Strategy:
        """Strategy for any annotation the generated models use."""
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is Annotated:
            return self.annotation(args[0], depth, allowed)
        if origin in (Union, types.UnionType):
            return self._union(args, depth, allowed)
        if origin is Literal:
            return st.sampled_from(args)
        if origin is list:
            item = self.annotation(args[0], depth, allowed)
            return st.lists(item, min_size=1, max_size=MAX_LIST)
        if origin is dict:
            value = json_scalars if args[1] is Any else self.annotation(args[1], depth, allowed)
            return st.dictionaries(json_keys, value, max_size=MAX_LIST)
        return self._leaf(tp, depth)

    def _union(self, members: tuple[Any, ...], depth: int, allowed: frozenset[str] | None) -> Strategy:
        options = []
        for member in members:
            inner = _unwrap(member)
            if inner is UnknownVariant:
                continue
            if isinstance(inner, type) and issubclass(inner, BaseModel) and allowed is not None \
                    and inner.__name__ not in allowed:
                continue
            try:
                options.append(self.annotation(member, depth, allowed))
            except NotGeneratable:
                continue
        if not options:
            raise NotGeneratable(repr(members))
        return st.one_of(options)

    def _leaf(self, tp: Any, depth: int) -> Strategy:
        if tp is type(None):
            return st.none()
        if tp is bool:
            return st.booleans()
        if tp is int:
            return st.integers(0, 10_000)
        if tp is float:
            return st.floats(0, 1)
        if tp is str:
            return words
        if tp is Any:
            return json_scalars
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ not in self.focus.models:
                raise NotGeneratable(tp.__name__)
            # Deferred: models refer to each other (a document block holds blocks).
            return st.deferred(lambda: self.model(tp, depth))
        raise NotGeneratable(repr(tp))


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _without_none(tp: Any) -> Any:
    """``T | None`` as ``T``: an optional field the walker sets gets a value (absent stands for none)."""
    if typing.get_origin(tp) is Annotated:
        inner, *extras = typing.get_args(tp)
        stripped = _without_none(inner)
        return Annotated[(stripped, *extras)] if stripped is not inner else tp
    if typing.get_origin(tp) in (Union, types.UnionType):
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        if len(members) == 1:
            return members[0]
        return Union[tuple(members)]  # noqa: UP007 (built from a runtime tuple)
    return tp
