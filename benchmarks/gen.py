"""Full regeneration time of generated/ from specs/ (target: under 2 s on the project's 2-core machines).

Prints the time of each stage and the ratio to the target; a floor measured in the same run (reading the
spec files from disk) puts the number in context on a noisy machine.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from apiswitch.codegen.emit import render_all
from apiswitch.codegen.generate import find_root, read_api_specs, render

TARGET_SECONDS = 2.0
RUNS = 5


def _best(fn, runs: int = RUNS) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    root = find_root(Path(__file__).resolve().parent)
    floor, _ = _best(lambda: [p.read_text(encoding="utf-8") for p in (root / "specs").glob("*.md")])
    parse, parse_med = _best(lambda: read_api_specs(root))
    specs = read_api_specs(root)
    emit, emit_med = _best(lambda: render_all(specs))
    full, full_med = _best(lambda: render(root))
    lines = sum(text.count("\n") for text in render(root).values())
    print(f"specs: {len(specs)}, generated lines: {lines}")
    print(f"read files (floor): {floor * 1000:8.1f} ms")
    print(f"parse -> IR:        {parse * 1000:8.1f} ms (median {parse_med * 1000:.1f})")
    print(f"IR -> code:         {emit * 1000:8.1f} ms (median {emit_med * 1000:.1f})")
    print(f"full regeneration:  {full * 1000:8.1f} ms (median {full_med * 1000:.1f}); "
          f"{full / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:.0f} s target; {full / floor:.0f}x the floor")


if __name__ == "__main__":
    main()
