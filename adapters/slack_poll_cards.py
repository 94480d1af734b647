"""Debate poll cards kept in step with their polls: in-place updates after votes (clicked or typed), and the reveal
when time is up.

A poll card is a message of Rolecall's own, posted with chat.postMessage and
updated with chat.update; where it was posted is kept in the store
(`Conversation.attach_card`), so a vote typed in the poll's thread updates that
one card, and a restarted process reschedules the reveal of every open poll
(`Conversation.open_polls`). A card posted through a command's response_url
(a channel Rolecall may not post in) is updated through response_urls instead.

Votes arrive at once on several threads and workers, and Slack applies
chat.update calls in whatever order they land, so each update is followed by
a fresh read of the poll (`Conversation.poll_card`) and, if it moved on,
another update: the card always ends on the final tally.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from ..bot.conversation import Conversation
from ..bot.messages import Reply
from ..bot.parts import PollCard
from .slack_blocks import render
from .slack_delivery import Delivery, Respond
from .slack_payloads import PLATFORM

MAX_CARD_REFRESHES = 50
"""Re-reads of one poll card per click before giving up keeping it in step (only reached under a vote storm)."""

Guard = Callable[[Coroutine[Any, Any, None], str], Awaitable[None]]
"""Runs one piece of background work with errors logged."""
Core = Callable[..., Awaitable[Any]]
"""Runs a call into the core in a worker thread, in one of the front end's answer slots: `await core(fn, *args)`."""


@dataclass
class _Updating:
    """A card this process is updating right now: later clicks only mark it dirty and hand over their response_url."""

    respond: Respond | None
    dirty: bool = False


class PollCards:
    """The poll cards this process posted, was clicked on, or took over at start-up."""

    def __init__(self, conversation: Conversation, delivery: Delivery, guard: Guard, core: Core):
        self.conversation = conversation
        self.delivery = delivery
        self.guard = guard
        self.core = core
        self._updating: dict[tuple[str, str], _Updating] = {}
        """By (channel, ts)."""
        self._timers: dict[str, asyncio.Task[None]] = {}
        """By poll id: shows the result when the poll's time is up; cancelled once the poll is seen closed."""

    # -- posting and taking over ---------------------------------------------------------

    async def posted(self, client: AsyncWebClient, reply: Reply, *, channel: str, ts: str) -> None:
        """A poll card was posted as a message of Rolecall's own: remember where, and reveal it on time."""
        card = reply.first(PollCard)
        if card is None or not ts:
            return
        where = {"channel": channel, "ts": ts}
        await self.core(self.conversation.attach_card, card.id, PLATFORM, where)
        self._schedule(client, card.id, self.conversation.reveal_delay(reply), _at(where), None)

    def responded(self, client: AsyncWebClient, reply: Reply, respond: Respond) -> None:
        """A poll card went out through a command's response_url: reveal it on time through that same URL
        (Slack keeps a response_url for 30 minutes; a later reveal happens at the card's next click)."""
        card = reply.first(PollCard)
        url = getattr(respond, "response_url", None)
        if card is not None and url:
            self._schedule(client, card.id, self.conversation.reveal_delay(reply), {"response_url": url}, respond)

    async def restore(self, client: AsyncWebClient) -> None:
        """At start-up: reveal on time every open poll whose card this platform posted (it outlives a restart)."""
        for poll_id, delay, where in await self.core(self.conversation.open_polls, PLATFORM):
            if "channel" in where and "ts" in where:
                self._schedule(client, poll_id, delay, _at(where), None)

    async def update_typed(self, client: AsyncWebClient, reply: Reply) -> bool:
        """A vote or reveal typed in chat: bring the poll's one card up to date instead of posting another.
        False when the reply is not about a posted card (a new poll, a card this platform never posted)."""
        card = reply.first(PollCard)
        if card is None or reply.private:
            return False
        where = await self.core(self.conversation.card_location, card.id, PLATFORM)
        if not where or "channel" not in where or "ts" not in where:
            return False
        await self.sync(client, _at(where), None, reply, card.id)
        return True

    # -- keeping a card in step ----------------------------------------------------------

    async def sync(self, client: AsyncWebClient, body: dict[str, Any], respond: Respond | None, reply: Reply | None,
                   poll_id: str) -> None:
        """Bring a poll card up to date with its poll, in place; `reply` is the card as the click left it, if known.

        The last update Slack applies is always followed by a read that finds
        nothing newer, so the card ends on the final tally. Within this process
        one update per card runs at a time; clicks that arrive meanwhile only
        mark the card dirty, so a burst of votes costs a few updates, not one each.
        """
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if container.get("is_ephemeral") or not (channel and ts):
            reply = reply or await self._read(poll_id)
            if reply is not None:
                await self.delivery.update_card(client, body, render(reply), respond)
                self._seen(reply.first(PollCard))
            return
        key = (channel, ts)
        busy = self._updating.get(key)
        if busy is not None:
            busy.dirty = True  # the update running now reads the poll again
            busy.respond = respond or busy.respond
            return
        state = self._updating[key] = _Updating(respond)
        try:
            current, shown = reply, None
            for _ in range(MAX_CARD_REFRESHES):
                if current is not None and current.first(PollCard) != shown:
                    await self.delivery.replace(client, channel=channel, ts=ts, message=render(current),
                                                respond=state.respond)
                    shown = current.first(PollCard)
                    self._seen(shown)
                state.dirty = False
                fresh = await self._read(poll_id)
                if fresh is None or (fresh.first(PollCard) == shown and not state.dirty):
                    return
                current = fresh
        finally:
            del self._updating[key]

    # -- reveal timers -------------------------------------------------------------------

    def timers(self) -> set[str]:
        """The polls this process will reveal when their time is up."""
        return set(self._timers)

    def cancel_timers(self) -> None:
        """Shutting down: the next process reschedules them (`restore`), or the next click reveals the poll."""
        for timer in list(self._timers.values()):
            timer.cancel()
        self._timers.clear()

    def _schedule(self, client: AsyncWebClient, poll_id: str, delay: float | None, body: dict[str, Any],
                  respond: Respond | None) -> None:
        if delay is None:
            return

        async def reveal() -> None:
            await asyncio.sleep(delay)
            await self.guard(self.sync(client, body, respond, None, poll_id), "poll reveal")

        old = self._timers.pop(poll_id, None)
        if old is not None:
            old.cancel()
        timer = self._timers[poll_id] = asyncio.get_running_loop().create_task(reveal())
        timer.add_done_callback(lambda done: self._timers.pop(poll_id, None) if self._timers.get(poll_id) is done
                                else None)

    def _seen(self, card: PollCard | None) -> None:
        """A card was shown closed (a manual reveal, or on time): its timer has nothing left to do."""
        if card is None or not card.closed:
            return
        timer = self._timers.get(card.id)
        if timer is not None and timer is not asyncio.current_task():
            self._timers.pop(card.id, None)
            timer.cancel()

    async def _read(self, poll_id: str) -> Reply | None:
        """The poll's card as it stands in the store now (None if it is gone or the store is down)."""
        result: Reply | None = await self.core(self.conversation.poll_card, poll_id)
        return result


def _at(where: dict[str, str]) -> dict[str, Any]:
    """A click-shaped body naming the message a card was posted as."""
    return {"container": {"type": "message", "channel_id": where["channel"], "message_ts": where["ts"]}}
