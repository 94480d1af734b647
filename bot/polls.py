"""Debate polls: "Is <task> product or project work?", a team vote, then Rolecall's reveal.

A poll lives in the store under its id, so votes from any front end, process
or worker land in the same tally, and it survives restarts. Each person has
one vote (clicking again changes it); voters are kept as salted hashes, never
as platform ids. Reveal is by the person who started the poll, or by anyone
once the poll's time is up.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import Enum

from . import buttons
from .advisor import Advisor
from .decisions import Decision, Decisions, topic_key
from .keys import POLL, POLL_CURRENT
from .messages import Choice, Message, Reply
from .normalize import clean, defang
from .parts import OWNERS, Notice, PollCard, Reading, Verdict, role_name
from .store import CorruptValue, Store, Value

DEFAULT_DURATION = 600.0
"""Polls reveal themselves after ten minutes unless configured otherwise."""
MAX_TASK_CHARS = 200
REVEAL_GRACE = 0.5
"""Seconds after a poll's deadline before a front end's timer reads it, so it is surely due by then."""


class Outcome(Enum):
    """What a vote or reveal did to a poll."""

    GONE = "gone"
    CLOSED = "closed"
    """The poll was already closed (or closed on time just now): the vote did not count."""
    COUNTED = "counted"
    NOT_YOURS = "not yours"
    """Only the poll's starter may reveal it before its time is up."""
    SHOWN = "shown"


def voter_id(message: Message) -> str:
    """Enough to stop double votes, nothing that names the person."""
    raw = "|".join((message.platform, message.workspace, message.user))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass
class Polls:
    """Starting, voting on and revealing debate polls."""

    advisor: Advisor
    store: Store
    duration: float = DEFAULT_DURATION

    def start(self, message: Message, task: str) -> Reply:
        task = defang(clean(task))[:MAX_TASK_CHARS].strip(" ?")
        if not task:
            return Reply.note("Tell me what to debate, e.g. debate: the release plan", private=True)
        poll_id = secrets.token_hex(4)
        poll = {
            "v": 2, "id": poll_id, "task": task, "question": f"Is {task} product or project work?",
            "creator": voter_id(message), "votes": {}, "closed": False,
            "closes_at": time.time() + self.duration, "answer": None,
        }
        self.store.put(POLL.key(poll_id), poll, ttl=POLL.ttl)
        self.store.put(POLL_CURRENT.of(message), {"id": poll_id}, ttl=POLL_CURRENT.ttl)
        return self.card(poll)

    def vote(self, message: Message, poll_id: str, option: str) -> Reply:
        if option not in OWNERS:
            return Reply.note("Vote product, project or both.", private=True)
        voter = voter_id(message)

        def change(poll: Value | None) -> tuple[Value | None, Outcome]:
            if poll is None:
                return None, Outcome.GONE
            self._check(poll)
            if self._due(poll):
                self._reveal(poll)
            if poll["closed"]:
                return poll, Outcome.CLOSED
            poll["votes"][voter] = option
            return poll, Outcome.COUNTED

        done = self.store.update(POLL.key(poll_id), change, ttl=POLL.ttl)
        if done.value is None:
            return Reply.note("I can't find that poll any more; start a new one with debate: <task>.", private=True)
        if done.outcome is Outcome.CLOSED:
            card = self.card(done.value)
            return Reply(parts=(_closed_note(), *card.parts), private=True)
        return self.card(done.value)

    def reveal(self, message: Message, poll_id: str) -> Reply:
        voter = voter_id(message)

        def change(poll: Value | None) -> tuple[Value | None, Outcome]:
            if poll is None:
                return None, Outcome.GONE
            self._check(poll)
            if not poll["closed"]:
                if voter != poll["creator"] and not self._due(poll):
                    return poll, Outcome.NOT_YOURS
                self._reveal(poll)
            return poll, Outcome.SHOWN

        done = self.store.update(POLL.key(poll_id), change, ttl=POLL.ttl)
        if done.value is None:
            return Reply.note("I can't find that poll any more.", private=True)
        if done.outcome is Outcome.NOT_YOURS:
            minutes = max(1, round((done.value["closes_at"] - time.time()) / 60))
            return Reply.note(f"Only the person who started this poll can reveal it now; it reveals itself in about "
                              f"{minutes} min.", private=True)
        return self.card(done.value)

    def adopt(self, message: Message, poll_id: str, option: str | None, *, admins: frozenset[str] = frozenset()) -> Reply:
        """Make a revealed poll's result this workspace's answer: `option`, else the team's majority (Rolecall's
        verdict breaks a tie). Only the poll's starter, or a configured admin, may."""
        poll = self.store.get(POLL.key(poll_id))
        if poll is None:
            return Reply.note("I can't find that poll any more.", private=True)
        self._check(poll)
        if voter_id(message) != poll["creator"] and message.user not in admins:
            return Reply.note("Only the person who started this debate (or a Rolecall admin) can make it the team's "
                              "answer.", private=True)
        if not poll["closed"]:
            return Reply.note("Reveal the debate first (say reveal), then adopt its result.", private=True)
        card = self.card(poll).first(PollCard)
        assert card is not None
        verdict = option or _majority(card)
        if verdict not in OWNERS:
            return Reply.note("Nobody voted and I don't know this one, so there is nothing to adopt yet: say adopt "
                              "product, adopt project or adopt both.", private=True)
        topic = card.verdict.topic if card.verdict else None
        decision = Decision(topic=topic_key(topic, poll["task"]), verdict=verdict, question=poll["question"],
                            decided_at=time.time(), by=message.user, tally=dict(card.tally))
        Decisions(self.store).decide(message.platform, message.workspace, decision)
        label = card.verdict.topic_label if card.verdict and card.verdict.topic_label else poll["task"]
        return Reply.note(f"Done: this team's answer on {label} is now {role_name(verdict).lower()} "
                          f"({card.tally.get(verdict, 0)} of {card.votes} voted for it). "
                          "Ask again and you'll see it first; rolecall kb undecide reverts it.")

    def current(self, message: Message) -> str | None:
        """The latest poll started in this channel, for "vote product" and "reveal" typed in chat."""
        pointer = self.store.get(POLL_CURRENT.of(message))
        return pointer.get("id") if pointer else None

    def show(self, poll_id: str) -> Reply | None:
        """The poll's card as it stands (revealed first if its time is up), or None when it is gone."""
        poll = self.store.get(POLL.key(poll_id))
        if poll is None:
            return None
        self._check(poll)
        if self._due(poll):
            poll = self.store.update(POLL.key(poll_id), self._reveal_if_due, ttl=POLL.ttl).value or poll
        return self.card(poll)

    def reveal_delay(self, reply: Reply) -> float | None:
        """Seconds until the open poll on this card reveals itself (plus a grace), or None when there is none."""
        card = reply.first(PollCard)
        if card is None or card.closed or reply.private:
            return None
        return max(0.0, card.deadline - time.time()) + REVEAL_GRACE

    def _reveal_if_due(self, poll: Value | None) -> tuple[Value | None, None]:
        if poll is not None and self._due(poll):
            self._reveal(poll)
        return poll, None

    @staticmethod
    def _check(poll: Value) -> None:
        if not isinstance(poll.get("votes"), dict) or not isinstance(poll.get("closes_at"), (int, float)):
            raise CorruptValue("saved poll is malformed")

    def _due(self, poll: Value) -> bool:
        return not poll["closed"] and time.time() >= poll["closes_at"]

    def _reveal(self, poll: Value) -> None:
        poll["closed"] = True
        poll["answer"] = _verdict_json(self.advisor.ask(poll["task"]).part)

    def card(self, poll: Value) -> Reply:
        verdict = None
        if poll["closed"]:
            saved = poll.get("answer")
            verdict = _verdict_from(saved) if isinstance(saved, dict) else self.advisor.ask(poll["task"]).part
        card = PollCard(id=poll["id"], question=poll["question"], tally=_tally(poll), closed=poll["closed"],
                        deadline=float(poll["closes_at"]), verdict=verdict)
        if poll["closed"]:
            return Reply(parts=(card,), choices=(Choice(buttons.poll_adopt(poll["id"]), "Make this our answer"),))
        choices = tuple(Choice(buttons.poll_vote(poll["id"], o), o.capitalize()) for o in OWNERS)
        return Reply(parts=(card,), choices=(*choices, Choice(buttons.poll_reveal(poll["id"]), "Reveal")))


def _closed_note() -> Notice:
    return Notice("This poll is closed, so your vote wasn't counted. Here is how it ended:")


def _majority(card: PollCard) -> str | None:
    """The option most voted for; a tie goes to Rolecall's verdict when it is one of the tied, else to nobody."""
    top = max(card.tally.values(), default=0)
    if top == 0:
        return card.verdict.owner if card.verdict and card.verdict.owner in OWNERS else None
    leaders = [o for o in OWNERS if card.tally.get(o, 0) == top]
    if len(leaders) == 1:
        return leaders[0]
    return card.verdict.owner if card.verdict and card.verdict.owner in leaders else None


def _tally(poll: Value) -> dict[str, int]:
    tally = dict.fromkeys(OWNERS, 0)
    for option in poll["votes"].values():
        if option in tally:
            tally[option] += 1
    return tally


def _verdict_json(verdict: Verdict) -> Value:
    """A revealed verdict as stored with the poll, so the card shows the answer given at reveal time."""
    rival = verdict.close_call
    return {"owner": verdict.owner, "confidence": verdict.confidence, "reason": verdict.reason, "topic": verdict.topic,
            "topic_label": verdict.topic_label, "source": verdict.source, "quote": verdict.quote,
            "closest": list(verdict.closest),
            "close_call": {"topic_label": rival.topic_label, "owner": rival.owner} if rival else None}


def _verdict_from(saved: Value) -> Verdict:
    rival = saved.get("close_call")
    return Verdict(owner=str(saved["owner"]), confidence=float(saved["confidence"]), reason=str(saved["reason"]),
                   topic=saved.get("topic"), topic_label=saved.get("topic_label"), source=saved.get("source"),
                   quote=saved.get("quote"),
                   closest=tuple(saved.get("closest") or ()),
                   close_call=Reading(str(rival["topic_label"]), str(rival["owner"])) if isinstance(rival, dict) else None)
