"""The edge between Discord and the core: an interaction in as a core `Message`, a `Reply` out as one Discord call.

Every call to Discord goes through `send`/`deliver`, which log a failure and
carry on: one refused message must never stop the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
import discord

from ..bot.conversation import SORRY
from ..bot.messages import Message, Reply
from .discord_buttons import button_view
from .discord_render import render

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_PINGS = discord.AllowedMentions.none()
"""Nothing the bot sends may notify anyone: no @everyone/@here, no users, no roles, no reply ping."""
FAILED: Any = object()
"""What `send` returns when Discord refused or could not be reached (already logged)."""


def message_from(interaction: discord.Interaction, *, choice: str | None = None,
                 card_owner: str | None = None) -> Message:
    """A slash command, click or form submission as the core's Message (ids as opaque strings)."""
    return Message(platform=PLATFORM, workspace=str(interaction.guild_id or "dm"), channel=str(interaction.channel_id),
                   user=str(interaction.user.id), choice=choice, card_owner=card_owner)


def message_from_post(message: discord.Message, text: str) -> Message:
    """A mention or DM as the core's Message; `text` is its content without the mention of the bot."""
    return Message(text=text, platform=PLATFORM, workspace=str(message.guild.id) if message.guild else "dm",
                   channel=str(message.channel.id), user=str(message.author.id))


def send_response(interaction: discord.Interaction, reply: Reply, *, ephemeral: bool,
                  owner: str | None = None) -> Awaitable[Any]:
    """Answer an interaction with the reply's embed and buttons."""
    view = button_view(reply, owner=owner)
    extra: dict[str, Any] = {"view": view} if view else {}
    return interaction.response.send_message(embed=render(reply), ephemeral=ephemeral, allowed_mentions=NO_PINGS,
                                             **extra)


async def deliver(action: Awaitable[Any], what: str) -> bool:
    """Await one Discord call; log a failure instead of letting it stop the bot. True when it went through."""
    return await send(action, what) is not FAILED


async def send(action: Awaitable[Any], what: str) -> Any:
    """Await one Discord call and return its result, or FAILED after logging why.

    discord.py already waits out 429 rate limits and retries 5xx answers
    (https://discord.com/developers/docs/topics/rate-limits); what reaches here
    is final, so it is logged and the bot moves on to the next event.
    """
    try:
        return await action
    except discord.Forbidden as exc:
        if exc.code == 50007:  # https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
            log.warning("%s: the user does not accept direct messages from the bot (code 50007)", what)
            return FAILED
        log.warning("%s: forbidden (HTTP 403, code %s: %s); check the bot's channel permissions", what, exc.code,
                    exc.text)
    except discord.NotFound as exc:
        log.warning("%s: not found (HTTP 404, code %s: %s); the interaction may have expired or the message or "
                    "channel is gone", what, exc.code, exc.text)
    except discord.RateLimited as exc:
        log.warning("%s: rate limited for %.1f s; dropped", what, exc.retry_after)
    except discord.HTTPException as exc:
        log.warning("%s: Discord answered HTTP %s (code %s: %s)", what, exc.status, exc.code, exc.text)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        log.warning("%s: could not reach Discord: %s", what, exc)
    return FAILED


async def apologise(interaction: discord.Interaction) -> None:
    """Tell the person something went wrong on our side (the error itself is logged by the caller)."""
    sorry = Reply.note(SORRY, private=True)
    if interaction.response.is_done():
        await deliver(interaction.followup.send(embed=render(sorry), ephemeral=True, allowed_mentions=NO_PINGS),
                      "reporting an error")
    else:
        await deliver(send_response(interaction, sorry, ephemeral=True), "reporting an error")


async def guarded(interaction: discord.Interaction, work: Awaitable[None], what: str) -> None:
    """Run one handler outside the command tree; a bug is logged and the person told, as for slash commands."""
    try:
        await work
    except Exception:
        log.exception("%s failed", what)
        await apologise(interaction)
