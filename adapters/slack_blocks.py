"""The core's `Reply` as Slack Block Kit: a verdict card, a quiz card, a result card.

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

from bot.advisor import ROLE_NAMES
from bot.messages import Choice, Reply
from bot.normalize import defang

ACTION_PREFIX = "rolecall:"
"""Every button's action_id starts with this, so one listener takes them all."""
CHOICES_BLOCK = "rolecall:choices"
"""block_id of a card's buttons; `CHOICES_BLOCK:<user id>` names the person the card belongs to."""
HOME_ACTION = "rolecall:home:quiz"
START_QUIZ = "quiz:start"

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
CONTEXT_LIMIT = 2000
FALLBACK_LIMIT = 3000
MAX_BUTTONS = 25

_QUESTION = re.compile(r"^Question (\d+) of (\d+): (.*)$")
_OPTION = re.compile(r"^\s+[a-z]\) ")
_TOPIC = re.compile(r"^Topic: (.+?) · Source: (.+)$")
_RESULT = re.compile(r"^Your result: (.+?)(?: \(product [\d.]+%, project [\d.]+%\))?\.?$")


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
        blocks.append(_buttons(reply.choices, None))  # feedback and poll buttons: anyone may click them
    return SlackMessage(text=_truncate(escape(reply.text), FALLBACK_LIMIT), blocks=blocks[:50])


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
    """A debate poll: the question as a header, the text below it, the tally as context."""
    poll = reply.poll or {}
    lines = reply.text.split("\n")
    blocks = [_header(str(poll.get("question") or "Debate"))]
    blocks += _sections("\n".join(lines[1:] if len(lines) > 1 else lines).strip())
    tally = poll.get("tally") or {}
    if tally:
        state = "closed" if poll.get("closed") else "open"
        blocks.append(_context(f"Product {tally.get('product', 0)} · Project {tally.get('project', 0)} · "
                               f"Both {tally.get('both', 0)} · {state}"))
    return blocks


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


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _truncate(escape(text), CONTEXT_LIMIT)}]}


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


def _buttons(choices: tuple[Choice, ...], owner: str | None) -> dict[str, Any]:
    block_id = f"{CHOICES_BLOCK}:{owner}" if owner else CHOICES_BLOCK
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
