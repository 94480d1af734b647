"""/rolecall triage on Discord: a pasted backlog (the form) or an attached file, answered only to the asker.

The core classifies (`Triage` intent, a `TriageTable` back); this module reads
the attachment, checks it is a small text file first, and sends the table as a
code block or, when it does not fit in a message, an attached text file.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from ..bot.conversation import Conversation
from ..bot.intents import Triage
from ..bot.messages import Reply
from ..bot.normalize import defang
from ..bot.parts import TriageTable
from ..bot.triage import open_text
from .discord_io import NO_PINGS, deliver, message_from, send_response
from .discord_render import render, triage_message

log = logging.getLogger(__name__)

ATTACHMENT_MAX_BYTES = 1_000_000
"""Attached backlogs are read up to 1 MB; the core triages the first MAX_CHAT_ROWS rows of them."""
TEXT_TYPES = ("text/", "application/csv", "application/x-csv", "application/vnd.ms-excel")
TEXT_SUFFIXES = (".txt", ".text", ".csv", ".tsv", ".md", ".markdown", ".list")
NOT_TEXT = ("I can only triage a text or CSV file (.txt, .csv, .tsv or .md, one task per line or a CSV with a "
            "title column); {name} looks like {kind}.")
TOO_BIG = ("{name} is {size}; I triage attached files up to 1 MB here. For bigger backlogs run "
           "`rolecall triage FILE` on your machine.")
NO_DOWNLOAD = "I couldn't download {name} from Discord; please attach it again."

Source = Callable[[], Awaitable[str | None]]
"""Where the backlog comes from: its text, or None when it could not be read (the person is told)."""


async def triage_pasted(interaction: discord.Interaction, conversation: Conversation, text: str) -> None:
    """The form's submission."""

    async def pasted() -> str:
        return text

    await _triage(interaction, conversation, pasted, name="")


async def triage_attachment(interaction: discord.Interaction, conversation: Conversation,
                            attachment: discord.Attachment) -> None:
    """/rolecall triage file:<attachment>: a text or CSV file up to 1 MB, read from Discord's CDN."""
    name = defang(attachment.filename)[:100] or "That file"
    problem = unreadable(attachment, name)
    if problem:
        await deliver(send_response(interaction, Reply.note(problem, private=True), ephemeral=True),
                      "refusing an attachment")
        return

    async def download() -> str | None:
        try:
            data = await attachment.read()
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.warning("could not download attachment %s: %s", attachment.id, exc)
            return None
        return decode(data[:ATTACHMENT_MAX_BYTES])

    await _triage(interaction, conversation, download, name=name)


async def _triage(interaction: discord.Interaction, conversation: Conversation, source: Source, *, name: str) -> None:
    """Answer only the asker: "thinking" first (a download and 500 rows can take a moment), then the table."""
    if not await deliver(interaction.response.defer(ephemeral=True, thinking=True), "starting a triage"):
        return
    text = await source()
    if text is None:
        await _follow_up(interaction, embed=render(Reply.note(NO_DOWNLOAD.format(name=name), private=True)))
        return
    reply = await asyncio.to_thread(conversation.handle, message_from(interaction), Triage(text))
    if reply.silent:  # past the rate limit: the core already told this person once
        await deliver(interaction.delete_original_response(), "withdrawing a triage")
        return
    table = reply.first(TriageTable)
    if table is None:  # nothing to triage: the core's note on what to paste
        await _follow_up(interaction, embed=render(reply))
        return
    content, file = triage_message(table)
    await _follow_up(interaction, content=content, **({"file": file} if file else {}))


async def _follow_up(interaction: discord.Interaction, **kwargs: Any) -> None:
    await deliver(interaction.followup.send(ephemeral=True, allowed_mentions=NO_PINGS, **kwargs), "sending a triage")


def unreadable(attachment: discord.Attachment, name: str) -> str | None:
    """Why an attached file cannot be triaged here, or None when it can."""
    if attachment.size > ATTACHMENT_MAX_BYTES:
        return TOO_BIG.format(name=name, size=_size(attachment.size))
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    if kind.startswith(TEXT_TYPES) or attachment.filename.lower().endswith(TEXT_SUFFIXES):
        return None
    return NOT_TEXT.format(name=name, kind=defang(kind)[:60] or "something other than text")


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def decode(data: bytes) -> str:
    """As the CLI reads a backlog file: UTF-8 (BOM dropped, bad bytes replaced), or UTF-16 with its BOM."""
    with open_text(io.BufferedReader(io.BytesIO(data))) as text:
        return text.read()
