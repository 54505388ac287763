"""`apiswitch serve`, `apiswitch config check` and `apiswitch logs`: the proxy's command line."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from pathlib import Path

import orjson
from apiswitch.runtime.proxy import pglog
from apiswitch.runtime.proxy.config import Config, ConfigError, is_loopback_host, load_config, parse_config
from apiswitch.runtime.proxy.defaults import (
    DEFAULT_CONFIG,
    discover_config_path,
    no_provider_help,
)
from apiswitch.runtime.proxy.redact import RedactingFilter, Redactor
from apiswitch.runtime.proxy.requestlog import StoreUnavailable, follow, is_postgres_url, read_latest

from apiswitch import __version__


def _load(explicit: str | None) -> Config:
    path = discover_config_path(explicit)
    if path is None:
        return parse_config(DEFAULT_CONFIG, "<embedded default>")
    return load_config(path)


def _print_issues(error: ConfigError) -> None:
    for issue in error.issues:
        print(f"error: {issue}", file=sys.stderr)


def _console_logging(redactor: Redactor, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("apiswitch").setLevel(logging.WARNING if quiet else logging.INFO)


def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="apiswitch serve", description="Run the local proxy.")
    parser.add_argument("--config", help="TOML config file (default: $APISWITCH_CONFIG, then the user config "
                                         "file, then an embedded default with no providers)")
    parser.add_argument("--host", help="override server.host")
    parser.add_argument("--port", type=int, help="override server.port")
    parser.add_argument("--quiet", action="store_true", help="no line per request on the console")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes sharing the port (default 1); each keeps its own circuit breakers")
    args = parser.parse_args(argv)
    try:
        config = _load(args.config)
    except ConfigError as error:
        _print_issues(error)
        return 2
    server = config.server
    host = args.host or server.host
    port = server.port if args.port is None else args.port
    if not is_loopback_host(host) and not server.access_token:
        print(f"error: binding {host!r} (not loopback) requires an access token: set server.access_token_env",
              file=sys.stderr)
        return 2
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    # Everything the proxy writes (the request log and its WAL files) is for its owner's eyes only.
    os.umask(0o077)
    redactor = Redactor(config.secrets())
    _console_logging(redactor, args.quiet)

    import uvicorn
    from apiswitch.runtime.proxy.app import build_app
    from apiswitch.runtime.proxy.httpserver import HttpProtocol

    if config.log.enabled and config.log.postgres_url and (missing := pglog.available()):
        print(f"error: log.postgres_url: {missing}", file=sys.stderr)
        return 2
    shown_log = pglog.display_url(str(config.log.location)) if config.log.enabled else "off"
    print(f"apiswitch {__version__} serving on http://{host}:{port}  (config: {config.source}; "
          f"request log: {shown_log})", file=sys.stderr, flush=True)
    egress = config.server.egress
    if egress.source != "none":
        shown = ", ".join(sorted({_without_credentials(u) for u in (egress.http, egress.https) if u}))
        origin = "server.upstream_proxy" if egress.source == "config" else "the proxy environment variables"
        print(f"provider traffic goes through {shown} (from {origin})", file=sys.stderr, flush=True)
    if not config.providers:
        print(no_provider_help(port), file=sys.stderr, flush=True)
    options = dict(host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                   server_header=False, timeout_graceful_shutdown=5, proxy_headers=False, http=HttpProtocol)
    if args.workers <= 1:
        uvicorn.run(build_app(config), **options)
        return 0
    # Worker processes build their own app from the same file (uvicorn needs an import string for them).
    path = discover_config_path(args.config)
    os.environ[_WORKER_CONFIG] = str(path.resolve()) if path else ""
    os.environ[_WORKER_QUIET] = "1" if args.quiet else ""
    from uvicorn.supervisors import Multiprocess

    workers_config = uvicorn.Config("apiswitch.runtime.proxy.serve:worker_app", factory=True,
                                    workers=args.workers, **options)
    Multiprocess(workers_config, sockets=[_listening_socket(host, port)]).run()
    return 0


def _without_credentials(url: str) -> str:
    """A proxy URL fit for the console: user and password left out."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def _listening_socket(host: str, port: int) -> socket.socket:
    """The shared socket of `--workers`. Created as IPPROTO_TCP on purpose: asyncio sets TCP_NODELAY only on
    connections accepted from such a socket, and without it every response waits on a delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


_WORKER_CONFIG = "APISWITCH_WORKER_CONFIG"
_WORKER_QUIET = "APISWITCH_WORKER_QUIET"


def worker_app():
    """The app of one `--workers` process, from the config the parent validated."""
    from apiswitch.runtime.proxy.app import build_app

    path = os.environ.get(_WORKER_CONFIG)
    config = load_config(path) if path else parse_config(DEFAULT_CONFIG, "<embedded default>")
    _console_logging(Redactor(config.secrets()), bool(os.environ.get(_WORKER_QUIET)))
    return build_app(config)


def config_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="apiswitch config", description="Work with proxy configuration.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a config file; errors name file, line and field")
    check.add_argument("file", nargs="?", help="the file (default: the one `apiswitch serve` would use)")
    sub.add_parser("default", help="print the embedded default configuration")
    args = parser.parse_args(argv)
    if args.command == "default":
        print(DEFAULT_CONFIG, end="")
        return 0
    try:
        config = _load(args.file)
    except ConfigError as error:
        _print_issues(error)
        return 1
    for warning in config.warnings:
        print(f"warning: {warning}")
    print(f"{config.source}: OK ({len(config.providers)} providers, {len(config.routes)} routes, "
          f"{len(config.rules.by_class) + bool(config.rules.default)} rules)")
    return 0


def _format_row(row: dict) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["ts"]))
    target = f"{row.get('provider') or '-'}:{row.get('upstream_model') or '-'}"
    decided = row.get("rule") or row.get("route") or "-"
    tokens = f"{row.get('input_tokens') or 0}/{row.get('output_tokens') or 0}"
    cached = row.get("cache_read_tokens")
    if cached:
        tokens += f" (cache {cached})"
    latency = f"{row['latency_ms']:.0f}ms" if row.get("latency_ms") is not None else "-"
    ttfb = f"{row['ttfb_ms']:.0f}ms" if row.get("ttfb_ms") is not None else "-"
    line = (f"{when} {row.get('status') or '-':>3} {row.get('client_format') or '-':<9} "
            f"{row.get('client_model') or '-'} -> {target} [{decided}] {latency} ttfb {ttfb} tokens {tokens}")
    if row.get("losses"):
        line += f" losses {len(orjson.loads(row['losses']))}"
    if row.get("error"):
        line += f"  error: {row['error'][:200]}"
    return line


def logs_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="apiswitch logs", description="Show the latest proxied requests.")
    parser.add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new requests")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--config", help="read the log's location from this config file")
    parser.add_argument("--db", help="the request log itself: a SQLite file or a postgresql:// URL")
    args = parser.parse_args(argv)
    location: Path | str
    if args.db:
        location = args.db if is_postgres_url(args.db) else Path(args.db)
    else:
        try:
            config = _load(args.config)
        except ConfigError as error:
            _print_issues(error)
            return 2
        location = config.log.location
    try:
        if isinstance(location, Path) and not location.exists():
            print(f"no request log at {location} yet", file=sys.stderr)
            return 1 if not args.follow else _follow(location, args)
        if args.follow:
            return _follow(location, args)
        for row in read_latest(location, args.lines):
            _print_row(row, args.json)
    except (StoreUnavailable, pglog.MissingDriver) as exc:
        print(f"error: cannot read the request log: {exc}", file=sys.stderr)
        return 1
    return 0


def _print_row(row: dict, as_json: bool) -> None:
    print(orjson.dumps(row).decode() if as_json else _format_row(row), flush=True)


def _follow(location: Path | str, args: argparse.Namespace) -> int:
    try:
        while isinstance(location, Path) and not location.exists():
            time.sleep(0.5)
        for row in follow(location, args.lines):
            _print_row(row, args.json)
    except KeyboardInterrupt:
        return 0
    return 0
