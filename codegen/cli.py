"""`apiswitch gen`: regenerate generated/, check it for drift, inspect a document, measure coverage."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .ir import SpecError


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="apiswitch gen", description="Generate pydantic models from specs/.")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="regenerate in memory; print a diff and exit 1 on drift")
    mode.add_argument("--inspect", metavar="FILE", help="print what a markdown document yields and what was skipped")
    mode.add_argument("--coverage", action="store_true", help="compare the specs with the installed official SDKs")
    ap.add_argument("--root", type=Path, default=None, help="repository root (default: found from the cwd)")
    args = ap.parse_args(argv)

    if args.inspect:
        from .inspect import inspect_file

        print(inspect_file(Path(args.inspect)), end="")
        return 0

    from .generate import diff, find_root, render, write

    root = args.root.resolve() if args.root else find_root()
    if args.coverage:
        from .coverage import coverage_report

        text, ok = coverage_report(root)
        print(text, end="")
        return 0 if ok else 1
    started = time.perf_counter()
    try:
        files = render(root)
    except SpecError as err:
        print(f"apiswitch gen: {err}", file=sys.stderr)
        return 1
    if args.check:
        delta = diff(root, files)
        if delta:
            sys.stdout.write(delta)
            print("apiswitch gen --check: generated/ is stale; run `apiswitch gen` and commit the result",
                  file=sys.stderr)
            return 1
        print(f"generated/ is up to date ({len(files)} files)")
        return 0
    changed = write(root, files)
    for line in changed:
        print(line)
    print(f"{len(files)} files, {len(changed)} changed, {time.perf_counter() - started:.2f}s")
    return 0
