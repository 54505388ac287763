"""How a union of object types is told apart: the discriminating field and which value names which member."""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Alias, Lit, ObjectType, Ref, Spec, TypeExpr, UnionOf

PREFERRED_FIELDS = ("type", "role", "event", "object")


@dataclass(frozen=True)
class Discriminator:
    field: str
    tags: tuple[tuple[str, tuple[str, ...]], ...]  # (value, names of the members that carry it)
    default: str | None  # the member whose discriminator is optional, taken when the value is absent


def literal_values(t: TypeExpr) -> list[str] | None:
    if isinstance(t, Lit) and isinstance(t.value, str):
        return [t.value]
    if isinstance(t, UnionOf) and all(isinstance(m, Lit) and isinstance(m.value, str) for m in t.members):
        return [m.value for m in t.members if isinstance(m, Lit) and isinstance(m.value, str)]
    return None


def object_members(spec: Spec, members: tuple[TypeExpr, ...]) -> list[ObjectType] | None:
    """The members as object types, unions of object types flattened in; None if any member is not one."""
    out: list[ObjectType] = []
    for m in members:
        if not isinstance(m, Ref):
            return None
        decl = spec.types.get(m.name)
        if isinstance(decl, ObjectType):
            out.append(decl)
        elif isinstance(decl, Alias) and isinstance(decl.type, UnionOf):
            inner = object_members(spec, decl.type.members)
            if inner is None:
                return None
            out.extend(inner)
        elif isinstance(decl, Alias) and isinstance(decl.type, Ref):
            inner = object_members(spec, (decl.type,))
            if inner is None:
                return None
            out.extend(inner)
        else:
            return None
    return out


def find_discriminator(objects: list[ObjectType]) -> Discriminator | None:
    if len(objects) < 2:
        return None
    names = [f.name for f in objects[0].fields]
    candidates = [c for c in PREFERRED_FIELDS if c in names] + [n for n in names if n not in PREFERRED_FIELDS]
    for cand in candidates:
        tags: dict[str, list[str]] = {}
        default = None
        ok = True
        for obj in objects:
            fld = next((f for f in obj.fields if f.name == cand), None)
            values = literal_values(fld.type) if fld else None
            if fld is None or values is None:
                ok = False
                break
            if fld.optional:
                if default is not None:
                    ok = False
                    break
                default = obj.name
            for v in values:
                members = tags.setdefault(v, [])
                if obj.name not in members:
                    members.append(obj.name)
        # A field is a discriminator only when it tells at least two members apart.
        if ok and len(tags) >= 2:
            return Discriminator(cand, tuple((k, tuple(v)) for k, v in tags.items()), default)
    return None
