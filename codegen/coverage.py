"""`apiswitch gen --coverage`: how much of the official SDKs' API surface our specs describe.

Both sides are reduced to field paths: field names joined by dots from a root, union members merged,
arrays transparent, maps left as leaves. Stream events are counted by their type value, and their paths
start with it (`content_block_delta.delta.partial_json`).
"""

from __future__ import annotations

import importlib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import typing_extensions

from .generate import read_api_specs
from .ir import Alias, ArrayOf, Lit, ObjectType, Ref, Spec, TypeExpr, UnionOf

MAX_DEPTH = 14
TARGETS = {"request": 0.98, "response": 0.98, "events": 1.0}


@dataclass(frozen=True)
class SdkRoots:
    request: str
    response: str
    stream: str


SDK_ROOTS = {
    "anthropic": SdkRoots("anthropic.types.message_create_params:MessageCreateParamsBase",
                          "anthropic.types:Message", "anthropic.types:RawMessageStreamEvent"),
    "chat": SdkRoots("openai.types.chat.completion_create_params:CompletionCreateParamsBase",
                     "openai.types.chat:ChatCompletion", "openai.types.chat:ChatCompletionChunk"),
    "responses": SdkRoots("openai.types.responses.response_create_params:ResponseCreateParamsBase",
                          "openai.types.responses:Response", "openai.types.responses:ResponseStreamEvent"),
}


def _load(ref: str) -> typing.Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


# ---- the SDK side ------------------------------------------------------------------------------


def _sdk_fields(cls: typing.Any) -> list[tuple[str, typing.Any]] | None:
    """(json name, annotation) of a TypedDict or pydantic model, None for anything else."""
    if typing_extensions.is_typeddict(cls):
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception:
            hints = dict(getattr(cls, "__annotations__", {}))
        out = []
        for name, ann in hints.items():
            alias = next((getattr(m, "alias", None) for m in getattr(ann, "__metadata__", ())
                          if getattr(m, "alias", None)), None)
            out.append((alias or name, ann))
        return out
    fields = getattr(cls, "model_fields", None)
    if isinstance(cls, type) and isinstance(fields, dict):
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception:
            hints = {}
        return [(f.alias or name, hints.get(name, f.annotation)) for name, f in fields.items()]
    return None


def _wrapper(origin: typing.Any) -> bool:
    """Required / NotRequired / ReadOnly from typing or typing_extensions."""
    return origin is not None and getattr(origin, "_name", None) in ("Required", "NotRequired", "ReadOnly")


def _sdk_members(ann: typing.Any) -> list[typing.Any]:
    """Unwrap Annotated/Required/Optional/unions/sequences down to the types that can carry fields."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _sdk_members(args[0])
    if _wrapper(origin):
        return _sdk_members(args[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _sdk_members(a)]
    if origin in (list, tuple, set, frozenset) or (origin is not None and getattr(origin, "__name__", "") in (
            "Iterable", "Sequence", "List", "Tuple")):
        return [m for a in args if a is not Ellipsis for m in _sdk_members(a)]
    if origin is not None:
        return []  # dicts, literals, other generics are leaves
    return [ann]


def sdk_paths(root: typing.Any) -> set[str]:
    paths: set[str] = set()

    def walk(t: typing.Any, prefix: str, stack: tuple[int, ...]) -> None:
        for member in _sdk_members(t):
            fields = _sdk_fields(member)
            if fields is None or id(member) in stack or len(stack) > MAX_DEPTH:
                continue
            for name, ann in fields:
                path = f"{prefix}.{name}" if prefix else name
                paths.add(path)
                walk(ann, path, (*stack, id(member)))

    walk(root, "", ())
    return paths


def _sdk_tag(cls: typing.Any) -> str | None:
    for name, ann in _sdk_fields(cls) or []:
        if name in ("type", "object"):
            lits = _literals(ann)
            if lits:
                return lits[0]
    return None


def _literals(ann: typing.Any) -> list[str]:
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return [a for a in typing.get_args(ann) if isinstance(a, str)]
    if origin is typing.Annotated or _wrapper(origin):
        return _literals(typing.get_args(ann)[0])
    return []


def sdk_events(root: typing.Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for member in _sdk_members(root):
        tag = _sdk_tag(member)
        if tag is not None:
            out[tag] = {f"{tag}.{p}" for p in sdk_paths(member)}
    return out


# ---- our side ----------------------------------------------------------------------------------


def _ir_objects(spec: Spec, t: TypeExpr, seen: frozenset[str] = frozenset()) -> list[ObjectType]:
    if isinstance(t, Ref):
        decl = spec.types.get(t.name)
        if isinstance(decl, ObjectType):
            return [decl]
        if isinstance(decl, Alias) and t.name not in seen:
            return _ir_objects(spec, decl.type, seen | {t.name})
        return []
    if isinstance(t, ArrayOf):
        return _ir_objects(spec, t.item, seen)
    if isinstance(t, UnionOf):
        return [o for m in t.members for o in _ir_objects(spec, m, seen)]
    return []  # maps and primitives are leaves


def spec_paths(spec: Spec, root: str) -> set[str]:
    paths: set[str] = set()

    def walk(objs: list[ObjectType], prefix: str, stack: tuple[str, ...]) -> None:
        for obj in objs:
            if obj.name in stack or len(stack) > MAX_DEPTH:
                continue
            for f in obj.fields:
                path = f"{prefix}.{f.name}" if prefix else f.name
                paths.add(path)
                walk(_ir_objects(spec, f.type), path, (*stack, obj.name))

    walk(_ir_objects(spec, Ref(root, None)), "", ())  # type: ignore[arg-type]
    return paths


def spec_events(spec: Spec) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ev in spec.events:
        if ev.payload is None:
            continue
        tag = ev.name
        obj = spec.types.get(ev.payload)
        if isinstance(obj, ObjectType):
            for f in obj.fields:
                if f.name in ("type", "object") and isinstance(f.type, Lit) and isinstance(f.type.value, str):
                    tag = f.type.value
                    break
        out[tag] = {f"{tag}.{p}" for p in spec_paths(spec, ev.payload)}
    return out


# ---- the report --------------------------------------------------------------------------------


@dataclass
class Part:
    api: str
    part: str
    sdk: set[str]
    ours: set[str]
    omitted: set[str]

    @property
    def covered(self) -> set[str]:
        return self.sdk & self.ours

    @property
    def missing(self) -> set[str]:
        return self.sdk - self.ours - self.omitted

    @property
    def ratio(self) -> float:
        return len(self.covered) / len(self.sdk) if self.sdk else 1.0


def measure(spec: Spec, api: str) -> list[Part]:
    roots = SDK_ROOTS[api]
    ep = spec.endpoints[0]
    omitted = {p for p, _ in spec.omitted}
    parts = []
    if ep.request:
        parts.append(Part(api, "request", sdk_paths(_load(roots.request)), spec_paths(spec, ep.request), omitted))
    if ep.response:
        parts.append(Part(api, "response", sdk_paths(_load(roots.response)), spec_paths(spec, ep.response), omitted))
    sdk_ev = sdk_events(_load(roots.stream))
    ours_ev = spec_events(spec)
    parts.append(Part(api, "events", set(sdk_ev), set(ours_ev), omitted))
    parts.append(Part(api, "event fields", set().union(*sdk_ev.values()) if sdk_ev else set(),
                      set().union(*ours_ev.values()) if ours_ev else set(), omitted))
    return parts


def coverage_report(root: Path, show_missing: int = 40) -> tuple[str, bool]:
    rows = []
    ok = True
    details = []
    for spec in read_api_specs(root):
        api = Path(spec.file).stem
        if api not in SDK_ROOTS:
            continue
        for part in measure(spec, api):
            target = TARGETS.get(part.part)
            passed = target is None or part.ratio >= target
            ok = ok and passed
            rows.append((api, part.part, len(part.sdk), len(part.covered), len(part.omitted & part.sdk),
                         len(part.missing), f"{part.ratio:.1%}", f"{target:.0%}" if target else "-",
                         "ok" if passed else "BELOW"))
            if part.missing:
                shown = sorted(part.missing)[:show_missing]
                more = len(part.missing) - len(shown)
                details.append(f"{api} {part.part} missing: " + ", ".join(shown) + (f" (+{more} more)" if more else ""))
    head = ("api", "part", "sdk", "covered", "omitted", "missing", "coverage", "target", "")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    return "\n".join(lines + [""] + details) + "\n", ok
