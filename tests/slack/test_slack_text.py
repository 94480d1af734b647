"""What people typed, as Slack delivers it: `&`, `<` and `>` arrive entity-encoded in events and slash commands
(`&amp; &lt; &gt;`), raw in modal inputs. Rolecall decodes them once where they come in, and escapes once on the way
out, so "P&L" reads "P&L" everywhere and is never shown as `P&amp;L` or sent as `P&amp;amp;L`.
"""

from __future__ import annotations

import json

import pytest
from slack_requests import block_text, header_of, slack_text, view_of

from rolecall.adapters.slack_blocks import TRIAGE_ACTION, TRIAGE_BLOCK
from rolecall.bot.parts import role_name

pytestmark = pytest.mark.asyncio

DOUBLE = ("&amp;amp;", "&amp;lt;", "&amp;gt;")


def assert_escaped_once(body: dict) -> None:
    raw = json.dumps(body, ensure_ascii=False)
    for twice in DOUBLE:
        assert twice not in raw, f"escaped twice: {twice!r} in {raw[:300]}"


async def test_a_debate_on_p_and_l_reads_p_and_l(slack, mock_slack):
    """The bar: a DM of `debate: P&amp;L &lt;review&gt;`, as Slack sends it, posts a card reading `P&L <review>`."""
    await slack.dm("debate: P&amp;L &lt;review&gt;")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert header_of(card.body["blocks"]) == "Is P&L <review> product or project work?"  # plain_text: shown as is
    assert "Is P&amp;L &lt;review&gt; product or project work?" in card.body["text"]  # mrkdwn: escaped once
    assert_escaped_once(card.body)


async def test_a_public_debate_card_and_its_updates_are_escaped_once(slack, mock_slack):
    _, url = await slack.command(slack_text("debate P&L <review>"))
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert header_of(card.body["blocks"]) == "Is P&L <review> product or project work?"
    await slack.click(card.body["blocks"], "Product", user="UBOB", ephemeral=False, message_ts=card.answer["ts"])
    (update,) = await mock_slack.wait_for("chat.update")
    assert header_of(update.body["blocks"]) == "Is P&L <review> product or project work?"
    for body in (card.body, update.body):
        assert_escaped_once(body)


async def test_encoded_text_is_matched_as_the_words_typed(slack, mock_slack, advisor):
    typed = advisor.ask("who owns the P&L?")
    assert typed.verdict != "unknown" and advisor.ask("who owns the P&amp;L?").confidence < typed.confidence  # lost
    await slack.mention(slack_text("who owns the P&L?"))
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert header_of(post.body["blocks"]) == role_name(typed.verdict)
    assert_escaped_once(post.body)


async def test_the_public_who_card_shows_what_was_asked_escaped_once(slack, mock_slack):
    _, url = await slack.command(slack_text("who the release schedule & <launch>"))
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "in_channel"
    text = block_text(answer.body)
    assert "/rolecall who the release schedule &amp; &lt;launch&gt;" in text
    assert_escaped_once(answer.body)


async def test_modal_text_arrives_raw_and_is_not_decoded_again(slack, mock_slack):
    """A modal's box is not entity-encoded: `&amp;` typed there is the five characters, and shows as typed."""
    await slack.command("triage")
    (opened,) = await mock_slack.wait_for("views.open")
    await slack.submit_view(view_of(opened), {TRIAGE_BLOCK: {TRIAGE_ACTION: "Review the P&L <draft>\nWrite &amp; send"}})
    (post,) = await mock_slack.wait_for("chat.postMessage")
    text = block_text(post.body)
    assert "Review the P&amp;L &lt;draft&gt;" in text
    assert "Write &amp;amp; send" in text  # the literal "&amp;" someone typed, escaped once for mrkdwn


async def test_real_markup_still_means_markup(slack, mock_slack):
    """Mentions and links are real markup (never encoded): they are still stripped and cannot ping."""
    await slack.mention("<!channel> <@UBOB> who owns the roadmap? " + slack_text("<!here> & more"))
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert header_of(post.body["blocks"]) == "Product manager"
    raw = json.dumps(post.body)
    assert "<!channel" not in raw and "<@UBOB" not in raw and "<!here" not in raw
