"""Debates from a Discord triage table: the private table carries a "Debate" button for each topic both roles share,
and a click posts that debate's poll card publicly in the channel, as `/rolecall debate` does.

Through the local gateway and REST fake: the table is submitted through the triage form, the button clicked as
Discord delivers a click, and the card is a message of its own (the private table stays as it was) that votes edit
in place and that reveals itself when time is up.
"""

from __future__ import annotations

import json

import pytest
from fake_discord import CHANNEL_ID, INTERACTION_DEADLINE, OTHER_USER_ID, FakeDiscord, button_ids, click, modal_submit
from slow_store import LockedStore

from rolecall.adapters.discord_commands import TRIAGE_INPUT_ID, TRIAGE_MODAL_ID
from rolecall.bot.conversation import Conversation

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
SHARED_TASKS = ("stakeholder management", "communication with the team")
BACKLOG = "\n".join(("Write the PRD", SHARED_TASKS[0], "Run the daily standup", SHARED_TASKS[1]))


def shared(advisor) -> list[tuple[str, str]]:
    """(custom_id, topic name) of the debate button for each shared task, as the core names them."""
    answers = [advisor.ask(task).part for task in SHARED_TASKS]
    return [(f"rolecall:debate:{a.topic}:start", str(a.topic_label)) for a in answers]


async def private_table(fake: FakeDiscord) -> dict:
    """Submit BACKLOG through the triage form; returns the private message holding the table."""
    payload = modal_submit(TRIAGE_MODAL_ID, {TRIAGE_INPUT_ID: BACKLOG})
    await fake.interaction(payload)
    (follow_up,) = await fake.wait_for(lambda c: c in fake.webhook_calls(payload))
    table = fake.messages_from(follow_up)
    assert table["flags"] & EPHEMERAL
    return table


async def press(fake: FakeDiscord, message: dict, custom_id: str, *, user_id: int | None = None) -> tuple[dict, dict]:
    """Click a button; returns the interaction's callback and the message it created or updated."""
    payload = click(fake, int(message["id"]), custom_id, **({"user_id": user_id} if user_id else {}))
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    return call.body, fake.messages_from(call)


async def test_the_private_table_has_a_debate_button_per_shared_topic(fake, bot, advisor):
    table = await private_table(fake)
    labels = {b["custom_id"]: b["label"] for row in table["components"] for b in row["components"]}
    assert labels == {custom_id: f"Debate: {label}" for custom_id, label in shared(advisor)}


async def test_a_debate_click_posts_the_poll_card_publicly(fake, bot, advisor):
    table = await private_table(fake)
    custom_id, label = shared(advisor)[1]
    body, card = await press(fake, table, custom_id)
    assert body["type"] == CHANNEL_MESSAGE, "a new message, not an edit of the table"
    assert not card["flags"] & EPHEMERAL and card["channel_id"] == str(CHANNEL_ID)
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert card["embeds"][0]["title"] == f"Debate: Is {label} product or project work?"
    assert [i.rsplit(":", 1)[1] for i in button_ids(card)] == ["product", "project", "both", "reveal"]


async def test_the_table_clicked_on_stays_as_it_was(fake, bot, advisor):
    table = await private_table(fake)
    before = json.dumps(fake.messages[int(table["id"])])
    await press(fake, table, shared(advisor)[0][0])
    assert json.dumps(fake.messages[int(table["id"])]) == before


async def test_votes_on_the_debate_card_edit_it_in_place(fake, bot, advisor):
    _, card = await press(fake, await private_table(fake), shared(advisor)[0][0])
    vote = next(i for i in button_ids(card) if i.endswith(":project"))
    body, edited = await press(fake, card, vote, user_id=OTHER_USER_ID)
    assert body["type"] == UPDATE_MESSAGE and edited["id"] == card["id"]
    assert {f["name"].split(" ")[0]: f["value"] for f in edited["embeds"][0]["fields"]} == {
        "Product": "0", "Project": "1", "Both": "0"}


async def test_the_debate_card_reveals_itself_when_time_is_up(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, poll_duration=0.3))
    custom_id, label = shared(advisor)[0]
    _, card = await press(fake, await private_table(fake), custom_id)
    await fake.wait_for(lambda c: c.method == "PATCH" and c.body and "Debate closed" in json.dumps(c.body))
    assert fake.messages[int(card["id"])]["embeds"][0]["title"] == f"Debate closed: Is {label} product or project work?"


async def test_on_a_slow_store_the_click_is_acknowledged_in_time_and_the_card_follows(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    table = await private_table(fake)
    custom_id, label = shared(advisor)[0]
    slow.lock(2.5)
    payload = click(fake, int(table["id"]), custom_id)
    await fake.interaction(payload)
    ack = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert ack.body["type"] == DEFERRED_UPDATE
    (post,) = await fake.wait_for(lambda c: c in fake.webhook_calls(payload, "POST"), timeout=10)
    card = fake.messages_from(post)
    assert not card["flags"] & EPHEMERAL and card["id"] != table["id"]
    assert card["embeds"][0]["title"] == f"Debate: Is {label} product or project work?"
