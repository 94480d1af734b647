"""Discord's 3-second deadline: a slow store or a busy bot still acknowledges every interaction in time, then answers.

The fake refuses a first answer that comes more than 3 seconds after the interaction
(404, code 10062, what people see as "The application did not respond"), so these
tests fail exactly where Discord would.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
from fake_discord import (
    INTERACTION_DEADLINE,
    OTHER_USER_ID,
    FakeDiscord,
    button_ids,
    click,
    slash,
)
from slow_store import LOCKER, LockedStore

from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import SQLiteStore

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
LOADING = 128
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE = 6


async def final_edit(fake: FakeDiscord, payload: dict, *, timeout: float = 15) -> dict:
    """The message the deferred interaction's answer left, once the bot filled it in (an edit of @original)."""
    await fake.wait_for(lambda c: c in fake.webhook_calls(payload, "PATCH"), timeout=timeout)
    return fake.original(payload)


async def test_who_is_acknowledged_in_time_while_another_process_locks_the_sqlite_store(fake, start_bot, advisor,
                                                                                      tmp_path):
    path = tmp_path / "state.db"
    await start_bot(conversation=Conversation(advisor, SQLiteStore(path), rate_limit=20))
    locker = await asyncio.create_subprocess_exec(sys.executable, "-c", LOCKER, str(path), "8",
                                                  stdout=asyncio.subprocess.PIPE)
    assert (await asyncio.wait_for(locker.stdout.readline(), 10)).strip() == b"locked"
    started = time.monotonic()
    try:
        payload = slash("who", task="the release schedule")
        await fake.interaction(payload)
        deferred = await fake.callback_for(int(payload["id"]))
        assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
        assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE
        assert not deferred.body.get("data", {}).get("flags", 0) & EPHEMERAL, "who is for the whole channel"

        message = await final_edit(fake, payload)
        assert time.monotonic() - started > 6, "answered once the lock was released"
        (embed,) = message["embeds"]
        assert embed["description"].startswith("Project manager.")
        assert not message["flags"] & (EPHEMERAL | LOADING)
        assert [i.rsplit(":", 1)[1] for i in button_ids(message)] == ["up", "down"]
    finally:
        await locker.wait()


async def test_a_quiz_started_on_a_slow_store_is_deferred_privately_then_shown(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    slow.lock(4)
    payload = slash("quiz")
    await fake.interaction(payload)
    deferred = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE and deferred.body["data"]["flags"] & EPHEMERAL
    message = await final_edit(fake, payload)
    assert message["embeds"][0]["title"].startswith("Step 1 of ")
    assert message["flags"] & EPHEMERAL and not message["flags"] & LOADING
    assert button_ids(message)


async def test_a_quiz_click_on_a_slow_store_is_acknowledged_then_the_card_moves(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    start = slash("quiz")
    await fake.interaction(start)
    message_id = int(fake.messages_from(await fake.callback_for(int(start["id"])))["id"])
    assert fake.messages[message_id]["embeds"][0]["title"].startswith("Step 1 of ")

    slow.lock(4)
    payload = click(fake, message_id, button_ids(fake.messages[message_id])[0])
    await fake.interaction(payload)
    acknowledged = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert acknowledged.body == {"type": DEFERRED_UPDATE}
    await final_edit(fake, payload)
    assert fake.messages[message_id]["embeds"][0]["title"].startswith("Step 2 of "), "the same card moved on"


async def test_a_vote_on_a_slow_store_is_acknowledged_then_counted_on_the_card(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    start = slash("debate", task="the release schedule")
    await fake.interaction(start)
    card = fake.messages_from(await fake.callback_for(int(start["id"])))
    slow.lock(4)
    payload = click(fake, int(card["id"]), button_ids(card)[1], user_id=OTHER_USER_ID)
    await fake.interaction(payload)
    await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    await final_edit(fake, payload)
    fields = fake.messages[int(card["id"])]["embeds"][0]["fields"]
    assert [int(f["value"]) for f in fields] == [0, 1, 0]


async def test_a_private_answer_to_a_slow_public_command_is_not_left_in_the_channel(fake, start_bot, advisor, store):
    # The store is locked, then fails: /rolecall debate (a public command) ends in a private "can't save" note.
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    slow.lock(4, then_fail=True)
    payload = slash("debate", task="the release schedule")
    await fake.interaction(payload)
    deferred = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE
    (note,) = await fake.wait_for(lambda c: c in fake.webhook_calls(payload, "POST"), timeout=10)
    assert note.body["flags"] & EPHEMERAL
    assert "can't save" in note.body["embeds"][0]["description"]
    assert fake.messages_from(note)["flags"] & EPHEMERAL
    assert fake.webhook_calls(payload, "DELETE"), "the channel's placeholder was withdrawn"
    public = [m for m in fake.messages.values() if not m["flags"] & EPHEMERAL]
    assert public == [], public


async def test_a_late_answer_is_refused_by_the_fake_as_by_discord(fake, bot, bot_log):
    payload = slash("ask", question="who owns the roadmap?")
    await fake.interaction(payload, age=INTERACTION_DEADLINE + 0.5)  # it spent too long on the way
    (call,) = await fake.wait_for(lambda c: c.path.endswith("/callback"))
    assert call.status == 404 and call.response is None, "refused: Unknown interaction"
    await asyncio.sleep(0.1)
    assert any("not found" in r.getMessage() for r in bot_log)


async def test_many_triages_do_not_hold_up_another_persons_command(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store))
    backlog = "\n".join(f"Update the release schedule for milestone {n} with the stakeholders" for n in range(500))
    triages = []
    for _ in range(20):
        attachment = fake.add_attachment("backlog.txt", backlog.encode())
        triages.append(slash("triage", attachments={"file": attachment}))
    for payload in triages:
        await fake.interaction(payload)
    await asyncio.sleep(0.2)
    who = slash("who", task="the roadmap", user_id=OTHER_USER_ID)
    await fake.interaction(who)
    await fake.callback_for(int(who["id"]), timeout=10)
    assert fake.acknowledged_after(who) < INTERACTION_DEADLINE
    for payload in triages:
        await fake.wait_for(lambda c, p=payload: c in fake.webhook_calls(p), timeout=60)
        assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    answered = fake.original(who)
    assert answered["embeds"][0]["description"].startswith("Product manager.")
