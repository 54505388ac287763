"""The versions the install script pins, the harness expects and the captures are named after agree."""

from __future__ import annotations

import re

from . import harness
from .recorder import CAPTURES_DIR


def pinned_in_install_script(name: str) -> str:
    match = re.search(rf'{name}="\$\{{{name}:-([^}}]+)\}}"', harness.INSTALL_SCRIPT.read_text())
    assert match, f"{name} is not pinned in {harness.INSTALL_SCRIPT.name}"
    return match.group(1)


def test_install_script_and_harness_pin_the_same_versions() -> None:
    assert pinned_in_install_script("CLAUDE_CODE_VERSION") == harness.CLAUDE_CODE_VERSION
    assert pinned_in_install_script("CODEX_VERSION") == harness.CODEX_VERSION


def test_captures_exist_for_the_pinned_versions() -> None:
    assert list(CAPTURES_DIR.glob(f"claude-code-{harness.CLAUDE_CODE_VERSION}-*.json"))
    assert list(CAPTURES_DIR.glob(f"codex-{harness.CODEX_VERSION}-*.json"))
