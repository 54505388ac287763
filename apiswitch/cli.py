"""The `apiswitch` console script: `gen` (codegen), `serve`, `config`, `logs`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gen":
        from apiswitch.codegen.cli import main as gen_main

        return gen_main(argv[1:])
    print("usage: apiswitch gen [--check|--inspect FILE|--coverage]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
