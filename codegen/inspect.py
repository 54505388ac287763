"""`apiswitch gen --inspect FILE`: what a markdown document yields, and what was skipped and why."""

from __future__ import annotations

from pathlib import Path

from .build import read_spec
from .ir import Alias, ObjectType, Spec


def render_type_name(decl: ObjectType | Alias) -> str:
    if isinstance(decl, ObjectType):
        return "interface"
    return {"enum": "enum", "union": "union", "alias": "alias"}[decl.kind]


def inspect_spec(spec: Spec) -> str:
    lines = [f"{spec.file}: {len(spec.objects)} interfaces, {len(spec.aliases)} aliases, "
             f"{sum(len(o.fields) for o in spec.objects)} fields, {len(spec.events)} stream events, "
             f"{len(spec.endpoints)} endpoints, {len(spec.skipped)} skipped"]
    lines.append("")
    lines.append("types:")
    for decl in spec.types.values():
        kind = render_type_name(decl)
        line = f"  {decl.source.line:>5}  {kind:<9} {decl.name}"
        if isinstance(decl, ObjectType):
            fields = ", ".join(f.name + ("?" if f.optional else "") for f in decl.fields)
            line += f" {{{fields}}}"
        elif decl.discriminator:
            line += f" (discriminated on `{decl.discriminator}`)"
        lines.append(line)
    if spec.events:
        lines.append("")
        lines.append("stream events:")
        for ev in spec.events:
            lines.append(f"  {ev.source.line:>5}  {ev.name} -> {ev.payload or '-'}")
    if spec.endpoints:
        lines.append("")
        lines.append("endpoints:")
        for ep in spec.endpoints:
            lines.append(f"  {ep.source.line:>5}  {ep.route}: request {ep.request}, response {ep.response}, "
                         f"stream event {ep.stream_event}, error {ep.error}")
    lines.append("")
    lines.append("skipped:")
    for skip in spec.skipped:
        lines.append(f"  {skip.source.line:>5}  {skip.reason}")
    if not spec.skipped:
        lines.append("  (nothing)")
    return "\n".join(lines) + "\n"


def inspect_file(path: Path) -> str:
    return inspect_spec(read_spec(path, strict=False))
