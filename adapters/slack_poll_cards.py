"""Debate poll cards kept in step with their polls: in-place updates after votes, and the reveal when time is up.

A poll card is a message of Rolecall's own, posted with chat.postMessage and
updated with chat.update. Votes arrive at once on several threads and
workers, and Slack applies chat.update calls in whatever order they land, so
each update is followed by a fresh read of the poll (`Conversation.poll_card`)
and, if it moved on, another update: the card always ends on the final tally.
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

MAX_CARD_REFRESHES = 50
"""Re-reads of one poll card per click before giving up keeping it in step (only reached under a vote storm)."""

Guard = Callable[[Coroutine[Any, Any, None], str], Awaitable[None]]
"""Runs one piece of background work with errors logged (the front end's answer slots)."""


@dataclass
class _Updating:
    """A card this process is updating right now: later clicks only mark it dirty and hand over their response_url."""

    respond: Respond | None
    dirty: bool = False


class PollCards:
    """The poll cards this process posted or was clicked on."""

    def __init__(self, conversation: Conversation, delivery: Delivery, guard: Guard):
        self.conversation = conversation
        self.delivery = delivery
        self.guard = guard
        self._updating: dict[tuple[str, str], _Updating] = {}
        """By (channel, ts)."""
        self._timers: set[asyncio.Task[None]] = set()
        """One per poll card this process posted: it shows the result when the poll's time is up."""

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
                state.dirty = False
                fresh = await self._read(poll_id)
                if fresh is None or (fresh.first(PollCard) == shown and not state.dirty):
                    return
                current = fresh
        finally:
            del self._updating[key]

    def reveal_on_time(self, client: AsyncWebClient, *, channel: str, posted: Any, reply: Reply) -> None:
        """When a posted poll's time is up, turn its card into the result even if nobody clicks again.

        The core reveals a poll that is due whenever it is read, so this only has to read it and update the card
        at the right moment. The timer lives in the process that posted the card; if that process stops first,
        the next click on the card reveals it instead.
        """
        delay = self.conversation.reveal_delay(reply)
        card = reply.first(PollCard)
        ts = posted.get("ts") if hasattr(posted, "get") else None
        if delay is None or card is None or not ts:
            return

        async def reveal() -> None:
            await asyncio.sleep(delay)
            body = {"container": {"type": "message", "channel_id": channel, "message_ts": ts}}
            await self.guard(self.sync(client, body, None, None, card.id), "poll reveal")

        timer = asyncio.get_running_loop().create_task(reveal())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    def cancel_timers(self) -> None:
        """Shutting down: a poll left open is revealed at its next click instead."""
        for timer in list(self._timers):
            timer.cancel()

    async def _read(self, poll_id: str) -> Reply | None:
        """The poll's card as it stands in the store now (None if it is gone or the store is down)."""
        return await asyncio.to_thread(self.conversation.poll_card, poll_id)
