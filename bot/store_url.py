"""Which store a URL names: sqlite:///path.db (the default, in the data directory), redis://host:port/db, memory://."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from . import env
from .sqlite_store import MemoryStore, SQLiteStore
from .store import DEFAULT_TTL, Store


def default_path() -> Path:
    """The per-user data directory (XDG on Linux), so the default needs no set-up."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "rolecall" / "state.db"


def open_store(url: str | None = None, *, ttl: float | None = None) -> Store:
    """A store from a URL: sqlite:///path.db, redis://host:port/db, memory://; default SQLite."""
    url = url or os.environ.get("ROLECALL_STORE") or ""
    ttl = ttl if ttl is not None else env.number("ROLECALL_SESSION_TTL", DEFAULT_TTL, minimum=1)
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
