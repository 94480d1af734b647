"""Conversation state behind one small interface: get, put, delete, an atomic update that says what it did, ping.

Quiz progress, debate polls and feedback all live behind it, under the key
namespaces listed in `keys`. The backends are SQLite and memory
(`sqlite_store`) and Redis (`redis_store`); `store_url.open_store` picks one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

DEFAULT_TTL = 24 * 3600
"""Idle sessions are forgotten after a day unless configured otherwise."""

Value = dict[str, Any]
T = TypeVar("T")


class StoreError(Exception):
    """The store could not be reached or written; the caller tells the user to retry."""


class CorruptValue(Exception):
    """A saved value could not be read back; the caller resets it."""


@dataclass(frozen=True)
class Updated(Generic[T]):
    """What `Store.update` did: the value now stored (None: deleted or absent) and what the change reported."""

    value: Value | None
    outcome: T


Change = Callable[[Value | None], tuple[Value | None, T]]
"""Given the current value, the new one (None deletes it) and a report of what was done (typed by the caller)."""


class Store(Protocol):
    """Five operations; `update` is the one that must be atomic across threads and processes."""

    def get(self, key: str) -> Value | None: ...

    def put(self, key: str, value: Value, *, ttl: float | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def update(self, key: str, change: Change[T], *, ttl: float | None = None) -> Updated[T]:
        """Apply `change` to the current value atomically, and report what it did."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Live keys starting with `prefix`, for reports (gaps, feedback); not for hot paths."""
        ...

    def ping(self) -> bool:
        """Whether the store answers (for /healthz); never raises."""
        ...


def decode(text: str | bytes) -> Value:
    try:
        value = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise CorruptValue(str(exc)) from exc
    if not isinstance(value, dict):
        raise CorruptValue("saved value is not an object")
    return value


def encode(value: Value) -> str:
    return json.dumps(value, separators=(",", ":"))
