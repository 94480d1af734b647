"""/rolecall triage on Discord: a pasted backlog (the form) or an attached file, answered only to the asker.

The core classifies (`Triage` intent, a `TriageTable` back); this module reads
the attachment, checks it is a small text file first, and sends the table as a
code block or, when it does not fit in a message, an attached text file, with
the reply's buttons (a debate for each topic both roles share).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from ..bot.intents import Intent, Triage
from ..bot.messages import Message, Reply
from ..bot.normalize import defang
from ..bot.parts import TriageTable
from ..bot.text_encoding import open_text
from .discord_answer import SLOW_DOWN, Answer
from .discord_buttons import button_view
from .discord_io import message_from
from .discord_render import triage_message

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
Triager = Callable[[Message, Intent], Awaitable[Reply]]
"""The core's answer to one message, run off the event loop (the bot's triage threads)."""


async def triage_pasted(answer: Answer, triage: Triager, text: str) -> None:
    """The form's submission."""

    async def pasted() -> str:
        return text

    await _triage(answer, triage, pasted, name="")


async def triage_attachment(answer: Answer, triage: Triager, attachment: discord.Attachment) -> None:
    """/rolecall triage file:<attachment>: a text or CSV file up to 1 MB, read from Discord's CDN."""
    name = defang(attachment.filename)[:100] or "That file"
    problem = unreadable(attachment, name)
    if problem:
        await answer.note(Reply.note(problem, private=True))
        return

    async def download() -> str | None:
        try:
            data = await attachment.read()
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.warning("could not download attachment %s: %s", attachment.id, exc)
            return None
        return decode(data[:ATTACHMENT_MAX_BYTES])

    await _triage(answer, triage, download, name=name)


async def _triage(answer: Answer, triage: Triager, source: Source, *, name: str) -> None:
    """Answer only the asker: "thinking" first (a download and 500 rows can take a moment), then the table."""
    await answer.acknowledge()
    if answer.done:
        return  # Discord refused the acknowledgement (logged): nobody is waiting for this any more
    text = await source()
    if text is None:
        await answer.note(Reply.note(NO_DOWNLOAD.format(name=name), private=True))
        return
    reply = await triage(message_from(answer.interaction, private=True), Triage(text))
    if reply.silent:  # past the rate limit: told once by the core; Discord still needs an answer
        await answer.note(Reply.note(SLOW_DOWN, private=True))
        return
    table = reply.first(TriageTable)
    if table is None:  # nothing to triage: the core's note on what to paste
        await answer.note(reply)
        return
    content, file = triage_message(table)
    view = button_view(reply)  # a debate for each shared topic: a click posts its poll for the channel (on_choice)
    await answer.follow_up(content=content, **({"file": file} if file else {}), **({"view": view} if view else {}))


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
