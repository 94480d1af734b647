"""Each delivery answered exactly once, and on time: Slack's retries, repeated event ids, clicks applied before they
are acknowledged, rate limits that never hold up other people's answers, and modals opened at once.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_requests import header_of, poll_buttons, serve_app

from rolecall.adapters.slack_work import ANSWER_SLOTS
from rolecall.bot.conversation import Conversation
from rolecall.bot.parts import PollCard
from rolecall.bot.sqlite_store import MemoryStore

pytestmark = pytest.mark.asyncio

SLOW = "take your time"
"""A DM that a SlowConversation takes a while to answer: it keeps one answer slot busy."""


class SlowConversation(Conversation):
    """The real core, but `SLOW` messages take `seconds` each (a slow store, a long triage)."""

    seconds = 1.0

    def handle(self, message, intent=None):
        if message.text == SLOW:
            time.sleep(self.seconds)
        return super().handle(message, intent)


async def barrier(slack, mock, user: str = "UBARRIER") -> None:
    before = len(mock.calls_to("chat.postMessage"))
    await slack.dm("help", user=user, channel="D" + user)
    await mock.wait_for("chat.postMessage", before + 1)


def in_channel(mock, channel: str) -> list:
    return [c for c in mock.calls_to("chat.postMessage") if c.body["channel"] == channel]


# -- Slack's retries and repeated event ids ---------------------------------------------------

@pytest.mark.parametrize("reason", ["http_timeout", "http_error", "connection_failed"])
async def test_a_first_seen_event_delivered_as_a_retry_is_answered(slack, mock_slack, reason):
    """A retry of a delivery that never reached Rolecall (a deploy, a 502) is the only copy it will get."""
    status = await slack.mention("who owns the release schedule?", event_id="EvLOST1",
                                 headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason})
    assert status == 200
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert header_of(post.body["blocks"]) == "Project manager"


async def test_one_event_id_is_answered_once_with_or_without_retry_headers(slack, mock_slack):
    for headers in ({}, {}, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
                    {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}):
        assert await slack.mention("who owns the release schedule?", event_id="EvTWICE", headers=headers) == 200
    await mock_slack.wait_until(lambda: in_channel(mock_slack, "C0001"), "the answer")
    await barrier(slack, mock_slack)
    assert len(in_channel(mock_slack, "C0001")) == 1


async def test_a_repeated_dm_event_does_not_move_a_quiz_twice(slack, mock_slack):
    await slack.dm("quiz")
    await mock_slack.wait_for("chat.postMessage")
    for _ in range(2):
        await slack.dm("b", event_id="EvANSWER")
    await mock_slack.wait_until(lambda: len(in_channel(mock_slack, "DANN")) >= 2, "the answer")
    await barrier(slack, mock_slack)
    posts = in_channel(mock_slack, "DANN")
    assert len(posts) == 2 and "Step 2 of 10" in str(posts[-1].body)


# -- clicks: applied before they are acknowledged ----------------------------------------------

async def test_a_vote_is_counted_by_the_time_its_click_is_acknowledged(advisor, mock_slack):
    """A worker that dies after answering 200 must not lose the click: it is applied first, then acknowledged, and
    only the card's update (which the next click repairs) can be lost. Here every answer slot is busy, so work left
    for after the acknowledgement would not have started yet."""
    conversation = SlowConversation(advisor, MemoryStore())
    async with serve_app(conversation, mock_slack) as slack:
        await slack.command("debate the release schedule")
        (card,) = await mock_slack.wait_for("chat.postMessage")
        poll_id = poll_buttons(card.body["blocks"])[0].split(":")[1]
        for n in range(ANSWER_SLOTS + 2):
            await slack.dm(SLOW, user=f"USLOW{n}", channel=f"DSLOW{n}")
        await asyncio.sleep(0.1)
        for n, label in enumerate(["Product", "Project", "Project"]):
            status, _ = await slack.click(card.body["blocks"], label, user=f"UVOTE{n}", ephemeral=False,
                                          message_ts=card.answer["ts"])
            assert status == 200
            counted = conversation.poll_card(poll_id)
            assert counted is not None and counted.first(PollCard).votes == n + 1, "acknowledged before applied"


async def test_a_click_is_acknowledged_in_time_even_when_applying_it_is_slow(advisor, mock_slack):
    conversation = SlowConversation(advisor, MemoryStore())
    conversation.seconds = 4.0
    async with serve_app(conversation, mock_slack) as slack:
        _, url = await slack.command("quiz")
        (card,) = await mock_slack.wait_for(url)
        original = conversation.handle

        def slow_click(message, intent=None):
            if message.choice:
                time.sleep(conversation.seconds)
            return original(message, intent)

        conversation.handle = slow_click
        started = time.monotonic()
        status, path = await slack.click(card.body["blocks"], 0)
        assert status == 200 and time.monotonic() - started < 3.0  # Slack's deadline
        (answer,) = await mock_slack.wait_for(path, timeout=10)  # and the answer still follows
        assert "Step 2 of 10" in str(answer.body)


# -- rate limits and modals never wait behind other people's answers -----------------------------

async def test_rate_limited_posts_in_a_busy_channel_do_not_delay_anyone_else(slack, mock_slack):
    mock_slack.fail("chat.postMessage", "ratelimited", times=ANSWER_SLOTS, retry_after=3)
    for n in range(ANSWER_SLOTS):
        await slack.mention("who owns the roadmap?", user=f"UBUSY{n}", channel="CBUSY", ts=f"1700000005.{n:06d}")
    await mock_slack.wait_for("chat.postMessage", ANSWER_SLOTS)  # every one of them is waiting out its limit
    started = time.monotonic()
    await slack.dm("who owns the release schedule?", user="UCALM", channel="DCALM")
    _, url = await slack.command("ask is the roadmap product or project work?", user="UCALM")
    await mock_slack.wait_until(lambda: any(c.body.get("channel") == "DCALM"
                                            for c in mock_slack.calls_to("chat.postMessage")), "the DM's answer")
    await mock_slack.wait_for(url)
    assert time.monotonic() - started < 1.5, "waited behind the rate-limited channel"
    posts = await mock_slack.wait_for("chat.postMessage", 2 * ANSWER_SLOTS + 1, timeout=10)  # each retried once
    assert len([c for c in posts if c.body["channel"] == "CBUSY"]) == 2 * ANSWER_SLOTS


async def test_the_triage_modal_opens_at_once_while_every_answer_slot_is_busy(advisor, mock_slack):
    """A trigger_id expires 3 s after the command: views.open must not queue behind answers."""
    async with serve_app(SlowConversation(advisor, MemoryStore()), mock_slack) as slack:
        for n in range(ANSWER_SLOTS + 4):
            await slack.dm(SLOW, user=f"USLOW{n}", channel=f"DSLOW{n}")
        await asyncio.sleep(0.1)
        started = time.monotonic()
        status, _ = await slack.command("triage")
        assert status == 200
        await mock_slack.wait_for("views.open")
        assert time.monotonic() - started < 0.75


async def test_a_bare_public_subcommand_shows_help_to_the_asker_alone(slack, mock_slack):
    for text in ("who", "debate"):
        _, url = await slack.command(text)
        (answer,) = await mock_slack.wait_for(url)
        assert answer.body["response_type"] == "ephemeral", text
    assert not mock_slack.calls_to("chat.postMessage")


async def test_another_command_that_starts_with_rolecall_is_not_answered(slack, mock_slack):
    _, url = await slack.command("who the release schedule", command="/rolecallx")
    await barrier(slack, mock_slack)
    assert not mock_slack.calls_to(url)


async def test_an_unknown_button_is_acknowledged(slack, mock_slack):
    blocks = [{"type": "actions", "block_id": "elsewhere",
               "elements": [{"type": "button", "action_id": "someone-elses-button", "value": "x",
                             "text": {"type": "plain_text", "text": "Other"}}]}]
    status, url = await slack.click(blocks, 0)
    assert status == 200
    await barrier(slack, mock_slack)
    assert not mock_slack.calls_to(url)
