"""Recording the requests the real CLIs send, scrubbed into JSON fixtures under tests/fixtures/captures/.

`Recorder` is a scripted upstream (a real HTTP server on 127.0.0.1) that keeps every request and can
write them out without keys and without anything that names this machine. Regenerate all captures with

    python tests/clients/recorder.py

which runs each pinned CLI through the scenarios below (see tests/fixtures/captures/README.md).
"""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `upstreams` and `clients` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from upstreams import CustomToolCall, Fault, Reply, ScriptedUpstream, Thinking, ToolCall, tool_loop
from upstreams.recorded import RecordedRequest

from clients import harness

CAPTURES_DIR = harness.PROJECT_ROOT / "tests" / "fixtures" / "captures"

SECRET_HEADERS = {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"}
# Framing headers change with the scrubbed body and say nothing about the client.
DROPPED_HEADERS = {"content-length", "transfer-encoding"}

_DEVICE_ID = re.compile(r'(\\?"device_id\\?":\s*\\?")[0-9a-f]{16,}')
_INSTALLATION_ID = re.compile(r'((?:installation[_-]id|x-codex-installation-id)\\?"?:\s*\\?"?)'
                              r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


_ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_ID_KEYS = {"x-codex-installation-id", "installation_id"}  # per-install ids, as JSON keys


class Scrubber:
    """Replaces machine-specific strings (paths, host name, user, kernel, device ids) everywhere in a
    JSON value. Longer needles first, so a scratch path is replaced before its parent."""

    def __init__(self, replacements: dict[str, str]) -> None:
        self.replacements = sorted(((k, v) for k, v in replacements.items() if k), key=lambda kv: -len(kv[0]))
        self.patterns: list[tuple[re.Pattern[str], str]] = [
            (_DEVICE_ID, r"\g<1>" + "0" * 64),
            (_INSTALLATION_ID, r"\g<1>" + _ZERO_UUID),
        ]
        host = socket.gethostname()
        if len(host) >= 3:  # a very short host name would match ordinary words
            self.patterns.append((re.compile(rf"\b{re.escape(host)}\b"), "<HOSTNAME>"))
        user = _user_name()
        if user:
            self.patterns.append((re.compile(rf"/(home|Users)/{re.escape(user)}\b"), r"/\1/<USER>"))

    def text(self, value: str) -> str:
        for needle, placeholder in self.replacements:
            value = value.replace(needle, placeholder)
        for pattern, replacement in self.patterns:
            value = pattern.sub(replacement, value)
        return value

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): (_ZERO_UUID if k in _ID_KEYS else self(v)) for k, v in value.items()}
        return value


def _user_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "")


def machine_replacements(scratch: Path) -> dict[str, str]:
    """The strings of this machine and this run, with their neutral placeholders."""
    replacements = {str(scratch): "<SCRATCH>", platform.release(): "<KERNEL-RELEASE>"}
    # Claude Code names per-project folders after the path with separators turned into dashes; cover both
    # readings of "separator" (only slashes, or everything but letters and digits).
    for slug in (str(scratch).replace("/", "-"), re.sub(r"[^A-Za-z0-9]", "-", str(scratch))):
        replacements[slug] = "<SCRATCH-SLUG>"
    real_home = str(Path.home())
    if real_home not in ("/", "/root"):  # "/root" also names Codex's root agent; keep that readable
        replacements[real_home + "/"] = "<REAL-HOME>/"
    return replacements


class Recorder(ScriptedUpstream):
    """A scripted upstream whose requests become capture fixtures."""

    def capture(self, request: RecordedRequest, scrub: Scrubber) -> dict[str, Any]:
        headers = {name: ("<PORT>".join(value.rsplit(str(self.port), 1)) if name == "host" else value)
                   for name, value in sorted(request.headers.items())
                   if name not in SECRET_HEADERS | DROPPED_HEADERS}
        return scrub({"method": request.method, "path": request.path, "query": request.query,
                      "headers": headers, "body": request.body})


Scenario = Callable[[Path], list[tuple[str, dict[str, Any]]]]


def _describe(args: list[str]) -> list[str]:
    # The command as a reader would type it: the binary by name, not by its path on this machine.
    return [Path(args[0]).name, *args[1:]]


def _write(name: str, meta: dict[str, Any], request: dict[str, Any]) -> Path:
    CAPTURES_DIR.mkdir(parents=True, exist_ok=True)
    path = CAPTURES_DIR / name
    path.write_text(json.dumps({**meta, "request": request}, indent=1, ensure_ascii=False) + "\n")
    return path


def _checked(run: harness.Run, recorder: Recorder) -> None:
    if run.returncode != 0 or recorder.failures:
        raise SystemExit(f"capture run failed: {recorder.failures}\n{run.describe()}")


BASH_PROMPT = "Run the command echo apiswitch-$((6*7)) and tell me its output."
PATCH_PROMPT = "Create marker.txt containing apiswitch-42."
PATCH = "*** Begin Patch\n*** Add File: marker.txt\n+apiswitch-42\n*** End Patch\n"
KNOWN_CODEX_MODEL = harness.KNOWN_CODEX_MODEL


def capture_claude_code(scratch: Path) -> list[Path]:
    version = harness.CLAUDE_CODE_VERSION
    scrub = Scrubber(machine_replacements(scratch))
    written = []

    def run(tag: str, prompt: str, recorder: Recorder, extra: list[str] | None = None,
            model: str | None = None) -> harness.Run:
        result = harness.run_claude(prompt, base_url=recorder.url, home=scratch / tag / "home",
                                    workdir=scratch / tag / "work", extra=extra, model=model)
        _checked(result, recorder)
        return result

    with Recorder("anthropic", Reply.text("Hello.")) as recorder:
        result = run("default", "Say hello.", recorder)
        for i, request in enumerate(recorder.requests, 1):
            meta = {"client": "claude-code", "version": version, "command": _describe(result.args),
                    "note": f"default -p request {i} of {len(recorder.requests)}; scripted text reply"}
            written.append(_write(f"claude-code-{version}-default.json" if i == 1 else
                                  f"claude-code-{version}-default-{i}.json", meta, recorder.capture(request, scrub)))

    bare = ["--bare", "--tools", "Bash", "--system-prompt", "You are a terse assistant."]
    with Recorder("anthropic", Reply.text("Hello.")) as recorder:
        result = run("bare", "Say hello.", recorder, bare)
        meta = {"client": "claude-code", "version": version, "command": _describe(result.args),
                "note": "--bare --tools Bash: the small request"}
        written.append(_write(f"claude-code-{version}-bare.json", meta, recorder.capture(recorder.calls[0], scrub)))

    # Claude Code's default reaction to a stream that breaks: the same request again, not streaming.
    broken = Reply.text("This answer is cut off " * 10, fault=Fault(die_after_events=6))
    with Recorder("anthropic", responder=lambda r: broken if r.stream else Reply.text("Recovered.")) as recorder:
        result = harness.run_claude("Say hello.", base_url=recorder.url, home=scratch / "fallback" / "home",
                                    workdir=scratch / "fallback" / "work", nonstreaming_fallback=True)
        _checked(result, recorder)
        fallback = [r for r in recorder.calls if not r.stream]
        meta = {"client": "claude-code", "version": version, "command": _describe(result.args),
                "note": f"the non-streaming retry after {len(recorder.calls) - len(fallback)} streams broke "
                        "mid-way (CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK unset)"}
        written.append(_write(f"claude-code-{version}-nonstreaming-fallback.json", meta,
                              recorder.capture(fallback[0], scrub)))

    call = ToolCall("Bash", {"command": "echo apiswitch-$((6*7))", "description": "Print the marker"},
                    id="toolu_scripted_bash_1")
    first = Reply(blocks=(Thinking("The user wants the command run.", signature="c2lnbmF0dXJlLWJ5dGVzLWtlcHQ="),
                          call))
    with Recorder("anthropic", responder=tool_loop(call, "The output is apiswitch-42.",
                                                   expect_output="apiswitch-42", first=first)) as recorder:
        # An explicit older model: its requests use `thinking: enabled` with a budget, where the default
        # model's use `adaptive` (see the default capture), so the captures cover both.
        result = run("bash", BASH_PROMPT, recorder, model="claude-sonnet-4-5")
        notes = ["first turn; the scripted reply is a thinking block with a signature, then a Bash tool_use",
                 "second turn: carries the thinking block (signature verbatim), the tool_use and its tool_result"]
        for i, (request, note) in enumerate(zip(recorder.calls, notes, strict=False), 1):
            meta = {"client": "claude-code", "version": version, "command": _describe(result.args), "note": note}
            written.append(_write(f"claude-code-{version}-bash-turn{i}.json", meta, recorder.capture(request, scrub)))
        extra_paths = [f"{r.method} {r.path}" for r in recorder.requests if r not in recorder.calls]
        if extra_paths or len(recorder.calls) != 2:
            print(f"note: claude-code also sent {extra_paths}; {len(recorder.calls)} /v1/messages calls")
    return written


def capture_codex(scratch: Path) -> list[Path]:
    version = harness.CODEX_VERSION
    scrub = Scrubber(machine_replacements(scratch))
    call = ToolCall("exec_command", {"cmd": "echo apiswitch-$((6*7))"}, id="call_scripted_exec_1")
    first = Reply(blocks=(Thinking("I should run the command.", signature="ZW5jcnlwdGVkLXJlYXNvbmluZw=="), call))
    written = []
    with Recorder("responses", responder=tool_loop(call, "The output is apiswitch-42.",
                                                   expect_output="apiswitch-42", first=first)) as recorder:
        result = harness.run_codex(BASH_PROMPT, base_url=recorder.base_url, home=scratch / "codex" / "home",
                                   workdir=scratch / "codex" / "work")
        _checked(result, recorder)
        notes = ["codex exec first request; the scripted reply is a reasoning item with encrypted_content, "
                 "then an exec_command function_call",
                 "follow-up: reasoning item echoed back, the function_call and its function_call_output"]
        for i, (request, note) in enumerate(zip(recorder.calls, notes, strict=False), 1):
            meta = {"client": "codex", "version": version, "command": _describe(result.args), "note": note}
            written.append(_write(f"codex-{version}-turn{i}.json", meta, recorder.capture(request, scrub)))

    # A model name Codex knows brings its full tool set: the custom (freeform) apply_patch tool and tool_search.
    patch = CustomToolCall("apply_patch", PATCH, id="call_scripted_patch_1")
    with Recorder("responses", responder=tool_loop(patch, "Created marker.txt.")) as recorder:
        result = harness.run_codex(PATCH_PROMPT, base_url=recorder.base_url, home=scratch / "patch" / "home",
                                   workdir=scratch / "patch" / "work", model=KNOWN_CODEX_MODEL)
        _checked(result, recorder)
        notes = [f"codex exec with model {KNOWN_CODEX_MODEL}: custom apply_patch tool (Lark grammar), tool_search, "
                 "reasoning effort, text verbosity; the scripted reply is an apply_patch custom_tool_call",
                 "follow-up: the custom_tool_call and its custom_tool_call_output"]
        for i, (request, note) in enumerate(zip(recorder.calls, notes, strict=False), 1):
            meta = {"client": "codex", "version": version, "command": _describe(result.args), "note": note}
            name = f"codex-{version}-{KNOWN_CODEX_MODEL}-patch-turn{i}.json"
            written.append(_write(name, meta, recorder.capture(request, scrub)))
    return written


def main() -> int:
    if not harness.installed():
        reason = harness.install()
        if reason:
            print(reason, file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="apiswitch-captures-") as scratch:
        root = Path(scratch)
        for path in capture_claude_code(root) + capture_codex(root):
            print(f"wrote {path.relative_to(harness.PROJECT_ROOT)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
