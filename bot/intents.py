"""What a person wants, parsed once per message: every typed line, slash command and button click becomes one intent.

`Conversation` dispatches on the intent's type, so a vote typed in the
terminal, a click on Slack and a Discord button all take the same path.
Button ids are turned into intents by `buttons`, slash commands by `commands`,
typed text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from .normalize import MAX_INPUT_CHARS, words


@dataclass(frozen=True)
class Ask:
    """A question (or any text that is not one of the other intents)."""

    text: str
    standalone: bool = False
    """Asked as a question whatever else is going on (/rolecall ask): never read as a quiz answer."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ShowResult:
    """"my result": the person's last quiz result."""


@dataclass(frozen=True)
class QuizStart:
    text: str = ""
    """What was typed ("which role fits me?"); empty for a button or /rolecall quiz."""


@dataclass(frozen=True)
class QuizAnswer:
    """A click on one option of one question (a stale question id is answered as stale)."""

    question: str
    option: str


@dataclass(frozen=True)
class QuizControl:
    """back, skip, restart or stop; outside a quiz the same words are just a question."""

    action: str
    outside: Ask | QuizStart
    """What the same words mean when no quiz is running."""


@dataclass(frozen=True)
class DebateStart:
    task: str


@dataclass(frozen=True)
class Vote:
    option: str
    poll: str | None = None
    """None: the channel's latest poll."""


@dataclass(frozen=True)
class Reveal:
    poll: str | None = None


@dataclass(frozen=True)
class Triage:
    text: str


@dataclass(frozen=True)
class Feedback:
    """👍 or 👎 on an answer; `topic` None means the person's last answer."""

    up: bool
    topic: str | None = None


@dataclass(frozen=True)
class PickTopic:
    """After a close call: the reading the person meant."""

    topic: str


@dataclass(frozen=True)
class StaleButton:
    """A button id Rolecall does not (or no longer) understands."""


Intent = Union[Ask, Help, ShowResult, QuizStart, QuizAnswer, QuizControl, DebateStart, Vote, Reveal, Triage, Feedback,
               PickTopic, StaleButton]

QUIZ_CONTROLS = {
    "back": {("back",), ("go", "back"), ("previous",), ("prev",), ("undo",), ("previous", "question")},
    "skip": {("skip",), ("pass",), ("next",), ("skip", "it"), ("skip", "this"), ("skip", "question"), ("dont", "know"),
             ("no", "idea"), ("idk",)},
    "restart": {("restart",), ("start", "over"), ("start", "again"), ("reset",), ("restart", "quiz"),
                ("begin", "again")},
    "stop": {("stop",), ("quit",), ("cancel",), ("exit",), ("stop", "quiz"), ("quit", "quiz"), ("end", "quiz"),
             ("cancel", "quiz"), ("exit", "quiz")},
}
_CONTROL_OF = {form: name for name, forms in QUIZ_CONTROLS.items() for form in forms}
_HELP = {("help",), ("commands",), ("what", "can", "you", "do"), ("how", "do", "i", "use", "you"), ("usage",), ("menu",)}
_MY_RESULT = {("my", "result"), ("my", "results"), ("show", "my", "result"), ("quiz", "result"), ("last", "result"),
              ("what", "was", "my", "result")}
_START_QUIZ = re.compile(
    r"\b(?:quiz|fits? me|suits? me|right (?:role )?for me|am i (?:more )?(?:of )?(?:an? )?(?:product|project)|"
    r"should i (?:be|become) (?:an? )?(?:product|project)|which role (?:should i|would i|is for me)|career quiz)\b"
)
_DEBATE = re.compile(r"\s*+(?:/rolecall\s++)?debate(?:\s*+[:\-]|\s)\s*+(.+)", re.IGNORECASE | re.DOTALL)
"""Possessive quantifiers throughout: a message of spaces costs one pass, never a backtracking search."""
_VOTE = re.compile(r"vote\s++(?:(?P<id>[0-9a-f]{8})\s++)?(?P<option>product|project|both)[.!]?", re.IGNORECASE)
_REVEAL = re.compile(r"reveal(?:\s++(?P<id>[0-9a-f]{8}))?[.!]?", re.IGNORECASE)
MAX_COMMAND_CHARS = 40
"""A typed vote or reveal is a few words; longer text is never parsed as one (and costs nothing to rule out)."""
_THUMBS = {"👍": True, "+1": True, ":+1:": True, ":thumbsup:": True, "👎": False, "-1": False, ":-1:": False,
           ":thumbsdown:": False}


def parse_text(text: str) -> Intent:
    """What a typed message asks for. Quiz-only readings (an option, a control word) are decided with the quiz state.

    Only the first MAX_INPUT_CHARS are read, as everywhere, so no message costs more than a short one to parse.
    """
    text = text[:MAX_INPUT_CHARS]
    debate = _DEBATE.match(text)
    if debate:
        return DebateStart(debate.group(1))
    short = text.strip()
    if len(short) <= MAX_COMMAND_CHARS:
        vote = _VOTE.fullmatch(short)
        if vote:
            return Vote(vote.group("option").lower(), vote.group("id"))
        reveal = _REVEAL.fullmatch(short)
        if reveal:
            return Reveal(reveal.group("id"))
    thumbs = _THUMBS.get(text.strip().lower())
    if thumbs is not None:
        return Feedback(thumbs)
    tokens = tuple(words(text))
    if tokens in _HELP:
        return Help()
    if tokens in _MY_RESULT:
        return ShowResult()
    plain: Ask | QuizStart = QuizStart(text) if _START_QUIZ.search(" ".join(tokens)) else Ask(text)
    control = _CONTROL_OF.get(tokens)
    return QuizControl(control, plain) if control else plain
