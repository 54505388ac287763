from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from apiswitch.codegen.build import build_spec
from apiswitch.codegen.emit import render_all

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"


def generate_package(tmp_path: Path, name: str, spec_text: str, api: str = "mini"):  # type: ignore[no-untyped-def]
    """Render an inline spec into an importable package under tmp_path and import its models module."""
    spec = build_spec(spec_text, f"specs/{api}.md", strict=True)
    files = render_all([spec])
    root = tmp_path / name
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        return files, importlib.import_module(f"{name}.{api}")
    finally:
        sys.path.remove(str(tmp_path))


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"seed documents not found at {SEEDS} (shared/ must sit beside the project)")
    return SEEDS
