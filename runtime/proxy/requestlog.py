"""The request log: one SQLite (WAL) row per proxied request, written by a background thread.

The event loop only appends a dict to a queue; a thread batches rows into transactions. A slow disk can
therefore never stall a stream. If the queue grows past a bound (the disk is gone), rows are dropped and
counted rather than letting memory grow without limit.
"""

from __future__ import annotations

import functools
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


class RequestLog:
    def __init__(self, path: Path, retention_days: float) -> None:
        self.path = path
        self.retention_seconds = retention_days * 86400.0
        self.dropped = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._db = connect(path)
        self.purge()
        self._thread = threading.Thread(target=self._run, name="apiswitch-request-log", daemon=True)
        self._thread.start()

    def record(self, row: dict[str, Any]) -> None:
        """Called on the event loop: never touches the disk."""
        if self._queue.qsize() >= _MAX_QUEUED:
            self.dropped += 1
            return
        self._queue.put(row)

    def purge(self) -> int:
        cutoff = time.time() - self.retention_seconds
        return self._db.execute("DELETE FROM requests WHERE ts < ?", (cutoff,)).rowcount

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
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
                self.purge()
        self._db.close()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        # A row names only its non-null columns and the rest default to NULL, because sqlite3 binds a None
        # through its adapter lookup, which raises and catches two AttributeErrors per value. Consecutive rows
        # of one shape share a statement, so rows keep their order and their ids follow it.
        runs: list[tuple[tuple[str, ...], list[tuple[Any, ...]]]] = []
        for row in rows:
            present = [(name, value) for name, value in row.items() if value is not None and name in _COLUMN_SET]
            names = tuple(name for name, _ in present)
            if not runs or runs[-1][0] != names:
                runs.append((names, []))
            runs[-1][1].append(tuple(value for _, value in present))
        for _ in range(_WRITE_ATTEMPTS):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for names, values in runs:
                    self._db.executemany(_insert(names), values)
                self._db.execute("COMMIT")
                return
            except sqlite3.OperationalError:
                # Usually another process holding the database (`apiswitch logs`, a backup): wait, retry.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                time.sleep(_RETRY_PAUSE_SECONDS)
            except sqlite3.Error:
                break
        self.dropped += len(rows)
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


@functools.lru_cache(maxsize=256)
def _insert(names: tuple[str, ...]) -> str:
    return f"INSERT INTO requests ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def read_latest(path: Path, limit: int, after_id: int = 0) -> list[dict[str, Any]]:
    """Rows newest last; with `after_id`, only rows written since (for `apiswitch logs --follow`)."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM (SELECT * FROM requests WHERE id > ? ORDER BY id DESC LIMIT ?) "
                          "ORDER BY id", (after_id, limit)).fetchall()
        return [dict(row) for row in rows]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def follow(path: Path, limit: int, poll_seconds: float = 0.5) -> Iterator[dict[str, Any]]:
    last = 0
    rows = read_latest(path, limit)
    while True:
        for row in rows:
            last = max(last, row["id"])
            yield row
        time.sleep(poll_seconds)
        rows = read_latest(path, 1000, after_id=last)
