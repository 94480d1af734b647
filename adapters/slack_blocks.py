"""The core's typed reply parts laid out as Slack Block Kit: verdict, quiz, result and debate-poll cards, the triage
table and the triage modal (the App Home tab is `slack_home`).

Layout only: the meaning comes from the parts (`bot.parts`), and sentences
the core words itself come from `bot.plain_text`, which also gives every
message its plain-text fallback. Nothing here reads meaning back out of prose.

Block Kit's limits are applied here (https://api.slack.com/reference/block-kit/blocks):
section text 3,000 characters, header 150, button label 75, 25 buttons per actions block,
50 blocks per message. All text that Slack parses as mrkdwn is escaped (`&`, `<`, `>`, see
https://api.slack.com/reference/surfaces/formatting#escaping) and defanged, so nothing a
user typed can become a link, a mention or a mass notification. The one mention Rolecall ever
writes is the configured contact's user group, in the message an "Ask" click posts (`ping_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..bot import buttons, plain_text
from ..bot.messages import Choice, Reply
from ..bot.parts import (
    OWNERS,
    Contact,
    ContactPing,
    Notice,
    Part,
    PollCard,
    QuizQuestion,
    QuizResult,
    TriageTable,
    Verdict,
    role_name,
)
from .slack_block_kit import (
    BUTTON_LIMIT,
    FALLBACK_LIMIT,
    INPUT_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    SlackMessage,
    block_name,
    button,
    buttons_block,
    code_sections,
    context,
    escape,
    header,
    sections,
    truncate,
)

__all__ = ["ACTION_PREFIX", "CHOICES_BLOCK", "INPUT_LIMIT", "POLL_BLOCK", "SECTION_LIMIT", "TRIAGE_ACTION",
           "TRIAGE_BLOCK", "TRIAGE_CALLBACK", "SlackMessage", "card_owner_of", "escape", "group_mention", "ping_text",
           "render", "triage_message", "triage_modal"]

ACTION_PREFIX = "rolecall:"
"""Every button's action_id starts with this, so one listener takes them all."""
CHOICES_BLOCK = "rolecall:choices"
"""block_id of a card's buttons; `CHOICES_BLOCK:<user id>` names the person the card belongs to (each rendering adds
its own mark, see `slack_block_kit.buttons_block`)."""
POLL_BLOCK = "rolecall:poll"
"""block_id of a poll card's buttons (`POLL_BLOCK:<poll id>`): no owner, anyone may vote."""
AGAIN_BLOCK = "rolecall:again"
TRIAGE_CALLBACK = "rolecall:triage"
"""callback_id of the triage modal; its view_submission comes back under this id."""
TRIAGE_BLOCK = "rolecall:triage:tasks"
TRIAGE_ACTION = "tasks"

TABLE_SECTIONS = 10
"""Code-block sections of a triage table in one message (about 30,000 characters); more rows are cut with a note."""
SKIPPED_LINES = 10
ASKED_LIMIT = 300
"""Characters of the question shown on top of a public answer."""
USER_GROUP_ID = re.compile(r"S[A-Z0-9]{2,20}")
"""What a Slack user-group id looks like (`S0123ABC`); anything else configured as the group is never put in a mention."""


def render(reply: Reply, *, owner: str | None = None, asked: str | None = None) -> SlackMessage:
    """Blocks for one reply, part by part; `owner` is the Slack user the card belongs to (`Conversation.card_owner`),
    written into its buttons' block_id so a click can say whose card it was; `asked` is what was asked, shown on top
    of an answer posted for a whole channel (`/rolecall who ...`)."""
    table = reply.first(TriageTable)
    if table is not None:
        return _triage(table, [p for p in reply.parts if isinstance(p, Notice)], reply.choices, owner)
    blocks: list[Block] = [context(f"Asked: {truncate(asked, ASKED_LIMIT)}")] if asked else []
    for part in reply.parts:
        blocks += _part(part, reply, owner)
    if reply.choices and reply.first(QuizQuestion) is None:  # a quiz card puts its buttons under the question
        card = reply.first(PollCard)
        blocks.append(_choices(reply.choices, owner, poll=card.id if card else None))
    ping = reply.first(ContactPing)  # the notification must carry the group's mention too
    text = truncate(ping_text(ping), FALLBACK_LIMIT) if ping is not None else _fallback(reply.text)
    return SlackMessage(text=text, blocks=blocks[:MAX_BLOCKS])


def card_owner_of(block_id: str) -> str | None:
    """The user id a card's buttons were rendered for (see CHOICES_BLOCK), if any."""
    prefix = CHOICES_BLOCK + ":"
    name = block_name(block_id)
    if not name.startswith(prefix):
        return None
    return name[len(prefix):] or None


def _part(part: Part, reply: Reply, owner: str | None) -> list[Block]:
    if isinstance(part, Verdict):
        return _verdict(part)
    if isinstance(part, QuizQuestion):
        return _question(part, reply.choices, reply.buttons, owner)
    if isinstance(part, QuizResult):
        return _result(part)
    if isinstance(part, PollCard):
        return _poll(part, private=reply.private)
    if isinstance(part, Contact):
        return [context(plain_text.part_text(part))]  # never a mention: only the "Ask" button pings the group
    if isinstance(part, ContactPing):
        return sections(ping_text(part), escaped=True)
    # Notices, a finished quiz, a team decision, and any part without a layout of its own: the core's plain wording.
    # (A triage table is a message of its own, see render.) Nothing the core says is ever dropped.
    return sections(plain_text.part_text(part))


# -- asking the contact ------------------------------------------------------------------

def group_mention(contact: Contact) -> str | None:
    """`<!subteam^S0123ABC>` for a contact whose group is a Slack user-group id; None for anything else."""
    group = contact.group or ""
    return f"<!subteam^{group}>" if USER_GROUP_ID.fullmatch(group) else None


def ping_text(ping: ContactPing) -> str:
    """The core's wording of a ping as mrkdwn: the group's mention in place of its name, then everything else
    (the question above all) escaped, so the one mention in it is the configured group's. Without a user-group id,
    the name is plain escaped text and nobody is mentioned."""
    wording = plain_text.part_text(ping)
    mention = group_mention(ping.contact)
    if mention is None:
        return escape(wording)
    name = ping.contact.name
    if name and wording.startswith(name):
        return mention + escape(wording[len(name):])
    return f"{mention} {escape(wording)}"


def _choices(choices: Sequence[Choice], owner: str | None, *, poll: str | None = None) -> Block:
    """The buttons of a card: a poll's take anyone's vote; others name their owner, if the card has one."""
    if poll:
        block_id = f"{POLL_BLOCK}:{poll}"
    else:
        block_id = f"{CHOICES_BLOCK}:{owner}" if owner else CHOICES_BLOCK
    return buttons_block(block_id, [button(f"{ACTION_PREFIX}choice:{i}", c) for i, c in enumerate(choices)])


def _fallback(text: str) -> str:
    return truncate(escape(text), FALLBACK_LIMIT)


# -- verdicts ----------------------------------------------------------------------

def _verdict(verdict: Verdict) -> list[Block]:
    """The verdict as a header, the reason (and a close call), and a context line with the topic and its source."""
    blocks = [header(role_name(verdict.owner)), *sections(_reasoning(verdict))]
    if verdict.topic is not None:
        blocks.append(_topic_line(verdict))
    return blocks


def _reasoning(verdict: Verdict) -> str:
    """Why: for a topic, the reason, the source's own words and a close call; otherwise the whole note (with the
    closest topics)."""
    if verdict.topic is None:
        return plain_text.verdict_text(verdict)
    lines = [verdict.reason]
    if verdict.quote:
        lines.append(f"“{verdict.quote}”")
    if verdict.close_call is not None:
        lines.append(plain_text.close_call_text(verdict))
    return "\n".join(lines)


def _topic_line(verdict: Verdict) -> Block:
    """`*release plan* · common industry practice`."""
    label = f"*{escape(verdict.topic_label or verdict.topic or '')}*"
    return context(" · ".join([label, escape(verdict.source)] if verdict.source else [label]), escaped=True)


# -- the quiz ----------------------------------------------------------------------

def _question(question: QuizQuestion, choices: Sequence[Choice], card_buttons: Sequence[Choice],
              owner: str | None) -> list[Block]:
    """Intro, the question in bold, its options (and Back, Skip, Stop) as buttons, and how far along the quiz is."""
    blocks = [*sections(question.intro), *sections(f"*{escape(question.text)}*", escaped=True)]
    if any(len(c.label) > BUTTON_LIMIT for c in choices):
        listing = "\n".join(f"{chr(97 + i)}) {escape(c.label)}" for i, c in enumerate(choices))
        blocks += sections(listing, escaped=True)  # a shortened button keeps its full wording here
    if card_buttons:
        blocks.append(_choices(card_buttons, owner))
    progress = f"Step {question.step} of {question.of}"
    blocks.append(context(" · ".join([progress, question.hint] if question.hint else [progress])))
    return blocks


def _result(result: QuizResult) -> list[Block]:
    """The role as a header, the scores, what weighed most, the career path, and a button to take the quiz again."""
    scores = f"Product {result.scores.get('product', 0)}% · Project {result.scores.get('project', 0)}%"
    paragraphs = [escape(result.summary)]
    if result.because:
        paragraphs.append("*What weighed most:* you " + " and you ".join(escape(b) for b in result.because) + ".")
    if result.career:
        paragraphs.append(f"*Career path:* {escape(result.career)}")
    if result.certifications:
        paragraphs.append("*Certifications to look at:* " + ", ".join(escape(c) for c in result.certifications) + ".")
    if result.first_step:
        paragraphs.append(f"*A first step:* {escape(result.first_step)}")
    again = buttons_block(AGAIN_BLOCK, [button(f"{ACTION_PREFIX}choice:0", Choice(buttons.quiz_start(),
                                                                                     "Take the quiz again"))])
    return [header(f"Quiz result: {result.title}"), context(scores),
            *sections("\n\n".join(p for p in paragraphs if p.strip()), escaped=True), again]


# -- debate polls ------------------------------------------------------------------

def _poll(card: PollCard, *, private: bool) -> list[Block]:
    """Open: the question, the tally and (added by `render`) the vote and reveal buttons. Closed: the team's tally
    beside Rolecall's verdict, its reason and source, and how many agreed. A private reply about a poll (a vote
    that came too late) is a note: the question and where the poll stands."""
    tally = _tally(card)
    if private:
        ending = f"Final tally: {tally}" if card.closed else f"Tally so far: {tally}"
        if card.closed and card.verdict is not None:
            ending += f" · Rolecall: *{escape(role_name(card.verdict.owner))}*"
        return [*sections(f"*{escape(card.question)}*", escaped=True), context(ending, escaped=True)]
    blocks = [header(card.question or "Debate")]
    if not card.closed:
        return [*blocks, *sections(f"Tally: {tally}", escaped=True), context(plain_text.POLL_HINT)]
    blocks += sections(f"*Closed.* The team voted: {tally}", escaped=True)
    verdict = card.verdict
    if verdict is None or verdict.owner == "unknown":
        said = plain_text.verdict_text(verdict) if verdict else role_name("unknown") + "."
        return blocks + sections(f"*Rolecall:* {escape(said)}", escaped=True)  # honest, and nobody "agreed"
    label = role_name(verdict.owner)
    blocks += sections(f"*Rolecall: {escape(label)}.* {escape(_reasoning(verdict))}", escaped=True)
    if verdict.topic is not None:
        blocks.append(_topic_line(verdict))
    agreed = f"*{card.agreed} of {card.votes} agreed* with Rolecall ({escape(label.lower())})."
    return blocks + sections(agreed, escaped=True)


def _tally(card: PollCard) -> str:
    """Counts only, never names: `*Product* 3 · *Project* 1 · *Both* 0 (4 votes)`."""
    counts = " · ".join(f"*{option.capitalize()}* {int(card.tally.get(option, 0) or 0)}" for option in OWNERS)
    return f"{counts} ({card.votes} vote{'' if card.votes == 1 else 's'})"


# -- the triage table --------------------------------------------------------------

def triage_message(source: Reply | TriageTable) -> SlackMessage:
    """A triage reply as one message; a reply without a table (a note: the rate limit, an error) as any other."""
    if isinstance(source, TriageTable):
        return _triage(source, [])
    return render(source)


def _triage(table: TriageTable, notices: Sequence[Notice], choices: Sequence[Choice] = (),
            owner: str | None = None) -> SlackMessage:
    """Notes, the table in code blocks, the counts, the skipped rows, and the reply's buttons (a debate for each
    shared topic).

    Slack caps a section at 3,000 characters and a message at 50 blocks, so the
    table is split on row boundaries (its header repeated) into at most
    TABLE_SECTIONS code blocks; rows beyond that are cut with a note pointing to
    the command line. The counts per verdict are always kept.
    """
    notes = [n.text for n in notices]
    if table.read_lines is not None:
        notes.append(plain_text.triage_limit_text(table))
    blocks = [header("Backlog triage"), *sections("\n".join(notes))]
    rows = [plain_text.triage_row_text(r.task, r.verdict, r.confidence, r.topic) for r in table.rows]
    listed, shown = code_sections(rows, [plain_text.triage_header()], TABLE_SECTIONS)
    blocks += listed
    if shown < len(rows):
        cut = len(rows) - shown
        blocks.append(context(f"{cut:,} more row{'s' * (cut != 1)} not shown: one Slack message holds {shown:,} of "
                              "them. Run rolecall triage FILE for the whole table."))
    summary = plain_text.triage_counts_lines(table.counts, len(table.skipped))
    blocks += code_sections(summary, [], 1)[0]
    if table.skipped:
        listing = "\n".join(f"line {s.line}: skipped: {s.reason}" for s in table.skipped[:SKIPPED_LINES])
        if len(table.skipped) > SKIPPED_LINES:
            listing += f"\n… and {len(table.skipped) - SKIPPED_LINES:,} more skipped"
        blocks += sections(listing)[:1]
    if choices:
        blocks.append(_choices(choices, owner))
    fallback = "Backlog triage: " + "; ".join(" ".join(line.split()) for line in summary)
    return SlackMessage(text=_fallback(fallback), blocks=blocks[:MAX_BLOCKS])


def triage_modal(private_metadata: str) -> dict[str, Any]:
    """The modal /rolecall triage opens: one multi-line box for the backlog (private_metadata: where it was asked)."""
    return {
        "type": "modal",
        "callback_id": TRIAGE_CALLBACK,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Triage a backlog"},
        "submit": {"type": "plain_text", "text": "Triage"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "Paste your backlog: one task per line, a Markdown task list, or CSV with a title column. "
                "I'll tell you whether each item is product, project or shared work, and send you the table.")}},
            {
                "type": "input",
                "block_id": TRIAGE_BLOCK,
                "label": {"type": "plain_text", "text": "Tasks"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": TRIAGE_ACTION,
                    "multiline": True,
                    "max_length": INPUT_LIMIT,
                    "placeholder": {"type": "plain_text",
                                    "text": "Write the PRD\nRun the sprint retro\nNegotiate the vendor contract"},
                },
            },
            context(f"Up to {INPUT_LIMIT:,} characters here. For a bigger backlog, run rolecall triage FILE."),
        ],
    }
