"""Running the Slack app: /healthz and /metrics, the per-user rate limit as Slack users see it, and what is logged."""

from __future__ import annotations

import logging

import pytest
from mock_slack_api import BOT_TOKEN, SIGNING_SECRET
from slack_requests import header_of, serve_app

import rolecall.adapters.slack as slack_adapter
from rolecall.bot.conversation import Conversation
from rolecall.bot.logs import JsonFormatter
from rolecall.bot.redis_store import RedisStore
from rolecall.bot.sqlite_store import MemoryStore

pytestmark = pytest.mark.asyncio

NOBODY = "redis://127.0.0.1:1/0"
"""A Redis URL nobody listens on."""


async def get(slack, path: str):
    async with slack.session.get(f"{slack.url}{path}") as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


# -- /healthz ------------------------------------------------------------------------------

async def test_healthz_is_ok_when_the_store_answers(slack):
    async with slack.session.get(f"{slack.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "store": "ok"}


async def test_healthz_is_degraded_when_the_store_is_unreachable_and_questions_are_still_answered(advisor, mock_slack):
    conversation = Conversation(advisor, RedisStore(NOBODY, timeout=0.2))
    async with serve_app(conversation, mock_slack) as slack:
        async with slack.session.get(f"{slack.url}/healthz") as resp:
            assert resp.status == 503
            assert await resp.json() == {"status": "degraded", "store": "unreachable"}
        await slack.mention("who owns the release schedule?")
        (post,) = await mock_slack.wait_for("chat.postMessage")
        assert header_of(post.body["blocks"]) == "Project manager"


# -- /metrics ------------------------------------------------------------------------------

async def test_metrics_are_prometheus_text_with_answers_by_verdict(slack, mock_slack):
    await slack.mention("who owns the release schedule?")
    await slack.mention("who owns the roadmap?")
    await mock_slack.wait_for("chat.postMessage", 2)
    status, content_type, text = await get(slack, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    lines = text.splitlines()
    assert 'rolecall_answers_total{verdict="project"} 1' in lines
    assert 'rolecall_answers_total{verdict="product"} 1' in lines
    assert 'rolecall_messages_total{platform="slack"} 2' in lines
    assert "# TYPE rolecall_handle_seconds histogram" in lines and "rolecall_handle_seconds_count 2" in lines
    assert any(line.startswith("rolecall_quiz_starts_total") for line in lines)


async def test_metrics_count_slack_api_failures(slack, mock_slack, conversation):
    mock_slack.fail("chat.postMessage", "not_in_channel")
    await slack.mention("who owns the release schedule?")
    await mock_slack.wait_until(
        lambda: conversation.metrics.value("rolecall_slack_api_errors_total", method="chat.postMessage") == 1,
        "the failure to be counted")
    _, _, text = await get(slack, "/metrics")
    assert 'rolecall_slack_api_errors_total{method="chat.postMessage"} 1' in text.splitlines()


# -- the rate limit --------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["mention", "dm", "command"])
async def test_past_the_rate_limit_one_polite_note_then_silence(advisor, mock_slack, where):
    conversation = Conversation(advisor, MemoryStore(), rate_limit=3)
    async with serve_app(conversation, mock_slack) as slack:

        async def send() -> str | None:
            """One message from UANN; returns the response_url path for a slash command."""
            if where == "mention":
                await slack.mention("who owns the release schedule?")
            elif where == "dm":
                await slack.dm("who owns the release schedule?")
            else:
                return (await slack.command("result"))[1]
            return None

        answers = []
        for n in range(1, 4):
            url = await send()
            answers.append((await mock_slack.wait_for(url or "chat.postMessage", 1 if url else n))[-1])
        assert all("Project manager" in a.raw or "quiz" in a.raw for a in answers)
        url = await send()  # the 4th: one polite note, only for the sender
        if url:
            (note,) = await mock_slack.wait_for(url)
            assert note.body["response_type"] == "ephemeral"
        else:
            (note,) = await mock_slack.wait_for("chat.postEphemeral")
            assert note.body["user"] == "UANN"
        assert "faster than I can answer" in note.body["text"]
        fifth = await send()  # the 5th: nothing at all
        await mock_slack.wait_until(lambda: conversation.metrics.value("rolecall_rate_limited_total") == 2,
                                    "the 5th message to be handled")
        await slack.mention("who owns the roadmap?", user="UBOB", channel="CBARRIER")  # someone else is answered
        await mock_slack.wait_until(lambda: any(c.body["channel"] == "CBARRIER"
                                                for c in mock_slack.calls_to("chat.postMessage")), "the barrier")
        assert len(mock_slack.calls_to("chat.postEphemeral")) == (0 if url else 1)
        if fifth:
            assert not mock_slack.calls_to(fifth)
        posts = [c for c in mock_slack.calls_to("chat.postMessage") if c.body["channel"] != "CBARRIER"]
        assert len(posts) == (0 if url else 3)


# -- logs ------------------------------------------------------------------------------------

async def test_no_message_text_at_info_and_never_a_token(slack, mock_slack, caplog):
    caplog.set_level(logging.INFO)
    secret_words = "zanzibar quokka"
    await slack.mention(f"who owns the release schedule? {secret_words}")
    await slack.dm(f"{secret_words} who owns the roadmap?")
    _, url = await slack.command(f"who the burndown chart {secret_words}")
    await mock_slack.wait_for(url)
    await mock_slack.wait_for("chat.postMessage", 2)
    mock_slack.fail("chat.postMessage", "invalid_auth")
    await slack.mention(f"{secret_words} and the roadmap?")
    await mock_slack.wait_until(lambda: "invalid_auth" in caplog.text, "the failure to be logged")
    assert any(r.name == "rolecall.bot.conversation" for r in caplog.records), \
        "the core's one line per message is there"
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(r) for r in caplog.records) + caplog.text
    for secret in (secret_words, "zanzibar", BOT_TOKEN, SIGNING_SECRET, "legacy-verification-token"):
        assert secret not in logged


async def test_debug_logging_keeps_the_slack_libraries_payload_dumps_off(advisor):
    """ROLECALL_LOG_LEVEL=DEBUG logs the core's message text, but slack_sdk's and Bolt's payload dumps stay off."""
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in ("slack_sdk", "slack_bolt")}
    try:
        root.setLevel(logging.DEBUG)
        slack_adapter.quiet_slack_libraries()  # what `rolecall serve slack` does after configuring the logs
        slack_adapter.create_app(Conversation(advisor),
                                 slack_adapter.SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET))
        for name in ("slack_sdk.web.async_client", "slack_bolt.AsyncApp", "slack_bolt.rolecall"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger("rolecall.bot.conversation").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
