"""The `apiswitch` console script: `gen` (codegen), `serve`, `config`, `logs`."""

from __future__ import annotations

import sys

USAGE = """\
usage: apiswitch <command> [options]

  serve            run the local proxy (apiswitch serve --help)
  config check     validate a proxy config file
  logs [-f]        show the latest proxied requests
  gen              generate models from specs/ (--check | --inspect FILE | --coverage)
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command, rest = (argv[0], argv[1:]) if argv else (None, [])
    if command == "gen":
        from apiswitch.codegen.cli import main as gen_main

        return gen_main(rest)
    if command == "serve":
        from apiswitch.runtime.proxy.serve import serve_main

        return serve_main(rest)
    if command == "config":
        from apiswitch.runtime.proxy.serve import config_main

        return config_main(rest)
    if command == "logs":
        from apiswitch.runtime.proxy.serve import logs_main

        return logs_main(rest)
    print(USAGE, file=sys.stderr, end="")
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    raise SystemExit(main())
