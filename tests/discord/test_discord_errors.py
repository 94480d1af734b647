"""HTTP errors, rate limits and reconnects: logged, and the bot keeps answering."""

from __future__ import annotations

import logging

import pytest
from fake_discord import BOT_ID, CHANNEL_ID, button_ids, click, eventually, mention_of_bot, message_create, slash

from rolecall.bot.messages import Reply

pytestmark = pytest.mark.asyncio

CALLBACK = r"/interactions/\d+/[^/]+/callback$"
CHANNEL_POST = rf"^/channels/{CHANNEL_ID}/messages$"


async def ask(fake, question: str = "who owns the roadmap?") -> dict:
    payload = slash("ask", question=question)
    await fake.interaction(payload)
    return (await fake.callback_for(int(payload["id"]))).body


async def mention(fake, text: str = "who owns the roadmap?", *, count: int) -> None:
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> {text}", mentions=[mention_of_bot()]))
    await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages", count=count)


def adapter_warnings(records) -> list[str]:
    return [r.getMessage() for r in records
            if r.name.startswith("rolecall.adapters.discord") and r.levelno == logging.WARNING]


@pytest.mark.parametrize("status, code, words", [(403, 50001, "forbidden"), (404, 10062, "not found"),
                                                 (400, 50035, "HTTP 400")])
async def test_a_failed_interaction_reply_is_logged_and_the_next_one_answered(fake, bot, bot_log, status, code, words):
    fake.fail("POST", CALLBACK, status, code=code)
    payload = slash("ask", question="who owns the roadmap?")
    await fake.interaction(payload)
    logged = await eventually(lambda: adapter_warnings(bot_log), what="a logged warning")
    body = await ask(fake, "who owns the release schedule?")
    assert body["data"]["embeds"][0]["description"].startswith("Project manager.")
    assert len(logged) == 1 and words in logged[0] and "answering /rolecall ask" in logged[0], logged
    assert "test-token" not in " ".join(r.getMessage() for r in bot_log)


async def test_a_transient_server_error_is_retried_by_discord_py(fake, bot, bot_log):
    fake.fail("POST", CALLBACK, 500)
    await fake.interaction(slash("ask", question="who owns the roadmap?"))
    first, retry = await fake.wait_for(lambda c: c.path.endswith("/callback"), count=2)
    assert first.response is None and first.body == retry.body  # the same reply, sent again after ~1 s
    assert retry.body["data"]["embeds"][0]["description"].startswith("Product manager.")
    assert adapter_warnings(bot_log) == []


@pytest.mark.parametrize("status, code", [(403, 50013), (404, 10003), (503, 0)])
async def test_a_failed_channel_reply_is_logged_and_the_next_mention_answered(fake, bot, bot_log, status, code):
    fake.fail("POST", CHANNEL_POST, status, code=code)
    await mention(fake, count=1)
    logged = await eventually(lambda: adapter_warnings(bot_log), what="a logged warning")
    await mention(fake, "who owns the release schedule?", count=2)
    assert fake.posts(CHANNEL_ID)[-1].response["embeds"][0]["description"].startswith("Project manager.")
    assert len(logged) == 1 and f"channel {CHANNEL_ID}" in logged[0], logged


async def test_rate_limits_are_waited_out(fake, bot, bot_log):
    fake.fail("POST", CHANNEL_POST, 429, retry_after=0.05)
    await mention(fake, count=2)
    assert fake.posts(CHANNEL_ID)[-1].response["embeds"]
    assert any("rate limited" in r.getMessage() for r in bot_log if r.name.startswith("discord"))
    assert adapter_warnings(bot_log) == []

    fake.fail("POST", CALLBACK, 429, retry_after=0.05)
    body = await ask(fake)
    assert body["data"]["embeds"]


async def test_a_failed_click_reply_is_logged_and_the_quiz_goes_on(fake, bot, bot_log):
    payload = slash("quiz")
    await fake.interaction(payload)
    message = fake.messages_from(await fake.callback_for(int(payload["id"])))

    fake.fail("POST", CALLBACK, 404, code=10062)
    first = click(fake, int(message["id"]), button_ids(message)[0])
    await fake.interaction(first)
    await fake.callback_for(int(first["id"]))
    await eventually(lambda: adapter_warnings(bot_log), what="a logged warning")
    # The answer was saved before Discord refused the edit; the next click shows where the quiz is.
    second = click(fake, int(message["id"]), button_ids(message)[0])
    await fake.interaction(second)
    body = (await fake.callback_for(int(second["id"]))).body
    assert body["type"] == 7
    assert body["data"]["embeds"][0]["title"] == "Step 2 of " + message["embeds"][0]["title"].rsplit(" ", 1)[1]


async def test_a_reconnect_resumes_the_session_and_keeps_serving(fake, bot):
    await fake.ask_to_reconnect()
    await eventually(lambda: fake.resumes, what="a RESUME")
    assert fake.resumes[0]["session_id"] == "session-1"
    assert len(fake.identifies) == 1
    body = await ask(fake)
    assert body["data"]["embeds"]


async def test_an_unexpected_error_is_logged_and_the_user_told(fake, start_bot, advisor, bot_log):
    class Broken:
        def handle(self, message, intent=None) -> Reply:
            raise RuntimeError("boom")

    await start_bot(conversation=Broken())
    body = await ask(fake)
    assert body["data"]["flags"] & 64
    assert "something went wrong" in body["data"]["embeds"][0]["description"]
    errors = [r for r in bot_log if r.levelno >= logging.ERROR]
    assert errors and "boom" in str(errors[0].exc_info[1].__cause__ or errors[0].exc_info[1])
    bot_log.clear()  # expected: don't fail the test at teardown


async def test_heartbeats_are_acknowledged(fake, bot):
    # HELLO asks for a heartbeat every second; discord.py sends the first within one interval.
    await eventually(lambda: fake.heartbeats, timeout=3, what="a heartbeat")
    await eventually(lambda: bot.latency != float("inf"), what="the heartbeat ACK")
    assert bot.latency < 1
    assert (await ask(fake))["data"]["embeds"]
