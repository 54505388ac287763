"""The request log in PostgreSQL: one table that several proxy instances behind a load balancer share.

Same columns and same batching as the SQLite log (`runtime/proxy/requestlog.py` drives both); only the
store differs. The connection belongs to the log's writer thread and is opened there, so an unreachable
database delays rows, never the proxy's start or a request. A lost connection is opened again on the next
batch.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator
from typing import Any

from apiswitch.runtime.proxy.requestlog import COLUMNS, StoreUnavailable, insert_statement, latest_statement

_INSTALL_HINT = "the PostgreSQL request log needs psycopg: pip install 'apiswitch[postgres]'"
_CONNECT_TIMEOUT_SECONDS = 5
_TYPES = {"REAL NOT NULL": "DOUBLE PRECISION NOT NULL", "REAL": "DOUBLE PRECISION", "INTEGER": "BIGINT",
          "TEXT": "TEXT"}


class MissingDriver(RuntimeError):
    """psycopg, which the PostgreSQL log needs, is not installed."""


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingDriver(_INSTALL_HINT) from None
    return psycopg


def available() -> str | None:
    """None when the PostgreSQL log can be used, else what to install."""
    try:
        _psycopg()
    except MissingDriver as exc:
        return str(exc)
    return None


def display_url(url: str) -> str:
    """The URL fit for the console: its password, if any, replaced by ***."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    user = urllib.parse.quote(parts.username or "", safe="")
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def url_password(url: str) -> str | None:
    password = urllib.parse.urlsplit(url).password
    return urllib.parse.unquote(password) if password else None


class _Link:
    """One connection to the database, opened on first use and again after a loss. `use()` turns a lost or
    refused connection into StoreUnavailable, and drops it so that the next use connects anew."""

    def __init__(self, url: str, prepare: Any = None, **options: Any) -> None:
        self._psycopg = _psycopg()
        self.url = url
        self._prepare = prepare  # run on each new connection, before its first use
        self._options = options
        self._conn: Any = None

    @contextlib.contextmanager
    def use(self) -> Iterator[Any]:
        psycopg = self._psycopg
        try:
            if self._conn is None or self._conn.closed:
                conn = psycopg.connect(self.url, connect_timeout=_CONNECT_TIMEOUT_SECONDS, **self._options)
                if self._prepare is not None:
                    self._prepare(conn, psycopg)
                self._conn = conn
            yield self._conn
        except psycopg.OperationalError as exc:
            self.close()
            raise StoreUnavailable(f"{display_url(self.url)}: {exc}") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresStore:
    def __init__(self, url: str) -> None:
        self._link = _Link(url, prepare=_create_schema, application_name="apiswitch request log")

    def write(self, runs: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        with self._link.use() as conn, conn.transaction(), conn.cursor() as cursor:
            for names, values in runs:
                cursor.executemany(insert_statement(names, "%s"), values)

    def purge(self, cutoff: float) -> int:
        with self._link.use() as conn, conn.transaction():
            return conn.execute("DELETE FROM requests WHERE ts < %s", (cutoff,)).rowcount

    def close(self) -> None:
        self._link.close()


def _create_schema(conn: Any, psycopg: Any) -> None:
    columns = ", ".join(f"{name} {_TYPES[kind]}" for name, kind in COLUMNS)
    statements = [f"CREATE TABLE IF NOT EXISTS requests (id BIGSERIAL PRIMARY KEY, {columns})",
                  "CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts)",
                  # A table made by an older version lacks newer columns.
                  *(f"ALTER TABLE requests ADD COLUMN IF NOT EXISTS {name} {_TYPES[kind].replace(' NOT NULL', '')}"
                    for name, kind in COLUMNS)]
    for attempt in range(2):
        try:
            with conn.transaction():
                for statement in statements:
                    conn.execute(statement)
            return
        except psycopg.errors.UniqueViolation:
            # Two instances starting together both created the table; the loser's statements now find it.
            if attempt:
                raise


class RowReader:
    """Reads the latest rows over one connection, so that `apiswitch logs -f` does not connect anew at every
    poll."""

    def __init__(self, url: str) -> None:
        from psycopg.rows import dict_row

        self._link = _Link(url, autocommit=True, row_factory=dict_row, application_name="apiswitch logs")

    def latest(self, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
        """Rows newest last, as `requestlog.read_latest` gives them from SQLite."""
        try:
            with self._link.use() as conn:
                return conn.execute(latest_statement("%s"), (after_id, limit)).fetchall()
        except _psycopg().errors.UndefinedTable:
            return []

    def close(self) -> None:
        self._link.close()


def read_latest_rows(url: str, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
    reader = RowReader(url)
    try:
        return reader.latest(limit, after_id)
    finally:
        reader.close()
