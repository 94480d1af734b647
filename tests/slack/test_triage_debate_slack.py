"""Debates from a Slack triage table: each topic both roles share gets a "Debate" button under the table, and a
click posts that debate's poll card in the channel it came from, as `/rolecall debate` does.

Through signed requests to the app served over HTTP and the mock Slack Web API: the card is a chat.postMessage of
Rolecall's own (so votes update it in place), the private table it was clicked on stays as it was.
"""

from __future__ import annotations

import pytest
from slack_requests import header_of, poll_buttons, tally_of, view_of, vote_buttons

from rolecall.adapters.slack_blocks import TRIAGE_ACTION, TRIAGE_BLOCK

pytestmark = pytest.mark.asyncio

SHARED_TASKS = ("stakeholder management", "communication with the team")
BACKLOG = "\n".join(("Write the PRD", SHARED_TASKS[0], "Run the daily standup", SHARED_TASKS[1]))
CHANNEL = "C0042"


def labels(advisor) -> list[str]:
    """The topic names of the shared tasks, as the core names them."""
    return [advisor.ask(task).part.topic_label for task in SHARED_TASKS]


def buttons_of(blocks: list[dict]) -> dict[str, str]:
    """label -> value of every button in a message."""
    return {e["text"]["text"]: e["value"] for b in blocks if b.get("type") == "actions" for e in b["elements"]}


async def inline_table(slack, mock) -> dict:
    """`/rolecall triage <backlog>` in CHANNEL: the table, answered privately through the command's response_url."""
    _, url = await slack.command("triage " + BACKLOG, channel=CHANNEL)
    (table,) = await mock.wait_for(url)
    assert table.body["response_type"] == "ephemeral"
    return table.body


async def debate_from(slack, mock, table: dict, label: str) -> tuple[dict, str]:
    """Click "Debate: LABEL" on the private table in CHANNEL; returns the card posted and the click's response_url."""
    before = len(mock.calls_to("chat.postMessage"))
    status, url = await slack.click(table["blocks"], f"Debate: {label}", channel=CHANNEL, ephemeral=True)
    assert status == 200
    posts = await mock.wait_for("chat.postMessage", before + 1)
    return posts[-1].body | {"ts": posts[-1].answer["ts"]}, url


async def barrier(slack, mock) -> None:
    """Something answered after everything sent before it: a question from a bystander."""
    before = len(mock.calls_to("chat.postMessage"))
    await slack.mention("who owns the roadmap?", user="UBARRIER")
    await mock.wait_for("chat.postMessage", before + 1)


async def test_the_table_from_the_modal_has_a_debate_button_per_shared_topic(slack, mock_slack, advisor):
    await slack.command("triage", channel=CHANNEL)
    (opened,) = await mock_slack.wait_for("views.open")
    await slack.submit_view(view_of(opened), {TRIAGE_BLOCK: {TRIAGE_ACTION: BACKLOG}})
    (table,) = await mock_slack.wait_for("chat.postMessage")
    found = buttons_of(table.body["blocks"])
    topics = [advisor.ask(task).topic for task in SHARED_TASKS]
    assert found == {f"Debate: {label}": f"debate:{topic}:start" for label, topic in zip(labels(advisor), topics)}


async def test_a_debate_click_posts_the_poll_card_in_the_channel(slack, mock_slack, advisor):
    label = labels(advisor)[1]
    card, _ = await debate_from(slack, mock_slack, await inline_table(slack, mock_slack), label)
    assert card["channel"] == CHANNEL
    assert header_of(card["blocks"]) == f"Is {label} product or project work?"
    assert tally_of(card["blocks"]) == {"product": 0, "project": 0, "both": 0}
    assert [v.rsplit(":", 1)[1] for v in vote_buttons(card["blocks"])] == ["product", "project", "both", "reveal"]


async def test_the_table_clicked_on_stays_as_it_was(slack, mock_slack, advisor):
    table = await inline_table(slack, mock_slack)
    _, url = await debate_from(slack, mock_slack, table, labels(advisor)[0])
    await barrier(slack, mock_slack)
    assert not mock_slack.calls_to(url), "nothing replaces the private table"
    assert not mock_slack.calls_to("chat.update")


async def test_votes_on_the_debate_card_update_it_in_place(slack, mock_slack, advisor):
    card, _ = await debate_from(slack, mock_slack, await inline_table(slack, mock_slack), labels(advisor)[0])
    await slack.click(card["blocks"], "Both", user="UBOB", channel=CHANNEL, ephemeral=False, message_ts=card["ts"])
    (update,) = await mock_slack.wait_for("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL, card["ts"])
    assert tally_of(update.body["blocks"]) == {"product": 0, "project": 0, "both": 1}


async def test_the_clicker_started_the_debate_and_may_reveal_it(slack, mock_slack, advisor):
    card, _ = await debate_from(slack, mock_slack, await inline_table(slack, mock_slack), labels(advisor)[0])
    await slack.click(card["blocks"], "Reveal", channel=CHANNEL, ephemeral=False, message_ts=card["ts"])
    (update,) = await mock_slack.wait_for("chat.update")
    assert vote_buttons(update.body["blocks"]) == [], "revealed: closed to votes"


async def test_where_rolecall_may_not_post_the_card_goes_through_the_clicks_response_url(slack, mock_slack, advisor):
    label = labels(advisor)[0]
    table = await inline_table(slack, mock_slack)
    mock_slack.fail("chat.postMessage", "not_in_channel")
    _, url = await slack.click(table["blocks"], f"Debate: {label}", channel=CHANNEL, ephemeral=True)
    (card,) = await mock_slack.wait_for(url)
    assert card.body["response_type"] == "in_channel" and card.body["replace_original"] is False
    assert header_of(card.body["blocks"]) == f"Is {label} product or project work?"
    assert any(v.startswith("poll:") for v in poll_buttons(card.body["blocks"]))
