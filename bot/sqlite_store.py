"""The embedded stores: SQLite (the default: zero set-up, survives restarts, safe across processes) and memory."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

from .store import DEFAULT_TTL, Change, StoreError, T, Updated, Value, decode, encode

log = logging.getLogger(__name__)


class SQLiteStore:
    """A key-value table in one SQLite file: WAL, one connection per thread, IMMEDIATE transactions."""

    def __init__(self, path: str | Path, *, ttl: float = DEFAULT_TTL):
        """Never fails: a file that cannot be used (corrupt, not SQLite, read-only, a full disk) is reported once,
        naming it, and every call raises StoreError until it can be used, so Rolecall keeps answering questions."""
        self.path = str(path)
        self.ttl = ttl
        self._local = threading.local()
        self._ready = False
        self._warned = False
        self._lock = threading.Lock()
        with contextlib.suppress(StoreError):  # already reported; later calls try again
            self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA busy_timeout=30000")
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                if not self._ready:
                    db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                               "expires REAL NOT NULL)")
                    self._ready = True
            except (sqlite3.Error, OSError) as exc:
                if db is not None:
                    db.close()
                self._report(exc)
                raise StoreError(f"cannot use the store file {self.path}: {exc}") from exc
            self._local.db = db
        return db

    def _report(self, exc: Exception) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        log.warning("cannot use the store file %s (%s): answering questions without saving quiz, poll or feedback "
                    "state; move the file aside or fix its folder's permissions", self.path, exc)

    def get(self, key: str) -> Value | None:
        try:
            row = self._connect().execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        if row is None or row[1] < time.time():
            return None
        return decode(row[0])

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        self.update(key, lambda _old: (value, None), ttl=ttl)

    def delete(self, key: str) -> None:
        try:
            self._connect().execute("DELETE FROM kv WHERE key = ?", (key,))
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    def update(self, key: str, change: Change[T], *, ttl: float | None = None) -> Updated[T]:
        db = self._connect()
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
                current = None if row is None or row[1] < now else decode(row[0])
                new, outcome = change(current)
                if new is None:
                    db.execute("DELETE FROM kv WHERE key = ?", (key,))
                else:
                    expires = now + (self.ttl if ttl is None else ttl)
                    db.execute("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)",
                               (key, encode(new), expires))
                db.execute("COMMIT")
                return Updated(new, outcome)
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    def keys(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        try:
            rows = self._connect().execute(
                "SELECT key FROM kv WHERE key LIKE ? ESCAPE '\\' AND expires >= ? ORDER BY key", (escaped + "%", time.time())
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        return [row[0] for row in rows]

    def ping(self) -> bool:
        """Whether the store answers, for /healthz."""
        try:
            self._connect().execute("SELECT 1")
            return True
        except (sqlite3.Error, StoreError):
            return False

    def purge_expired(self) -> int:
        """Drop expired rows; reads already ignore them, this only reclaims space."""
        cursor = self._connect().execute("DELETE FROM kv WHERE expires < ?", (time.time(),))
        return cursor.rowcount


class MemoryStore:
    """An in-process store for one-shot commands that need no persistence."""

    def __init__(self, *, ttl: float = DEFAULT_TTL):
        self.ttl = ttl
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Value | None:
        item = self._data.get(key)
        if item is None or item[1] < time.time():
            return None
        return decode(item[0])

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        self.update(key, lambda _old: (value, None), ttl=ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def ping(self) -> bool:
        return True

    def keys(self, prefix: str) -> list[str]:
        now = time.time()
        return sorted(k for k, (_, expires) in list(self._data.items()) if k.startswith(prefix) and expires >= now)

    def update(self, key: str, change: Change[T], *, ttl: float | None = None) -> Updated[T]:
        with self._lock:
            current = self.get(key)
            new, outcome = change(current)
            if new is None:
                self._data.pop(key, None)
            else:
                self._data[key] = (encode(new), time.time() + (self.ttl if ttl is None else ttl))
            return Updated(new, outcome)
