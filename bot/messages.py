"""The core's own message types: what adapters hand in and get back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """One incoming message or button click, with platform ids as opaque strings."""

    text: str = ""
    platform: str = "terminal"
    workspace: str = "local"
    channel: str = "local"
    user: str = "you"
    choice: str | None = None
    """The id of a button the user clicked, instead of typed text."""


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class Reply:
    """What the core says back; adapters render it, the terminal prints it."""

    text: str
    verdict: str | None = None
    choices: tuple[Choice, ...] = ()
    quiz: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None
    answer: dict[str, Any] | None = field(default=None, compare=False)
    """The `ask --json` object plus reason, topic_label and source, when the reply is a verdict."""
    card: dict[str, Any] | None = field(default=None, compare=False)
    """Parts a renderer lays out on its own (a quiz question, a result title); not part of the chat contract."""
    private: bool = False
    """Meant only for the person who acted (a note about a stale button or a closed poll): adapters send it ephemerally."""

    def as_json(self) -> dict[str, Any]:
        """The `rolecall chat --json` contract."""
        return {
            "text": self.text,
            "verdict": self.verdict,
            "choices": [{"id": c.id, "label": c.label} for c in self.choices],
            "quiz": self.quiz,
            "poll": self.poll,
        }
