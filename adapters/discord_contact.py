"""Asking the workspace's contact on Discord: a click on "Ask <name>" posts the question for exactly that role.

The core answers a click on `contact:ask` with a `ContactPing` (the contact and the
last question asked). It is posted as a new message in the channel, as plain
content rather than an embed (a mention inside an embed never notifies anyone).
When the contact's group is a Discord role id (ROLECALL_CONTACT="Delivery leads|123…"),
the message starts with that role's mention and its allowed_mentions let through
that one role and nothing else: no @everyone/@here, no users, no other role, however
the question is worded. Any other group (a name, a Slack user group id, or a DM,
where no role can be pinged) is posted as the contact's name in plain text, pinging
nobody.
"""

from __future__ import annotations

import re
from dataclasses import replace

import discord

from ..bot import plain_text
from ..bot.normalize import defang
from ..bot.parts import ContactPing
from .discord_io import NO_PINGS
from .discord_render import CONTENT_MAX, clip

_ROLE_ID = re.compile(r"[1-9][0-9]{0,19}")
"""A Discord snowflake as configured: ASCII digits only (str.isdigit would take "²" too)."""


def role_id(group: str | None) -> int | None:
    """The Discord role id a contact's group names, or None when it is not one (a name, a Slack group S…)."""
    if group is None or not _ROLE_ID.fullmatch(group.strip()):
        return None
    value = int(group.strip())
    return value if value < 2**64 else None


def ping_message(ping: ContactPing, *, in_guild: bool = True) -> tuple[str, discord.AllowedMentions]:
    """The message content for a ContactPing and the mentions it may make: exactly the contact's role, or none."""
    question = defang(ping.question)  # before the mention goes in: defang breaks every <@…> it sees
    role = role_id(ping.contact.group) if in_guild else None
    if role is None:
        return clip(defang(plain_text.part_text(replace(ping, question=question))), CONTENT_MAX), NO_PINGS
    mention = f"<@&{role}>"
    content = plain_text.part_text(ContactPing(replace(ping.contact, name=mention), question))
    allowed = discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(id=role)],
                                      replied_user=False)
    return clip(content, CONTENT_MAX), allowed
