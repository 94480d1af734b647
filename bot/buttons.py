"""The one grammar of button ids: built here, parsed here, nowhere else.

A button id travels through Slack's `value`, Discord's `custom_id` and the
terminal's `--json` choices, and comes back on a click, possibly long after a
restart. It names the intent the click stands for:

    quiz:start                 start the quiz
    quiz:<question>:<option>   answer one question (stale when that question is no longer asked)
    poll:<poll>:<option>       vote product, project or both
    poll:<poll>:reveal         reveal the poll
    poll:<poll>:adopt          make the revealed result the team's answer
    feedback:<topic>:up|down   👍 or 👎 on an answer
    topic:<topic>              "I meant this reading" after a close call
    share:<topic>              "Share in channel": the same answer, posted for everyone
    debate:<topic>:start       "Debate: <topic>" on a triage row both roles share: a team poll on who is accountable
    contact:ask                "Ask @delivery-leads": the last question, posted for the workspace's contact
    help                       the help text

A debate button is `debate:<topic>:start`, not `debate:<topic>`: a script or a person typing "debate:budget" means
the typed command (a poll on "budget"), and a typed line shaped like a button id is read as one (`looks_typed`).
"""

from __future__ import annotations

import re

from .intents import (
    Adopt,
    AskContact,
    DebateStart,
    Feedback,
    Help,
    Intent,
    PickTopic,
    QuizAnswer,
    QuizStart,
    Reveal,
    Share,
    StaleButton,
    Vote,
)
from .parts import OWNERS

ID_PATTERN = r"[\w-]+(?::[\w-]+)*"
"""Any button id (at most 90 characters, see MAX_ID): what a Discord custom_id template embeds."""
MAX_ID = 90
_TYPED = re.compile(rf"^(?:(?:quiz|poll|feedback|topic|share|contact):{ID_PATTERN}|debate:[\w-]+:start)$")
"""A typed line read as a button id; a debate's only as the whole button ("debate:budget" is the typed command)."""


def quiz_start() -> str:
    return "quiz:start"


def quiz_answer(question: str, option: str) -> str:
    return f"quiz:{question}:{option}"


def poll_vote(poll: str, option: str) -> str:
    return f"poll:{poll}:{option}"


def poll_reveal(poll: str) -> str:
    return f"poll:{poll}:reveal"


def poll_adopt(poll: str) -> str:
    return f"poll:{poll}:adopt"


def feedback(topic: str, up: bool) -> str:
    return f"feedback:{topic}:{'up' if up else 'down'}"


def pick_topic(topic: str) -> str:
    return f"topic:{topic}"


def share(topic: str) -> str:
    return f"share:{topic}"


def debate(topic: str) -> str:
    """Start a debate poll on a topic (its entry id): the "Debate" button of a shared triage row."""
    return f"debate:{topic}:start"


def is_share(choice: str) -> bool:
    """Whether a click asks to post the answer for everyone (a front end posts its reply publicly)."""
    return isinstance(parse(choice), Share)


def is_public(choice: str) -> bool:
    """Whether a click's answer is a new message for everyone where the click was, the clicked card left as it is:
    "Share in channel", and "Debate" on a triage row (the poll belongs to the channel, not to the private table)."""
    return isinstance(parse(choice), (Share, DebateStart))


def ask_contact() -> str:
    return "contact:ask"


def help_button() -> str:
    return "help"


def parse(choice: str) -> Intent:
    """The intent a button id stands for; StaleButton for anything else."""
    parts = choice.split(":")
    if parts == ["help"]:
        return Help()
    if parts == ["quiz", "start"]:
        return QuizStart()
    if len(parts) == 2 and parts[0] == "topic" and parts[1]:
        return PickTopic(parts[1])
    if len(parts) == 2 and parts[0] == "share" and parts[1]:
        return Share(parts[1])
    if parts == ["contact", "ask"]:
        return AskContact()
    if len(parts) != 3 or not all(parts):
        return StaleButton()
    kind, subject, action = parts
    if kind == "quiz":
        return QuizAnswer(subject, action)
    if kind == "poll" and action == "reveal":
        return Reveal(subject)
    if kind == "poll" and action == "adopt":
        return Adopt(None, subject)
    if kind == "poll" and action in OWNERS:
        return Vote(action, subject)
    if kind == "feedback" and action in ("up", "down"):
        return Feedback(action == "up", subject)
    if kind == "debate" and action == "start":
        return DebateStart("", topic=subject)
    return StaleButton()


def poll_of(choice: str) -> str | None:
    """The poll a button votes on or reveals, if it is a poll button."""
    intent = parse(choice)
    return intent.poll if isinstance(intent, (Vote, Reveal, Adopt)) else None


def looks_typed(text: str) -> bool:
    """Whether a typed line is a button id (scripts driving `rolecall chat --json` send the ids they were given)."""
    return len(text) <= MAX_ID and bool(_TYPED.match(text))
