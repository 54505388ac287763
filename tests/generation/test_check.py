"""`apiswitch gen --check` catches drift; generation is deterministic; generated/ is clean and current."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from apiswitch.codegen.generate import render

REPO = Path(__file__).resolve().parents[2]


def gen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apiswitch", "gen", "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    assert gen(tmp_path).returncode == 0
    return tmp_path


def test_check_passes_on_fresh_output(repo_copy: Path) -> None:
    out = gen(repo_copy, "--check")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "up to date" in out.stdout


def test_one_line_spec_edit_fails_the_check_and_the_diff_names_the_field(repo_copy: Path) -> None:
    spec = repo_copy / "specs" / "chat.md"
    text = spec.read_text(encoding="utf-8")
    marker = "interface ChatCompletionCreateParams {"
    assert marker in text, "the chat spec must declare ChatCompletionCreateParams"
    spec.write_text(text.replace(marker, marker + "\n  drift_probe_field?: boolean;", 1), encoding="utf-8")
    out = gen(repo_copy, "--check")
    assert out.returncode == 1
    assert "+    drift_probe_field: bool | None = None" in out.stdout
    assert "--- a/generated/chat/models.py" in out.stdout and "stale" in out.stderr


def test_spec_error_stops_generation_with_file_and_line(repo_copy: Path) -> None:
    spec = repo_copy / "specs" / "chat.md"
    lines = spec.read_text(encoding="utf-8").splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("interface ChatCompletionCreateParams {"))
    lines.insert(at + 1, "  broken_ref: NoSuchType;")
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = gen(repo_copy)
    assert out.returncode == 1
    assert f"specs/chat.md:{at + 2}: unknown type name `NoSuchType`" in out.stderr


def test_generation_is_deterministic() -> None:
    first, second = render(REPO), render(REPO)
    assert first == second


def test_committed_generated_tree_is_current() -> None:
    out = gen(REPO, "--check")
    assert out.returncode == 0, "generated/ is stale:\n" + out.stdout[:4000]


def test_generated_code_is_ruff_clean_and_mypy_strict_clean() -> None:
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "generated"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "generated"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert mypy.returncode == 0, mypy.stdout[-4000:]
