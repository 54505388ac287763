"""Spec documents -> IR: blocks and tables become a checked `Spec`.

Our own specs are read strictly: anything malformed, an unknown or duplicate name stops generation with
`file:line: message`. Documents nobody here wrote (the seeds) are read leniently: the same problems are
recorded as skips with their line and reason, and reading carries on.
"""

from __future__ import annotations

import re
from pathlib import Path

from .ir import (
    Alias,
    ArrayOf,
    Endpoint,
    Field,
    MapOf,
    ObjectType,
    Prim,
    Ref,
    Skip,
    Source,
    Spec,
    SpecError,
    StreamEvent,
    Table,
    TypeExpr,
    UnionOf,
)
from .markdown import read_document
from .tsparser import parse_block
from .unions import find_discriminator, object_members

TYPE_LANGS = ("typescript", "ts")


def read_spec(path: Path, *, strict: bool, display_name: str | None = None) -> Spec:
    name = display_name or path.as_posix()
    return build_spec(path.read_text(encoding="utf-8"), name, strict=strict)


def build_spec(text: str, file: str, *, strict: bool) -> Spec:
    doc = read_document(text)
    spec = Spec(file=file, title=doc.title)
    first_seen: dict[str, Source] = {}

    def problem(source: Source, message: str) -> None:
        if strict:
            raise SpecError(source, message)
        spec.skipped.append(Skip(source, message))

    for block in doc.blocks:
        if block.lang not in TYPE_LANGS:
            transcript = _sse_transcript_events(block.text, file, block.line)
            if transcript:
                spec.events.extend(ev for ev in transcript if ev.name not in {e.name for e in spec.events})
                continue
            spec.skipped.append(Skip(Source(file, block.line),
                                     f"`{block.lang or 'plain'}` block: an example, not type declarations"))
            continue
        result = parse_block(block.text, file, block.line, block.heading)
        for skip in result.skipped:
            problem(skip.source, skip.reason)
        for decl in result.declarations:
            if decl.name in spec.types and isinstance(decl, ObjectType) and decl.anonymous:
                # A name the parser made up may clash across blocks; number it rather than lose it.
                base = decl.name
                decl.name = next(f"{base}{k}" for k in range(2, 10_000) if f"{base}{k}" not in spec.types)
                for ev in result.events:
                    if ev.payload == base:
                        ev.payload = decl.name
            if decl.name in spec.types:
                problem(decl.source, f"duplicate name `{decl.name}` (first declared at {first_seen[decl.name]})")
                continue
            spec.types[decl.name] = decl
            first_seen[decl.name] = decl.source
        spec.events.extend(result.events)

    for raw in doc.tables:
        table = Table(raw.headers, raw.rows, raw.heading, Source(file, raw.line))
        spec.tables.append(table)
        _read_table(spec, table, problem)

    _flatten_extends(spec, problem)
    _check_references(spec, problem)
    _find_discriminators(spec)
    return spec


def _find_discriminators(spec: Spec) -> None:
    for alias in spec.aliases:
        if isinstance(alias.type, UnionOf):
            objects = object_members(spec, tuple(m for m in alias.type.members if isinstance(m, Ref)))
            found = find_discriminator(objects) if objects else None
            alias.discriminator = found.field if found else None


_SSE_EVENT = re.compile(r"^event:\s*(\S+)\s*$")


def _sse_transcript_events(text: str, file: str, first_line: int) -> list[StreamEvent]:
    """Event names of an SSE transcript block (`event: x` / `data: {...}` lines), in order of appearance."""
    events: list[StreamEvent] = []
    for n, line in enumerate(text.splitlines()):
        m = _SSE_EVENT.match(line.strip())
        if m and m.group(1) not in {e.name for e in events}:
            events.append(StreamEvent(m.group(1), None, "seen in an SSE transcript", Source(file, first_line + n)))
    return events


def _cell(text: str) -> str | None:
    text = text.strip().strip("`").strip()
    return None if text in ("", "-", "—") else text


def _read_table(spec: Spec, table: Table, problem) -> None:  # type: ignore[no-untyped-def]
    key = table.headers[0].strip().lower() if table.headers else ""
    for n, row in enumerate(table.rows):
        src = Source(table.source.file, table.source.line + 2 + n)
        cells = row + [""] * (len(table.headers) - len(row))
        if key == "endpoint" and len(cells) >= 5:
            route = _cell(cells[0]) or ""
            spec.endpoints.append(Endpoint(route, _cell(cells[1]), _cell(cells[2]), _cell(cells[3]),
                                           _cell(cells[4]), src))
        elif key == "event" and len(cells) >= 2:
            name = _cell(cells[0])
            if name is None:
                problem(src, "event row without an event name")
                continue
            desc = cells[2].strip() if len(cells) > 2 else ""
            spec.events.append(StreamEvent(name, _cell(cells[1]), desc, src))
        elif key == "status" and len(cells) >= 2:
            spec.error_statuses.append((_cell(cells[0]) or "", _cell(cells[1]) or "", cells[2].strip() if len(cells) > 2 else ""))
        elif key == "omitted" and len(cells) >= 2:
            path = _cell(cells[0])
            if path:
                spec.omitted.append((path, cells[1].strip()))


def _flatten_extends(spec: Spec, problem) -> None:  # type: ignore[no-untyped-def]
    """Copy inherited fields into each interface (own fields win), bases first, in declaration order."""
    done: set[str] = set()

    def flatten(obj: ObjectType, stack: tuple[str, ...]) -> None:
        if obj.name in done:
            return
        inherited: list[Field] = []
        for base_name in obj.extends:
            base = spec.types.get(base_name)
            if not isinstance(base, ObjectType):
                problem(obj.source, f"`{obj.name}` extends unknown interface `{base_name}`")
                continue
            if base_name in stack:
                problem(obj.source, f"`{obj.name}` extends itself through `{base_name}`")
                continue
            flatten(base, (*stack, obj.name))
            inherited.extend(base.fields)
            if base.extra_values is not None and obj.extra_values is None:
                obj.extra_values = base.extra_values
        own = {f.name for f in obj.fields}
        merged: list[Field] = []
        for f in inherited:
            if f.name not in own and f.name not in {m.name for m in merged}:
                merged.append(f)
        obj.fields = merged + obj.fields
        done.add(obj.name)

    for obj in spec.objects:
        flatten(obj, ())


def _check_references(spec: Spec, problem) -> None:  # type: ignore[no-untyped-def]
    def fix(t: TypeExpr) -> TypeExpr:
        if isinstance(t, Ref):
            if t.name not in spec.types:
                problem(t.source, f"unknown type name `{t.name}`")
                return Prim("unknown")
            return t
        if isinstance(t, ArrayOf):
            return ArrayOf(fix(t.item))
        if isinstance(t, MapOf):
            return MapOf(fix(t.value))
        if isinstance(t, UnionOf):
            return UnionOf(tuple(fix(m) for m in t.members))
        return t

    for decl in list(spec.types.values()):
        if isinstance(decl, ObjectType):
            for f in decl.fields:
                f.type = fix(f.type)
            if decl.extra_values is not None:
                decl.extra_values = fix(decl.extra_values)
        elif isinstance(decl, Alias):
            decl.type = fix(decl.type)
    for ev in spec.events:
        if ev.payload is not None and ev.payload not in spec.types:
            problem(ev.source, f"stream event `{ev.name}` names unknown payload type `{ev.payload}`")
    for ep in spec.endpoints:
        for role, name in (("request", ep.request), ("response", ep.response),
                           ("stream event", ep.stream_event), ("error", ep.error)):
            if name is not None and name not in spec.types:
                problem(ep.source, f"endpoint `{ep.route}` names unknown {role} type `{name}`")

