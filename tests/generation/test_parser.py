"""The TypeScript subset, construct by construct, with lines and descriptions."""

from __future__ import annotations

import pytest
from apiswitch.codegen.build import build_spec
from apiswitch.codegen.ir import Alias, ArrayOf, Lit, MapOf, ObjectType, Prim, Ref, SpecError, UnionOf


def spec_of(ts: str, *, strict: bool = True, before: str = ""):  # type: ignore[no-untyped-def]
    return build_spec(f"# T\n{before}\n```typescript\n{ts}\n```\n", "specs/t.md", strict=strict)


def test_interface_with_extends_optional_nullable_and_descriptions() -> None:
    spec = spec_of('''
interface Base { id: string }
/** A block of text. */
interface Text extends Base {
  type: "text";          // the tag
  /** The words. */
  text?: string | null;
}''')
    text = spec.types["Text"]
    assert isinstance(text, ObjectType)
    assert text.description == "A block of text."
    assert [f.name for f in text.fields] == ["id", "type", "text"]
    assert text.fields[1].description == "the tag"
    assert text.fields[2].optional and text.fields[2].description == "The words."
    assert text.fields[2].type == UnionOf((Prim("string"), Prim("null")))
    assert text.source.line == 7 and text.fields[2].source.line == 10


def test_aliases_multiline_unions_literals_arrays_maps() -> None:
    spec = spec_of('''
type Stop =
  | "end_turn"
  | "max_tokens";
type Nums = 1 | 2.5 | true;
interface A { a: string[]; b: Array<integer>; c: Record<string, unknown>; d: { x: number }[] }''')
    stop = spec.types["Stop"]
    assert isinstance(stop, Alias) and stop.kind == "enum"
    assert stop.type == UnionOf((Lit("end_turn"), Lit("max_tokens")))
    assert spec.types["Nums"].type == UnionOf((Lit(1), Lit(2.5), Lit(True)))  # type: ignore[union-attr]
    a = spec.types["A"]
    assert isinstance(a, ObjectType)
    assert [f.type for f in a.fields[:3]] == [ArrayOf(Prim("string")), ArrayOf(Prim("integer")),
                                              MapOf(Prim("unknown"))]
    assert a.fields[3].type == ArrayOf(Ref("AD", None))  # type: ignore[arg-type]
    assert [f.name for f in spec.types["AD"].fields] == ["x"]  # type: ignore[union-attr]


def test_index_signature_becomes_extra_values() -> None:
    spec = spec_of("interface Meta { [key: string]: string; known?: boolean }")
    meta = spec.types["Meta"]
    assert isinstance(meta, ObjectType)
    assert meta.extra_values == Prim("string") and [f.name for f in meta.fields] == ["known"]


def test_pseudo_json_body_after_http_request_line() -> None:
    spec = spec_of('''POST /v1/messages
Host: api.example.com
x-api-key: sk-...

{
  // ===== required =====
  "model": string,                 // model id
  "max_tokens"?: number,
  "tool_choice"?: "auto" | { "name": string },
  ...
}''', strict=False)
    body = spec.types["PostV1MessagesRequest"]
    assert isinstance(body, ObjectType)
    assert [(f.name, f.optional) for f in body.fields] == [("model", False), ("max_tokens", True),
                                                           ("tool_choice", True)]
    assert body.fields[0].description == "model id"
    assert any("placeholder" in s.reason and s.source.line == 13 for s in spec.skipped)


def test_event_examples_under_a_stream_heading_become_events() -> None:
    spec = spec_of('{ "type": "response.created", "sequence_number": 1, "response": {...} }',
                   strict=False, before="## Stream events")
    assert [(e.name, e.payload) for e in spec.events] == [("response.created", "ResponseCreatedEvent")]


def test_event_table_and_endpoint_table() -> None:
    text = '''# T

| endpoint | request | response | stream event | error |
|---|---|---|---|---|
| `POST /v1/x` | `Req` | `Res` | `Ev` | - |

| event | payload | description |
|---|---|---|
| `start` | `Ev` | first |
| `[DONE]` | - | sentinel |

```typescript
interface Req { a: string }
interface Res { b: string }
interface Ev { type: "start" }
```
'''
    spec = build_spec(text, "specs/t.md", strict=True)
    assert [(e.name, e.payload) for e in spec.events] == [("start", "Ev"), ("[DONE]", None)]
    ep = spec.endpoints[0]
    assert (ep.route, ep.request, ep.response, ep.stream_event, ep.error) == ("POST /v1/x", "Req", "Res", "Ev", None)


def test_lenient_mode_skips_what_it_cannot_read_and_carries_on() -> None:
    spec = spec_of('''
const x = { a: 1 };
interface Good { a: string; go(): void; b: number }
if (x) { console.log(1) }
interface AlsoGood { c: Missing }''', strict=False)
    assert set(spec.types) == {"Good", "AlsoGood"}
    assert [f.name for f in spec.types["Good"].fields] == ["a", "b"]  # type: ignore[union-attr]
    reasons = {s.source.line: s.reason for s in spec.skipped}
    assert "value, not a type" in reasons[5]
    assert "method `go(...)`" in reasons[6]
    assert "not type declarations" in reasons[7]
    assert "unknown type name `Missing`" in reasons[8]


@pytest.mark.parametrize(("ts", "line", "message"), [
    ("interface A { b: Nope }", 4, "unknown type name `Nope`"),
    ("interface A { a: string }\ninterface A { b: string }", 5, "duplicate name `A`"),
    ("interface A { a: string; a: number }", 4, "duplicate field `a`"),
    ("interface A { a: string", 4, "not closed"),
    ("interface A extends Z { a: string }", 4, "extends unknown interface `Z`"),
])
def test_strict_mode_stops_with_file_and_line(ts: str, line: int, message: str) -> None:
    with pytest.raises(SpecError) as err:
        spec_of(ts)
    assert str(err.value).startswith(f"specs/t.md:{line}: ")
    assert message in str(err.value)


def test_union_aliases_carry_their_discriminator() -> None:
    spec = spec_of('''
interface U { role: "user"; content: string }
interface A { role: "assistant"; content: string }
type Msg = U | A;
interface T { type: "text"; text: string }
interface I { type: "image"; url: string }
type Block = T | I;
type Loose = T | string;
type Same = T | T2;
interface T2 { type: "text"; extra: string }''')
    assert spec.types["Msg"].discriminator == "role"  # type: ignore[union-attr]
    assert spec.types["Block"].discriminator == "type"  # type: ignore[union-attr]
    assert spec.types["Loose"].discriminator is None  # type: ignore[union-attr]
    assert spec.types["Same"].discriminator is None  # type: ignore[union-attr]
