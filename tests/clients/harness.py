"""Running the real Claude Code and Codex CLIs headless, offline, against a base URL on 127.0.0.1.

The recipes follow shared knowledge of how these CLIs behave (see tests/fixtures/captures/README.md):
a scratch HOME / CODEX_HOME per run, non-essential traffic and auto-update off, stdin from /dev/null (or
they wait on it forever), and a minimal environment so no real key or proxy setting leaks in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upstreams import Usage

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENTS_DIR = PROJECT_ROOT / ".clients"
BIN_DIR = CLIENTS_DIR / "node_modules" / ".bin"
INSTALL_SCRIPT = PROJECT_ROOT / ".ci" / "install-clients"

# Keep in step with .ci/install-clients; the captures are named after these.
CLAUDE_CODE_VERSION = "2.1.332"
CODEX_VERSION = "0.169.0"
# A model name Codex 0.169.0 has metadata for: with it Codex offers its full tool set (custom apply_patch).
KNOWN_CODEX_MODEL = "gpt-5.5"

CLIENT_KEY = "sk-client-test-key"  # what the CLI sends; the proxy must never forward it upstream

# Token usage for scripted replies: distinct numbers per field, so a field mapped to the wrong one shows.
USAGE = Usage(input_tokens=1200, output_tokens=34, cache_read_tokens=300)


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.returncode}\n--- stdout ---\n{self.stdout[-4000:]}"
                f"\n--- stderr ---\n{self.stderr[-4000:]}")

    def json(self) -> Any:
        return json.loads(self.stdout)

    def jsonl(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def binary(name: str) -> Path:
    return BIN_DIR / name


def installed_version(package: str) -> str | None:
    manifest = CLIENTS_DIR / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def installed() -> bool:
    """Both CLIs are in .clients/ at the pinned versions (a stale install counts as missing)."""
    return (binary("claude").exists() and binary("codex").exists()
            and installed_version("@anthropic-ai/claude-code") == CLAUDE_CODE_VERSION
            and installed_version("@openai/codex") == CODEX_VERSION)


def install() -> str | None:
    """Runs .ci/install-clients; returns None on success, else a reason to skip or fail with."""
    if shutil.which("npm") is None:
        return "npm is not installed, so the pinned real CLIs cannot be installed"
    done = subprocess.run([str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return f"{INSTALL_SCRIPT.name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return None


def _base_env(home: Path) -> dict[str, str]:
    # Built from scratch rather than copied: a developer's real API keys or proxy settings must not reach
    # the CLI, and a proxy variable would also route 127.0.0.1 traffic elsewhere.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_PROXY": "127.0.0.1,localhost",
        "TMPDIR": str(home / "tmp"),
    }


def claude_env(home: Path, base_url: str, nonstreaming_fallback: bool = False) -> dict[str, str]:
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {
        **_base_env(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": CLIENT_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        # A broken stream must fail the run instead of being retried quietly as a non-streaming request.
        "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
        "CLAUDE_CODE_MAX_RETRIES": "1",
    }
    if nonstreaming_fallback:  # what users get by default: a broken stream is retried without streaming
        del env["CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK"]
    return env


def claude_args(prompt: str, model: str | None = None, extra: list[str] | None = None) -> list[str]:
    """`claude -p` as a user would run it: the CLI's default model unless one is given, and Bash allowed
    up front (headless mode cannot ask for permission)."""
    chosen = ["--model", model] if model else []
    return [str(binary("claude")), "-p", prompt, "--output-format", "json", *chosen,
            "--allowedTools", "Bash", *(extra or [])]


def run_claude(prompt: str, *, base_url: str, home: Path, workdir: Path, extra: list[str] | None = None,
               model: str | None = None, timeout: float = 180, wrapper: list[str] | None = None,
               nonstreaming_fallback: bool = False) -> Run:
    args = claude_args(prompt, model, extra)
    return _run([*(wrapper or []), *args], claude_env(home, base_url, nonstreaming_fallback), workdir, timeout)


def spawn_claude(prompt: str, *, base_url: str, home: Path, workdir: Path) -> subprocess.Popen[bytes]:
    """Claude Code in the background, for tests that interrupt it; the caller must kill and wait."""
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(claude_args(prompt), env=claude_env(home, base_url), cwd=workdir,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def codex_config(base_url: str, model: str = "scripted-model") -> str:
    """A config.toml with a custom provider speaking Responses and nothing that phones home."""
    return "\n".join([
        f'model = "{model}"',
        'model_provider = "local"',
        "check_for_update_on_startup = false",
        'approval_policy = "never"',
        "",
        "[analytics]",
        "enabled = false",
        "",
        "[features]",
        "plugins = false",
        "",
        "[model_providers.local]",
        'name = "apiswitch test upstream"',
        f'base_url = "{base_url}"',
        'env_key = "LOCAL_API_KEY"',
        'wire_api = "responses"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        "",
    ])


def run_codex(prompt: str, *, base_url: str, home: Path, workdir: Path, model: str = "scripted-model",
              extra: list[str] | None = None, timeout: float = 180, wrapper: list[str] | None = None) -> Run:
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    (codex_home / "config.toml").write_text(codex_config(base_url, model))
    env = {**_base_env(home), "CODEX_HOME": str(codex_home), "LOCAL_API_KEY": CLIENT_KEY}
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    args = [str(binary("codex")), "exec", "--skip-git-repo-check", "--json", "-s", "workspace-write",
            *(extra or []), prompt]
    return _run([*(wrapper or []), *args], env, workdir, timeout)


def _run(args: list[str], env: dict[str, str], workdir: Path, timeout: float) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(args, env=env, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        def text(value: Any) -> str:
            return value.decode(errors="replace") if isinstance(value, bytes) else value or ""
        return Run(args, -9, text(expired.stdout), text(expired.stderr) + f"\n[timed out after {timeout}s]")
    return Run(args, done.returncode, done.stdout, done.stderr)


def claude_usage(result: dict[str, Any]) -> tuple[int, int, int]:
    """(uncached input, cache read, output) summed over the run, as `claude -p --output-format json` reports."""
    usage = result["usage"]
    return usage["input_tokens"], usage["cache_read_input_tokens"], usage["output_tokens"]


def codex_usage(events: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(input including cached, cached, output) for the turn, from `codex exec --json`'s turn.completed."""
    usage = next(e["usage"] for e in events if e.get("type") == "turn.completed")
    return usage["input_tokens"], usage["cached_input_tokens"], usage["output_tokens"]
