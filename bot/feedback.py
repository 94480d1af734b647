"""What the team tells us about the answers: 👍/👎 per topic, and the questions we could not answer.

This is how a team finds what to add to its knowledge. Nothing here stores who
asked: gaps keep only the normalised question, and votes keep a per-topic hash
of the voter, enough to count each person once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from rapidfuzz import fuzz

from .keys import FEEDBACK, GAP
from .messages import Message
from .normalize import words
from .store import Store, Value

MAX_GAP_CHARS = 200
SIMILAR = 75
"""rapidfuzz token-set similarity at which two gap questions are grouped as one."""


@dataclass(frozen=True)
class GapGroup:
    question: str
    count: int
    similar: int
    nearest: str | None


@dataclass(frozen=True)
class TopicFeedback:
    topic: str
    up: int
    down: int

    @property
    def down_share(self) -> float:
        total = self.up + self.down
        return self.down / total if total else 0.0


class Feedback:
    def __init__(self, store: Store):
        self.store = store

    # -- recording -------------------------------------------------------------

    def record_gap(self, message: Message, question: str, nearest: str | None) -> None:
        """Note a question answered badly, in the asker's workspace: one team's questions are its own."""
        text = " ".join(words(question))[:MAX_GAP_CHARS]
        if not text:
            return

        def change(gap: Value | None) -> tuple[Value, None]:
            gap = gap or {"text": text, "count": 0}
            gap["count"] += 1
            gap["nearest"] = nearest
            gap["last"] = time.time()
            return gap, None

        self.store.update(GAP.of(message, text), change, ttl=GAP.ttl)

    def resolve(self, platform: str, workspace: str, topic: str, question: str) -> int:
        """Mark the gaps a workspace's decision answers as resolved (their nearest topic, or the same question)."""
        text = " ".join(words(question))[:MAX_GAP_CHARS]
        resolved = 0
        for key in self.store.keys(GAP.within(platform, workspace)):
            gap = self.store.get(key)
            if gap and not gap.get("resolved") and (gap.get("nearest") == topic or gap.get("text") == text):

                def close(value: Value | None) -> tuple[Value | None, None]:
                    return ({**value, "resolved": True} if value else None), None

                self.store.update(key, close, ttl=GAP.ttl)
                resolved += 1
        return resolved

    def vote(self, message: Message, topic: str, up: bool) -> bool:
        """Count one vote per person and topic (a new vote replaces the old); True when it changed anything."""
        voter = hashlib.sha256(f"{topic}|{message.platform}|{message.workspace}|{message.user}".encode()).hexdigest()[:16]

        def change(record: Value | None) -> tuple[Value, bool]:
            record = record or {"up": 0, "down": 0, "voters": {}}
            previous = record["voters"].get(voter)
            now = "up" if up else "down"
            if previous:
                record[previous] -= 1
            record[now] += 1
            record["voters"][voter] = now
            return record, previous != now

        return self.store.update(FEEDBACK.key(topic), change, ttl=FEEDBACK.ttl).outcome

    # -- reports ---------------------------------------------------------------

    def gaps(self, platform: str | None = None, workspace: str | None = None) -> list[GapGroup]:
        """Unanswered questions grouped by similarity, most asked first: one workspace's, or (for the operator's
        `kb gaps`) every workspace's."""
        prefix = GAP.prefix if platform is None or workspace is None else GAP.within(platform, workspace)
        items = [g for g in (self.store.get(k) for k in self.store.keys(prefix)) if g and not g.get("resolved")]
        items.sort(key=lambda g: (-g["count"], g["text"]))
        groups: list[dict] = []
        for item in items:
            home = next((g for g in groups if fuzz.token_set_ratio(g["text"], item["text"]) >= SIMILAR), None)
            if home:
                home["count"] += item["count"]
                home["similar"] += 1
                home["nearest"] = home["nearest"] or item.get("nearest")
            else:
                groups.append({"text": item["text"], "count": item["count"], "similar": 0, "nearest": item.get("nearest")})
        groups.sort(key=lambda g: (-g["count"], g["text"]))
        return [GapGroup(g["text"], g["count"], g["similar"], g["nearest"]) for g in groups]

    def topics(self) -> list[TopicFeedback]:
        """Topics with votes, the largest share of 👎 first."""
        prefix = FEEDBACK.prefix
        found = []
        for key in self.store.keys(prefix):
            record = self.store.get(key)
            if record and (record["up"] or record["down"]):
                found.append(TopicFeedback(key[len(prefix):], record["up"], record["down"]))
        found.sort(key=lambda t: (-t.down_share, -t.down, t.topic))
        return found
