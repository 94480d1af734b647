"""Every key namespace in the store, with its scope and lifetime, in one table.

A key is the namespace and its scope parts joined by '|' ('|' inside a part is
escaped, so a crafted channel name cannot fake another scope). A TTL of None
means the store's session TTL (`--session-ttl`, a day by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Message

DAY = 24 * 3600


@dataclass(frozen=True)
class Namespace:
    name: str
    scope: tuple[str, ...]
    """What a key is made of: message fields (platform, workspace, channel, user) or other parts (poll, topic ...)."""
    ttl: float | None
    purpose: str

    def key(self, *parts: str) -> str:
        if len(parts) != len(self.scope):
            raise ValueError(f"{self.name} keys take {', '.join(self.scope)}")
        return join(self.name, *parts)

    def of(self, message: Message, *extra: str) -> str:
        """The key for a message: its scope's message fields, then `extra` for the parts a message lacks."""
        fields = [getattr(message, part) for part in self.scope if part in _MESSAGE_FIELDS]
        return self.key(*fields, *extra)

    @property
    def prefix(self) -> str:
        """The start every key of this namespace shares, for listings."""
        return join(self.name, "")

    def within(self, *parts: str) -> str:
        """The start the keys of one scope share ("gap|slack|T1|"), for a listing of that scope alone."""
        return join(self.name, *parts, "")


_MESSAGE_FIELDS = ("platform", "workspace", "channel", "user")
_PERSON_HERE = ("platform", "workspace", "channel", "user")

QUIZ = Namespace("quiz", _PERSON_HERE, None, "a quiz in progress")
QUIZ_RESULT = Namespace("quiz-result", ("platform", "workspace", "user"), 90 * DAY,
                        "a finished quiz's result, for 'my result' in any channel")
LAST_ANSWER = Namespace("last-answer", _PERSON_HERE, None, "the last answer, for a typed 👍/👎")
POLL = Namespace("poll", ("poll",), 30 * DAY, "a debate poll: votes (hashed voters), deadline, verdict")
POLL_CURRENT = Namespace("poll-current", ("platform", "workspace", "channel"), 30 * DAY,
                         "the channel's latest poll, for typed 'vote' and 'reveal'")
RATE = Namespace("rate", ("platform", "workspace", "user", "minute"), 120,
                 "messages a person sent in one minute (two minutes kept)")
GAP = Namespace("gap", ("platform", "workspace", "question"), 365 * DAY,
                "a question answered badly or not at all, per workspace (no user ids)")
FEEDBACK = Namespace("feedback", ("topic",), 365 * DAY, "👍/👎 votes on a topic, by hashed voter")

DELIVERY = Namespace("delivery", ("platform", "delivery"), 3600,
                     "a platform delivery already handled (Slack's event_id), so a retry is answered once across workers")
POLL_CARD = Namespace("poll-card", ("poll",), 30 * DAY,
                      "where a poll's public card was posted, so typed votes and reveals after a restart update it")

DECISION = Namespace("decision", ("platform", "workspace", "topic"), 10 * 365 * DAY,
                     "a team's decision on who owns a topic, until revoked (kb undecide)")

NAMESPACES = (DECISION, QUIZ, QUIZ_RESULT, LAST_ANSWER, POLL, POLL_CURRENT, POLL_CARD, RATE, GAP, FEEDBACK, DELIVERY)


def join(*parts: str) -> str:
    return "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)
