"""/rolecall slash commands, pushed as INTERACTION_CREATE through discord.py's own parsing and CommandTree."""

from __future__ import annotations

import pytest
from fake_discord import BOT_USER, OTHER_USER_ID, TOKEN, button_ids, click, slash

from rolecall.adapters.discord_render import COLOURS
from rolecall.bot.conversation import HELP_TEXT

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64


def embed_of(call) -> dict:
    embeds = call.body["data"]["embeds"]
    assert len(embeds) == 1, call.body
    return embeds[0]


async def test_connects_with_the_real_handshake_and_without_the_content_intent(fake, bot):
    assert bot.user.id == int(BOT_USER["id"])
    assert [g.name for g in bot.guilds] == ["Product Team"]
    identify = fake.identifies[-1]
    assert identify["token"] == TOKEN
    assert not identify["intents"] & (1 << 15), "MESSAGE_CONTENT must be opt-in"
    assert identify["intents"] & (1 << 9) and identify["intents"] & (1 << 12), \
        "guild and DM messages are needed for mentions"
    assert [(c.method, c.path) for c in fake.calls[:2]] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]


async def test_the_content_intent_is_a_setting(fake, start_bot):
    await start_bot(message_content=True)
    assert fake.identifies[-1]["intents"] & (1 << 15)


async def test_who_posts_the_verdict_publicly_as_an_embed(fake, bot, advisor):
    payload = slash("who", task="the release schedule")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.query == {"with_response": "1"}
    assert call.body["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
    data = call.body["data"]
    assert not data.get("flags", 0) & EPHEMERAL, "who settles a debate for the whole channel"
    assert data["allowed_mentions"]["parse"] == []
    embed = embed_of(call)
    expected = advisor.ask("the release schedule")
    assert expected.verdict == "project"
    assert embed["color"] == COLOURS["project"].value
    assert embed["description"].startswith("Project manager.")
    assert embed["footer"]["text"] == f"{expected.part.topic_label} · {expected.part.source}"
    assert "Topic:" not in embed["description"]
    ids = [b["custom_id"] for row in data.get("components", []) for b in row["components"]]
    assert not any(i.startswith("rolecall:quiz:") for i in ids)


async def test_a_click_on_a_verdicts_button_answers_privately_and_leaves_the_verdict(fake, bot):
    payload = slash("who", task="the roadmap")
    await fake.interaction(payload)
    verdict = fake.messages_from(await fake.callback_for(int(payload["id"])))
    ids = button_ids(verdict)
    if not ids:
        pytest.skip("the core offers no buttons on a verdict")
    press = click(fake, int(verdict["id"]), ids[0], user_id=OTHER_USER_ID)
    await fake.interaction(press)
    body = (await fake.callback_for(int(press["id"]))).body
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert fake.messages[int(verdict["id"])] == verdict


async def test_ask_answers_only_the_asker(fake, bot, advisor):
    question = "is the burndown chart product or project work?"
    payload = slash("ask", question=question)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["data"]["flags"] & EPHEMERAL
    embed = embed_of(call)
    answer = advisor.ask(question)
    assert embed["color"] == COLOURS[answer.verdict].value
    assert embed["description"] == answer.text.split("\nTopic: ")[0]


async def test_ask_out_of_scope_is_an_honest_unknown(fake, bot):
    payload = slash("ask", question="who fixes the printer?")
    await fake.interaction(payload)
    embed = embed_of(await fake.callback_for(int(payload["id"])))
    assert embed["color"] == COLOURS["unknown"].value
    assert "not something I know" in embed["description"]


async def test_quiz_starts_an_ephemeral_quiz_with_buttons(fake, bot):
    payload = slash("quiz")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    data = call.body["data"]
    assert data["flags"] & EPHEMERAL
    embed = embed_of(call)
    assert embed["title"].startswith("Step 1 of ")
    buttons = [b for row in data["components"] for b in row["components"]]
    assert len(buttons) >= 2
    assert all(b["custom_id"].startswith("rolecall:quiz:") and b["custom_id"].count(":") == 3 for b in buttons)
    assert all(b["label"] for b in buttons)


async def test_help_lists_what_it_can_do(fake, bot):
    payload = slash("help")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["data"]["flags"] & EPHEMERAL
    assert embed_of(call)["description"] == HELP_TEXT


async def test_a_blank_task_gets_help_not_a_public_post(fake, bot):
    # Discord enforces min_length, discord.py does not: the handler validates.
    payload = slash("who", task="   ")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["data"]["flags"] & EPHEMERAL
    assert embed_of(call)["description"] == HELP_TEXT


async def test_slash_commands_work_in_a_dm_with_the_bot(fake, bot):
    payload = slash("ask", dm=True, question="who owns the roadmap?")
    await fake.interaction(payload)
    embed = embed_of(await fake.callback_for(int(payload["id"])))
    assert embed["description"].startswith("Product manager.")


async def test_mass_mentions_in_a_task_never_ping(fake, bot, assert_cannot_ping):
    payload = slash("who", task="@everyone @here <@&1234567890> <@1400000000000000002> the roadmap")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["data"]["allowed_mentions"] == {"parse": []}
    for text in (embed_of(call).get("description", ""), embed_of(call).get("footer", {}).get("text", "")):
        assert_cannot_ping(text)
