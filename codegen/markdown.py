"""Document structure of a spec: fenced code blocks and tables, each with its heading path and line."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt


@dataclass
class CodeBlock:
    lang: str
    text: str
    line: int  # 1-based line of the first line inside the fence
    heading: tuple[str, ...]


@dataclass
class RawTable:
    headers: list[str]
    rows: list[list[str]]
    line: int
    heading: tuple[str, ...]


@dataclass
class Document:
    title: str
    blocks: list[CodeBlock]
    tables: list[RawTable]


def read_document(text: str) -> Document:
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings: list[tuple[int, str]] = []
    blocks: list[CodeBlock] = []
    tables: list[RawTable] = []
    title = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            content = tokens[i + 1].content.strip()
            headings = [h for h in headings if h[0] < level] + [(level, content)]
            if level == 1 and not title:
                title = content
        elif tok.type == "fence" and tok.map is not None:
            lang = tok.info.strip().split(" ")[0].lower() if tok.info else ""
            blocks.append(CodeBlock(lang, tok.content, tok.map[0] + 2, tuple(h[1] for h in headings)))
        elif tok.type == "table_open" and tok.map is not None:
            table, i = _read_table(tokens, i)
            table.line = tok.map[0] + 1
            table.heading = tuple(h[1] for h in headings)
            tables.append(table)
            continue
        i += 1
    return Document(title, blocks, tables)


def _read_table(tokens: list, start: int) -> tuple[RawTable, int]:  # type: ignore[type-arg]
    headers: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_head = False
    i = start
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline":
            row.append(tok.content.strip())
        elif tok.type == "tr_close":
            if in_head:
                headers = row
            else:
                rows.append(row)
        elif tok.type == "table_close":
            return RawTable(headers, rows, 0, ()), i + 1
        i += 1
    return RawTable(headers, rows, 0, ()), i
