"""The Redis backend of the store, for several bot workers behind one Slack app.

Same behaviour as SQLite: JSON values, expiry (Redis TTLs), and `update`
applied atomically with optimistic locking (WATCH/MULTI, retried on conflict),
so two workers handling one double click apply one quiz step, never two.
When Redis is unreachable every call raises StoreError quickly; redis-py
reconnects by itself on the next call once Redis is back.
"""

from __future__ import annotations

import logging

import redis
from redis.exceptions import RedisError, WatchError

from .store import DEFAULT_TTL, Change, StoreError, T, Updated, Value, decode, encode

log = logging.getLogger(__name__)

NAMESPACE = "rolecall:"
"""Every key is prefixed, so Rolecall can share a Redis with other apps."""
MAX_ATTEMPTS = 50
"""Optimistic-locking retries before giving up; only reached under extreme contention on one key."""
_GLOB = str.maketrans({c: "\\" + c for c in "*?[]\\"})


class RedisStore:
    def __init__(self, url: str, *, ttl: float = DEFAULT_TTL, timeout: float = 1.0):
        self.ttl = ttl
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=15, decode_responses=True,
        )

    def _ms(self, ttl: float | None) -> int:
        return max(1, int((self.ttl if ttl is None else ttl) * 1000))

    def get(self, key: str) -> Value | None:
        try:
            raw = self.client.get(NAMESPACE + key)
        except RedisError as exc:
            raise StoreError(f"redis: {exc}") from exc
        return None if raw is None else decode(raw)

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None:
        try:
            self.client.set(NAMESPACE + key, encode(value), px=self._ms(ttl))
        except RedisError as exc:
            raise StoreError(f"redis: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete(NAMESPACE + key)
        except RedisError as exc:
            raise StoreError(f"redis: {exc}") from exc

    def update(self, key: str, change: Change[T], *, ttl: float | None = None) -> Updated[T]:
        full = NAMESPACE + key
        try:
            with self.client.pipeline() as pipe:
                for _ in range(MAX_ATTEMPTS):
                    try:
                        pipe.watch(full)
                        raw = pipe.get(full)
                        new, outcome = change(None if raw is None else decode(raw))
                        pipe.multi()
                        if new is None:
                            pipe.delete(full)
                        else:
                            pipe.set(full, encode(new), px=self._ms(ttl))
                        pipe.execute()
                        return Updated(new, outcome)
                    except WatchError:
                        continue  # someone else changed it first: read again and re-apply
                    finally:
                        pipe.reset()
        except RedisError as exc:
            raise StoreError(f"redis: {exc}") from exc
        raise StoreError(f"redis: gave up updating {key!r} after {MAX_ATTEMPTS} conflicting attempts")

    def keys(self, prefix: str) -> list[str]:
        try:
            found = self.client.scan_iter(match=NAMESPACE + prefix.translate(_GLOB) + "*", count=500)
            return sorted(k[len(NAMESPACE):] for k in found)
        except RedisError as exc:
            raise StoreError(f"redis: {exc}") from exc

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except RedisError:
            return False
