"""The App Home tab: what Rolecall is, a button to start the quiz, and what the team should look at.

"What to review" lists the team knowledge entries due for review (`knowledge.due_for_review`, older than
REVIEW_DAYS or never reviewed) and the most-asked questions Rolecall could not answer (`Feedback.gaps`), so
whoever keeps the team's knowledge sees where it falls short. Everything shown is escaped (a gap is what someone
typed), each line is cut to LINE_LIMIT characters, and the lists to REVIEW_LIMIT and GAP_LIMIT rows, well inside
Slack's 100 blocks per view and 3,000 characters per section.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..bot import buttons
from ..bot.advisor import topic_label
from ..bot.conversation import Conversation
from ..bot.feedback import GapGroup
from ..bot.knowledge import Entry, due_for_review
from ..bot.messages import Choice
from ..bot.store import CorruptValue, StoreError
from .slack_block_kit import Block, button, buttons_block, context, escape, header, sections, truncate

__all__ = ["GAP_LIMIT", "HOME_ACTION", "HOME_BLOCK", "REVIEW_DAYS", "REVIEW_LIMIT", "ToReview", "home_view",
           "to_review"]

log = logging.getLogger(__name__)

HOME_BLOCK = "rolecall:home"
HOME_ACTION = "rolecall:home:quiz"
REVIEW_DAYS = 90
"""An entry is due when its review is older than this (as `rolecall kb stale` and `kb gaps` count it)."""
REVIEW_LIMIT = 10
"""Entries due for review listed by name; the rest are counted."""
GAP_LIMIT = 5
"""Most-asked unanswered questions shown."""
LINE_LIMIT = 200


@dataclass(frozen=True)
class ToReview:
    """What the App Home's review section lists."""

    due: Sequence[Entry] = ()
    gaps: Sequence[GapGroup] = ()
    gaps_unavailable: bool = False
    """The store could not be read, so the unanswered questions are unknown (not none)."""


def to_review(conversation: Conversation, platform: str, workspace: str) -> ToReview:
    """In a worker thread: the entries due for review and this workspace's top unanswered questions (the store may
    be down). Another workspace's questions are never shown."""
    due = due_for_review(conversation.advisor.kb, older_than_days=REVIEW_DAYS)
    try:
        gaps = conversation.feedback.gaps(platform, workspace)[:GAP_LIMIT]
    except (StoreError, CorruptValue) as exc:
        log.warning("could not read the unanswered questions for App Home: %s", type(exc).__name__)
        return ToReview(due=due, gaps_unavailable=True)
    return ToReview(due=due, gaps=gaps)


def home_view(help_text: str, review: ToReview | None = None) -> dict[str, Any]:
    """The App Home tab: what Rolecall is, example questions, a button to start the quiz, and what to review."""
    start = button(HOME_ACTION, Choice(buttons.quiz_start(), "Start the quiz"))
    blocks: list[Block] = [
        header("Rolecall"),
        *sections(help_text),
        buttons_block(HOME_BLOCK, [{**start, "style": "primary"}]),
        context("Mention me in a channel for an answer in a thread, message me in the Messages tab, "
                "or use /rolecall who <task> to settle a debate for everyone."),
    ]
    if review is not None:
        blocks += _review(review)
    return {"type": "home", "blocks": blocks}


def _review(review: ToReview) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, header("What to review")]
    blocks += sections(f"*Team knowledge due for review* (last reviewed over {REVIEW_DAYS} days ago, or never)",
                       escaped=True)
    if review.due:
        lines = [_due_line(entry) for entry in review.due[:REVIEW_LIMIT]]
        blocks += sections("\n".join(lines), escaped=True)
        more = len(review.due) - REVIEW_LIMIT
        tail = f"{more:,} more due. " if more > 0 else ""
        blocks.append(context(tail + "Run rolecall kb stale for the whole list; mark an entry checked with its "
                                     "reviewed: and reviewer: keys."))
    else:
        blocks.append(context(f"Nothing is due: every team entry was reviewed within {REVIEW_DAYS} days."))
    blocks += sections("*Most-asked questions I could not answer*", escaped=True)
    if review.gaps_unavailable:
        blocks.append(context("I can't read them right now; try again in a moment."))
    elif review.gaps:
        blocks += sections("\n".join(_gap_line(gap) for gap in review.gaps[:GAP_LIMIT]), escaped=True)
        blocks.append(context("Add them to your team's knowledge folder, or run rolecall kb gaps for the whole list."))
    else:
        blocks.append(context("None yet: every question was answered."))
    return blocks


def _due_line(entry: Entry) -> str:
    """`• *Release plan* (release-plan) · reviewed 2024-01-02 by Ana`, escaped."""
    when = f"reviewed {entry.reviewed.isoformat()}" if entry.reviewed else "never reviewed"
    if entry.reviewer:
        when += f" by {entry.reviewer}"
    name, known = _cut(topic_label(entry)), _cut(entry.id)
    return f"• *{escape(name)}* ({escape(known)}) · {escape(_cut(when))}"


def _cut(text: str) -> str:
    """One line, cut before escaping (so an entity is never cut in half)."""
    return truncate(" ".join(text.split()), LINE_LIMIT)


def _gap_line(gap: GapGroup) -> str:
    """`• “who owns the vendor SLA?” · asked 4 times (+1 similar) · closest: contract`, escaped."""
    asked = f"asked {gap.count:,} time{'s' * (gap.count != 1)}"
    if gap.similar:
        asked += f" (+{gap.similar} similar)"
    closest = f" · closest: {escape(_cut(gap.nearest))}" if gap.nearest else ""
    return f"• “{escape(_cut(gap.question))}” · {asked}{closest}"
