"""Find the line of a key in a TOML file.

tomllib returns plain dicts without positions, so error messages would only be able to say *which* field is
wrong, not *where*. This scanner walks the text once and records, for every table header and every
`key = value` line, the dotted path it defines. It understands the subset configs use: `[a.b]`, `[[a]]`,
quoted keys, dotted keys and inline tables on one line; anything it cannot place falls back to the nearest
enclosing table, which is still a useful line to point at.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*\.?""")


def _split_dotted(text: str) -> list[str]:
    parts = []
    for match in _PART.finditer(text):
        token = match.group(1)
        parts.append(token[1:-1] if token[0] in "\"'" else token)
    return parts


class KeyLines:
    """Maps dotted key paths (tuples, array-of-table entries as ints) to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple, int] = {}
        self._scan(text)

    def _scan(self, text: str) -> None:
        table: tuple = ()
        array_counts: dict[tuple, int] = {}
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if in_multiline in line:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                path = tuple(_split_dotted(header.group(2)))
                if header.group(1) == "[[":
                    index = array_counts.get(path, 0)
                    array_counts[path] = index + 1
                    table = (*path, index)
                    self._lines.setdefault(path, number)
                else:
                    table = path
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_split_dotted(key.group(1)))
                self._lines.setdefault(path, number)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) == 1:
                        in_multiline = quote

    def line_of(self, path: tuple) -> int | None:
        """The line that defines `path`, or of its closest enclosing key or table."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None
