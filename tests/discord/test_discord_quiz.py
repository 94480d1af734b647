"""The quiz as buttons: clicks edit the same message, survive a restart, and stale clicks get a polite note."""

from __future__ import annotations

import json
import re

import pytest
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    USER_ID,
    FakeDiscord,
    button_ids,
    click,
    mention_of_bot,
    message_create,
    slash,
)

from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.parts import QuizResult
from rolecall.bot.sqlite_store import SQLiteStore

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
UPDATE_MESSAGE = 7
CHANNEL_MESSAGE = 4


async def start_quiz(fake: FakeDiscord) -> int:
    """/rolecall quiz; returns the id of the (ephemeral) message holding the first question."""
    payload = slash("quiz")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["data"]["flags"] & EPHEMERAL
    return int(fake.messages_from(call)["id"])


async def press(fake: FakeDiscord, message_id: int, custom_id: str, **kwargs) -> dict:
    """Click one button; returns the bot's interaction callback body."""
    payload = click(fake, message_id, custom_id, **kwargs)
    await fake.interaction(payload)
    return (await fake.callback_for(int(payload["id"]))).body


def title(message: dict) -> str:
    return message["embeds"][0].get("title", "")


def progress(message: dict) -> tuple[int, int]:
    found = re.fullmatch(r"Step (\d+) of (\d+)", title(message))
    assert found, f"not a quiz question: {message['embeds']}"
    return int(found[1]), int(found[2])


async def test_a_whole_quiz_clicked_through_edits_one_message_to_the_result(fake, bot, conversation):
    message_id = await start_quiz(fake)
    step, total = progress(fake.messages[message_id])
    assert (step, total) == (1, total) and total >= 5
    posts_before = len([c for c in fake.calls if c.method == "POST" and c.path.startswith("/channels/")])
    for expected_step in range(1, total + 1):
        assert progress(fake.messages[message_id]) == (expected_step, total)
        body = await press(fake, message_id, button_ids(fake.messages[message_id])[0])
        assert body["type"] == UPDATE_MESSAGE, "a click edits the message it was on"
        assert body["data"]["allowed_mentions"] == {"parse": []}
    result = fake.messages[message_id]
    assert title(result) == "Your quiz result"
    # The core saved it: "my result" in chat shows the same result, which the card leads with.
    mine = conversation.handle(Message(text="my result", platform="discord", workspace=str(GUILD_ID),
                                       channel=str(CHANNEL_ID), user=str(USER_ID)))
    assert mine.quiz and mine.quiz["result"]
    saved = mine.first(QuizResult)
    assert saved and result["embeds"][0]["description"].startswith(f"**{saved.title}** · product ")
    assert saved.summary in result["embeds"][0]["description"]
    assert result["embeds"][0]["footer"]["text"] == f"Quiz complete · {total} questions"
    assert result["components"] == [], "the result has no buttons left"
    assert result["flags"] & EPHEMERAL
    assert len([c for c in fake.calls if c.method == "POST" and c.path.startswith("/channels/")]) == posts_before


async def test_buttons_keep_working_after_a_restart(fake, start_bot, advisor, store):
    first = await start_bot()
    message_id = await start_quiz(fake)
    await press(fake, message_id, button_ids(fake.messages[message_id])[1])
    assert progress(fake.messages[message_id])[0] == 2
    await first.close()

    # A new process: new client, new Conversation, the same SQLite file.
    fresh = Conversation(advisor, SQLiteStore(store.path))
    await start_bot(conversation=fresh)
    assert len(fake.identifies) == 2
    body = await press(fake, message_id, button_ids(fake.messages[message_id])[0])
    assert body["type"] == UPDATE_MESSAGE
    assert progress(fake.messages[message_id])[0] == 3


async def test_a_click_after_the_quiz_ended_gets_a_polite_private_note(fake, bot):
    message_id = await start_quiz(fake)
    old = dict(fake.messages[message_id])
    total = progress(old)[1]
    for _ in range(total):
        await press(fake, message_id, button_ids(fake.messages[message_id])[0])
    assert title(fake.messages[message_id]) == "Your quiz result"

    fake.messages[message_id] = old  # a client still showing the first question
    body = await press(fake, message_id, button_ids(old)[0])
    assert body["type"] == CHANNEL_MESSAGE
    assert body["data"]["flags"] & EPHEMERAL
    assert "already ended" in body["data"]["embeds"][0]["description"]
    assert not body["data"].get("components")


async def test_a_double_click_on_an_earlier_question_changes_no_answer(fake, bot):
    message_id = await start_quiz(fake)
    first_question = dict(fake.messages[message_id])
    await press(fake, message_id, button_ids(first_question)[0])
    assert progress(fake.messages[message_id])[0] == 2

    fake.messages[message_id] = first_question  # the second click of a double click, on the old buttons
    body = await press(fake, message_id, button_ids(first_question)[1])
    assert "earlier question" in body["data"]["embeds"][0]["description"]
    if body["type"] == CHANNEL_MESSAGE:  # a note the core marked private: only the clicker sees it
        assert body["data"]["flags"] & EPHEMERAL
    else:  # or the card itself shows where the quiz really is, with the note
        assert body["type"] == UPDATE_MESSAGE
    assert progress(body["data"])[0] == 2, "the quiz did not move twice"


async def test_only_the_owner_can_click_a_quiz_posted_in_a_channel(fake, bot):
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{bot.user.id}> quiz", mentions=[mention_of_bot()]))
    post = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[-1]
    message_id = int(fake.messages_from(post)["id"])
    ids = button_ids(fake.messages[message_id])
    assert all(i.endswith(f"|{USER_ID}") for i in ids), ids

    body = await press(fake, message_id, ids[0], user_id=OTHER_USER_ID)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "someone else's quiz" in body["data"]["embeds"][0]["description"]
    assert progress(fake.messages[message_id])[0] == 1

    body = await press(fake, message_id, ids[0])
    assert body["type"] == UPDATE_MESSAGE
    assert progress(fake.messages[message_id])[0] == 2
    assert all(i.endswith(f"|{USER_ID}") for i in button_ids(fake.messages[message_id]))


async def test_an_unknown_button_gets_the_cores_note(fake, bot):
    message_id = await start_quiz(fake)
    message = fake.messages[message_id]
    message["components"][0]["components"][0]["custom_id"] = "rolecall:poll:gone"
    body = await press(fake, message_id, "rolecall:poll:gone")
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "isn't one I know" in body["data"]["embeds"][0]["description"]
    assert progress(fake.messages[message_id])[0] == 1


async def test_cards_for_everyone_take_anyones_click(fake, bot):
    # A debate poll card (a core feature beside the quiz) is shared: no owner in its buttons, any click updates it.
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{bot.user.id}> debate: the release schedule",
                                                         mentions=[mention_of_bot()]))
    post = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[-1]
    message_id = int(fake.messages_from(post)["id"])
    ids = button_ids(fake.messages[message_id])
    assert ids and not any("|" in i for i in ids), ids
    body = await press(fake, message_id, ids[0], user_id=OTHER_USER_ID)
    assert body["type"] == UPDATE_MESSAGE
    assert button_ids(fake.messages[message_id]) == ids


# -- a quiz taken privately stays private ---------------------------------------------------------


async def test_a_private_quiz_never_shows_in_a_public_reply(fake, bot):
    # Issue 14: a mention in the channel of a /rolecall quiz posted "Back to the quiz: ..." for everyone to see.
    message_id = await start_quiz(fake)
    for _ in range(2):
        await press(fake, message_id, button_ids(fake.messages[message_id])[0])
    assert progress(fake.messages[message_id])[0] == 3

    for text in ("who owns the roadmap?", "b", "skip"):
        await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> {text}", mentions=[mention_of_bot()]))
        post = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages", count=1))[-1]
        posted = json.dumps(post.body)
        assert "Step " not in posted and "Back to the quiz" not in posted, post.body
        assert not [i for i in button_ids(fake.messages_from(post)) if i.startswith("rolecall:quiz:")]
        fake.calls.remove(post)
    assert fake.posts(DM_CHANNEL_ID) == [], "nor in a DM: the quiz is answered on its own card"

    body = await press(fake, message_id, button_ids(fake.messages[message_id])[0])  # the card carries on
    assert body["type"] == UPDATE_MESSAGE and progress(fake.messages[message_id])[0] == 4
    assert fake.messages[message_id]["flags"] & EPHEMERAL


async def test_a_private_quiz_card_offers_only_what_works_there(fake, bot):
    # Typed words never reach a private quiz in a channel, so its card does not say "say back, skip ...".
    message_id = await start_quiz(fake)
    assert "footer" not in fake.messages[message_id]["embeds"][0]
    await press(fake, message_id, button_ids(fake.messages[message_id])[0])
    assert "footer" not in fake.messages[message_id]["embeds"][0]

    # Where typing does reach the quiz (a quiz by mention in the channel, or in a DM), the hint is there.
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> quiz", mentions=[mention_of_bot()]))
    post = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[-1]
    assert "skip" in post.body["embeds"][0]["footer"]["text"]
    payload = slash("quiz", dm=True)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert "skip" in call.body["data"]["embeds"][0]["footer"]["text"]


def control(message: dict, name: str) -> str:
    (custom_id,) = [i for i in button_ids(message) if i.split("|")[0].endswith(f":{name}")]
    return custom_id


async def test_a_private_quiz_card_has_back_skip_and_stop_buttons_since_typing_never_reaches_it(fake, bot):
    message_id = await start_quiz(fake)
    await press(fake, message_id, control(fake.messages[message_id], "skip"))
    assert progress(fake.messages[message_id])[0] == 2
    await press(fake, message_id, control(fake.messages[message_id], "back"))
    assert progress(fake.messages[message_id])[0] == 1
    body = await press(fake, message_id, control(fake.messages[message_id], "stop"))
    assert body["type"] == UPDATE_MESSAGE and "Quiz stopped" in json.dumps(body)  # the card itself says so
    assert not button_ids(fake.messages[message_id])
