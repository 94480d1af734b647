""""Who owns this?" on any message (a message context-menu command), "Share in channel", and team decisions."""

from __future__ import annotations

import json
import re
import time

import pytest
from fake_discord import (
    CHANNEL_ID,
    INTERACTION_DEADLINE,
    OTHER_USER_ID,
    USER_ID,
    FakeDiscord,
    button_ids,
    click,
    message_command,
    message_create,
    slash,
)
from slow_store import LockedStore

from rolecall.adapters.discord_bot import NOTHING_TO_READ
from rolecall.adapters.discord_render import render
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Reply
from rolecall.bot.parts import TeamDecision, Verdict

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7


async def who_owns_this(fake: FakeDiscord, content: str, *, author_id: int = OTHER_USER_ID) -> tuple[dict, dict]:
    """"Who owns this?" on someone's message; returns the callback body and the message it created."""
    payload = message_command(message_create(content, author_id=author_id))
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    return call.body, fake.messages_from(call)


async def press(fake: FakeDiscord, message_id: int, custom_id: str, *, user_id: int = USER_ID) -> tuple[dict, dict]:
    payload = click(fake, message_id, custom_id, user_id=user_id)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    return call.body, fake.messages_from(call)


def share_id(message: dict) -> str:
    ids = [i for i in button_ids(message) if i.startswith("rolecall:share:")]
    assert len(ids) == 1, button_ids(message)
    return ids[0]


async def test_who_owns_this_answers_privately_about_the_message_without_the_content_intent(fake, bot, advisor):
    assert not bot.intents.message_content
    body, card = await who_owns_this(fake, "Can someone take the release schedule? <@&123> @everyone")
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert body["data"]["allowed_mentions"] == {"parse": []}
    (embed,) = card["embeds"]
    assert embed["description"].startswith("Project manager.")
    topic = advisor.ask("the release schedule").topic
    assert share_id(card) == f"rolecall:share:{topic}"
    labels = {b["custom_id"]: b["label"] for row in card["components"] for b in row["components"]}
    assert labels[share_id(card)] == "Share in channel"
    assert fake.posts(CHANNEL_ID) == [], "nothing is posted for the channel until it is shared"


async def test_share_in_channel_posts_the_answer_publicly_and_leaves_the_private_card(fake, bot, advisor):
    _, private = await who_owns_this(fake, "who should own the release schedule?")
    before = json.dumps(fake.messages[int(private["id"])])

    body, shared = await press(fake, int(private["id"]), share_id(private))
    assert body["type"] == CHANNEL_MESSAGE, "a new message, not an edit of the private card"
    assert not body["data"].get("flags", 0) & EPHEMERAL
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert int(shared["id"]) != int(private["id"])
    assert shared["embeds"][0]["description"].startswith("Project manager.")
    assert [i.rsplit(":", 1)[1] for i in button_ids(shared)] == ["up", "down"], "anyone may rate the shared answer"
    assert not any("|" in i for i in button_ids(shared))
    assert json.dumps(fake.messages[int(private["id"])]) == before


async def test_a_message_without_text_gets_a_polite_note(fake, bot):
    body, note = await who_owns_this(fake, "   ")
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert note["embeds"][0]["description"] == NOTHING_TO_READ
    assert not note.get("components")


async def test_who_owns_this_and_share_on_a_slow_store_are_acknowledged_in_time(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow))
    slow.lock(2.5)
    payload = message_command(message_create("the release schedule", author_id=OTHER_USER_ID))
    await fake.interaction(payload)
    deferred = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE and deferred.body["data"]["flags"] & EPHEMERAL
    await fake.wait_for(lambda c: c in fake.webhook_calls(payload, "PATCH"), timeout=10)
    private = fake.original(payload)
    assert private["flags"] & EPHEMERAL and share_id(private)

    slow.lock(2.5)
    clicked = click(fake, int(private["id"]), share_id(private))
    await fake.interaction(clicked)
    ack = await fake.callback_for(int(clicked["id"]))
    assert fake.acknowledged_after(clicked) < INTERACTION_DEADLINE
    assert ack.body["type"] == DEFERRED_UPDATE
    (post,) = await fake.wait_for(lambda c: c in fake.webhook_calls(clicked, "POST"), timeout=10)
    assert not post.body.get("flags", 0) & EPHEMERAL and post.body["allowed_mentions"] == {"parse": []}
    shared = fake.messages_from(post)
    assert int(shared["id"]) != int(private["id"]) and not shared["flags"] & EPHEMERAL
    assert shared["embeds"][0]["description"].startswith("Project manager.")


# -- team decisions ----------------------------------------------------------------------------


async def test_a_team_decision_leads_the_verdict_in_the_embed():
    decision = TeamDecision(verdict="product", decided_at=time.time(), by="ana", question="Is the release schedule …?",
                            tally={"product": 2, "project": 1, "both": 0}, agrees=False)
    verdict = Verdict("project", 0.9, "Project managers own delivery plans.", topic="release-plan",
                      topic_label="release schedule", source="common industry practice")
    embed = render(Reply(parts=(decision, verdict)))
    assert embed.description is not None
    assert embed.description.startswith("Your team decided: Product manager (")
    assert "2 of 3 agreed" in embed.description
    assert "Project manager. Project managers own delivery plans." in embed.description
    assert "Topic:" not in embed.description and "Source:" not in embed.description


async def test_make_this_our_answer_on_the_closed_card_adopts_it_for_the_server(fake, bot):
    payload = slash("debate", task="the release schedule")
    await fake.interaction(payload)
    card = fake.messages_from(await fake.callback_for(int(payload["id"])))
    message_id = int(card["id"])
    poll = re.fullmatch(r"rolecall:poll:([0-9a-f]+):product", button_ids(card)[0])
    assert poll
    for voter in (OTHER_USER_ID, USER_ID):
        await press(fake, message_id, f"rolecall:poll:{poll[1]}:product", user_id=voter)
    await press(fake, message_id, f"rolecall:poll:{poll[1]}:reveal")
    adopt = f"rolecall:poll:{poll[1]}:adopt"
    assert adopt in button_ids(fake.messages[message_id])
    closed = json.dumps(fake.messages[message_id])

    body, _ = await press(fake, message_id, adopt, user_id=OTHER_USER_ID)  # not the starter: turned away
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "Only the person who started this debate" in body["data"]["embeds"][0]["description"]

    body, _ = await press(fake, message_id, adopt)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert body["data"]["embeds"][0]["description"].startswith("Done: this team's answer on ")
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert json.dumps(fake.messages[message_id]) == closed, "the closed card stays as everyone sees it"

    payload = slash("who", task="the release schedule")
    await fake.interaction(payload)
    answer = fake.messages_from(await fake.callback_for(int(payload["id"])))
    assert answer["embeds"][0]["description"].startswith("Your team decided: Product manager (")
