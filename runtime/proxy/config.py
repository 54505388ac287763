"""The proxy's configuration: a TOML file turned into validated, immutable settings.

Every problem is reported with the file, the line and the dotted field name, all at once, so that one
`apiswitch config check` run shows everything to fix. Values that are wrong but harmless (a literal API key)
become warnings instead of errors.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiswitch.runtime.proxy.defaults import default_log_path
from apiswitch.runtime.proxy.egress import ProxyPlan
from apiswitch.runtime.proxy.pglog import url_password
from apiswitch.runtime.proxy.requestlog import is_postgres_url
from apiswitch.runtime.proxy.tomlpos import KeyLines

FORMATS = ("anthropic", "chat", "responses")
# Class rules are matched in the order they appear in the file; these are the classes the classifier knows.
REQUEST_CLASSES = ("background", "thinking", "long_context", "images", "web_search")
DEFAULT_PORT = 8082


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class ConfigError(Exception):
    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    first_byte: float = 120.0  # until a stream's headers and first event (a whole answer is bounded by `total`)
    idle: float = 300.0  # longest silence between two chunks of a stream
    total: float = 1800.0


@dataclass(frozen=True)
class Quirks:
    # DeepSeek-style thinking providers want their `reasoning_content` sent back on assistant turns.
    reasoning_content_echo: bool = False
    # Providers that attach opaque state to answers and need it back on the assistant turns it came with
    # (OpenRouter's `reasoning_details`, Gemini's thought signatures on tool calls); others may refuse it.
    reasoning_state_echo: bool = False
    # Providers that reject `stream_options` and never send a usage chunk.
    no_stream_usage: bool = False
    # Providers that reject `content: null` or a list of parts and want a plain string.
    string_content: bool = False
    # Providers that only answer with a stream (some thinking models): asked for one, folded into the answer
    # a client without `stream` asked for.
    stream_only: bool = False
    # Providers that cannot stream: asked without `stream`, their answer replayed to a streaming client.
    no_streaming: bool = False


@dataclass(frozen=True)
class Provider:
    name: str
    format: str
    base_url: str
    api_key: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    max_output_tokens: int | None = None
    timeouts: Timeouts = Timeouts()
    quirks: Quirks = Quirks()


@dataclass(frozen=True)
class Target:
    provider: str
    model: str | None  # None: send the client's model name unchanged

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


@dataclass(frozen=True)
class Route:
    pattern: str  # an fnmatch pattern over the client's model name
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Rules:
    by_class: dict[str, tuple[Target, ...]] = field(default_factory=dict)  # file order = priority
    default: tuple[Target, ...] = ()
    long_context_threshold: int = 100_000
    background_models: tuple[str, ...] = ("claude-3-5-haiku*", "claude-haiku-*", "*-haiku-*")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    access_token: str | None = None
    keepalive_seconds: float = 15.0
    max_body_bytes: int = 32 * 1024 * 1024
    # "basic": the fields routing needs; "full": the whole body against the generated models.
    validation: str = "basic"
    # How provider traffic leaves: `upstream_proxy` (a URL, or "none") or else the proxy environment variables.
    egress: ProxyPlan = ProxyPlan()
    # Refuse a candidate whose translation would drop request fields (losses with action "dropped").
    strict: bool = False

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


@dataclass(frozen=True)
class LogSettings:
    enabled: bool = True
    path: str | None = None  # None: requests.db in the user's data directory
    # A postgresql:// URL instead of the SQLite file: one log for several proxy instances.
    postgres_url: str | None = None
    bodies: bool = False
    retention_days: float = 14.0

    @property
    def location(self) -> Path | str:
        """Where rows go: the PostgreSQL URL, or the SQLite file."""
        if self.postgres_url:
            return self.postgres_url
        return Path(self.path) if self.path else default_log_path()


@dataclass(frozen=True)
class FailoverSettings:
    breaker_failures: int = 3
    breaker_cooldown_seconds: float = 30.0
    retry_after_cap_seconds: float = 60.0


@dataclass(frozen=True)
class Config:
    source: str
    server: ServerSettings = ServerSettings()
    log: LogSettings = LogSettings()
    failover: FailoverSettings = FailoverSettings()
    providers: dict[str, Provider] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    rules: Rules = Rules()
    warnings: tuple[ConfigIssue, ...] = ()

    def secrets(self) -> list[str]:
        """Every credential the proxy holds, for redaction."""
        found = [p.api_key for p in self.providers.values() if p.api_key]
        if self.server.access_token:
            found.append(self.server.access_token)
        if self.log.postgres_url:
            found += [s for s in (self.log.postgres_url, url_password(self.log.postgres_url)) if s]
        return found


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> Config:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(file), None, "-", f"cannot read: {exc.strerror}")]) from None
    return parse_config(text, str(file), env)


def parse_config(text: str, source: str, env: dict[str, str] | None = None) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise ConfigError([ConfigIssue(source, line, "-", f"invalid TOML: {exc}")]) from None
    return _Reader(data, source, KeyLines(text), os.environ if env is None else env).read()


def _line_from_message(message: str) -> int | None:
    # Python 3.11's TOMLDecodeError only carries the position in its message: "... (at line 3, column 5)".
    marker = "at line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
        if digits.strip().isdigit():
            return int(digits)
    return None


class _Reader:
    """Walks the parsed TOML once, collecting issues instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], source: str, lines: KeyLines, env: Any) -> None:
        self.data = data
        self.source = source
        self.lines = lines
        self.env = env
        self.errors: list[ConfigIssue] = []
        self.warnings: list[ConfigIssue] = []

    # -- reporting -----------------------------------------------------------------------------------------

    def _issue(self, path: tuple, message: str) -> ConfigIssue:
        name = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
        return ConfigIssue(self.source, self.lines.line_of(path), name or "-", message)

    def error(self, path: tuple, message: str) -> None:
        self.errors.append(self._issue(path, message))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(self._issue(path, message))

    # -- typed getters ---------------------------------------------------------------------------------------

    def table(self, parent: dict, path: tuple, allowed: set[str] | None = None) -> dict:
        value = parent.get(path[-1], {})
        if not isinstance(value, dict):
            self.error(path, "must be a table")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.error((*path, key), f"unknown field (expected one of: {', '.join(sorted(allowed))})")
        return value

    def get(self, table: dict, path: tuple, kind: type | tuple, default: Any) -> Any:
        if path[-1] not in table:
            return default
        value = table[path[-1]]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; a port of `true` is a mistake, not 1.
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_type_name(k) for k in kinds)
            self.error(path, f"must be {names}, got {_type_name(type(value))}")
            return default
        return value

    def positive(self, table: dict, path: tuple, default: float, integer: bool = False) -> Any:
        value = self.get(table, path, int if integer else (int, float), default)
        if value is not None and value <= 0:
            self.error(path, "must be greater than 0")
            return default
        return value

    # -- sections --------------------------------------------------------------------------------------------

    def read(self) -> Config:
        top_level = {"server", "log", "failover", "providers", "routes", "rules"}
        for key in self.data:
            if key not in top_level:
                self.error((key,), f"unknown section (expected one of: {', '.join(sorted(top_level))})")
        server = self.read_server()
        log = self.read_log()
        failover = self.read_failover()
        providers = self.read_providers()
        routes = self.read_routes(providers)
        rules = self.read_rules(providers)
        if self.errors:
            raise ConfigError(self.errors)
        return Config(self.source, server, log, failover, providers, routes, rules, tuple(self.warnings))

    def read_server(self) -> ServerSettings:
        allowed = {"host", "port", "access_token", "access_token_env", "keepalive_seconds", "max_body_bytes",
                   "validation", "upstream_proxy", "strict"}
        t = self.table(self.data, ("server",), allowed)
        host = self.get(t, ("server", "host"), str, "127.0.0.1")
        port = self.get(t, ("server", "port"), int, DEFAULT_PORT)
        if not 0 <= port <= 65535:
            self.error(("server", "port"), "must be between 0 and 65535")
        token = self.secret(t, ("server",), "access_token")
        if not is_loopback_host(host) and not token:
            self.error(("server", "host"), f"binding {host!r} (not loopback) requires an access token: set "
                       "server.access_token_env to an environment variable holding it")
        validation = self.get(t, ("server", "validation"), str, "basic")
        if validation not in ("basic", "full"):
            self.error(("server", "validation"), f'must be "basic" or "full", got {validation!r}')
        upstream_proxy = self.get(t, ("server", "upstream_proxy"), str, None)
        if upstream_proxy == "none":
            egress = ProxyPlan()
        elif upstream_proxy:
            if not upstream_proxy.startswith(("http://", "https://")):
                self.error(("server", "upstream_proxy"), 'must start with http:// or https://, or be "none"')
            egress = ProxyPlan(http=upstream_proxy, https=upstream_proxy, source="config")
        else:
            egress = ProxyPlan.from_environment(self.env)
        return ServerSettings(
            strict=self.get(t, ("server", "strict"), bool, False),
            egress=egress,
            validation=validation,
            host=host,
            port=port,
            access_token=token,
            keepalive_seconds=self.positive(t, ("server", "keepalive_seconds"), 15.0),
            max_body_bytes=self.positive(t, ("server", "max_body_bytes"), 32 * 1024 * 1024, integer=True),
        )

    def read_log(self) -> LogSettings:
        allowed = {"enabled", "path", "postgres_url", "postgres_url_env", "bodies", "retention_days"}
        t = self.table(self.data, ("log",), allowed)
        path = self.get(t, ("log", "path"), str, None)
        postgres_url = self.read_postgres_url(t)
        if path and postgres_url:
            self.error(("log", "path"), "set either path (a SQLite file) or postgres_url (PostgreSQL), not both")
        return LogSettings(
            enabled=self.get(t, ("log", "enabled"), bool, True),
            path=os.path.expanduser(path) if path else None,
            postgres_url=postgres_url,
            bodies=self.get(t, ("log", "bodies"), bool, False),
            retention_days=self.positive(t, ("log", "retention_days"), 14.0),
        )

    def read_postgres_url(self, table: dict) -> str | None:
        """`postgres_url_env` names a variable holding the URL; a literal `postgres_url` is warned about only
        when it carries a password."""
        env_name = self.get(table, ("log", "postgres_url_env"), str, None)
        literal = self.get(table, ("log", "postgres_url"), str, None)
        if env_name and literal:
            self.error(("log", "postgres_url"), "set either postgres_url or postgres_url_env, not both")
        url = literal
        path: tuple = ("log", "postgres_url")
        if env_name:
            path = ("log", "postgres_url_env")
            url = self.env.get(env_name) or None
            if url is None:
                self.error(path, f"environment variable {env_name} is not set")
                return None
        if url is None:
            return None
        if not is_postgres_url(url):
            self.error(path, "must be a postgresql:// URL")
            return None
        if literal and url_password(literal):
            self.warn(path, "a password in a config file is easy to leak; prefer postgres_url_env naming an "
                      "environment variable, or a password file (~/.pgpass)")
        return url

    def read_failover(self) -> FailoverSettings:
        allowed = {"breaker_failures", "breaker_cooldown_seconds", "retry_after_cap_seconds"}
        t = self.table(self.data, ("failover",), allowed)
        return FailoverSettings(
            breaker_failures=self.positive(t, ("failover", "breaker_failures"), 3, integer=True),
            breaker_cooldown_seconds=self.positive(t, ("failover", "breaker_cooldown_seconds"), 30.0),
            retry_after_cap_seconds=self.positive(t, ("failover", "retry_after_cap_seconds"), 60.0),
        )

    def secret(self, table: dict, path: tuple, name: str) -> str | None:
        """A credential given by environment variable (preferred) or literally (warned about)."""
        env_name = self.get(table, (*path, f"{name}_env"), str, None)
        literal = self.get(table, (*path, name), str, None)
        if env_name and literal:
            self.error((*path, name), f"set either {name} or {name}_env, not both")
        if literal:
            self.warn((*path, name), "a literal secret in a config file is easy to leak; prefer "
                      f"{name}_env naming an environment variable")
            return literal
        if env_name:
            value = self.env.get(env_name)
            if not value:
                self.warn((*path, f"{name}_env"), f"environment variable {env_name} is not set")
            return value or None
        return None

    def read_providers(self) -> dict[str, Provider]:
        providers_table = self.table(self.data, ("providers",))
        providers: dict[str, Provider] = {}
        allowed = {"format", "base_url", "api_key", "api_key_env", "headers", "models", "max_output_tokens",
                   "timeouts", "quirks"}
        for name in providers_table:
            path = ("providers", name)
            if ":" in name:
                self.error(path, "a provider name cannot contain ':' (routes use provider:model)")
            t = self.table(providers_table, path, allowed)
            fmt = self.get(t, (*path, "format"), str, None)
            if fmt is None:
                self.error(path, f"format is required (one of: {', '.join(FORMATS)})")
            elif fmt not in FORMATS:
                self.error((*path, "format"), f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
            base_url = self.get(t, (*path, "base_url"), str, None)
            if base_url is None:
                self.error(path, "base_url is required")
            elif not base_url.startswith(("http://", "https://")):
                self.error((*path, "base_url"), "must start with http:// or https://")
            headers = self.get(t, (*path, "headers"), dict, {})
            for key, value in headers.items():
                if not isinstance(value, str):
                    self.error((*path, "headers", key), "must be a string")
            models = self.get(t, (*path, "models"), list, [])
            for index, model in enumerate(models):
                if not isinstance(model, str):
                    self.error((*path, "models", index), "must be a string")
            cap = self.positive(t, (*path, "max_output_tokens"), None, integer=True)
            providers[name] = Provider(
                name=name,
                format=fmt or "chat",
                base_url=(base_url or "").rstrip("/"),
                api_key=self.secret(t, path, "api_key"),
                api_key_env=self.get(t, (*path, "api_key_env"), str, None),
                headers={str(k): str(v) for k, v in headers.items()},
                models=tuple(m for m in models if isinstance(m, str)),
                max_output_tokens=cap,
                timeouts=self.read_timeouts(t, (*path, "timeouts")),
                quirks=self.read_quirks(t, (*path, "quirks")),
            )
        return providers

    def read_timeouts(self, parent: dict, path: tuple) -> Timeouts:
        t = self.table(parent, path, {"connect", "first_byte", "idle", "total"})
        defaults = Timeouts()
        return Timeouts(**{name: self.positive(t, (*path, name), getattr(defaults, name))
                           for name in ("connect", "first_byte", "idle", "total")})

    def read_quirks(self, parent: dict, path: tuple) -> Quirks:
        names = ("reasoning_content_echo", "reasoning_state_echo", "no_stream_usage", "string_content",
                 "stream_only", "no_streaming")
        t = self.table(parent, path, set(names))
        quirks = Quirks(**{name: self.get(t, (*path, name), bool, False) for name in names})
        if quirks.stream_only and quirks.no_streaming:
            self.error((*path, "no_streaming"), "contradicts stream_only: a provider either streams or it does not")
        return quirks

    def targets(self, value: Any, path: tuple, providers: dict[str, Provider]) -> tuple[Target, ...]:
        items = value if isinstance(value, list) else [value]
        if not items:
            self.error(path, "needs at least one provider")
        found = []
        for index, item in enumerate(items):
            item_path = (*path, index) if isinstance(value, list) else path
            if not isinstance(item, str) or not item:
                self.error(item_path, 'must be "provider" or "provider:model"')
                continue
            provider, _, model = item.partition(":")
            if provider not in providers:
                known = ", ".join(providers) or "none defined"
                self.error(item_path, f"unknown provider {provider!r} (providers: {known})")
            found.append(Target(provider, model or None))
        return tuple(found)

    def read_routes(self, providers: dict[str, Provider]) -> tuple[Route, ...]:
        t = self.table(self.data, ("routes",))
        return tuple(Route(pattern, self.targets(value, ("routes", pattern), providers))
                     for pattern, value in t.items())

    def read_rules(self, providers: dict[str, Provider]) -> Rules:
        t = self.table(self.data, ("rules",))
        by_class: dict[str, tuple[Target, ...]] = {}
        default: tuple[Target, ...] = ()
        settings = {"long_context_threshold", "background_models"}
        for key, value in t.items():
            path = ("rules", key)
            if key in settings:
                continue
            if key == "default":
                default = self.targets(value, path, providers)
            elif key in REQUEST_CLASSES:
                by_class[key] = self.targets(value, path, providers)
            else:
                names = ", ".join((*REQUEST_CLASSES, "default", *sorted(settings)))
                self.error(path, f"unknown rule (expected one of: {names})")
        patterns = self.get(t, ("rules", "background_models"), list, list(Rules().background_models))
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str):
                self.error(("rules", "background_models", index), "must be a string")
        return Rules(
            by_class=by_class,
            default=default,
            long_context_threshold=self.positive(t, ("rules", "long_context_threshold"), 100_000, integer=True),
            background_models=tuple(p for p in patterns if isinstance(p, str)),
        )


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "an array",
            dict: "a table"}.get(kind, kind.__name__)
