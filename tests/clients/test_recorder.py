"""The recorder keeps no keys and nothing that names the machine, and the stored captures agree."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from upstreams import Reply

from .recorder import CAPTURES_DIR, Recorder, Scrubber, machine_replacements


def test_capture_drops_keys_and_scrubs_machine_strings(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scrub = Scrubber(machine_replacements(scratch))
    user_id = json.dumps({"device_id": "ab" * 32, "session_id": "s-1"})
    body = {"metadata": {"user_id": user_id}, "cwd": f"{scratch}/work",
            "client_metadata": {"x-codex-installation-id": "0f0e0d0c-0b0a-0908-0706-050403020100"},
            "note": f"projects/{str(scratch).replace('/', '-')}-work/memory"}
    with Recorder("anthropic", Reply.text("ok")) as recorder:
        httpx.post(recorder.endpoint_url + "?beta=true", json=body,
                   headers={"x-api-key": "sk-secret", "authorization": "Bearer sk-secret", "x-app": "cli"})
        captured = recorder.capture(recorder.calls[0], scrub)
        port = str(recorder.port)
    text = json.dumps(captured)
    assert "sk-secret" not in text and str(scratch) not in text and port not in text
    assert "x-api-key" not in captured["headers"] and "content-length" not in captured["headers"]
    assert captured["headers"]["host"] == "127.0.0.1:<PORT>" and captured["headers"]["x-app"] == "cli"
    assert captured["body"]["cwd"] == "<SCRATCH>/work" and captured["query"] == "beta=true"
    assert json.loads(captured["body"]["metadata"]["user_id"]) == {"device_id": "0" * 64, "session_id": "s-1"}
    assert captured["body"]["client_metadata"]["x-codex-installation-id"] == "00000000-0000-0000-0000-000000000000"
    assert captured["body"]["note"] == "projects/<SCRATCH-SLUG>-work/memory"


def test_stored_captures_are_complete_and_clean() -> None:
    files = sorted(CAPTURES_DIR.glob("*.json"))
    assert len(files) >= 8
    for path in files:
        capture = json.loads(path.read_text())
        assert {"client", "version", "command", "note", "request"} <= capture.keys(), path.name
        request = capture["request"]
        assert request["method"] == "POST" and isinstance(request["body"], dict), path.name
        assert not {"authorization", "x-api-key"} & request["headers"].keys(), path.name
        assert "sk-client-test-key" not in path.read_text(), path.name
        assert capture["version"] in path.name and Path(capture["command"][0]).name == capture["command"][0]
