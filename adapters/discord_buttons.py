"""A reply's choices as Discord buttons that outlive restarts: the custom_id carries everything a click needs.

The custom_id is `rolecall:<button id>`, plus `|<user id>` on a card that
belongs to one person (a quiz posted in a channel). The button id itself is
built and read only by the core (`bot.buttons`); this module only wraps it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, runtime_checkable

import discord

from ..bot import buttons
from ..bot.intents import Reveal
from ..bot.messages import Reply
from ..bot.normalize import defang
from .discord_render import clip

log = logging.getLogger(__name__)

PREFIX = "rolecall:"
MAX_BUTTONS = 25
"""A message holds at most 5 rows of 5 buttons."""
# https://discord.com/developers/docs/components/reference#button
_LABEL_MAX, _CUSTOM_ID_MAX = 80, 100
_TEMPLATE = (rf"{PREFIX}(?P<choice>(?=[^|]{{1,{buttons.MAX_ID}}}(?:\||$)){buttons.ID_PATTERN})"
             r"(?:\|(?P<owner>\d{1,20}))?")
"""The button id (at most MAX_ID characters), then the card owner's user id if the card has one."""


@runtime_checkable
class ClickHandler(Protocol):
    """What a click is handed to: the bot (`RolecallBot.on_choice`)."""

    async def on_choice(self, interaction: discord.Interaction, choice: str, *, owner: str | None) -> None: ...


def button_view(reply: Reply, *, owner: str | None = None) -> discord.ui.View | None:
    """The reply's choices as persistent buttons, or None when it has none.

    `owner` (a user id) goes into each custom_id of a card others can see, so that
    on a quiz started in a channel the core can turn away everyone else's clicks.
    """
    if not reply.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for choice in reply.buttons[:MAX_BUTTONS]:
        try:
            view.add_item(ChoiceButton(choice.id, choice.label, owner=owner))
        except ValueError:
            log.warning("choice id %r does not fit in a Discord custom_id; leaving its button out", choice.id)
    return view if view.children else None


def _style(choice: str) -> discord.ButtonStyle:
    """Reveal stands out from the vote buttons; everything else is neutral."""
    return discord.ButtonStyle.primary if isinstance(buttons.parse(choice), Reveal) else discord.ButtonStyle.secondary


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button], template=_TEMPLATE):
    """A button whose custom_id carries the core's button id (`rolecall:quiz:<q>:<o>`).

    Registered with `Client.add_dynamic_items` at start-up, so a click on any
    message ever sent, even before a restart, finds its way back; the state
    itself (the quiz, the poll) lives in the core's store.
    """

    def __init__(self, choice: str, label: str, *, owner: str | None = None):
        custom_id = PREFIX + choice + (f"|{owner}" if owner else "")
        if len(custom_id) > _CUSTOM_ID_MAX or not re.fullmatch(_TEMPLATE, custom_id):
            raise ValueError(f"custom_id too long or malformed: {custom_id!r}")
        super().__init__(discord.ui.Button(label=clip(defang(label), _LABEL_MAX) or "…", custom_id=custom_id,
                                           style=_style(choice)))
        self.choice = choice
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ChoiceButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["choice"], label or "", owner=match["owner"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, ClickHandler):
            await client.on_choice(interaction, self.choice, owner=self.owner)
