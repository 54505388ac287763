"""Run the whole pipeline: read every spec under specs/, render generated/, write it or compare with it."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

from .build import read_spec
from .emit import render_all
from .ir import Spec

# Specs without an endpoint table (specs/mappings.md) are not APIs and get no model package.
GENERATED_DIR = "generated"


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "specs").is_dir() and (d / "pyproject.toml").is_file():
            return d
    raise SystemExit("apiswitch gen: run it inside the apiswitch repository (no specs/ and pyproject.toml found)")


def read_api_specs(root: Path) -> list[Spec]:
    specs = []
    for path in sorted((root / "specs").glob("*.md")):
        spec = read_spec(path, strict=True, display_name=path.relative_to(root).as_posix())
        if spec.endpoints:
            specs.append(spec)
    return specs


def render(root: Path) -> dict[str, str]:
    files = render_all(read_api_specs(root))
    extra = _extra_renderers()
    for fn in extra:
        files.update(fn(root))
    return files


def _extra_renderers():  # type: ignore[no-untyped-def]
    """Renderers for non-model output (field maps from specs/mappings.md), if that module is present."""
    try:
        from .mappings import render_mappings
    except ImportError:
        return []
    return [render_mappings]


def _on_disk(out: Path) -> dict[str, str]:
    found = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            found[p.relative_to(out).as_posix()] = p.read_text(encoding="utf-8")
    return found


def write(root: Path, files: dict[str, str]) -> list[str]:
    out = root / GENERATED_DIR
    changed = []
    for rel in _on_disk(out):
        if rel not in files:
            (out / rel).unlink()
            changed.append(f"removed {rel}")
    for rel, text in sorted(files.items()):
        path = out / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(f"wrote {rel}")
    return changed


def diff(root: Path, files: dict[str, str]) -> str:
    out = root / GENERATED_DIR
    disk = _on_disk(out)
    chunks: list[str] = []
    for rel in sorted(set(disk) | set(files)):
        old, new = disk.get(rel), files.get(rel)
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"a/{GENERATED_DIR}/{rel}" if old is not None else "/dev/null",
            tofile=f"b/{GENERATED_DIR}/{rel}" if new is not None else "/dev/null"))
    return "".join(chunks)


def ruff_format_available() -> bool:
    return subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode == 0
