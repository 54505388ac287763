"""Golden tests in the openapi-python-client manner: small inline specs, whole generated trees compared
with committed expected output (set UPDATE_GOLDEN=1 to rewrite them), and the models exercised."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from .conftest import generate_package

GOLDEN = Path(__file__).parent / "golden"

MINI = '''# Mini API

| endpoint | request | response | stream event | error |
|---|---|---|---|---|
| `POST /v1/things` | `CreateParams` | `Thing` | `Event` | `ErrorBody` |

```typescript
/** Creates a thing. */
interface CreateParams {
  model: string;               // which model
  max_tokens: integer;
  content: string | Block[];
  "from"?: string | null;      // a Python keyword as a field name
  schema?: Record<string, unknown>;
  stop?: StopReason[];
}

type Block =
  | TextBlock
  | ImageBlock;

interface TextBlock { type: "text"; text: string }

/** An image, by URL or inline. */
interface ImageBlock {
  type: "image";
  source: { type: "url"; url: string } | { type: "base64"; media_type: "image/png" | "image/jpeg"; data: string };
}

interface Thing { id: string; role: "assistant"; stop_reason: StopReason | null; tags?: string[] }

type StopReason = "end_turn" | "max_tokens";

interface StartEvent { type: "start"; thing: Thing }
interface StopEvent { type: "stop" }
type Event = StartEvent | StopEvent;

interface ErrorBody { type: "error"; error: { type: string; message: string } }
```

| event | payload | description |
|---|---|---|
| `start` | `StartEvent` | opens the stream |
| `stop` | `StopEvent` | closes it |
'''


def _compare_tree(files: dict[str, str], case: str) -> None:
    expected_dir = GOLDEN / case
    if os.environ.get("UPDATE_GOLDEN"):
        for rel, text in files.items():
            path = expected_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    expected = {p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(expected_dir.rglob("*")) if p.is_file()}
    assert sorted(expected) == sorted(files), "generated file set differs from the golden tree"
    for rel, text in files.items():
        assert text == expected[rel], f"{rel} differs from tests/generation/golden/{case}/{rel}"


def test_mini_spec_matches_golden_tree(tmp_path: Path) -> None:
    files, _ = generate_package(tmp_path, "golden_mini", MINI)
    _compare_tree(files, "mini")


def test_models_validate_discriminate_and_keep_unknowns(tmp_path: Path) -> None:
    _, pkg = generate_package(tmp_path, "behave_mini", MINI)
    params = pkg.CreateParams.model_validate({
        "model": "m", "max_tokens": 5, "from": "me", "brand_new_field": {"x": 1},
        "content": [{"type": "text", "text": "hi"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}},
                    {"type": "hologram", "beam": 3}],
    })
    assert params.from_ == "me"
    assert params.model_extra == {"brand_new_field": {"x": 1}}
    text, image, unknown = params.content
    assert isinstance(text, pkg.TextBlock) and isinstance(image, pkg.ImageBlock)
    assert image.source.data == "AA=="
    # A block type nobody has specified yet is kept whole, not rejected.
    assert type(unknown).__name__ == "UnknownVariant" and unknown.model_extra == {"type": "hologram", "beam": 3}
    dumped = params.model_dump(by_alias=True, exclude_unset=True)
    assert dumped["from"] == "me" and dumped["content"][2] == {"type": "hologram", "beam": 3}


def test_wrong_discriminator_names_the_path(tmp_path: Path) -> None:
    _, pkg = generate_package(tmp_path, "wrong_mini", MINI)
    with pytest.raises(pydantic.ValidationError) as err:
        pkg.CreateParams.model_validate({"model": "m", "max_tokens": 1, "content": [{"type": "text", "txt": "x"}]})
    locs = [e["loc"] for e in err.value.errors()]
    assert ("content", "list[union[...]]", 0, "TextBlock", "text") in locs or any(
        loc[-1] == "text" and 0 in loc and "TextBlock" in loc for loc in locs)
    with pytest.raises(pydantic.ValidationError) as err:
        pkg.CreateParams.model_validate({"model": "m", "max_tokens": 1, "content": [{"text": "no tag"}]})
    messages = " ".join(e["msg"] for e in err.value.errors())
    assert "`type` is missing" in messages
    assert any(0 in e["loc"] and "content" in e["loc"] for e in err.value.errors())


def test_literal_enums_and_required_fields_are_enforced(tmp_path: Path) -> None:
    _, pkg = generate_package(tmp_path, "enum_mini", MINI)
    thing = pkg.Thing.model_validate({"id": "t", "role": "assistant", "stop_reason": None})
    assert thing.stop_reason is None
    with pytest.raises(pydantic.ValidationError) as err:
        pkg.Thing.model_validate({"id": "t", "role": "assistant", "stop_reason": "bored"})
    assert err.value.errors()[0]["loc"] == ("stop_reason",)
    with pytest.raises(pydantic.ValidationError) as err:
        pkg.Thing.model_validate({"id": "t", "role": "assistant"})
    assert err.value.errors()[0]["loc"] == ("stop_reason",) and err.value.errors()[0]["type"] == "missing"


def test_event_map_and_endpoints(tmp_path: Path) -> None:
    _, pkg = generate_package(tmp_path, "events_mini", MINI)
    assert pkg.EVENT_MODELS == {"start": pkg.StartEvent, "stop": pkg.StopEvent}
    assert pkg.ENDPOINTS["POST /v1/things"]["request"] is pkg.CreateParams
    assert pkg.ENDPOINTS["POST /v1/things"]["stream_event"] is None  # a union, not a model
    ev = pkg.EVENT_MODELS["start"].model_validate({"type": "start", "thing": {"id": "1", "role": "assistant",
                                                                             "stop_reason": "end_turn"}})
    assert ev.thing.stop_reason == "end_turn"
