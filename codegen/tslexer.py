"""Tokens of the TypeScript subset used in spec documents, with line numbers and attached comments."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<doc>/\*\*.*?\*/)
  | (?P<block>/\*.*?\*/)
  | (?P<line>//[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ellipsis>\.\.\.|…)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<punct>[{}\[\]()<>:;,|?=.&*/+\-@#!%^~`])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Token:
    kind: str  # ident, str, num, punct, ellipsis, other, eof
    value: str
    line: int  # 1-based, relative to the start of the block
    doc: str = ""  # a /** */ or // comment on the lines just before this token
    trailing: str = ""  # a // comment after this token on the same line
    first_on_line: bool = False


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    line = 1
    pending_doc: list[str] = []
    line_start = True
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        value = m.group()
        if kind == "nl":
            line += 1
            line_start = True
            continue
        if kind == "ws":
            continue
        if kind in ("doc", "block", "line"):
            comment = _clean_comment(value)
            if tokens and tokens[-1].line == line and not line_start:
                tokens[-1].trailing = (tokens[-1].trailing + " " + comment).strip()
            elif comment:
                pending_doc.append(comment)
            line += value.count("\n")
            continue
        tok = Token(kind, value, line, first_on_line=line_start)
        if pending_doc:
            tok.doc = " ".join(pending_doc)
            pending_doc = []
        tokens.append(tok)
        line_start = False
    tokens.append(Token("eof", "", line, first_on_line=True))
    return tokens


def _clean_comment(raw: str) -> str:
    if raw.startswith("//"):
        body = raw[2:]
    else:
        body = raw[3:-2] if raw.startswith("/**") else raw[2:-2]
    lines = [ln.strip().lstrip("*").strip() for ln in body.splitlines()]
    text = " ".join(ln for ln in lines if ln)
    # Section rulers such as `// ===== required =====` carry no meaning for a field.
    stripped = text.strip("=- ").strip()
    if not stripped or (text.startswith("=") and text.endswith("=")):
        return ""
    return text
