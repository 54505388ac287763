"""specs/mappings.md -> generated/fieldmaps.py and docs/compatibility.md.

A mapping table has one column per format (`anthropic`, `chat`, `responses`); its first column names the
concept and an optional `notes` column says why. `-` marks what a format cannot express. A cell starting with
`→` (or `->`) is a target only: translating *to* that format writes the concept there, but reading that field
is another row's job (one anthropic field that two OpenAI fields both become, say). A table whose first
header is `runtime conversion` lists what only hand-written code can convert, with the dotted name of the
function that does it; a test imports each, so a conversion named here but not written fails the build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

from .emit import header, tidy
from .ir import Source, SpecError
from .markdown import read_document

FORMATS = ("anthropic", "chat", "responses")
_ARROW = re.compile(r"(\w+|\*)\s*(?:->|→)\s*(\w+|\*)")
_TARGET_ONLY = re.compile(r"^\s*(?:->|→)")


@dataclass
class MappingRow:
    concept: str
    values: dict[str, str | None]
    notes: str
    line: int
    targets_only: frozenset[str] = frozenset()  # formats whose cell is written to but never read from

    def read_from(self, fmt: str) -> str | None:
        """The value this row reads when translating from ``fmt`` (None: the row is not read from it)."""
        return None if fmt in self.targets_only else self.values[fmt]


@dataclass
class MappingTable:
    name: str  # a Python constant name, from the table's heading
    heading: str
    rows: list[MappingRow]
    line: int


@dataclass
class RuntimeConversion:
    name: str
    directions: list[tuple[str, str]]
    implemented_by: str
    line: int


def _value(cell: str) -> str | None:
    cell = cell.strip()
    if cell in ("", "-", "—"):
        return None
    cell = _TARGET_ONLY.sub("", cell).strip()
    ticks = re.findall(r"`([^`]*)`", cell)
    return ticks[0] if ticks else cell


def _constant(heading: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", heading).strip("_").upper()
    return words or "TABLE"


def _directions(cell: str, file: str, line: int) -> list[tuple[str, str]]:
    text = cell.replace("`", "").strip().lower()
    if text in ("all", "any", "*"):
        return list(permutations(FORMATS, 2))
    out: list[tuple[str, str]] = []
    for a, b in _ARROW.findall(text):
        sources = FORMATS if a in ("*", "any") else (a,)
        targets = FORMATS if b in ("*", "any") else (b,)
        for s in sources:
            for t in targets:
                if s not in FORMATS or t not in FORMATS:
                    raise SpecError(Source(file, line), f"unknown format in direction `{a} -> {b}`")
                if s != t:
                    out.append((s, t))
    if not out:
        raise SpecError(Source(file, line), f"cannot read directions from `{cell.strip()}`")
    return out


def read_mappings(text: str, file: str) -> tuple[list[MappingTable], list[RuntimeConversion]]:
    doc = read_document(text)
    tables: list[MappingTable] = []
    conversions: list[RuntimeConversion] = []
    names: set[str] = set()
    for raw in doc.tables:
        headers = [h.strip().strip("`").lower() for h in raw.headers]
        if headers and headers[0] == "runtime conversion":
            for n, row in enumerate(raw.rows):
                line = raw.line + 2 + n
                cells = row + [""] * 3
                impl = cells[2].strip().strip("`")
                if not impl:
                    raise SpecError(Source(file, line), "runtime conversion without `implemented by`")
                conversions.append(RuntimeConversion(cells[0].strip(), _directions(cells[1], file, line), impl, line))
            continue
        if not all(f in headers for f in FORMATS):
            continue
        heading = raw.heading[-1] if raw.heading else f"table at line {raw.line}"
        name = _constant(heading)
        if name in names:
            raise SpecError(Source(file, raw.line), f"two mapping tables under the heading `{heading}`")
        names.add(name)
        notes_col = headers.index("notes") if "notes" in headers else None
        rows = []
        for n, row in enumerate(raw.rows):
            cells = row + [""] * len(headers)
            values = {f: _value(cells[headers.index(f)]) for f in FORMATS}
            targets_only = frozenset(f for f in FORMATS if _TARGET_ONLY.match(cells[headers.index(f)]))
            rows.append(MappingRow(cells[0].strip().strip("`"), values,
                                   cells[notes_col].strip() if notes_col is not None else "", raw.line + 2 + n,
                                   targets_only))
        tables.append(MappingTable(name, heading, rows, raw.line))
    return tables, conversions


def _py(value: object) -> str:
    if value is None:
        return "None"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_fieldmaps(tables: list[MappingTable], conversions: list[RuntimeConversion], file: str) -> str:
    out = [header(file), f'"""Correspondence tables of {file}: one tuple of rows per table, and the conversions',
           'only runtime code can make."""', "", "from __future__ import annotations", "",
           "from typing import Final", "", "Row = dict[str, str | None]", ""]
    for t in tables:
        out.append(f"{t.name}: Final[tuple[Row, ...]] = (")
        for r in t.rows:
            fields = [f'"concept": {_py(r.concept)}'] + [f'"{f}": {_py(r.values[f])}' for f in FORMATS]
            fields.append(f'"notes": {_py(r.notes)}')
            if r.targets_only:  # only on the rows that have such cells, so the others read as before
                fields.append(f'"targets_only": {_py(" ".join(f for f in FORMATS if f in r.targets_only))}')
            out.append("    {" + ", ".join(fields) + "},")
        out.append(")")
        out.append(f'"""{t.heading} ({file}:{t.line})."""')
        out.append("")
    out.append("TABLES: Final[dict[str, tuple[Row, ...]]] = {")
    out.extend(f'    "{t.name}": {t.name},' for t in tables)
    out.append("}")
    out.append("")
    out.append("RUNTIME_CONVERSIONS: Final[tuple[tuple[str, str, str], ...]] = (")
    for c in conversions:
        dirs = ", ".join(f"{a}->{b}" for a, b in c.directions)
        out.append(f"    ({_py(c.name)}, {_py(dirs)}, {_py(c.implemented_by)}),")
    out.append(")")
    out.append('"""(what, directions, the dotted name of the runtime function that does it)."""')
    out.append("")
    out.append("")
    out.append("def lookup(table: tuple[Row, ...], source: str, target: str) -> dict[str, str | None]:")
    out.append('    """Map values of `source` to values of `target` (None: the target cannot express it).')
    out.append("")
    out.append('    A row whose `source` cell is a target only (listed in its `targets_only`) is not read from `source`."""')
    out.append("    found: dict[str, str | None] = {}")
    out.append("    for row in table:")
    out.append('        value = None if source in (row.get("targets_only") or "").split() else row[source]')
    out.append("        if value is not None and value not in found:")
    out.append("            found[value] = row[target]")
    out.append("    return found")
    return tidy("\n".join(out))


def render_matrix(tables: list[MappingTable], conversions: list[RuntimeConversion], file: str) -> str:
    out = ["# Compatibility matrix", "",
           f"Generated by `apiswitch gen` from `{file}`; do not edit. For each direction (client format → "
           "upstream format and back), what is carried as it is, what is converted, and what the target "
           "cannot express and is therefore dropped — and reported as a loss at run time.", ""]
    for source, target in permutations(FORMATS, 2):
        carried: list[str] = []
        converted: list[str] = []
        dropped: list[str] = []
        for t in tables:
            for r in t.rows:
                a, b = r.read_from(source), r.values[target]
                if a is None:
                    continue
                label = f"{t.heading}: {r.concept}"
                if b is None:
                    dropped.append(f"- {label} (`{a}`){': ' + r.notes if r.notes else ''}")
                elif a == b:
                    carried.append(f"- {label} (`{a}`)")
                else:
                    converted.append(f"- {label}: `{a}` → `{b}`")
        for c in conversions:
            if (source, target) in c.directions:
                converted.append(f"- {c.name} (runtime: `{c.implemented_by}`)")
        out.append(f"## {source} → {target}")
        out.append("")
        for title, items in (("Carried", carried), ("Converted", converted), ("Dropped", dropped)):
            out.append(f"### {title} ({len(items)})")
            out.append("")
            out.extend(items or ["- nothing"])
            out.append("")
    return tidy("\n".join(out))


def render_mappings(path: Path, root: Path) -> dict[str, str]:
    file = path.relative_to(root).as_posix()
    tables, conversions = read_mappings(path.read_text(encoding="utf-8"), file)
    return {
        "generated/fieldmaps.py": render_fieldmaps(tables, conversions, file),
        "docs/compatibility.md": render_matrix(tables, conversions, file),
    }
