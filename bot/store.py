"""Conversation state behind one small interface, with SQLite as the embedded default.

Quiz progress, debate polls and feedback all live here, keyed by
(platform, workspace, channel, user) or by poll id, so two people in one channel
never share a quiz and a conversation can go on in another process.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

DEFAULT_TTL = 24 * 3600
"""Idle sessions are forgotten after a day unless configured otherwise."""

Value = dict[str, Any]


class StoreError(Exception):
    """The store could not be reached or written; the caller tells the user to retry."""


class CorruptValue(Exception):
    """A saved value could not be read back; the caller resets it."""


class Store(Protocol):
    """Four operations; `update` is the one that must be atomic across threads and processes."""

    def get(self, key: str) -> Value | None: ...

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def update(self, key: str, change: Callable[[Value | None], Value | None], *, ttl: float | None = None) -> Value | None:
        """Apply `change` to the current value atomically; returning None deletes the key."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Live keys starting with `prefix`, for reports (gaps, feedback); not for hot paths."""
        ...


def session_key(*parts: str) -> str:
    """One key from several scope parts; '|' inside a part cannot fake another scope."""
    return "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)


class SQLiteStore:
    """A key-value table in one SQLite file: WAL, one connection per thread, IMMEDIATE transactions."""

    def __init__(self, path: str | Path, *, ttl: float = DEFAULT_TTL):
        self.path = str(path)
        self.ttl = ttl
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self.path}: {exc}") from exc
            self._local.db = db
        return db

    def get(self, key: str) -> Value | None:
        try:
            row = self._connect().execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        if row is None or row[1] < time.time():
            return None
        return _decode(row[0])

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        self.update(key, lambda _old: value, ttl=ttl)

    def delete(self, key: str) -> None:
        try:
            self._connect().execute("DELETE FROM kv WHERE key = ?", (key,))
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    def update(self, key: str, change: Callable[[Value | None], Value | None], *, ttl: float | None = None) -> Value | None:
        db = self._connect()
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
                current = None if row is None or row[1] < now else _decode(row[0])
                new = change(current)
                if new is None:
                    db.execute("DELETE FROM kv WHERE key = ?", (key,))
                else:
                    expires = now + (self.ttl if ttl is None else ttl)
                    db.execute("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)",
                               (key, json.dumps(new, separators=(",", ":")), expires))
                db.execute("COMMIT")
                return new
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
        return _decode(item[0])

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        self.update(key, lambda _old: value, ttl=ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def ping(self) -> bool:
        return True

    def keys(self, prefix: str) -> list[str]:
        now = time.time()
        return sorted(k for k, (_, expires) in list(self._data.items()) if k.startswith(prefix) and expires >= now)

    def update(self, key: str, change: Callable[[Value | None], Value | None], *, ttl: float | None = None) -> Value | None:
        with self._lock:
            current = self.get(key)
            new = change(current)
            if new is None:
                self._data.pop(key, None)
            else:
                self._data[key] = (json.dumps(new), time.time() + (self.ttl if ttl is None else ttl))
            return new


def _decode(text: str) -> Value:
    try:
        value = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise CorruptValue(str(exc)) from exc
    if not isinstance(value, dict):
        raise CorruptValue("saved value is not an object")
    return value


def default_path() -> Path:
    """The per-user data directory (XDG on Linux), so the default needs no set-up."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "rolecall" / "state.db"


def open_store(url: str | None = None, *, ttl: float | None = None) -> Store:
    """A store from a URL: sqlite:///path.db, redis://host:port/db, memory://; default SQLite."""
    url = url or os.environ.get("ROLECALL_STORE") or ""
    ttl = ttl if ttl is not None else float(os.environ.get("ROLECALL_SESSION_TTL", DEFAULT_TTL))
    if not url:
        return SQLiteStore(default_path(), ttl=ttl)
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return SQLiteStore(_sqlite_path(parsed.netloc + unquote(parsed.path)), ttl=ttl)
    if parsed.scheme == "memory":
        return MemoryStore(ttl=ttl)
    if parsed.scheme in ("redis", "rediss"):
        from .redis_store import RedisStore  # only needed, and only imported, for Redis

        return RedisStore(url, ttl=ttl)
    raise ValueError(f"unknown store URL '{url}': use sqlite:///path.db, redis://host:port/db or memory://")


def _sqlite_path(path: str) -> str:
    """sqlite:////abs/x.db and sqlite:///state.db as SQLAlchemy reads them; sqlite:///tmp/x.db as /tmp/x.db.

    The last form is what people most often mean when its folder exists, so it
    is taken as absolute then rather than creating ./tmp/ by surprise.
    """
    rest = path[1:] if path.startswith("/") else path
    if not rest:
        raise ValueError("sqlite store URL needs a path: sqlite:///path/to/state.db")
    if rest.startswith("/"):
        return rest
    if "/" in rest and Path("/" + rest).parent.is_dir():
        return "/" + rest
    return rest
