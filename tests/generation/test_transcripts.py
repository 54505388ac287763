"""SSE transcripts of the kind the official API references show validate event by event."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pydantic
import pytest

from .test_sdk_payloads import unrecognised

HERE = Path(__file__).parent / "transcripts"


def frames(text: str) -> list[tuple[str | None, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        event = None
        data = []
        for line in block.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        out.append((event, "\n".join(data)))
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("*.sse")))
def test_transcript_events_validate(name: str) -> None:
    api = name.split("-")[0].removesuffix(".sse")
    events = importlib.import_module(f"apiswitch.generated.{api}").EVENT_MODELS
    seen = []
    for event, data in frames((HERE / name).read_text(encoding="utf-8")):
        if data == "[DONE]":
            assert "[DONE]" in events and events["[DONE]"] is None
            seen.append("[DONE]")
            continue
        payload = json.loads(data)
        key = event or payload.get("type") or "chunk"
        if event is not None:
            assert payload["type"] == event, "the SSE event name and the payload type agree"
        model = events[key]
        parsed = model.model_validate(payload)
        assert not unrecognised(parsed), f"{key}: {unrecognised(parsed)}"
        seen.append(key)
    assert len(seen) >= 2


def test_wrong_event_payload_fails_with_its_path() -> None:
    events = importlib.import_module("apiswitch.generated.anthropic").EVENT_MODELS
    with pytest.raises(pydantic.ValidationError) as err:
        events["content_block_delta"].model_validate(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": 5}})
    loc = err.value.errors()[0]["loc"]
    assert loc[0] == "delta" and loc[-1] == "partial_json"
