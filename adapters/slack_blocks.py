"""The core's `Reply` as Slack Block Kit: verdict, quiz, result and debate-poll cards, the triage table and modal.

Rendering only: every word comes from the core. Block Kit's limits are applied
here (https://api.slack.com/reference/block-kit/blocks): section text 3,000
characters, header 150, button label 75, 25 buttons per actions block.

All text that Slack parses as mrkdwn is escaped (`&`, `<`, `>`, see
https://api.slack.com/reference/surfaces/formatting#escaping) and defanged, so
nothing a user typed can become a link, a mention or a mass notification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..bot.advisor import ROLE_NAMES
from ..bot.messages import Choice, Reply
from ..bot.normalize import defang

ACTION_PREFIX = "rolecall:"
"""Every button's action_id starts with this, so one listener takes them all."""
CHOICES_BLOCK = "rolecall:choices"
"""block_id of a card's buttons; `CHOICES_BLOCK:<user id>` names the person the card belongs to."""
POLL_BLOCK = "rolecall:poll"
"""block_id of a poll card's buttons (`POLL_BLOCK:<poll id>`): no owner, anyone may vote."""
HOME_ACTION = "rolecall:home:quiz"
START_QUIZ = "quiz:start"
TRIAGE_CALLBACK = "rolecall:triage"
"""callback_id of the triage modal; its view_submission comes back under this id."""
TRIAGE_BLOCK = "rolecall:triage:tasks"
TRIAGE_ACTION = "tasks"

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
CONTEXT_LIMIT = 2000
FALLBACK_LIMIT = 3000
MAX_BUTTONS = 25
MAX_BLOCKS = 50
INPUT_LIMIT = 3000
"""The most a plain_text_input takes (Slack's own cap on max_length)."""
TABLE_SECTIONS = 10
"""Code-block sections of a triage table in one message (about 30,000 characters); more rows are cut with a note."""
SKIPPED_LINES = 10

_QUESTION = re.compile(r"^Question (\d+) of (\d+): (.*)$")
_OPTION = re.compile(r"^\s+[a-z]\) ")
_TOPIC = re.compile(r"^Topic: (.+?) · Source: (.+)$")
_RESULT = re.compile(r"^Your result: (.+?)(?: \(product [\d.]+%, project [\d.]+%\))?\.?$")
_AGREED = re.compile(r"^(\d+ of \d+ agreed)( with Rolecall.*)$")
_FENCE = re.compile(r"`{3,}")


@dataclass(frozen=True)
class SlackMessage:
    """What goes into chat.postMessage, a response_url post or chat.update."""

    text: str
    """Plain-text fallback for notifications and screen readers (escaped, like everything else)."""
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Text safe inside mrkdwn: no links, mentions or mass notifications can form."""
    text = defang(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(reply: Reply, *, owner: str | None = None) -> SlackMessage:
    """Blocks for one reply; `owner` is the Slack user a quiz card belongs to (put on its buttons)."""
    quiz = reply.quiz or {}
    if quiz.get("result"):
        blocks = _result_card(reply)
    elif quiz and reply.choices:
        blocks = _quiz_card(reply, owner)
    elif reply.poll:
        blocks = _poll_card(reply)
    elif reply.verdict:
        blocks = _verdict_card(reply.verdict, reply.text)
    else:
        blocks = _sections(reply.text)
    if reply.choices and not (quiz and not quiz.get("result")):
        # feedback and poll buttons: anyone may click them, so they carry no owner
        poll_id = (reply.poll or {}).get("id")
        blocks.append(_buttons(reply.choices, None, block_id=f"{POLL_BLOCK}:{poll_id}" if poll_id else None))
    return SlackMessage(text=_truncate(escape(reply.text), FALLBACK_LIMIT), blocks=blocks[:MAX_BLOCKS])


def triage_message(text: str) -> SlackMessage:
    """The core's triage table as one message: notes, the table in code blocks, the counts, skipped rows.

    Slack caps a section at 3,000 characters and a message at 50 blocks, so the
    table is split on row boundaries (its header repeated) into at most
    TABLE_SECTIONS code blocks; rows beyond that are cut with a note pointing to
    the command line. The counts per verdict are always kept.
    """
    lines = text.split("\n")
    head = next((i for i, line in enumerate(lines) if line.startswith("TASK ")), None)
    if head is None:  # not a table but a note (the rate limit, an error): shown as any other reply
        return render(Reply(text=text))
    blocks = [_header("Backlog triage")]
    notes = [line for line in lines[:head] if line.strip()]
    rest = lines[head + 1:]
    end = next((i for i, line in enumerate(rest) if not line.strip()), len(rest))
    rows, after = rest[:end], rest[end + 1:]
    summary = [line for line in after if line.strip() and not line.startswith("line ")]
    skipped = [line for line in after if line.startswith("line ")]
    if notes:
        blocks += _sections("\n".join(notes))
    table, shown = _code_sections(rows, [lines[head]], TABLE_SECTIONS)
    blocks += table
    if shown < len(rows):
        cut = len(rows) - shown
        blocks.append(_context(f"{cut:,} more row{'s' * (cut != 1)} not shown: one Slack message holds {shown:,} of "
                               "them. Run rolecall triage FILE for the whole table."))
    if summary:
        blocks += _code_sections(summary, [], 1)[0]
    if skipped:
        listing = "\n".join(skipped[:SKIPPED_LINES])
        if len(skipped) > SKIPPED_LINES:
            listing += f"\n… and {len(skipped) - SKIPPED_LINES:,} more skipped"
        blocks += _sections(listing)[:1]
    fallback = ("Backlog triage: " + "; ".join(" ".join(x.split()) for x in summary)) if summary else "Backlog triage"
    return SlackMessage(text=_truncate(escape(fallback), FALLBACK_LIMIT), blocks=blocks[:MAX_BLOCKS])


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
            _context(f"Up to {INPUT_LIMIT:,} characters here. For a bigger backlog, run rolecall triage FILE."),
        ],
    }


def home_view(help_text: str) -> dict[str, Any]:
    """The App Home tab: what Rolecall is, example questions, and a button to start the quiz."""
    return {
        "type": "home",
        "blocks": [
            _header("Rolecall"),
            *_sections(help_text),
            {
                "type": "actions",
                "block_id": "rolecall:home",
                "elements": [{
                    "type": "button",
                    "action_id": HOME_ACTION,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Start the quiz"},
                    "value": START_QUIZ,
                }],
            },
            _context("Mention me in a channel for an answer in a thread, message me in the Messages tab, "
                     "or use /rolecall who <task> to settle a debate for everyone."),
        ],
    }


# -- cards ------------------------------------------------------------------------

def _verdict_card(verdict: str, text: str) -> list[dict[str, Any]]:
    """Header with the verdict, the reason, and a context line with topic and source."""
    label = ROLE_NAMES.get(verdict, verdict)
    lines = text.split("\n")
    reason = lines[0].removeprefix(f"{label}. ") if lines[0].startswith(f"{label}. ") else lines[0]
    rest, context = [], []
    for line in lines[1:]:
        found = _TOPIC.match(line)
        if found:
            context.append(f"Topic: *{escape(found.group(1))}* · Source: {escape(found.group(2))}")
        else:
            rest.append(line)
    blocks = [_header(label), *_sections("\n".join([reason, *rest]).strip())]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _truncate(c, CONTEXT_LIMIT)} for c in context]})
    return blocks


def _quiz_card(reply: Reply, owner: str | None) -> list[dict[str, Any]]:
    """Intro, the question in bold, its options as buttons, and the progress."""
    intro, question, hint = [], "", []
    for line in reply.text.split("\n"):
        found = _QUESTION.match(line)
        if found and not question:
            question = found.group(3)
        elif _OPTION.match(line) and question:
            continue  # the options are the buttons
        elif question:
            hint.append(line)
        else:
            intro.append(line)
    intro_text = "\n".join(intro).strip()
    blocks: list[dict[str, Any]] = []
    answer_text = (reply.answer or {}).get("text", "")
    if reply.verdict and answer_text and intro_text.startswith(answer_text):
        blocks += _verdict_card(reply.verdict, answer_text)  # an answer given mid-quiz, then the quiz again
        intro_text = intro_text[len(answer_text):].strip()
    if intro_text:
        blocks += _sections(intro_text)
    if question:
        blocks += _sections(f"*{escape(question)}*", escaped=True)
    if any(len(c.label) > BUTTON_LIMIT for c in reply.choices):
        listing = "\n".join(f"{chr(97 + i)}) {escape(c.label)}" for i, c in enumerate(reply.choices))
        blocks += _sections(listing, escaped=True)  # a shortened button keeps its full wording here
    blocks.append(_buttons(reply.choices, owner))
    quiz = reply.quiz or {}
    progress = f"Question {quiz.get('step')} of {quiz.get('of')}"
    blocks.append(_context(" · ".join([progress, *[h for h in hint if h.strip()]])))
    return blocks


def _poll_card(reply: Reply) -> list[dict[str, Any]]:
    """A debate poll. Open: the question, the tally line and (appended by `render`) the vote and reveal buttons.
    Closed: the team's tally beside Rolecall's verdict, its reason and source, and how many agreed.
    A private reply about a poll (a vote that came too late) is a note with the final tally."""
    poll = reply.poll or {}
    tally_line = _tally_line(poll.get("tally") or {})
    if reply.private:
        ending = f"Final tally: {tally_line}" if poll.get("closed") else f"Votes so far: {tally_line}"
        if poll.get("closed") and poll.get("verdict"):
            ending += f" · Rolecall: *{escape(ROLE_NAMES.get(poll['verdict'], poll['verdict']))}*"
        return _sections(reply.text) + [_context(ending, escaped=True)]
    blocks = [_header(str(poll.get("question") or "Debate"))]
    lines = reply.text.split("\n")
    if not poll.get("closed"):
        blocks += _sections(f"Votes so far: {tally_line}", escaped=True)
        hint = [line for line in lines[1:] if line.strip() and not line.startswith("Votes so far:")]
        if hint:
            blocks.append(_context(" ".join(hint)))
        return blocks
    blocks += _sections(f"*Closed.* The team voted: {tally_line}", escaped=True)
    said, context, agreed = [], [], ""
    for line in lines[1:]:
        topic, agree = _TOPIC.match(line), _AGREED.match(line)
        if line.startswith("The team voted:") or not line.strip():
            continue
        if topic:
            context.append(f"Topic: *{escape(topic.group(1))}* · Source: {escape(topic.group(2))}")
        elif agree:
            agreed = f"*{escape(agree.group(1))}*{escape(agree.group(2))}"
        else:
            said.append(line)
    if said:
        first = said[0].removeprefix("Rolecall: ")
        label = ROLE_NAMES.get(reply.verdict or "", "")
        if label and reply.verdict != "unknown" and first.startswith(f"{label}. "):
            first = f"*Rolecall: {escape(label)}.* {escape(first[len(label) + 2:])}"
        else:
            first = f"*Rolecall:* {escape(first)}"
        blocks += _sections("\n".join([first, *(escape(x) for x in said[1:])]), escaped=True)
    if context:
        blocks.append({"type": "context",
                       "elements": [{"type": "mrkdwn", "text": _truncate(c, CONTEXT_LIMIT)} for c in context]})
    if agreed:
        blocks += _sections(agreed, escaped=True)
    return blocks


def _tally_line(tally: dict[str, Any]) -> str:
    """Counts only, never names: `*Product* 3 · *Project* 1 · *Both* 0 (4 votes)`."""
    counts = [int(tally.get(option, 0) or 0) for option in ("product", "project", "both")]
    total = sum(counts)
    return (f"*Product* {counts[0]} · *Project* {counts[1]} · *Both* {counts[2]} "
            f"({total} vote{'' if total == 1 else 's'})")


def _result_card(reply: Reply) -> list[dict[str, Any]]:
    """The quiz result: the role as a header, the scores, the reasons and the career path."""
    lines = reply.text.split("\n")
    found = _RESULT.match(lines[0])
    title = f"Your result: {found.group(1)}" if found else "Your result"
    body = lines[1:] if found else lines
    result = (reply.quiz or {}).get("result") or {}
    scores = result.get("scores") or {}
    blocks = [_header(title)]
    if scores:
        blocks.append(_context(f"Product {scores.get('product')}% · Project {scores.get('project')}%"))
    blocks += _sections("\n\n".join(line for line in body if line.strip()))
    blocks.append({
        "type": "actions",
        "block_id": "rolecall:again",
        "elements": [_button(0, Choice(START_QUIZ, "Take the quiz again"))],
    })
    return blocks


# -- pieces ------------------------------------------------------------------------

def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _truncate(defang(text), HEADER_LIMIT)}}


def _context(text: str, *, escaped: bool = False) -> dict[str, Any]:
    text = text if escaped else escape(text)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _truncate(text, CONTEXT_LIMIT)}]}


def _code_sections(lines: list[str], repeat: list[str], limit: int) -> tuple[list[dict[str, Any]], int]:
    """`lines` as code-block sections of at most SECTION_LIMIT characters each, with `repeat` (a table header)
    on top of every one, and at most `limit` of them. Returns the blocks and how many of `lines` they hold."""
    room = SECTION_LIMIT - len("```\n\n```")
    top = [_code_line(line, room // 4) for line in repeat]
    blocks: list[dict[str, Any]] = []
    current: list[str] = []
    base = sum(len(t) + 1 for t in top)
    size, shown = base, 0
    for line in lines:
        text = _code_line(line, room // 2)
        if current and size + len(text) + 1 > room:
            blocks.append(_code_block(top + current))
            if len(blocks) == limit:
                return blocks, shown
            current, size = [], base
        current.append(text)
        size += len(text) + 1
        shown += 1
    if current or not blocks:
        blocks.append(_code_block(top + current))
    return blocks, shown


def _code_line(line: str, limit: int) -> str:
    """One line for a code block: escaped, cut to `limit`, and no ``` that would end the block early."""
    return _truncate(escape(_FENCE.sub("'''", line)), limit)


def _code_block(lines: list[str]) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "```\n" + "\n".join(lines) + "\n```"}}


def _sections(text: str, *, escaped: bool = False) -> list[dict[str, Any]]:
    """One or more mrkdwn sections, split on line breaks to stay under Slack's length limit."""
    text = text if escaped else escape(text)
    if not text.strip():
        return []
    chunks, current = [], ""
    for line in text.split("\n"):
        while len(line) > SECTION_LIMIT:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks if c.strip()]


def _buttons(choices: tuple[Choice, ...], owner: str | None, *, block_id: str | None = None) -> dict[str, Any]:
    block_id = block_id or (f"{CHOICES_BLOCK}:{owner}" if owner else CHOICES_BLOCK)
    return {"type": "actions", "block_id": block_id,
            "elements": [_button(i, c) for i, c in enumerate(choices[:MAX_BUTTONS])]}


def _button(index: int, choice: Choice) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}choice:{index}",
        "text": {"type": "plain_text", "text": _truncate(defang(choice.label), BUTTON_LIMIT) or "?"},
        "value": choice.id,
    }


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
