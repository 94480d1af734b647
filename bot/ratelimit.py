"""Per-user rate limiting, kept in the store so it holds across workers.

A fixed one-minute window per person: cheap (one atomic update per message)
and good enough to stop a flood. The first message over the limit gets one
polite reply; the rest of that minute get none, so a flood can't turn the bot
into a reply storm.
"""

from __future__ import annotations

import logging
import time
from enum import Enum

from .keys import RATE
from .messages import Message
from .store import Store, StoreError, Value

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
WINDOW = 60.0


class Verdict(Enum):
    OK = "ok"
    JUST_EXCEEDED = "just_exceeded"
    STILL_EXCEEDED = "still_exceeded"


class RateLimiter:
    def __init__(self, store: Store, *, limit: int = DEFAULT_LIMIT, window: float = WINDOW):
        self.store = store
        self.limit = limit
        self.window = window

    def check(self, message: Message) -> Verdict:
        """Count this message; fails open (OK) when the store is down, since answering beats refusing."""
        slot = int(time.time() // self.window)
        key = RATE.of(message, str(slot))

        def change(value: Value | None) -> tuple[Value, Verdict]:
            value = value or {"n": 0, "told": False}
            value["n"] += 1
            if value["n"] <= self.limit:
                return value, Verdict.OK
            verdict = Verdict.STILL_EXCEEDED if value["told"] else Verdict.JUST_EXCEEDED
            value["told"] = True
            return value, verdict

        try:
            return self.store.update(key, change, ttl=self.window * 2).outcome
        except StoreError as exc:
            log.warning("rate limiter store unavailable, letting the message through: %s", exc)
            return Verdict.OK
