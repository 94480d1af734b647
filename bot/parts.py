"""The typed parts a reply is made of: what the core means, before anyone words or lays it out.

Front ends lay these out in their own idiom (Block Kit, Discord embeds, terminal
text) and never read meaning back out of prose; the one plain-text form is
rendered from them in `plain_text`. Every field is plain data, so a renderer
needs nothing from the core but this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

OWNERS = ("product", "project", "both")
"""What a task can belong to; a verdict may also be "unknown"."""
ROLE_NAMES = {"product": "Product manager", "project": "Project manager", "both": "Both roles",
              "unknown": "Not something I know"}


def role_name(owner: str) -> str:
    """The heading for a verdict: "Product manager", "Both roles" ..."""
    return ROLE_NAMES.get(owner, owner)


@dataclass(frozen=True)
class Reading:
    """The other way a close call could be read: a topic and its owner."""

    topic_label: str
    owner: str
    topic: str = ""
    """The entry id, so a person can pick this reading."""


@dataclass(frozen=True)
class Verdict:
    """Who owns something, how sure Rolecall is, why, and where that comes from.

    A verdict with a topic is an ownership answer; one without (`topic` None)
    is an answer about the roles themselves, a polite fixed note (greeting,
    empty message) or "not something I know" with the `closest` topics.
    """

    owner: str
    """product, project, both or unknown."""
    confidence: float
    reason: str
    topic: str | None = None
    topic_label: str | None = None
    source: str | None = None
    """The reference's title (and author or address when known), never a file name."""
    quote: str | None = None
    """The source's own words the verdict rests on, when it has them."""
    close_call: Reading | None = None
    split: tuple[Reading, ...] = ()
    """A question that asks about a product task and a project task at once: each role's part, product first.
    The verdict is then "both" with no topic of its own, and a person can pick either part."""
    closest: tuple[str, ...] = ()
    review_due: bool = False
    """A team's own entry whose last review is too old (or that was never reviewed): the answer says so."""
    reviewed: str | None = None
    reviewer: str | None = None


@dataclass(frozen=True)
class TeamDecision:
    """What this workspace decided about a topic: shown before, and instead of, common practice's verdict."""

    verdict: str
    decided_at: float
    by: str
    question: str
    tally: Mapping[str, int] | None = None
    reason: str | None = None
    agrees: bool = True
    """Whether common practice (the Verdict beside it) says the same."""


@dataclass(frozen=True)
class Contact:
    """The person or group to ask when Rolecall is unsure (configured per workspace)."""

    name: str
    """As people know it: "@delivery-leads", "Priya"."""
    group: str | None = None
    """The platform's id for a group a button may ping (a Slack user group S…, a Discord role id), if configured."""


@dataclass(frozen=True)
class ContactPing:
    """ "Ask them" was clicked: a front end posts this mentioning exactly the contact's group, nobody else."""

    contact: Contact
    question: str


@dataclass(frozen=True)
class Notice:
    """A sentence or two that is not a verdict: help, a thank-you, a usage hint, a problem on our side."""

    text: str


@dataclass(frozen=True)
class Choice:
    """A button: its id (built by `buttons`) and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class QuizQuestion:
    """One quiz step; its options' button ids are the reply's choices, in the same order."""

    step: int
    of: int
    text: str
    options: tuple[str, ...]
    intro: str = ""
    hint: str = ""
    controls: tuple[Choice, ...] = ()
    """Back, Skip and Stop as buttons for the card (not among the reply's choices, which are the options: a script
    driving `chat --json` picks an option by its place, and types "back" or "stop")."""


@dataclass(frozen=True)
class QuizResult:
    """Where the quiz came out: the role, the scores and what goes with it."""

    role: str
    """product, project or hybrid."""
    title: str
    scores: Mapping[str, int]
    summary: str
    of: int
    because: tuple[str, ...] = ()
    career: str | None = None
    certifications: tuple[str, ...] = ()
    first_step: str = ""


@dataclass(frozen=True)
class QuizEnded:
    """The quiz ended without a result: every question skipped, or stopped (a card, so it replaces the clicked one)."""

    of: int
    stopped: bool = False


@dataclass(frozen=True)
class PollCard:
    """A debate poll as everyone sees it: counts only, never names; Rolecall's verdict once closed."""

    id: str
    question: str
    tally: Mapping[str, int]
    closed: bool
    deadline: float
    """When the poll reveals itself (seconds since the epoch)."""
    verdict: Verdict | None = None
    """Rolecall's answer, once the poll is closed."""

    @property
    def votes(self) -> int:
        return sum(self.tally.values())

    @property
    def agreed(self) -> int:
        """How many voted as Rolecall answered."""
        return self.tally.get(self.verdict.owner, 0) if self.verdict else 0


@dataclass(frozen=True)
class TriageRow:
    line: int
    task: str
    """The task as safe to show: no markup, control codes or live mentions."""
    verdict: str
    confidence: float
    topic: str | None


@dataclass(frozen=True)
class TriageSkip:
    line: int
    reason: str


@dataclass(frozen=True)
class TriageTable:
    """A whole backlog classified: every row, what was skipped and why, the counts per verdict."""

    rows: tuple[TriageRow, ...]
    skipped: tuple[TriageSkip, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    read_lines: int | None = None
    """Set when only the first `read_lines` of `total_lines` were read (a chat backlog has a row cap)."""
    total_lines: int | None = None


Part = Union[Verdict, TeamDecision, Contact, ContactPing, Notice, QuizQuestion, QuizResult, QuizEnded, PollCard, TriageTable]
