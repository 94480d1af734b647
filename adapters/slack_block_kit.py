"""Block Kit's building blocks with Slack's limits and escaping applied, so every card is valid and cannot ping.

The limits are Slack's (https://api.slack.com/reference/block-kit/blocks): a
section's text 3,000 characters, a header 150, a context element 2,000, a
button label 75, 25 elements per actions block, 50 blocks per message.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..bot.messages import Choice
from ..bot.normalize import defang

Block = dict[str, Any]

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
CONTEXT_LIMIT = 2000
FALLBACK_LIMIT = 3000
MAX_BUTTONS = 25
MAX_BLOCKS = 50
INPUT_LIMIT = 3000
"""The most a plain_text_input takes (Slack's own cap on max_length)."""

_FENCE = re.compile(r"`{3,}")


@dataclass(frozen=True)
class SlackMessage:
    """What goes into chat.postMessage, a response_url post or chat.update."""

    text: str
    """Plain-text fallback for notifications and screen readers (escaped, like everything else)."""
    blocks: list[Block]


def escape(text: str) -> str:
    """Text safe inside mrkdwn: no links, mentions or mass notifications can form."""
    text = defang(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def header(text: str) -> Block:
    """A header is plain_text: nothing in it is parsed, so it is defanged but not escaped."""
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(defang(text), HEADER_LIMIT)}}


def context(text: str, *, escaped: bool = False) -> Block:
    text = text if escaped else escape(text)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, CONTEXT_LIMIT)}]}


def sections(text: str, *, escaped: bool = False) -> list[Block]:
    """One or more mrkdwn sections, split on line breaks to stay under Slack's length limit."""
    text = text if escaped else escape(text)
    if not text.strip():
        return []
    chunks: list[str] = []
    current = ""
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


def code_sections(lines: Sequence[str], repeat: Sequence[str], limit: int) -> tuple[list[Block], int]:
    """`lines` as code-block sections of at most SECTION_LIMIT characters each, with `repeat` (a table header)
    on top of every one, and at most `limit` of them. Returns the blocks and how many of `lines` they hold."""
    room = SECTION_LIMIT - len("```\n\n```")
    top = [_code_line(line, room // 4) for line in repeat]
    blocks: list[Block] = []
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
    return truncate(escape(_FENCE.sub("'''", line)), limit)


def _code_block(lines: list[str]) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "```\n" + "\n".join(lines) + "\n```"}}


ITERATION = "#"
"""Separates a block_id from the rendering it belongs to (see `buttons_block`)."""


def buttons_block(block_id: str, elements: Sequence[Block]) -> Block:
    """An actions block. Slack wants a block_id unique for each message and each iteration of a message
    (https://docs.slack.dev/reference/block-kit/blocks), or a client may keep an old button's state across an update,
    so every rendering gets its own: `block_id#<random>`; `block_name` reads the name back."""
    return {"type": "actions", "block_id": f"{block_id}{ITERATION}{secrets.token_hex(4)}",
            "elements": list(elements[:MAX_BUTTONS])}


def block_name(block_id: str) -> str:
    """The block_id a block was given, without its rendering's mark."""
    return block_id.partition(ITERATION)[0]


def button(action_id: str, choice: Choice) -> Block:
    """A button that sends `choice.id` back as its value; its label is cut to Slack's 75 characters."""
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": truncate(defang(choice.label), BUTTON_LIMIT) or "?"},
        "value": choice.id,
    }
