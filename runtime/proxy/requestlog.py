"""The request log: one row per proxied request, written by a background thread.

The store is a SQLite file (WAL) by default, or a PostgreSQL database that several proxy instances share
(`runtime/proxy/pglog.py`). The event loop only appends a dict to a queue; a thread batches rows into
transactions. A slow disk or database can therefore never stall a stream. If the queue grows past a bound
(the disk or the database is gone), rows are dropped and counted rather than letting memory grow without
limit.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COLUMNS = (
    ("ts", "REAL NOT NULL"),  # unix time the request arrived
    ("client_format", "TEXT"),
    ("path", "TEXT"),
    ("client_model", "TEXT"),
    ("route", "TEXT"),
    ("rule", "TEXT"),
    ("provider", "TEXT"),
    ("upstream_model", "TEXT"),
    ("attempts", "INTEGER"),
    ("stream", "INTEGER"),
    ("status", "INTEGER"),
    ("latency_ms", "REAL"),
    ("ttfb_ms", "REAL"),
    ("input_tokens", "INTEGER"),
    ("output_tokens", "INTEGER"),
    ("cache_read_tokens", "INTEGER"),
    ("cache_write_tokens", "INTEGER"),
    ("losses", "TEXT"),  # JSON list of {path, action, reason}
    ("error", "TEXT"),
    ("request_body", "TEXT"),  # only when [log] bodies = true, redacted
    ("response_body", "TEXT"),
    ("context", "TEXT"),  # the TranslationContext as JSON, with the bodies
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
_COLUMN_SET = frozenset(COLUMN_NAMES)
_PURGE_EVERY_SECONDS = 3600.0
# Rows are written at most this often: one transaction per batch instead of one per request keeps the
# writer thread from competing with the event loop for the interpreter under load.
_FLUSH_EVERY_SECONDS = 0.25
_MAX_QUEUED = 100_000
_WRITE_ATTEMPTS = 20
_RETRY_PAUSE_SECONDS = 0.5
_STOP = object()
log = logging.getLogger("apiswitch.proxy")


def private_file(path: Path) -> None:
    """Create the file (and its folder) readable by the owner only, before SQLite opens it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def connect(path: Path) -> sqlite3.Connection:
    private_file(path)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, "
               f"{', '.join(f'{n} {t}' for n, t in COLUMNS)})")
    db.execute("CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts)")
    # A log written by an older version lacks newer columns: add them rather than fail every insert.
    present = {row[1] for row in db.execute("PRAGMA table_info(requests)")}
    for name, kind in COLUMNS:
        if name not in present:
            db.execute(f"ALTER TABLE requests ADD COLUMN {name} {kind.replace(' NOT NULL', '')}")
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.chmod(side, 0o600)
    return db


class StoreUnavailable(Exception):
    """The database cannot take rows just now (locked, unreachable): the batch is retried a while."""


class SqliteStore:
    """The embedded default: one SQLite file in WAL mode, readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)

    def write(self, runs: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            for names, values in runs:
                db.executemany(insert_statement(names, "?"), values)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                # Usually another process holding the database (`apiswitch logs`, a backup): wait, retry.
                raise StoreUnavailable(str(exc)) from None
            raise

    def purge(self, cutoff: float) -> int:
        return self._db.execute("DELETE FROM requests WHERE ts < ?", (cutoff,)).rowcount

    def close(self) -> None:
        self._db.close()


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def open_store(location: Path | str) -> Any:
    """SQLite for a path, PostgreSQL for a postgresql:// URL."""
    if is_postgres_url(location):
        from apiswitch.runtime.proxy.pglog import PostgresStore

        return PostgresStore(str(location))
    return SqliteStore(Path(location))


class RequestLog:
    """Rows in from the event loop, batches out to a store from a thread of its own."""

    def __init__(self, location: Path | str, retention_days: float) -> None:
        self.path = location  # the SQLite file, or the PostgreSQL URL
        self.retention_seconds = retention_days * 86400.0
        self.dropped = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._store = open_store(location)
        self._thread = threading.Thread(target=self._run, name="apiswitch-request-log", daemon=True)
        self._thread.start()

    def record(self, row: dict[str, Any]) -> None:
        """Called on the event loop: never touches the disk or the network."""
        if self._queue.qsize() >= _MAX_QUEUED:
            self.dropped += 1
            return
        self._queue.put(row)

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _purge(self) -> None:
        try:
            self._store.purge(time.time() - self.retention_seconds)
        except StoreUnavailable:
            pass  # tried again at the next purge, an hour on
        except Exception:  # noqa: BLE001 - a purge the database refuses must not end the writer thread
            log.exception("request log: old rows could not be removed")

    def _run(self) -> None:
        # Retention is enforced at start and then hourly, here rather than in the constructor, so that a
        # database that is slow to answer holds up only this thread.
        self._purge()
        last_purge = time.monotonic()
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            if batch[0] is not _STOP:
                time.sleep(_FLUSH_EVERY_SECONDS)
            while len(batch) < 5000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if batch[-1] is _STOP or _STOP in batch:
                stopping = True
                batch = [row for row in batch if row is not _STOP]
            if batch:
                self._write(batch)
            if time.monotonic() - last_purge > _PURGE_EVERY_SECONDS:
                last_purge = time.monotonic()
                self._purge()
        self._store.close()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        runs = _runs(rows)
        for _ in range(_WRITE_ATTEMPTS):
            try:
                self._store.write(runs)
                return
            except StoreUnavailable:
                time.sleep(_RETRY_PAUSE_SECONDS)
            except Exception:  # noqa: BLE001 - rows the database refuses must not end the writer thread
                log.exception("request log: %d rows could not be written", len(rows))
                break
        self.dropped += len(rows)


def _runs(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """Rows as runs of (column names, value tuples).

    A row names only its non-null columns and the rest default to NULL, because sqlite3 binds a None through
    its adapter lookup, which raises and catches two AttributeErrors per value. Consecutive rows of one shape
    share a statement, so rows keep their order and their ids follow it.
    """
    runs: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]] = []
    for row in rows:
        present = {name: value for name, value in row.items() if value is not None and name in _COLUMN_SET}
        names = tuple(present)
        if not runs or runs[-1][0] != names:
            runs.append((names, []))
        runs[-1][1].append(tuple(present.values()))
    return runs


def latest_statement(placeholder: str) -> str:
    """The newest rows after an id, oldest first: the query behind `apiswitch logs`, for either store."""
    return (f"SELECT * FROM (SELECT * FROM requests WHERE id > {placeholder} ORDER BY id DESC LIMIT {placeholder}) "
            "AS latest ORDER BY id")


@functools.lru_cache(maxsize=256)
def insert_statement(names: tuple[str, ...], placeholder: str) -> str:
    return f"INSERT INTO requests ({', '.join(names)}) VALUES ({', '.join([placeholder] * len(names))})"


def read_latest(location: Path | str, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
    """Rows newest last; with `after_id`, only rows written since (for `apiswitch logs --follow`)."""
    if is_postgres_url(location):
        from apiswitch.runtime.proxy.pglog import read_latest_rows

        return read_latest_rows(str(location), limit, after_id)
    path = Path(location)
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        rows = db.execute(latest_statement("?"), (after_id, limit)).fetchall()
        return [dict(row) for row in rows]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def follow(location: Path | str, limit: int, poll_seconds: float = 0.5) -> Iterator[dict[str, Any]]:
    if is_postgres_url(location):
        from apiswitch.runtime.proxy.pglog import RowReader

        reader = RowReader(str(location))
        read: Any = reader.latest
    else:
        def read(count: int, after_id: int = 0) -> list[dict[str, Any]]:
            return read_latest(location, count, after_id)
    last = 0
    rows = read(limit)  # a log that cannot be read at all is an error for the caller to show
    while True:
        for row in rows:
            last = max(last, row["id"])
            yield row
        time.sleep(poll_seconds)
        try:
            rows = read(1000, after_id=last)
        except StoreUnavailable:
            rows = []  # a database restarting: the next poll reads on
