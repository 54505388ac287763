"""The intermediate representation between spec documents and generated code.

Every node carries the file and line it came from, so that errors and `gen --inspect` can point at it.
Type expressions are small frozen dataclasses; declarations are named and live in a `Spec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRIMITIVES = ("string", "number", "integer", "boolean", "null", "unknown", "object")


@dataclass(frozen=True)
class Source:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


# ---- type expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prim:
    name: str  # one of PRIMITIVES


@dataclass(frozen=True)
class Lit:
    value: str | int | float | bool


@dataclass(frozen=True)
class Ref:
    name: str
    source: Source = field(compare=False, hash=False)


@dataclass(frozen=True)
class ArrayOf:
    item: TypeExpr


@dataclass(frozen=True)
class MapOf:
    value: TypeExpr


@dataclass(frozen=True)
class UnionOf:
    members: tuple[TypeExpr, ...]


TypeExpr = Prim | Lit | Ref | ArrayOf | MapOf | UnionOf


# ---- declarations -----------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    type: TypeExpr
    optional: bool
    description: str
    source: Source


@dataclass
class ObjectType:
    name: str
    fields: list[Field]
    extends: list[str]
    description: str
    source: Source
    extra_values: TypeExpr | None = None  # from an index signature `[key: string]: T`
    anonymous: bool = False  # a pseudo-JSON body or an inline object given a name by the parser


@dataclass
class Alias:
    """`type Name = T;` — a union, a literal enum or a plain alias, told apart by `kind`."""

    name: str
    type: TypeExpr
    description: str
    source: Source
    discriminator: str | None = None  # for a union of object types: the field that tells members apart

    @property
    def kind(self) -> str:
        t = self.type
        if isinstance(t, UnionOf) and all(isinstance(m, Lit) for m in t.members):
            return "enum"
        if isinstance(t, Lit):
            return "enum"
        if isinstance(t, UnionOf):
            return "union"
        return "alias"


@dataclass
class StreamEvent:
    name: str  # the SSE event name or the payload's `type` value
    payload: str | None  # a type name, None for a sentinel such as `[DONE]`
    description: str
    source: Source


@dataclass
class Endpoint:
    route: str
    request: str | None
    response: str | None
    stream_event: str | None
    error: str | None
    source: Source


@dataclass
class Skip:
    source: Source
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: skipped: {self.reason}"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    heading: tuple[str, ...]
    source: Source


@dataclass
class Spec:
    file: str
    title: str
    types: dict[str, ObjectType | Alias] = field(default_factory=dict)
    events: list[StreamEvent] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    error_statuses: list[tuple[str, str, str]] = field(default_factory=list)
    omitted: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def objects(self) -> list[ObjectType]:
        return [t for t in self.types.values() if isinstance(t, ObjectType)]

    @property
    def aliases(self) -> list[Alias]:
        return [t for t in self.types.values() if isinstance(t, Alias)]


class SpecError(Exception):
    """An error in one of our own spec documents; stops generation."""

    def __init__(self, source: Source, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
