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
from typing import Any

from .advisor import ROLE_NAMES, Advisor
from .messages import Choice, Message, Reply
from .normalize import clean, defang
from .store import Store, session_key

OPTIONS = ("product", "project", "both")
DEFAULT_DURATION = 600.0
"""Polls reveal themselves after ten minutes unless configured otherwise."""
POLL_TTL = 30 * 24 * 3600
MAX_TASK_CHARS = 200


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

    # -- starting ------------------------------------------------------------

    def start(self, message: Message, task: str) -> Reply:
        task = defang(clean(task))[:MAX_TASK_CHARS].strip(" ?")
        if not task:
            return Reply(text="Tell me what to debate, e.g. debate: the release plan", private=True)
        poll_id = secrets.token_hex(4)
        poll = {
            "v": 1, "id": poll_id, "task": task, "question": f"Is {task} product or project work?",
            "creator": voter_id(message), "votes": {}, "closed": False,
            "closes_at": time.time() + self.duration, "verdict": None, "answer": None,
        }
        self.store.put(_key(poll_id), poll, ttl=POLL_TTL)
        self.store.put(_current_key(message), {"id": poll_id}, ttl=POLL_TTL)
        return self.card(poll)

    # -- voting and revealing ------------------------------------------------

    def vote(self, message: Message, poll_id: str, option: str) -> Reply:
        if option not in OPTIONS:
            return Reply(text="Vote product, project or both.", private=True)
        outcome: dict[str, Any] = {}
        voter = voter_id(message)

        def change(poll):
            if poll is None:
                return None
            if self._due(poll):
                self._reveal(poll)
            if poll["closed"]:
                outcome["closed"] = True
                return poll
            outcome["changed"] = poll["votes"].get(voter) not in (None, option)
            poll["votes"][voter] = option
            return poll

        poll = self.store.update(_key(poll_id), change, ttl=POLL_TTL)
        if poll is None:
            return Reply(text="I can't find that poll any more; start a new one with debate: <task>.", private=True)
        if outcome.get("closed"):
            return Reply(text="This poll is closed, so your vote wasn't counted. Here is how it ended:",
                         poll=_poll_json(poll), private=True)
        return self.card(poll)

    def reveal(self, message: Message, poll_id: str) -> Reply:
        outcome: dict[str, Any] = {}
        voter = voter_id(message)

        def change(poll):
            if poll is None:
                return None
            if not poll["closed"]:
                if voter != poll["creator"] and not self._due(poll):
                    outcome["not_yours"] = True
                    return poll
                self._reveal(poll)
            return poll

        poll = self.store.update(_key(poll_id), change, ttl=POLL_TTL)
        if poll is None:
            return Reply(text="I can't find that poll any more.", private=True)
        if outcome.get("not_yours"):
            minutes = max(1, round((poll["closes_at"] - time.time()) / 60))
            return Reply(text=f"Only the person who started this poll can reveal it now; it reveals itself in about {minutes} min.",
                         private=True)
        return self.card(poll)

    def current(self, message: Message) -> str | None:
        """The latest poll started in this channel, for "vote product" and "reveal" typed in chat."""
        pointer = self.store.get(_current_key(message))
        return pointer.get("id") if pointer else None

    def show(self, poll_id: str) -> Reply | None:
        poll = self.store.get(_key(poll_id))
        if poll is None:
            return None
        if self._due(poll):
            poll = self.store.update(_key(poll_id), self._reveal_if_due, ttl=POLL_TTL) or poll
        return self.card(poll)

    def _reveal_if_due(self, poll: dict | None) -> dict | None:
        if poll is not None and self._due(poll):
            self._reveal(poll)
        return poll

    def _due(self, poll: dict) -> bool:
        return not poll["closed"] and time.time() >= poll["closes_at"]

    def _reveal(self, poll: dict) -> None:
        answer = self.advisor.ask(poll["task"])
        poll["closed"] = True
        poll["verdict"] = answer.verdict
        poll["answer"] = answer.text

    # -- the card ------------------------------------------------------------------

    def card(self, poll: dict) -> Reply:
        tally = _tally(poll)
        votes = sum(tally.values())
        counts = f"product {tally['product']}, project {tally['project']}, both {tally['both']}"
        if not poll["closed"]:
            text = (f"Debate: {poll['question']}\nVotes so far: {counts} ({votes} vote{'s' * (votes != 1)}).\n"
                    "Vote with the buttons (or say vote product / vote project / vote both); clicking again changes "
                    "your vote. Whoever started the poll can reveal Rolecall's answer, and it reveals itself when time is up.")
            choices = tuple(Choice(f"poll:{poll['id']}:{o}", o.capitalize()) for o in OPTIONS)
            choices += (Choice(f"poll:{poll['id']}:reveal", "Reveal"),)
            return Reply(text=text, poll=_poll_json(poll), choices=choices)
        text = f"Debate closed: {poll['question']}\nThe team voted: {counts}.\n"
        if poll["verdict"] == "unknown":
            text += f"Rolecall: I honestly don't know this one. {poll['answer']}"
        else:
            agreed = tally.get(poll["verdict"], 0)
            text += f"Rolecall: {poll['answer']}\n{agreed} of {votes} agreed with Rolecall ({ROLE_NAMES[poll['verdict']].lower()})."
        return Reply(text=text, verdict=poll["verdict"], poll=_poll_json(poll))


def _tally(poll: dict) -> dict[str, int]:
    tally = dict.fromkeys(OPTIONS, 0)
    for option in poll["votes"].values():
        if option in tally:
            tally[option] += 1
    return tally


def _poll_json(poll: dict) -> dict[str, Any]:
    """The `poll` field of the chat contract."""
    return {"id": poll["id"], "question": poll["question"], "tally": _tally(poll),
            "closed": poll["closed"], "verdict": poll["verdict"] if poll["closed"] else None}


def _key(poll_id: str) -> str:
    return session_key("poll", poll_id)


def _current_key(message: Message) -> str:
    return session_key("poll-current", message.platform, message.workspace, message.channel)
