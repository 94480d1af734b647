"""The edge between Discord and the core: an interaction or a post in as a core `Message`; every Discord call guarded.

Every call to Discord goes through `send`/`deliver`, which log a failure and
carry on: one refused message must never stop the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
import discord

from ..bot.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_PINGS = discord.AllowedMentions.none()
"""Nothing the bot sends may notify anyone: no @everyone/@here, no users, no roles, no reply ping."""
PRIVATE_SCOPE = "/private"
"""Appended to a channel id for what one person does privately in that channel (see `message_from`)."""
FAILED: Any = object()
"""What `send` returns when Discord refused or could not be reached (already logged)."""


def message_from(interaction: discord.Interaction, *, choice: str | None = None, card_owner: str | None = None,
                 private: bool = False) -> Message:
    """A slash command, click or form submission as the core's Message (ids as opaque strings).

    `private`: the interaction is answered only to the person (an ephemeral command, a click on an
    ephemeral card). In a server channel its conversation is kept apart from the channel's own
    (PRIVATE_SCOPE), so a quiz taken privately there never surfaces in a public reply to a mention.
    """
    channel = str(interaction.channel_id)
    if private and interaction.guild_id:
        channel += PRIVATE_SCOPE
    return Message(platform=PLATFORM, workspace=str(interaction.guild_id or "dm"), channel=channel,
                   user=str(interaction.user.id), choice=choice, card_owner=card_owner)


def message_from_post(message: discord.Message, text: str) -> Message:
    """A mention or DM as the core's Message; `text` is its content without the mention of the bot."""
    return Message(text=text, platform=PLATFORM, workspace=str(message.guild.id) if message.guild else "dm",
                   channel=str(message.channel.id), user=str(message.author.id))


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
    except RuntimeError as exc:
        if "Session is closed" not in str(exc):  # aiohttp's words once the bot has closed its connection
            raise
        log.warning("%s: the bot's connection to Discord is already closed", what)
    return FAILED
