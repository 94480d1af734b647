"""A store that stalls the way a real one does: an SQLite file locked by another process, a Redis far away.

`LockedStore(store).lock(seconds)` makes every call wait until the lock is released,
as SQLite's busy timeout does; with `then_fail` the calls fail after waiting, as they
do when the wait runs out. `LOCKER` is the real thing for a subprocess:
`python -c LOCKER PATH SECONDS` holds an SQLite file's write lock.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rolecall.bot.store import Change, Store, StoreError, T, Updated, Value

LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""
"""Another process holding the SQLite file's write lock for a while (a backup, a second bot, a migration)."""


class LockedStore:
    def __init__(self, inner: Store):
        self.inner = inner
        self._until = 0.0
        self._fail = False
        self.calls = 0
        self._lock = threading.Lock()

    def lock(self, seconds: float, *, then_fail: bool = False) -> None:
        self._until = time.monotonic() + seconds
        self._fail = then_fail

    def _wait(self) -> None:
        with self._lock:
            self.calls += 1
        delay = self._until - time.monotonic()
        if delay > 0:
            time.sleep(delay)
            if self._fail:
                raise StoreError("database is locked")

    def get(self, key: str) -> Value | None:
        self._wait()
        return self.inner.get(key)

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        self._wait()
        self.inner.put(key, value, ttl=ttl)

    def delete(self, key: str) -> None:
        self._wait()
        self.inner.delete(key)

    def update(self, key: str, change: Change[T], *, ttl: float | None = None) -> Updated[T]:
        self._wait()
        return self.inner.update(key, change, ttl=ttl)

    def keys(self, prefix: str) -> list[str]:
        self._wait()
        return self.inner.keys(prefix)

    def ping(self) -> bool:
        return self.inner.ping()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
