"""Debate poll cards kept in step with their polls: votes edit the card in order, and the card reveals itself on time.

Votes arrive at once from many people, each click's answer is computed on its own
thread, and Discord applies edits in the order they land, so answering every click
with its own snapshot of the tally can leave a card on an old count (…7, 8, 6).
Here one edit per card runs at a time: a click that comes in meanwhile is only
acknowledged and marks the card dirty, and after each edit the poll is read again
and the card edited again if it moved on, so the card always ends on the final tally.

A poll's card is remembered in the core (`attach_card`), so the timer that reveals
it when its time is up comes back after a restart (`resume`, from `open_polls`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from ..bot.conversation import Conversation
from ..bot.messages import Reply
from ..bot.parts import PollCard
from .discord_answer import Answer
from .discord_buttons import button_view
from .discord_io import NO_PINGS, PLATFORM, deliver
from .discord_render import render
from .discord_work import CorePool

log = logging.getLogger(__name__)

Editor = Callable[..., Awaitable[Any]]
"""Edits one message the bot sent: `edit(embed=, view=, allowed_mentions=)`."""
MAX_CARD_REFRESHES = 50
"""Re-reads of one poll card per update before giving up keeping it in step (only reached under a vote storm)."""
TOKEN_LIFETIME = 14 * 60
"""An interaction's token edits its message for 15 minutes; after that the channel message is edited instead."""


@dataclass
class _Updating:
    """A card being edited right now: later clicks mark it dirty and hand over their (fresher) editor."""

    edit: Editor
    dirty: bool = False


class PollCards:
    """The poll cards this process posted or was clicked on, and their reveal timers."""

    def __init__(self, client: discord.Client, conversation: Conversation, pool: CorePool):
        self.client = client
        self.conversation = conversation
        self.pool = pool
        self._updating: dict[int, _Updating] = {}
        """By message id."""
        self._timers: dict[tuple[str, int], asyncio.Task[None]] = {}
        """(Poll id, message id) -> the timer that reveals that card of the poll when time is up."""

    # -- clicks -----------------------------------------------------------------------------------

    async def clicked(self, answer: Answer, message_id: int, reply: Reply, card: PollCard) -> None:
        """A click whose reply shows the poll card it was on: edit that card, one edit at a time per card."""
        busy = self._updating.get(message_id)
        if busy is not None:
            busy.dirty = True  # the update running now reads the poll again and shows this click too
            await answer.quietly()
            busy.edit = answer.edit_card
            return
        state = self._updating[message_id] = _Updating(answer.edit_card)
        try:
            if await answer.update(render(reply), button_view(reply)):
                await self._keep_up(card.id, message_id, state, card)
        finally:
            self._updating.pop(message_id, None)
        if card.closed:
            self.cancel_timer(card.id, message_id)

    # -- posting and the reveal on time --------------------------------------------------------------

    async def posted(self, reply: Reply, *, channel_id: int | None, message_id: int | None, edit: Editor) -> None:
        """A reply was posted for everyone: if it shows an open poll, remember where and reveal it on time."""
        card = reply.first(PollCard)
        delay = self.conversation.reveal_delay(reply)
        if card is None or delay is None or message_id is None:
            return
        self.reveal_on_time(card.id, message_id, edit, delay)
        if channel_id is not None:
            await self.pool.run(self._remember, card.id, {"channel": str(channel_id), "message": str(message_id)})

    def _remember(self, poll_id: str, where: dict[str, str]) -> None:
        """Where the poll's card is, unless one is remembered already: the first card is the one a new process
        reveals (a typed vote posts a copy of the card, which this process reveals too)."""
        if self.conversation.card_location(poll_id, PLATFORM) is None:
            self.conversation.attach_card(poll_id, PLATFORM, where)

    def reveal_on_time(self, poll_id: str, message_id: int, edit: Editor, delay: float) -> None:
        """Turn the card into the result once the poll's time is up, even if nobody clicks again."""
        key = (poll_id, message_id)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        task = asyncio.create_task(self._reveal_later(poll_id, message_id, edit, delay),
                                   name=f"rolecall-reveal-{poll_id}")
        self._timers[key] = task
        task.add_done_callback(lambda done: self._forget_timer(key, done))

    async def resume(self) -> None:
        """At start-up: bring back the reveal timers of the open polls this platform posted (the card edited in the
        channel, as the bot's own message)."""
        try:
            found = await self.pool.run(self.conversation.open_polls, PLATFORM)
        except Exception as exc:  # a store or core that cannot list polls must not stop the bot from starting
            log.warning("could not bring back the reveal timers of open polls: %s", exc)
            return
        for poll_id, delay, where in found:
            try:
                channel_id, message_id = int(where["channel"]), int(where["message"])
            except (KeyError, ValueError):
                continue
            if (poll_id, message_id) not in self._timers:
                self.reveal_on_time(poll_id, message_id, self.channel_editor(channel_id, message_id), delay)
        if found:
            log.info("brought back the reveal timers of %d open poll(s)", len(found))

    def cancel_timer(self, poll_id: str, message_id: int | None = None) -> None:
        """No reveal needed any more: for that card of the poll, or (no message id) for every card of it."""
        for key in [k for k in self._timers if k[0] == poll_id and message_id in (None, k[1])]:
            timer = self._timers.pop(key)
            if timer is not asyncio.current_task():
                timer.cancel()

    def cancel_all(self) -> None:
        """Shutting down: a poll left open is revealed by the next process (`resume`) or the next click."""
        for poll_id, _ in list(self._timers):
            self.cancel_timer(poll_id)

    def channel_editor(self, channel_id: int, message_id: int) -> Editor:
        return self.client.get_partial_messageable(channel_id).get_partial_message(message_id).edit

    def response_editor(self, interaction: discord.Interaction, message_id: int) -> Editor:
        """Edits the message an interaction's answer created: through the interaction's token while it is valid,
        then as the bot's own message in the channel."""
        return self.token_editor(interaction.edit_original_response, interaction.channel_id, message_id)

    def token_editor(self, with_token: Editor, channel_id: int | None, message_id: int) -> Editor:
        """Edits a message an interaction's answer created (its response, or a follow-up) with `with_token` while
        the interaction's token is valid, then as the bot's own message in the channel."""
        started = time.monotonic()

        def edit(**kwargs: Any) -> Awaitable[Any]:
            if time.monotonic() - started < TOKEN_LIFETIME or not channel_id:
                return with_token(**kwargs)
            return self.channel_editor(channel_id, message_id)(**kwargs)

        return edit

    async def _reveal_later(self, poll_id: str, message_id: int, edit: Editor, delay: float) -> None:
        await asyncio.sleep(delay)
        busy = self._updating.get(message_id)
        if busy is not None:
            busy.dirty = True  # a click is updating the card right now: it reads the poll again and shows the result
            return
        state = self._updating[message_id] = _Updating(edit)
        try:
            await self._keep_up(poll_id, message_id, state, None, only_closed=True)
        finally:
            self._updating.pop(message_id, None)

    def _forget_timer(self, key: tuple[str, int], done: asyncio.Task[None]) -> None:
        if self._timers.get(key) is done:  # not a newer timer for the same card
            del self._timers[key]

    # -- keeping one card in step ---------------------------------------------------------------------

    async def _keep_up(self, poll_id: str, message_id: int, state: _Updating, shown: PollCard | None, *,
                       only_closed: bool = False) -> None:
        """Read the poll again after each edit, and edit again while it moved on; every edit awaited in turn."""
        for _ in range(MAX_CARD_REFRESHES):
            state.dirty = False
            fresh = await self._read(poll_id)
            card = fresh.first(PollCard) if fresh is not None else None
            if fresh is None or card is None or (only_closed and not card.closed):
                return  # gone, unreadable (logged by the core) or, for a timer, oddly still open
            if card != shown:
                if not await deliver(state.edit(embed=render(fresh), view=button_view(fresh), allowed_mentions=NO_PINGS),
                                     f"updating the card of poll {poll_id}"):
                    return
                shown = card
                only_closed = False
            elif not state.dirty:
                return
            if card.closed:
                self.cancel_timer(poll_id, message_id)

    async def _read(self, poll_id: str) -> Reply | None:
        try:
            return await self.pool.run(self.conversation.poll_card, poll_id)
        except Exception as exc:  # poll_card never raises for the store; anything else must not kill the update
            log.warning("could not read poll %s: %s", poll_id, exc)
            return None
