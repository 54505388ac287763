"""A parser for the TypeScript subset of spec documents, robust to blocks nobody here wrote.

It reads interfaces (with `extends`), type aliases, unions (inline or with a leading `|` per line),
literals, `T[]`, `Array<T>`, `Record<string, T>`, index signatures, inline object types, optional
fields, comments as descriptions, and seed-style pseudo-JSON bodies (`"field"?: type, // comment`,
JSON example values, `...` placeholders), optionally after an HTTP request line and headers.
What it cannot read it skips, recording the line and the reason, and carries on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .ir import (
    Alias,
    ArrayOf,
    Field,
    Lit,
    MapOf,
    ObjectType,
    Prim,
    Ref,
    Skip,
    Source,
    StreamEvent,
    TypeExpr,
    UnionOf,
)
from .tslexer import Token, tokenize

_HTTP_LINE = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/\S*)")
_HEADER_LINE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*:\s")
_BUILTINS = {"string", "number", "integer", "boolean", "null", "unknown", "object"}
_ALIASES = {"any": "unknown", "undefined": "null", "void": "null", "int": "integer", "float": "number",
            "Object": "object", "String": "string", "Number": "number", "Boolean": "boolean"}
_STATEMENTS = {"const", "let", "var", "function", "class", "enum", "declare", "import", "namespace", "module"}


class _ParseError(Exception):
    def __init__(self, token: Token, message: str) -> None:
        super().__init__(message)
        self.token = token


@dataclass
class BlockResult:
    declarations: list[ObjectType | Alias] = field(default_factory=list)
    events: list[StreamEvent] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    placeholders: int = 0


def pascal(text: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


def parse_block(text: str, file: str, first_line: int, heading: tuple[str, ...] = ()) -> BlockResult:
    """Parse one fenced block; `first_line` is the file line of the block's first line."""
    result = BlockResult()
    lines = text.split("\n")
    requests: list[tuple[int, str]] = []
    # HTTP request lines and their headers may open pseudo-JSON bodies; they are not TypeScript.
    for n, raw in enumerate(lines):
        m = _HTTP_LINE.match(raw)
        if not m:
            continue
        requests.append((n + 1, pascal(f"{m.group(1).lower()} {m.group(2)}") + "Request"))
        lines[n] = ""
        for k in range(n + 1, len(lines)):
            if not _HEADER_LINE.match(lines[k]):
                break
            lines[k] = ""
    parser = _Parser(tokenize("\n".join(lines)), file, first_line, result, requests, heading)
    parser.parse_items()
    return result


class _Parser:
    def __init__(self, tokens: list[Token], file: str, first_line: int, result: BlockResult,
                 requests: list[tuple[int, str]], heading: tuple[str, ...]) -> None:
        self.toks = tokens
        self.pos = 0
        self.file = file
        self.offset = first_line - 1
        self.result = result
        self.requests = requests  # (line, name) of HTTP request lines not yet given a body
        self.heading = heading
        self.item_doc = ""
        self._last_prose_line = -1
        self._first_prose = ""

    # ---- helpers --------------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def src(self, tok: Token) -> Source:
        return Source(self.file, tok.line + self.offset)

    def at(self, value: str) -> bool:
        return self.tok.kind in ("punct", "ident", "ellipsis") and self.tok.value == value

    def take(self) -> Token:
        tok = self.tok
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def expect(self, value: str) -> Token:
        if not self.at(value):
            raise _ParseError(self.tok, f"expected `{value}`, found {self.describe(self.tok)}")
        return self.take()

    @staticmethod
    def describe(tok: Token) -> str:
        return "end of block" if tok.kind == "eof" else f"`{tok.value}`"

    def skip(self, tok: Token, reason: str) -> None:
        self.result.skipped.append(Skip(self.src(tok), reason))

    def skip_lines(self, start: Token, err: _ParseError) -> None:
        """Record a skipped declaration; runs of lines that are not declarations at all become one skip."""
        first, last = start.line + self.offset, self.toks[max(self.pos - 1, 0)].line + self.offset
        prose = str(err).startswith("unexpected")
        prev = self.result.skipped[-1] if self.result.skipped else None
        if prose and prev is not None and prev.reason.startswith("not type declarations") \
                and self._last_prose_line in (first - 1, first):
            prev.reason = f"not type declarations (lines {prev.source.line}-{last}, starting with {self._first_prose})"
        elif prose:
            self._first_prose = self.describe(start)
            span = f"line {first}" if first == last else f"lines {first}-{last}"
            self.skip(start, f"not type declarations ({span}, starting with {self._first_prose})")
        else:
            self.skip(start, f"{err} (line {err.token.line + self.offset}); declaration skipped")
        self._last_prose_line = last

    def recover_item(self) -> None:
        """Skip to the next token at brace depth 0 that starts a line, i.e. the next declaration."""
        start = self.pos
        self._skip_balanced(lambda tok, depth: self.pos > start and depth <= 0 and tok.first_on_line
                            and tok.value not in ("}", "]", ")", "|"))

    def _skip_balanced(self, stop_before: Callable[[Token, int], bool], stop_after: str = "") -> None:
        """Take tokens, tracking bracket depth, until `stop_before(token, depth)` or a `stop_after` token at
        depth 0 has been taken."""
        depth = 0
        while self.tok.kind != "eof":
            tok = self.tok
            if stop_before(tok, depth):
                return
            if tok.value in ("{", "[", "("):
                depth += 1
            elif tok.value in ("}", "]", ")"):
                depth -= 1
            self.take()
            if depth == 0 and tok.value in tuple(stop_after):
                return

    # ---- items ----------------------------------------------------------------------------------

    def parse_items(self) -> None:
        while self.tok.kind != "eof":
            start = self.tok
            try:
                self.parse_item()
            except _ParseError as err:
                self.recover_item()
                self.skip_lines(start, err)

    def parse_item(self) -> None:
        tok = self.tok
        self.item_doc = tok.doc
        if self.at("export"):
            self.take()
            tok = self.tok
        if tok.kind == "ident" and tok.value == "interface":
            self.parse_interface()
        elif tok.kind == "ident" and tok.value == "type" and self.peek().kind == "ident":
            self.parse_alias()
        elif tok.kind == "ident" and tok.value in _STATEMENTS:
            self.skip(tok, f"`{tok.value}` statement is a value, not a type")
            self.take()
            self.recover_item()
        elif self.at("{"):
            self.parse_anonymous_body()
        elif self.at(";") or self.at(","):
            self.take()
        else:
            raise _ParseError(tok, f"unexpected {self.describe(tok)} at the start of a declaration")

    def parse_interface(self) -> None:
        kw = self.take()
        name_tok = self.take()
        if name_tok.kind != "ident":
            raise _ParseError(name_tok, "interface without a name")
        if self.at("<"):
            raise _ParseError(self.tok, f"generic interface `{name_tok.value}<...>` is not supported")
        extends: list[str] = []
        if self.at("extends"):
            self.take()
            while True:
                base = self.take()
                if base.kind != "ident":
                    raise _ParseError(base, "expected a type name after `extends`")
                extends.append(base.value)
                if not self.at(","):
                    break
                self.take()
        obj = self.parse_object_body(name_tok.value, self.src(kw), named=True)
        obj.extends = extends
        obj.description = self.item_doc or kw.doc or obj.description
        if self.pos < len(self.toks) and self.at(";"):
            self.take()

    def parse_alias(self) -> None:
        kw = self.take()
        name_tok = self.take()
        if self.at("<"):
            raise _ParseError(self.tok, f"generic alias `{name_tok.value}<...>` is not supported")
        self.expect("=")
        texpr = self.parse_type(name_tok.value)
        trailing = self.toks[self.pos - 1].trailing
        if self.at(";"):
            trailing = trailing or self.tok.trailing
            self.take()
        desc = " ".join(x for x in (self.item_doc or kw.doc, trailing) if x)
        self.result.declarations.append(Alias(name_tok.value, texpr, desc, self.src(kw)))

    def parse_anonymous_body(self) -> None:
        start = self.tok
        name = None
        before = [r for r in self.requests if r[0] < start.line]
        if before:
            name = before[-1][1]
            self.requests = [r for r in self.requests if r[0] > start.line]
        event_type = None
        if name is None:
            # Name an example payload after its `type` value, else after its heading and line. It is a
            # stream event when its heading speaks of streams or events.
            type_value = self._peek_type_literal()
            if type_value:
                streamy = any(w in h.lower() for h in self.heading for w in ("stream", "event", "流", "事件"))
                event_type = type_value if streamy else None
                name = pascal(type_value) + ("Event" if streamy else "")
            else:
                heading = pascal(self.heading[-1]) if self.heading else ""
                usable = heading.isascii() and heading[:1].isalpha()
                name = f"{heading if usable else 'Body'}L{start.line + self.offset}"
        obj = self.parse_object_body(name, self.src(start))
        obj.anonymous = True
        obj.description = start.doc
        if event_type:
            self.result.events.append(StreamEvent(event_type, obj.name, start.doc, self.src(start)))
        if self.at(";") or self.at(","):
            self.take()

    def _peek_type_literal(self) -> str | None:
        depth = 0
        for k in range(self.pos, len(self.toks) - 2):
            t = self.toks[k]
            if t.value in ("{", "["):
                depth += 1
            elif t.value in ("}", "]"):
                depth -= 1
                if depth == 0:
                    return None
            elif depth == 1 and t.kind in ("str", "ident") and t.value.strip("\"'") == "type":
                if self.toks[k + 1].value == ":" and self.toks[k + 2].kind == "str":
                    return self.toks[k + 2].value[1:-1]
        return None

    # ---- object bodies --------------------------------------------------------------------------

    def parse_object_body(self, name: str, source: Source, *, named: bool = False) -> ObjectType:
        open_tok = self.expect("{")
        taken = {d.name for d in self.result.declarations}
        if name in taken and not named:
            name = next(f"{name}{k}" for k in range(2, 10_000) if f"{name}{k}" not in taken)
        obj = ObjectType(name, [], [], open_tok.doc, source)
        self.result.declarations.append(obj)
        seen: set[str] = set()
        while not self.at("}"):
            if self.tok.kind == "eof":
                raise _ParseError(self.tok, f"`{name}` is not closed by `}}`")
            member_tok = self.tok
            try:
                self.parse_member(obj, seen)
            except _ParseError as err:
                self.skip(member_tok, f"member of `{name}`: {err}")
                self.recover_member(member_tok)
        self.take()
        return obj

    def recover_member(self, start: Token) -> None:
        """Skip the rest of a member: up to its `;` or `,`, the next line, or the closing `}`."""
        self._skip_balanced(lambda tok, depth: depth == 0 and (
            tok.value == "}" or (tok.line > start.line and tok.first_on_line)), stop_after=";,")

    def parse_member(self, obj: ObjectType, seen: set[str]) -> None:
        tok = self.tok
        if tok.kind == "ellipsis":
            self.take()
            self.result.placeholders += 1
            self.skip(tok, f"`...` placeholder in `{obj.name}`")
            if self.at(",") or self.at(";"):
                self.take()
            return
        if self.at("["):
            self.parse_index_signature(obj)
            return
        first = self.pos
        if tok.kind == "str":
            name = tok.value[1:-1]
        elif tok.kind in ("ident", "num"):
            name = tok.value
        else:
            raise _ParseError(tok, f"expected a field name, found {self.describe(tok)}")
        self.take()
        optional = False
        if self.at("?"):
            self.take()
            optional = True
        if self.at("("):
            raise _ParseError(self.tok, f"method `{name}(...)` is not a data field")
        self.expect(":")
        texpr = self.parse_type(obj.name + pascal(name))
        if self.at(";") or self.at(","):
            self.take()
        trailing = " ".join(t.trailing for t in self.toks[first:self.pos] if t.trailing)
        desc = " ".join(x for x in (tok.doc, trailing) if x)
        if name in seen:
            raise _ParseError(tok, f"duplicate field `{name}` in `{obj.name}`")
        seen.add(name)
        obj.fields.append(Field(name, texpr, optional, desc, self.src(tok)))

    def parse_index_signature(self, obj: ObjectType) -> None:
        self.expect("[")
        self.take()  # key name
        self.expect(":")
        self.parse_type(obj.name + "Key")
        self.expect("]")
        self.expect(":")
        obj.extra_values = self.parse_type(obj.name + "Value")
        if self.at(";") or self.at(","):
            self.take()

    # ---- types ----------------------------------------------------------------------------------

    def parse_type(self, context: str) -> TypeExpr:
        if self.at("|"):
            self.take()
        members = [self.parse_postfix(context, 0)]
        while self.at("|"):
            self.take()
            members.append(self.parse_postfix(context, len(members)))
        if self.at("&"):
            raise _ParseError(self.tok, "intersection types (`&`) are not supported")
        if len(members) == 1:
            return members[0]
        flat: list[TypeExpr] = []
        keys: set[object] = set()
        for m in members:
            for x in m.members if isinstance(m, UnionOf) else (m,):
                # `1` and `true` are equal in Python; as literal types they are not.
                key = (type(x.value).__name__, x.value) if isinstance(x, Lit) else x
                if key not in keys:
                    keys.add(key)
                    flat.append(x)
        return UnionOf(tuple(flat)) if len(flat) > 1 else flat[0]

    def parse_postfix(self, context: str, index: int) -> TypeExpr:  # noqa: ARG002
        texpr = self.parse_primary(context)
        while self.at("[") and self.peek().value == "]":
            self.take()
            self.take()
            texpr = ArrayOf(texpr)
        return texpr

    def parse_primary(self, context: str) -> TypeExpr:
        tok = self.tok
        if tok.kind == "str":
            self.take()
            return Lit(_unquote(tok.value))
        if tok.kind == "num":
            self.take()
            return Lit(float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value))
        if tok.kind == "ellipsis":
            self.take()
            self.result.placeholders += 1
            self.skip(tok, f"`...` placeholder used as a type in `{context}`; read as unknown")
            return Prim("unknown")
        if self.at("{"):
            obj = self.parse_object_body(context, self.src(tok))
            obj.anonymous = True
            return Ref(obj.name, self.src(tok))
        if self.at("("):
            self.take()
            inner = self.parse_type(context)
            self.expect(")")
            return inner
        if self.at("["):
            return self.parse_tuple(context)
        if tok.kind != "ident":
            raise _ParseError(tok, f"expected a type, found {self.describe(tok)}")
        self.take()
        name = _ALIASES.get(tok.value, tok.value)
        if name in ("true", "false"):
            return Lit(name == "true")
        if name in _BUILTINS:
            return Prim(name)
        if self.at("<"):
            return self.parse_generic(name, tok, context)
        if self.at(".") and self.peek().kind == "ident":
            raise _ParseError(self.tok, f"qualified name `{name}.{self.peek().value}` is not supported")
        return Ref(name, self.src(tok))

    def parse_generic(self, name: str, tok: Token, context: str) -> TypeExpr:
        self.expect("<")
        args = [self.parse_type(context)]
        while self.at(","):
            self.take()
            args.append(self.parse_type(context + "Value"))
        self.expect(">")
        if name in ("Array", "ReadonlyArray", "Iterable") and len(args) == 1:
            return ArrayOf(args[0])
        if name in ("Record", "Map") and len(args) == 2:
            return MapOf(args[1])
        if name in ("Partial", "Readonly", "Required") and len(args) == 1:
            return args[0]
        raise _ParseError(tok, f"generic type `{name}<...>` is not supported")

    def parse_tuple(self, context: str) -> TypeExpr:
        self.expect("[")
        items: list[TypeExpr] = []
        while not self.at("]"):
            if self.tok.kind == "eof":
                raise _ParseError(self.tok, "`[` is not closed by `]`")
            items.append(self.parse_type(f"{context}Item"))
            if self.at(","):
                self.take()
        self.take()
        known = [t for t in items if t != Prim("unknown")]
        if not known:
            return ArrayOf(Prim("unknown"))
        return ArrayOf(known[0] if len(set(map(repr, known))) == 1 else UnionOf(tuple(dict.fromkeys(known))))


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
