"""Team decisions: once a team settles who owns a topic, that is its answer, in that workspace, until revoked.

A decision is kept per (platform, workspace, topic) in the store and records the question, the verdict, an
optional reason, the poll's tally, who adopted it and when. Topics are knowledge-base ids; a question whose
answer had no topic is kept under its normalised words, so the same question finds it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .feedback import Feedback
from .keys import DECISION
from .normalize import words
from .parts import OWNERS, TeamDecision
from .store import Store, StoreError, Value


@dataclass(frozen=True)
class Decision:
    topic: str
    verdict: str
    question: str
    decided_at: float
    by: str
    """Who adopted it: a display name where the platform gave one, else a short id."""
    tally: dict[str, int] | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, object]:
        """`team_decision` in ask --json."""
        return {"verdict": self.verdict, "decided_at": iso_date(self.decided_at), "tally": self.tally, "by": self.by,
                "topic": self.topic, "question": self.question, "reason": self.reason}


def iso_date(when: float) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def topic_key(topic: str | None, question: str) -> str:
    """The knowledge-base id, or `text:` and the question's words when the answer had no topic."""
    return topic or "text:" + " ".join(words(question))[:200]


class Decisions:
    def __init__(self, store: Store):
        self.store = store

    def decide(self, platform: str, workspace: str, decision: Decision) -> None:
        """Record the decision, and mark the unanswered questions it answers as resolved."""
        if decision.verdict not in OWNERS:
            raise ValueError(f"a decision's owner is one of {', '.join(OWNERS)}, not {decision.verdict!r}")
        record = {"topic": decision.topic, "verdict": decision.verdict, "question": decision.question,
                  "decided_at": decision.decided_at, "by": decision.by, "tally": decision.tally,
                  "reason": decision.reason}
        self.store.put(DECISION.key(platform, workspace, decision.topic), record, ttl=DECISION.ttl)
        Feedback(self.store).resolve(platform, workspace, decision.topic, decision.question)

    def undecide(self, platform: str, workspace: str, topic: str) -> bool:
        """Revoke a decision; False when there was none."""
        key = DECISION.key(platform, workspace, topic)
        existed = self.store.get(key) is not None
        self.store.delete(key)
        return existed

    def lookup(self, platform: str, workspace: str, topic: str | None, question: str) -> Decision | None:
        """The team's decision for this topic (or question), if any; None when the store cannot say."""
        try:
            saved = self.store.get(DECISION.key(platform, workspace, topic_key(topic, question)))
        except StoreError:
            return None
        return _decision(saved) if saved else None

    def all(self, platform: str, workspace: str) -> list[Decision]:
        prefix = DECISION.key(platform, workspace, "")
        found = [_decision(self.store.get(k) or {}) for k in self.store.keys(prefix)]
        return sorted((d for d in found if d is not None), key=lambda d: -d.decided_at)


def _decision(saved: Value) -> Decision | None:
    try:
        return Decision(topic=str(saved["topic"]), verdict=str(saved["verdict"]), question=str(saved["question"]),
                        decided_at=float(saved["decided_at"]), by=str(saved["by"]),
                        tally=saved.get("tally"), reason=saved.get("reason"))
    except (KeyError, TypeError, ValueError):
        return None


def decision_part(decision: Decision, practice: str) -> TeamDecision:
    """The decision as a reply part, noting whether common practice (`practice`, its verdict) agrees."""
    return TeamDecision(verdict=decision.verdict, decided_at=decision.decided_at, by=decision.by,
                        question=decision.question, tally=decision.tally, reason=decision.reason,
                        agrees=decision.verdict == practice)


def now() -> float:
    return time.time()
