"""The person to ask: the "Still unsure?" line on a card, and the "Ask @group" button's ping, over real HTTP.

Clicks are signed block_actions payloads sent to the app served in HTTP mode; what it posted is read back from the
mock Web API, exactly as sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import get_args

import pytest
from slack_requests import block_text, poll_buttons, serve_app

from rolecall.adapters.slack_blocks import escape, group_mention, ping_text, render
from rolecall.bot import plain_text
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Reply
from rolecall.bot.parts import (
    Contact,
    ContactPing,
    Notice,
    Part,
    PollCard,
    QuizEnded,
    QuizQuestion,
    QuizResult,
    TeamDecision,
    TriageRow,
    TriageTable,
    Verdict,
)
from rolecall.bot.sqlite_store import MemoryStore

GROUP = "S0123ABC"
MENTION = f"<!subteam^{GROUP}>"
MASS = ("<!channel>", "<!here>", "<!everyone>")
UNKNOWN = "who owns the flux capacitor warranty?"
ASKED_AT = "1700000001.000100"


def _mentions(text: str) -> list[str]:
    """Every Slack mention or link markup in `text`: `<!...>`, `<@...>`, `<#...>`, `<http...>`."""
    return re.findall(r"<[!@#][^>]*>|<https?:[^>]*>", text)


# -- rendering ------------------------------------------------------------------------------------

VERDICT = Verdict("project", 0.9, "The PM runs it.", topic="release-plan", topic_label="release schedule",
                  source="common industry practice")
SAMPLES: dict[type, Part] = {
    Verdict: VERDICT,
    TeamDecision: TeamDecision("product", 1_700_000_000.0, "UANN", "who owns the roadmap?"),
    Contact: Contact("@delivery-leads", GROUP),
    ContactPing: ContactPing(Contact("@delivery-leads", GROUP), "who owns the warranty?"),
    Notice: Notice("Thanks!"),
    QuizQuestion: QuizQuestion(1, 10, "Pick one?", ("a", "b")),
    QuizResult: QuizResult("product", "Product manager", {"product": 70, "project": 30}, "You like why.", 10),
    QuizEnded: QuizEnded(10),
    PollCard: PollCard("p1", "Who owns the roadmap?", {"product": 1}, closed=False, deadline=1_700_000_000.0),
    TriageTable: TriageTable((TriageRow(1, "Write the PRD", "product", 0.9, "prd"),), counts={"product": 1}),
}


def test_every_part_type_renders_something():
    assert set(SAMPLES) == set(get_args(Part)), "a new part type needs a sample here, and a layout"
    for kind, part in SAMPLES.items():
        out = render(Reply(parts=(part,)))
        assert out.blocks, f"{kind.__name__} rendered no blocks"
        assert out.text.strip(), f"{kind.__name__} has no fallback text"


def test_the_contact_is_a_context_line_that_pings_nobody():
    contact = Contact("@delivery-leads <!channel>", GROUP)
    blocks = render(Reply(parts=(VERDICT, contact))).blocks
    line = blocks[-1]
    assert line["type"] == "context"
    assert line["elements"][0]["text"] == escape(plain_text.part_text(contact))
    assert line["elements"][0]["text"].startswith("Still unsure? Ask @delivery-leads")
    assert not _mentions(json.dumps(blocks))


def test_a_ping_mentions_the_group_in_place_of_its_name_and_escapes_the_question():
    ping = ContactPing(Contact("@delivery-leads", GROUP), "who owns <!channel> & <@U999> <!subteam^S999>?")
    text = ping_text(ping)
    assert text.startswith(MENTION + ", can you help?")
    assert _mentions(text) == [MENTION]
    assert escape("who owns <!channel> & <@U999> <!subteam^S999>?") in text
    out = render(Reply(parts=(ping,)))
    assert _mentions(out.text) == [MENTION]
    assert _mentions(json.dumps(out.blocks)) == [MENTION]


@pytest.mark.parametrize("group", ["s0123abc", "U0123ABC", "S", "S0123ABC><!channel", "S0123 ABC", "<!here>",
                                   "S0123ABC|x", "", "S" + "1" * 40])
def test_a_group_that_is_not_a_user_group_id_is_never_a_mention(group):
    contact = Contact("@delivery-leads", group or None)
    assert group_mention(contact) is None
    text = ping_text(ContactPing(contact, "who owns this?"))
    assert text == escape(plain_text.part_text(ContactPing(contact, "who owns this?")))
    assert not _mentions(text) and "subteam" not in text


# -- over HTTP --------------------------------------------------------------------------------------

def _conversation(advisor, contact: str = f"@delivery-leads|{GROUP}") -> Conversation:
    return Conversation(advisor, MemoryStore(), contacts={"*": contact})


async def _unknown_card(slack, mock_slack, question: str = UNKNOWN):
    """Ask something Rolecall does not know in a channel: the answer, posted in a thread under the question."""
    await slack.mention(question, ts=ASKED_AT)
    (card,) = await mock_slack.wait_for("chat.postMessage")
    return card


def _assert_only_the_group_is_mentioned(body: dict) -> None:
    assert body["text"].count(MENTION) == 1
    assert json.dumps(body["blocks"]).count(MENTION) == 1
    assert _mentions(body["text"]) == [MENTION]
    assert _mentions(json.dumps(body["blocks"])) == [MENTION]
    raw = json.dumps(body)
    assert not any(mass in raw for mass in MASS)


@pytest.mark.asyncio
async def test_ask_posts_one_message_mentioning_exactly_the_group_in_the_thread(advisor, mock_slack):
    async with serve_app(_conversation(advisor), mock_slack) as slack:
        card = await _unknown_card(slack, mock_slack)
        assert "Still unsure? Ask @delivery-leads." in block_text(card.body)
        assert "contact:ask" in poll_buttons(card.body["blocks"])
        assert MENTION not in card.raw  # the answer itself pings nobody
        status, url = await slack.click(card.body["blocks"], "Ask @delivery-leads", ephemeral=False,
                                        message_ts=card.answer["ts"], thread_ts=ASKED_AT)
        assert status == 200
        _, ping = await mock_slack.wait_for("chat.postMessage", count=2)
        await asyncio.sleep(0.2)  # nothing else follows
    assert ping.body["channel"] == "C0001" and ping.body["thread_ts"] == ASKED_AT
    assert ping.body["text"] == f"{MENTION}, can you help? Someone asked: {escape(UNKNOWN)}"
    assert [b["type"] for b in ping.body["blocks"]] == ["section"]
    assert ping.body["blocks"][0]["text"] == {"type": "mrkdwn", "text": ping.body["text"]}
    _assert_only_the_group_is_mentioned(ping.body)
    assert len(mock_slack.calls_to("chat.postMessage")) == 2
    assert not mock_slack.calls_to("chat.update") and not mock_slack.calls_to(url)  # the card stays as it is
    assert not mock_slack.calls_to("chat.postEphemeral")


@pytest.mark.asyncio
async def test_nothing_in_the_question_can_mention_anyone_else(advisor, mock_slack):
    hostile = ("<!channel> <!here> <!everyone> <!subteam^S9999999|@admins> <@U999> <#C999> "
               "<https://evil.example|x> @channel who owns the flux capacitor warranty?")
    async with serve_app(_conversation(advisor), mock_slack) as slack:
        card = await _unknown_card(slack, mock_slack, hostile)  # Slack sends mentions in event text as is
        await slack.click(card.body["blocks"], "Ask @delivery-leads", ephemeral=False, message_ts=card.answer["ts"],
                          thread_ts=ASKED_AT)
        _, ping = await mock_slack.wait_for("chat.postMessage", count=2)
    _assert_only_the_group_is_mentioned(ping.body)
    assert "S9999999" not in "".join(_mentions(ping.raw)) and "flux capacitor warranty" in ping.body["text"]
    assert "&lt;" in ping.body["text"]  # the markup shows as typed, escaped


@pytest.mark.asyncio
async def test_a_card_outside_a_thread_gets_the_ping_in_its_channel(advisor, mock_slack):
    async with serve_app(_conversation(advisor), mock_slack) as slack:
        await slack.dm(UNKNOWN)
        (card,) = await mock_slack.wait_for("chat.postMessage")
        await slack.click(card.body["blocks"], "Ask @delivery-leads", channel="DANN", ephemeral=False,
                          message_ts=card.answer["ts"])
        _, ping = await mock_slack.wait_for("chat.postMessage", count=2)
    assert ping.body["channel"] == "DANN" and "thread_ts" not in ping.body
    _assert_only_the_group_is_mentioned(ping.body)


@pytest.mark.asyncio
async def test_without_a_user_group_id_the_name_is_plain_text(advisor, mock_slack):
    async with serve_app(_conversation(advisor, "@delivery-leads <!here>|not-a-group"), mock_slack) as slack:
        card = await _unknown_card(slack, mock_slack)
        await slack.click(card.body["blocks"], "Ask @delivery-leads", ephemeral=False, message_ts=card.answer["ts"],
                          thread_ts=ASKED_AT)
        _, ping = await mock_slack.wait_for("chat.postMessage", count=2)
    assert ping.body["thread_ts"] == ASKED_AT
    assert ping.body["text"].startswith("@delivery-leads &lt;") and "can you help?" in ping.body["text"]
    assert not _mentions(ping.raw) and "subteam" not in ping.raw
    assert not any(mass in ping.raw for mass in MASS)


@pytest.mark.asyncio
async def test_where_rolecall_may_not_post_the_ping_goes_through_the_response_url(advisor, mock_slack):
    async with serve_app(_conversation(advisor), mock_slack) as slack:
        await slack.message_action(UNKNOWN)  # a private answer, in a channel Rolecall is not a member of
        (note,) = await mock_slack.wait_for("chat.postEphemeral")
        mock_slack.fail("chat.postMessage", "not_in_channel")
        _, url = await slack.click(note.body["blocks"], "Ask @delivery-leads", message_ts=note.answer["message_ts"])
        (ping,) = await mock_slack.wait_for(url)
    assert ping.body["response_type"] == "in_channel" and ping.body["replace_original"] is False
    _assert_only_the_group_is_mentioned(ping.body)


@pytest.mark.asyncio
async def test_without_a_contact_there_is_no_line_and_no_button(slack, mock_slack):
    await slack.mention(UNKNOWN)
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert "Still unsure" not in block_text(card.body)
    assert "contact:ask" not in poll_buttons(card.body["blocks"])
