"""What a person wants: every typed line, slash command and button click becomes one of these intents.

`Conversation` dispatches on the intent's type, so a vote typed in the
terminal, a click on Slack and a Discord button all take the same path.
Button ids are turned into intents by `buttons`, slash commands by `commands`,
typed text by `typed_text` (with `phrasebook` for conversational words).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


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
    """A team poll on a task: typed ("debate: the release plan"), or a topic by its entry id (the "Debate" button
    on a triage row both roles share), whose task is then the topic's name."""

    task: str
    topic: str | None = None
    """The topic's entry id, for a button; one no longer in the knowledge base makes the button stale."""


@dataclass(frozen=True)
class Vote:
    option: str
    poll: str | None = None
    """None: the channel's latest poll."""


@dataclass(frozen=True)
class Reveal:
    poll: str | None = None


@dataclass(frozen=True)
class Adopt:
    """Make a revealed poll's result the team's answer: the majority (or `option`) becomes the workspace's decision."""

    option: str | None = None
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
class AboutMessage:
    """ "Who owns this?" on someone else's message (a Slack message shortcut, a Discord context-menu command)."""

    text: str


@dataclass(frozen=True)
class AskContact:
    """ "Ask @delivery-leads": post the last question for the workspace's contact group."""


@dataclass(frozen=True)
class Share:
    """"Share in channel" on a private answer: the same answer on that topic, for everyone (the front end posts
    it publicly)."""

    topic: str


@dataclass(frozen=True)
class FollowUp:
    """"why?", "tell me more", "are you sure?", "source?" about the last answer."""

    kind: str
    """why, more, sure or source."""
    text: str


@dataclass(frozen=True)
class WhatAbout:
    """"what about the budget?", "and the RAID log?", "the budget too?": the same question about something else."""

    subject: str
    text: str


@dataclass(frozen=True)
class PickReading:
    """"the first one", "I meant the project budget": which reading of the last close call."""

    index: int | None
    meant: str
    text: str


@dataclass(frozen=True)
class Agreement:
    """"yes", "right", "that's wrong" ...: feedback on the last answer, if there is one; otherwise just words."""

    up: bool
    text: str


@dataclass(frozen=True)
class SmallTalk:
    kind: str
    """thanks or bye."""


@dataclass(frozen=True)
class ListTopics:
    pass


@dataclass(frozen=True)
class ListSources:
    pass


@dataclass(frozen=True)
class Define:
    """"what does PjM stand for?"."""

    term: str
    text: str


@dataclass(frozen=True)
class Usage:
    """A command used wrong ("vote maybe", an empty "debate:"): how to use it."""

    command: str


@dataclass(frozen=True)
class StaleButton:
    """A button id Rolecall does not (or no longer) understands."""


Intent = Union[Ask, Help, ShowResult, QuizStart, QuizAnswer, QuizControl, DebateStart, Vote, Reveal, Adopt, Triage, Feedback,
               PickTopic, Share, AboutMessage, AskContact, FollowUp, WhatAbout, PickReading, Agreement, SmallTalk, ListTopics, ListSources, Define, Usage,
               StaleButton]
