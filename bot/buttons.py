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
    contact:ask                "Ask @delivery-leads": the last question, posted for the workspace's contact
    help                       the help text
"""

from __future__ import annotations

import re

from .intents import (
    Adopt,
    AskContact,
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
_TYPED = re.compile(rf"^(?:quiz|poll|feedback|topic|share|contact):{ID_PATTERN}$")


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


def is_share(choice: str) -> bool:
    """Whether a click asks to post the answer for everyone (a front end posts its reply publicly)."""
    return isinstance(parse(choice), Share)


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
    return StaleButton()


def poll_of(choice: str) -> str | None:
    """The poll a button votes on or reveals, if it is a poll button."""
    intent = parse(choice)
    return intent.poll if isinstance(intent, (Vote, Reveal, Adopt)) else None


def looks_typed(text: str) -> bool:
    """Whether a typed line is a button id (scripts driving `rolecall chat --json` send the ids they were given)."""
    return len(text) <= MAX_ID and bool(_TYPED.match(text))
