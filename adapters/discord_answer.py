"""One interaction's answer, in time: straight away while the core is quick, else acknowledged first and sent after.

Discord takes the first answer to an interaction only within 3 seconds of sending
it; later, the person sees "The application did not respond" and whatever the core
did (a saved quiz step, a counted vote) stays invisible. The core is usually done in
milliseconds, but the store can stall (an SQLite file locked by another process, a
Redis far away) and threads can be busy, so `Answer.in_time` waits at most
`ACK_AFTER` seconds for it. Past that it acknowledges the interaction: a command gets
Discord's "thinking" placeholder (private or for the channel, as its answer will be),
a click a silent acknowledgement that leaves the card as it is. The answer then fills
in the placeholder, edits the card, or comes as a private follow-up.

https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord

from ..bot.messages import Reply
from .discord_io import FAILED, NO_PINGS, deliver, send
from .discord_render import render

T = TypeVar("T")

ACK_AFTER = 1.5
"""Seconds the core may take before the interaction is acknowledged; the rest of Discord's 3 s is for the network."""
RESTARTING = "Rolecall is restarting, so I couldn't finish that. Please try again in a moment."
SLOW_DOWN = "You're sending commands faster than I can answer well. Give me a minute and try again."
"""For a command past the rate limit: Discord shows an error for an interaction nobody answers, so it gets this."""


@dataclass(frozen=True)
class Posted:
    """A message a click's answer posted for the channel: its id, and how to edit it with the interaction's token
    (valid for 15 minutes), so a poll card posted this way can be kept in step with its votes."""

    id: int
    edit: Callable[..., Awaitable[Any]]


class Answer:
    """How one interaction (a command, a click, a form) gets its answer; each method sends at most once."""

    def __init__(self, interaction: discord.Interaction, what: str, *, private: bool = True):
        self.interaction = interaction
        self.what = what
        """What is being answered, for the log when Discord refuses a call ("answering /rolecall ask")."""
        self.private = private
        """Whether a command's placeholder, if one is needed, is only for the person (or for the whole channel)."""
        self.done = False
        """The person has their answer, or Discord refused this interaction and nothing more can be sent."""

    @property
    def _click(self) -> bool:
        return self.interaction.type is discord.InteractionType.component

    @property
    def acknowledged(self) -> bool:
        return self.interaction.response.is_done()

    async def in_time(self, work: Awaitable[T]) -> T:
        """The result of `work` (the core's answer); if it takes longer than ACK_AFTER, acknowledge first."""
        future = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({future}, timeout=ACK_AFTER)
            if not done:
                await self.acknowledge()
            return await future
        finally:
            future.cancel()  # only if the caller was cancelled first: a finished future ignores this

    async def acknowledge(self) -> None:
        """Tell Discord the answer is coming: a placeholder for a command or form, a silent ack for a click."""
        if self.done or self.acknowledged:
            return
        response = self.interaction.response
        action = response.defer() if self._click else response.defer(ephemeral=self.private, thinking=True)
        if not await deliver(action, f"{self.what} (acknowledging it)"):
            self.done = True  # refused (too late, or gone): this interaction takes no answer any more

    async def send(self, embed: discord.Embed, view: discord.ui.View | None, *, ephemeral: bool) -> int | None:
        """Answer a command with a message; its id, or None when Discord refused it.

        After a placeholder for the channel, an answer only for the person replaces it as
        a private follow-up, so nothing private is ever shown to the channel.
        """
        if self.done:
            return None
        self.done = True
        extra: dict[str, Any] = {"view": view} if view else {}
        what = self.what
        if not self.acknowledged:
            sent = await send(self.interaction.response.send_message(embed=embed, ephemeral=ephemeral,
                                                                     allowed_mentions=NO_PINGS, **extra), what)
            return getattr(sent, "message_id", None) if sent is not FAILED else None
        if self.private or not ephemeral:
            edited = await send(self.interaction.edit_original_response(embed=embed, view=view,
                                                                        allowed_mentions=NO_PINGS), what)
            return edited.id if edited is not FAILED else None
        await deliver(self.interaction.delete_original_response(), f"{what} (withdrawing the channel's placeholder)")
        await deliver(self.interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS, **extra),
                      what)
        return None

    async def update(self, embed: discord.Embed, view: discord.ui.View | None) -> bool:
        """Edit the message the clicked button is on (a quiz or poll card)."""
        if self.done:
            return False
        self.done = True
        action: Awaitable[Any]
        if self.acknowledged:
            action = self.interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_PINGS)
        else:
            action = self.interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_PINGS)
        return await deliver(action, self.what)

    async def post(self, embed: discord.Embed, view: discord.ui.View | None) -> Posted | None:
        """Answer a click with a new message for the whole channel ("Share in channel" on a private card, a debate
        started from a triage table); the card clicked stays as it is. After a click's silent acknowledgement, a
        public follow-up. The new message, or None when Discord refused it."""
        return await self._post(embed=embed, allowed_mentions=NO_PINGS, **({"view": view} if view else {}))

    async def post_text(self, content: str, mentions: discord.AllowedMentions) -> bool:
        """Answer a click with a new plain-text message for the channel ("Ask <contact>"), which may ping exactly
        what `mentions` allows (a mention inside an embed would notify nobody)."""
        return await self._post(content=content, allowed_mentions=mentions) is not None

    async def _post(self, **message: Any) -> Posted | None:
        if self.done:
            return None
        self.done = True
        if self.acknowledged:  # a follow-up: a message of its own, edited through the interaction's webhook
            sent = await send(self.interaction.followup.send(ephemeral=False, **message), self.what)
            return Posted(sent.id, sent.edit) if isinstance(sent, discord.WebhookMessage) else None
        # The interaction's response: the new message is the interaction's original response from now on.
        sent = await send(self.interaction.response.send_message(ephemeral=False, **message), self.what)
        message_id = getattr(sent, "message_id", None) if sent is not FAILED else None
        return Posted(message_id, self.interaction.edit_original_response) if message_id else None

    def edit_card(self, **kwargs: Any) -> Awaitable[Any]:
        """Edit the clicked message again later, with this interaction's token (valid for 15 minutes)."""
        return self.interaction.edit_original_response(**kwargs)

    async def note(self, reply: Reply, view: discord.ui.View | None = None) -> None:
        """A note only the person who acted sees (a thank-you, "that poll is closed", an apology)."""
        if self.done:
            return
        self.done = True
        embed = render(reply)
        extra: dict[str, Any] = {"view": view} if view else {}
        what = self.what
        if not self.acknowledged:
            await deliver(self.interaction.response.send_message(embed=embed, ephemeral=True,
                                                                 allowed_mentions=NO_PINGS, **extra), what)
        elif self._click or self.private:
            # After a click's silent acknowledgement, a new message only for the clicker; after a private
            # placeholder, the first follow-up takes its place (and stays private).
            await deliver(self.interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS,
                                                         **extra), what)
        else:
            self.done = False
            await self.send(embed, view, ephemeral=True)

    async def quietly(self) -> None:
        """Acknowledge a click without a word (past the rate limit, or shown by an update already running)."""
        if not self.done and not self.acknowledged:
            await deliver(self.interaction.response.defer(), self.what)
        self.done = True

    async def follow_up(self, **kwargs: Any) -> None:
        """After `acknowledge`: the answer as a private follow-up (content, a file), which replaces the placeholder."""
        if self.done:
            return
        self.done = True
        await deliver(self.interaction.followup.send(ephemeral=True, allowed_mentions=NO_PINGS, **kwargs), self.what)

    async def farewell(self) -> None:
        """The bot is stopping before this was answered: say so rather than leave the person waiting."""
        await self.note(Reply.note(RESTARTING, private=True))
