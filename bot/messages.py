"""The core's own message types: what adapters hand in (`Message`) and get back (`Reply`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from . import plain_text
from .normalize import defang
from .parts import Choice, Notice, Part, PollCard, QuizEnded, QuizQuestion, QuizResult, TeamDecision, Verdict

P = TypeVar("P")


@dataclass(frozen=True)
class Message:
    """One incoming message or button click, with platform ids as opaque strings."""

    text: str = ""
    platform: str = "terminal"
    workspace: str = "local"
    channel: str = "local"
    user: str = "you"
    choice: str | None = None
    """The id of a button the user clicked (see `buttons`), instead of typed text."""
    card_owner: str | None = None
    """Whose card the clicked button was on, when the card belongs to one person (see `Conversation.card_owner`)."""


@dataclass(frozen=True)
class Reply:
    """What the core says back: typed parts, the buttons that go with them, and who may see it.

    A reply with no parts means "send nothing" (a flood past the rate limit).
    """

    parts: tuple[Part, ...] = ()
    choices: tuple[Choice, ...] = ()
    private: bool = False
    """Meant only for the person who acted (a note about a stale button or a closed poll): adapters send it ephemerally."""

    @classmethod
    def note(cls, text: str, *, private: bool = False) -> Reply:
        return cls(parts=(Notice(text),), private=private)

    @property
    def silent(self) -> bool:
        return not self.parts

    @cached_property
    def text(self) -> str:
        """The reply as a person reads it in plain text (the one rendering, see `plain_text`); it can never ping."""
        return defang(plain_text.render(self.parts))

    def first(self, kind: type[P]) -> P | None:
        """The first part of one type, e.g. `reply.first(Verdict)`."""
        return next((p for p in self.parts if isinstance(p, kind)), None)

    @property
    def buttons(self) -> tuple[Choice, ...]:
        """Every button a card shows: the choices, then a quiz question's controls (Back, Skip, Stop), which are not
        choices (a script driving `chat --json` picks an option by its place)."""
        question = self.first(QuizQuestion)
        return self.choices + question.controls if question is not None else self.choices

    @property
    def verdict(self) -> str | None:
        """The answer's owner: the team's decision, a verdict's, or a revealed poll's when everyone sees the card."""
        decided = self.first(TeamDecision)
        if decided is not None:
            return decided.verdict
        answer = self.first(Verdict)
        if answer is not None:
            return answer.owner
        card = self.first(PollCard)
        if card is not None and card.closed and card.verdict is not None and not self.private:
            return card.verdict.owner
        return None

    @property
    def quiz(self) -> dict[str, Any] | None:
        """The `quiz` field of the chat contract."""
        question = self.first(QuizQuestion)
        if question is not None:
            return {"step": question.step, "of": question.of, "result": None}
        result = self.first(QuizResult)
        if result is not None:
            return {"step": result.of, "of": result.of,
                    "result": {"role": result.role, "scores": dict(result.scores)}}
        ended = self.first(QuizEnded)
        if ended is not None and not ended.stopped:  # a stopped quiz is no quiz at all: null, as before
            return {"step": ended.of, "of": ended.of, "result": None}
        return None

    @property
    def poll(self) -> dict[str, Any] | None:
        """The `poll` field of the chat contract."""
        card = self.first(PollCard)
        if card is None:
            return None
        return {"id": card.id, "question": card.question, "tally": dict(card.tally), "closed": card.closed,
                "verdict": card.verdict.owner if card.closed and card.verdict else None}

    def as_json(self) -> dict[str, Any]:
        """The `rolecall chat --json` contract."""
        return {
            "text": self.text,
            "verdict": self.verdict,
            "choices": [{"id": c.id, "label": c.label} for c in self.choices],
            "quiz": self.quiz,
            "poll": self.poll,
        }
