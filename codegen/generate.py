"""Run the whole pipeline: read every spec under specs/, render generated/, write it or compare with it."""

from __future__ import annotations

import difflib
from pathlib import Path

from .build import read_spec
from .emit import render_all
from .ir import Spec

GENERATED_DIR = "generated"


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "specs").is_dir() and (d / "pyproject.toml").is_file():
            return d
    raise SystemExit("apiswitch gen: run it inside the apiswitch repository (no specs/ and pyproject.toml found)")


def read_api_specs(root: Path) -> list[Spec]:
    specs = []
    # Specs without an endpoint table (specs/mappings.md) are not APIs and get no model package.
    for path in sorted((root / "specs").glob("*.md")):
        spec = read_spec(path, strict=True, display_name=path.relative_to(root).as_posix())
        if spec.endpoints:
            specs.append(spec)
    return specs


def render(root: Path) -> dict[str, str]:
    """Every file codegen owns, keyed by its path relative to the repository root."""
    files = {f"{GENERATED_DIR}/{rel}": text for rel, text in render_all(read_api_specs(root)).items()}
    mappings = root / "specs" / "mappings.md"
    if mappings.is_file():
        from .mappings import render_mappings

        files.update(render_mappings(mappings, root))
    return files


def _on_disk(root: Path, owned: set[str]) -> dict[str, str]:
    """What codegen's outputs look like on disk now: all of generated/, and the files it writes elsewhere."""
    found = {}
    for p in sorted((root / GENERATED_DIR).rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            found[p.relative_to(root).as_posix()] = p.read_text(encoding="utf-8")
    for rel in owned:
        if not rel.startswith(f"{GENERATED_DIR}/") and (root / rel).is_file():
            found[rel] = (root / rel).read_text(encoding="utf-8")
    return found


def write(root: Path, files: dict[str, str]) -> list[str]:
    changed = []
    for rel in _on_disk(root, set(files)):
        if rel not in files:
            (root / rel).unlink()
            changed.append(f"removed {rel}")
    for rel, text in sorted(files.items()):
        path = root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(f"wrote {rel}")
    return changed


def diff(root: Path, files: dict[str, str]) -> str:
    disk = _on_disk(root, set(files))
    chunks: list[str] = []
    for rel in sorted(set(disk) | set(files)):
        old, new = disk.get(rel), files.get(rel)
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"a/{rel}" if old is not None else "/dev/null",
            tofile=f"b/{rel}" if new is not None else "/dev/null"))
    return "".join(chunks)
