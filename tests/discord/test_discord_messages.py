"""Mentions and DMs (MESSAGE_CREATE): the terminal chat in Discord, quiz included, never pinging anyone."""

from __future__ import annotations

import asyncio

import pytest
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    OTHER_BOT_ID,
    USER_ID,
    button_ids,
    click,
    mention_of_bot,
    message_create,
)

from rolecall.adapters.discord_render import COLOURS
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import MemoryStore

pytestmark = pytest.mark.asyncio


async def say(fake, content: str, *, dm: bool = False, mention: bool = True, **kwargs) -> dict:
    """Send one message to the bot and return the body of the bot's answer."""
    channel = DM_CHANNEL_ID if dm else CHANNEL_ID
    before = len(fake.posts(channel))
    mentions = [mention_of_bot()] if mention and not dm else []
    await fake.dispatch("MESSAGE_CREATE", message_create(content, dm=dm, mentions=mentions, **kwargs))
    return (await fake.wait_for(lambda c: c.path == f"/channels/{channel}/messages", count=before + 1))[-1].body


async def nothing_sent(fake, payload: dict) -> None:
    """Dispatch a message and a mention after it; only the mention may be answered."""
    before = len(fake.posts(CHANNEL_ID))
    await fake.dispatch("MESSAGE_CREATE", payload)
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> help", mentions=[mention_of_bot()]))
    await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages", count=before + 1)
    await asyncio.sleep(0.05)
    assert len(fake.posts(CHANNEL_ID)) == before + 1, [c.body for c in fake.posts(CHANNEL_ID)[before:]]


def chat(conversation_advisor, texts: list[str]):
    """The terminal chat's replies to the same lines, for comparison."""
    terminal = Conversation(conversation_advisor, MemoryStore())
    return [terminal.handle(Message(text=t)) for t in texts]


async def test_a_mention_gets_the_verdict_as_a_reply(fake, bot, advisor):
    payload = message_create(f"<@{BOT_ID}> who owns the roadmap?", mentions=[mention_of_bot()])
    await fake.dispatch("MESSAGE_CREATE", payload)
    body = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[0].body
    answer = advisor.ask("who owns the roadmap?")
    embed = body["embeds"][0]
    assert embed["description"] == answer.text.split("\nTopic: ")[0]
    assert embed["color"] == COLOURS[answer.verdict].value
    assert str(body["message_reference"]["message_id"]) == payload["id"]
    assert body["message_reference"]["fail_if_not_exists"] is False
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}, "no ping, not even of the one replied to"


async def test_the_nickname_mention_form_is_stripped_too(fake, bot, advisor):
    body = await say(fake, f"<@!{BOT_ID}> is the burndown chart product or project work?")
    assert body["embeds"][0]["description"].startswith(advisor.ask("burndown chart").text.split(".")[0])


async def test_a_dm_works_like_the_terminal_chat(fake, bot, advisor):
    texts = ["hi", "who owns the release schedule?", "help", "who fixes the printer?"]
    expected = chat(advisor, texts)
    for text, reply in zip(texts, expected):
        body = await say(fake, text, dm=True)
        description = body["embeds"][0]["description"]
        assert description == reply.text.split("\nTopic: ")[0], text
        assert "message_reference" not in body
        assert body["allowed_mentions"] == {"parse": []}


async def test_a_quiz_in_a_dm_with_typed_answers_and_buttons(fake, bot):
    body = await say(fake, "quiz", dm=True)
    assert body["embeds"][0]["title"].startswith("Step 1 of ")
    total = int(body["embeds"][0]["title"].rsplit(" ", 1)[1])
    ids = [b["custom_id"] for row in body["components"] for b in row["components"]]
    assert ids and all(i.startswith("rolecall:quiz:") and "|" not in i for i in ids), ids

    body = await say(fake, "a", dm=True)  # typed answer
    assert body["embeds"][0]["title"] == f"Step 2 of {total}"

    # ... then a click on the buttons of that message edits it in place
    message_id = int(fake.messages_from(fake.posts(DM_CHANNEL_ID)[-1])["id"])
    payload = click(fake, message_id, button_ids(fake.messages[message_id])[0], dm=True)
    await fake.interaction(payload)
    assert (await fake.callback_for(int(payload["id"]))).body["type"] == 7
    assert fake.messages[message_id]["embeds"][0]["title"] == f"Step 3 of {total}"

    for _step in range(3, total + 1):
        body = await say(fake, "b", dm=True)
    assert body["embeds"][0]["title"] == "Your quiz result"
    assert not body.get("components")
    body = await say(fake, "my result", dm=True)
    assert body["embeds"][0]["title"] == "Your quiz result"


async def test_a_quiz_by_mention_in_a_channel(fake, bot):
    body = await say(fake, f"<@{BOT_ID}> quiz")
    assert body["embeds"][0]["title"].startswith("Step 1 of ")
    body = await say(fake, f"<@{BOT_ID}> b")
    assert body["embeds"][0]["title"].startswith("Step 2 of ")
    body = await say(fake, f"<@{BOT_ID}> stop")
    assert "Quiz stopped" in body["embeds"][0]["description"]


async def test_ignores_its_own_and_other_bots_messages_and_unaddressed_chatter(fake, bot):
    await nothing_sent(fake, message_create(f"<@{BOT_ID}> who owns the roadmap?", author_id=BOT_ID, author_bot=True,
                                            mentions=[mention_of_bot()]))
    await nothing_sent(fake, message_create(f"<@{BOT_ID}> who owns the roadmap?", author_id=OTHER_BOT_ID,
                                            author_bot=True, mentions=[mention_of_bot()]))
    await nothing_sent(fake, message_create("who owns the roadmap?"))
    await nothing_sent(fake, message_create("@everyone who owns the roadmap?"))


async def test_mass_mentions_in_input_never_ping(fake, bot, assert_cannot_ping):
    body = await say(fake, f"<@{BOT_ID}> @everyone @here <@&1234567890> <@{USER_ID}> who owns the roadmap @everyone?")
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert not body.get("content")
    for embed in body["embeds"]:
        assert_cannot_ping(embed.get("description", ""))
        assert_cannot_ping(embed.get("footer", {}).get("text", ""))
    body = await say(fake, "@everyone", dm=True)
    assert body["allowed_mentions"] == {"parse": []}
    assert_cannot_ping(body["embeds"][0]["description"])


async def test_replies_to_the_bot_count_only_with_the_content_intent(fake, start_bot):
    bot = await start_bot(message_content=False)
    first = await say(fake, f"<@{BOT_ID}> quiz")
    bot_message = fake.messages_from(fake.posts(CHANNEL_ID)[-1])
    await nothing_sent(fake, message_create("a", reference=bot_message))
    await bot.close()

    await start_bot(message_content=True)
    body = await say(fake, "a", mention=False, reference=bot_message)
    assert first["embeds"][0]["title"].startswith("Step 1 of ")
    assert body["embeds"][0]["title"].startswith("Step 2 of ")


async def test_a_reply_that_pings_the_bot_is_answered_without_the_content_intent(fake, start_bot):
    # Discord lists a pinged reply's author in `mentions` (and sends the bot its text), but no <@id> is in the text.
    await start_bot(message_content=False)
    await say(fake, f"<@{BOT_ID}> quiz")
    bot_message = fake.messages_from(fake.posts(CHANNEL_ID)[-1])
    body = await say(fake, "a", reference=bot_message)  # mentions=[the bot], as a reply with the ping on
    assert body["embeds"][0]["title"].startswith("Step 2 of ")
    assert str(body["message_reference"]["message_id"]) != bot_message["id"], "a reply to the person's message"
