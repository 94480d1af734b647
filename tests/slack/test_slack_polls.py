"""Buttons anyone may click: debate polls and 👍/👎 answer feedback, through signed requests and the mock Web API.

A poll card is posted with chat.postMessage and every vote updates that same
message with chat.update (checked by channel and ts); notes for one person go
through the click's response_url as ephemeral messages and leave the card alone.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from rolecall_support import assert_cannot_ping
from slack_requests import block_text, header_of, poll_buttons, serve_app, slack_text, tally_of, vote_buttons

from rolecall.adapters.slack_blocks import CHOICES_BLOCK, escape
from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import MemoryStore
from rolecall.bot.store_url import open_store

pytestmark = pytest.mark.asyncio


async def start_poll(slack, mock, task: str = "the release schedule", *, user: str = "UANN", channel: str = "C0001"):
    """/rolecall debate TASK; returns the posted card's blocks and its ts."""
    before = len(mock.calls_to("chat.postMessage"))
    status, url = await slack.command(f"debate {task}", user=user, channel=channel)
    assert status == 200
    posts = await mock.wait_for("chat.postMessage", before + 1)
    card = posts[-1]
    assert card.body["channel"] == channel
    assert not mock.calls_to(url), "the card is posted once, not also through the response_url"
    return card.body["blocks"], card.answer["ts"]


async def vote(slack, mock, blocks, ts, label: str, user: str) -> dict:
    """Click a poll button and return the chat.update it causes (the same message, by channel and ts)."""
    before = len(mock.calls_to("chat.update"))
    status, url = await slack.click(blocks, label, user=user, ephemeral=False, message_ts=ts)
    assert status == 200
    updates = await mock.wait_for("chat.update", before + 1)
    update = updates[-1].body
    assert (update["channel"], update["ts"]) == ("C0001", ts)
    assert not mock.calls_to(url), "a vote updates the card; it sends nothing else"
    return update


async def barrier(slack, mock) -> None:
    """Something answered after everything sent before it: a question from a bystander."""
    before = len(mock.calls_to("chat.postMessage"))
    await slack.mention("who owns the roadmap?", user="UBARRIER")
    await mock.wait_for("chat.postMessage", before + 1)


# -- a poll from start to reveal -------------------------------------------------------------

async def test_debate_posts_one_poll_card_with_vote_and_reveal_buttons(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack)
    assert header_of(blocks) == "Is the release schedule product or project work?"
    assert tally_of(blocks) == {"product": 0, "project": 0, "both": 0}
    values = poll_buttons(blocks)
    poll_id = values[0].split(":")[1]
    assert values == [f"poll:{poll_id}:{o}" for o in ("product", "project", "both", "reveal")]
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Product", "Project", "Both", "Reveal"]
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert not actions["block_id"].startswith(CHOICES_BLOCK + ":"), "a poll card has no owner: anyone may vote"


async def test_each_vote_updates_the_same_card_with_counts_and_no_names(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack)
    expected = {"product": 0, "project": 0, "both": 0}
    for user, label in [("UBOB", "Project"), ("UCAT", "Product"), ("UDAN", "Project"), ("UEVE", "Both")]:
        update = await vote(slack, mock_slack, blocks, ts, label, user)
        expected[label.lower()] += 1
        assert tally_of(update["blocks"]) == expected
        assert poll_buttons(update["blocks"]) == poll_buttons(blocks), "still open: the buttons stay"
        raw = json.dumps(update)
        assert user not in raw and "UANN" not in raw, "counts, never names"
    assert len(mock_slack.calls_to("chat.postMessage")) == 1, "no new message per vote"
    assert "(4 votes)" in block_text(update)


async def test_clicking_again_changes_the_vote(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack)
    update = await vote(slack, mock_slack, blocks, ts, "Product", "UBOB")
    assert tally_of(update["blocks"]) == {"product": 1, "project": 0, "both": 0}
    update = await vote(slack, mock_slack, update["blocks"], ts, "Both", "UBOB")
    assert tally_of(update["blocks"]) == {"product": 0, "project": 0, "both": 1}


async def test_reveal_is_the_starters_and_turns_the_card_into_the_result(slack, mock_slack, advisor):
    blocks, ts = await start_poll(slack, mock_slack)
    for user, label in [("UBOB", "Project"), ("UCAT", "Project"), ("UDAN", "Product")]:
        await vote(slack, mock_slack, blocks, ts, label, user)
    updates = len(mock_slack.calls_to("chat.update"))
    _, url = await slack.click(blocks, "Reveal", user="UBOB", ephemeral=False, message_ts=ts)
    (note,) = await mock_slack.wait_for(url)
    assert note.body["response_type"] == "ephemeral" and note.body["replace_original"] is False
    assert "Only the person who started this poll" in note.body["text"]
    await barrier(slack, mock_slack)
    assert len(mock_slack.calls_to("chat.update")) == updates, "the card is unchanged"

    result = await vote(slack, mock_slack, blocks, ts, "Reveal", "UANN")
    text = block_text(result)
    assert header_of(result["blocks"]) == "Is the release schedule product or project work?"
    assert tally_of(result["blocks"]) == {"product": 1, "project": 2, "both": 0}
    assert "Closed" in text
    assert "Rolecall: Project manager.*" in text and "coordinates releases" in text  # verdict and reason
    source = advisor.ask("the release schedule").part.source
    assert f"*release coordination* · {escape(source)}" in text  # the topic and its source
    assert "*2 of 3 agreed* with Rolecall" in text
    assert vote_buttons(result["blocks"]) == [], "a closed poll takes no more votes"


async def test_a_vote_on_a_closed_poll_gets_a_private_note_and_the_card_stays(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack)
    await vote(slack, mock_slack, blocks, ts, "Both", "UBOB")
    closed = await vote(slack, mock_slack, blocks, ts, "Reveal", "UANN")
    updates = len(mock_slack.calls_to("chat.update"))
    # A stale button (someone's client had not redrawn the card yet) on the message that now shows the result.
    _, url = await slack.click(blocks, "Product", user="UCAT", ephemeral=False, message_ts=ts,
                               message_blocks=closed["blocks"])
    (note,) = await mock_slack.wait_for(url)
    assert note.body["response_type"] == "ephemeral" and note.body["replace_original"] is False
    assert "closed" in note.body["text"] and "wasn't counted" in note.body["text"]
    assert "*Product* 0 · *Project* 0 · *Both* 1" in block_text(note.body)
    await barrier(slack, mock_slack)
    assert len(mock_slack.calls_to("chat.update")) == updates, "the card is unchanged"


async def test_a_poll_that_closed_on_time_shows_its_result_at_the_next_click(advisor, mock_slack):
    conversation = Conversation(advisor, MemoryStore(), poll_duration=0)  # every poll is due at once
    async with serve_app(conversation, mock_slack) as slack:
        blocks, ts = await start_poll(slack, mock_slack)
        _, url = await slack.click(blocks, "Project", user="UBOB", ephemeral=False, message_ts=ts)
        (note,) = await mock_slack.wait_for(url)
        assert "closed" in note.body["text"] and note.body["response_type"] == "ephemeral"
        (update,) = await mock_slack.wait_for("chat.update")
        assert update.body["ts"] == ts
        assert "Closed" in block_text(update.body) and vote_buttons(update.body["blocks"]) == []


async def test_an_unknown_verdict_is_revealed_honestly(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack, "fixing the office printer")
    await vote(slack, mock_slack, blocks, ts, "Project", "UBOB")
    result = await vote(slack, mock_slack, blocks, ts, "Reveal", "UANN")
    text = block_text(result)
    assert "honestly don't know" in text and "closest topics" in text
    assert "agreed" not in text


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_votes_survive_a_restart_between_votes(advisor, mock_slack, tmp_path, request, backend):
    url = f"sqlite:///{tmp_path / 'state.db'}" if backend == "sqlite" else request.getfixturevalue("redis_url")
    async with serve_app(Conversation(advisor, open_store(url)), mock_slack) as first:
        blocks, ts = await start_poll(first, mock_slack)
        await vote(first, mock_slack, blocks, ts, "Product", "UBOB")
        update = await vote(first, mock_slack, blocks, ts, "Project", "UCAT")
        assert tally_of(update["blocks"]) == {"product": 1, "project": 1, "both": 0}
    async with serve_app(Conversation(advisor, open_store(url)), mock_slack) as second:  # a new process, same store
        update = await vote(second, mock_slack, blocks, ts, "Both", "UCAT")  # changes the vote cast before
        assert tally_of(update["blocks"]) == {"product": 1, "project": 0, "both": 1}
        update = await vote(second, mock_slack, blocks, ts, "Both", "UDAN")
        assert tally_of(update["blocks"]) == {"product": 1, "project": 0, "both": 2}
        result = await vote(second, mock_slack, blocks, ts, "Reveal", "UANN")  # the starter, known across restarts
        assert tally_of(result["blocks"]) == {"product": 1, "project": 0, "both": 2}
        assert "Closed" in block_text(result) and "of 3 agreed" in block_text(result)


async def test_many_votes_at_once_leave_the_card_on_the_exact_tally(slack, mock_slack):
    blocks, ts = await start_poll(slack, mock_slack)
    options = ["Product", "Project", "Both"]
    clicks = [slack.click(blocks, options[i % 3], user=f"UV{i:03d}", ephemeral=False, message_ts=ts) for i in range(30)]
    assert all(status == 200 for status, _ in await asyncio.gather(*clicks))
    expected = {"product": 10, "project": 10, "both": 10}
    await mock_slack.wait_until(lambda: mock_slack.calls_to("chat.update")
                                and tally_of(mock_slack.calls_to("chat.update")[-1].body["blocks"]) == expected,
                                "the card to show all 30 votes")
    assert len(mock_slack.calls_to("chat.update")) <= 30, "updates are coalesced, never more than one per vote"


async def test_a_debate_started_by_a_mention_lives_in_its_thread(slack, mock_slack):
    await slack.mention("debate: the roadmap", ts="1700000007.000100")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert card.body["thread_ts"] == "1700000007.000100"
    assert header_of(card.body["blocks"]) == "Is the roadmap product or project work?"
    update = await vote(slack, mock_slack, card.body["blocks"], card.answer["ts"], "Product", "UBOB")
    assert tally_of(update["blocks"]) == {"product": 1, "project": 0, "both": 0}


async def test_where_rolecall_may_not_post_the_poll_goes_through_the_response_url(slack, mock_slack):
    mock_slack.fail("chat.postMessage", "not_in_channel")
    _, url = await slack.command("debate the release schedule")
    (card,) = await mock_slack.wait_for(url)
    assert card.body["response_type"] == "in_channel"
    mock_slack.fail("chat.update", "cant_update_message")
    _, url = await slack.click(card.body["blocks"], "Project", user="UBOB", ephemeral=False)
    (update,) = await mock_slack.wait_for(url)
    assert update.body["replace_original"] is True
    assert tally_of(update.body["blocks"]) == {"product": 0, "project": 1, "both": 0}


async def test_text_in_a_debate_is_escaped_and_cannot_ping(slack, mock_slack):
    # Real mentions arrive as markup; what was typed as `&`, `<`, `>` arrives entity-encoded, as Slack sends it.
    task = "<!channel> the release schedule @here " + slack_text("& <b>bold</b>") + " *stars*"
    blocks, ts = await start_poll(slack, mock_slack, task)
    update = await vote(slack, mock_slack, blocks, ts, "Product", "UBOB")
    for body in ({"blocks": blocks}, update):
        assert_cannot_ping(block_text(body))
        for block in body["blocks"]:
            for piece in [block.get("text") or {}, *(block.get("elements") or [])]:
                if piece.get("type") == "mrkdwn":
                    assert "<" not in piece["text"] and ">" not in piece["text"], piece["text"]
    assert "&lt;b&gt;" in update["text"] and "&amp;" in update["text"]
    assert "&amp;lt;" not in json.dumps(update) and "&amp;amp;" not in json.dumps(update), "escaped once"


# -- 👍 / 👎 on answers ---------------------------------------------------------------------

async def test_every_answer_card_carries_feedback_buttons(slack, mock_slack):
    await slack.mention("who owns the release schedule?")
    await slack.dm("who owns the roadmap?")
    _, who = await slack.command("who the burndown chart")
    _, ask = await slack.command("ask is the PRD product or project work?")
    cards = [c.body for c in await mock_slack.wait_for("chat.postMessage", 2)]
    cards += [(await mock_slack.wait_for(who))[0].body, (await mock_slack.wait_for(ask))[0].body]
    for card in cards:
        labels = [(e["text"]["text"], e["value"].rsplit(":", 1)[1]) for b in card["blocks"] if b["type"] == "actions"
                  for e in b["elements"]]
        assert labels == [("👍", "up"), ("👎", "down")]
        assert all(v.startswith("feedback:") for v in poll_buttons(card["blocks"]))


async def test_a_feedback_click_is_recorded_and_thanked_privately_leaving_the_card(slack, mock_slack, conversation):
    await slack.mention("who owns the release schedule?")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    topic = poll_buttons(card.body["blocks"])[0].split(":")[1]
    _, url = await slack.click(card.body["blocks"], "👎", user="UBOB", ephemeral=False, message_ts=card.answer["ts"])
    (thanks,) = await mock_slack.wait_for(url)
    assert thanks.body["response_type"] == "ephemeral" and thanks.body["replace_original"] is False
    assert "Thanks" in thanks.body["text"] and "wrong" in thanks.body["text"]
    _, url = await slack.click(card.body["blocks"], "👍", user="UBOB", ephemeral=False, message_ts=card.answer["ts"])
    await mock_slack.wait_for(url)
    _, url = await slack.click(card.body["blocks"], "👍", user="UCAT", ephemeral=False, message_ts=card.answer["ts"])
    await mock_slack.wait_for(url)
    assert not mock_slack.calls_to("chat.update"), "the answer card stays as it was"
    (votes,) = [t for t in conversation.feedback.topics() if t.topic == topic]
    assert (votes.up, votes.down) == (2, 0)  # UBOB changed their mind; one vote each


async def test_when_the_polls_time_is_up_the_card_shows_the_result_without_a_click(advisor, mock_slack):
    conversation = Conversation(advisor, MemoryStore(), poll_duration=0.3)
    async with serve_app(conversation, mock_slack) as slack:
        blocks, ts = await start_poll(slack, mock_slack)
        assert poll_buttons(blocks) != []
        (update,) = await mock_slack.wait_for("chat.update")  # nobody clicked
        result = update.body
        assert (result["channel"], result["ts"]) == ("C0001", ts)
        assert "Closed" in block_text(result) and vote_buttons(result["blocks"]) == []
        assert tally_of(result["blocks"]) == {"product": 0, "project": 0, "both": 0}


# -- typed votes, timers and restarts ------------------------------------------------------------

async def test_typed_votes_and_reveal_in_the_polls_thread_update_its_one_card(slack, mock_slack):
    await slack.mention("debate: the roadmap", ts="1700000007.000100")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    ts = card.answer["ts"]
    expected = {"product": 0, "project": 0, "both": 0}

    def shown() -> dict | None:
        updates = mock_slack.calls_to("chat.update")
        return tally_of(updates[-1].body["blocks"]) if updates else None

    for n, (user, option) in enumerate([("UBOB", "product"), ("UCAT", "project"), ("UDAN", "product")]):
        await slack.mention(f"vote {option}", user=user, ts=f"1700000008.{n:06d}", thread_ts="1700000007.000100")
        expected[option] += 1
        await mock_slack.wait_until(lambda: shown() == expected, f"the card to show {expected}")
    update = mock_slack.calls_to("chat.update")[-1].body
    assert (update["channel"], update["ts"]) == ("C0001", ts)
    await slack.mention("reveal", user="UANN", ts="1700000009.000100", thread_ts="1700000007.000100")
    await mock_slack.wait_until(lambda: "Closed" in block_text(mock_slack.calls_to("chat.update")[-1].body),
                                "the revealed card")
    assert mock_slack.calls_to("chat.update")[-1].body["ts"] == ts
    await barrier(slack, mock_slack)
    cards = [c for c in mock_slack.calls_to("chat.postMessage") if c.body["channel"] == "C0001"
             and c.body.get("thread_ts") == "1700000007.000100"]
    assert len(cards) == 1, "one card for the poll, not a new one per typed vote"


async def test_a_manual_reveal_cancels_the_polls_timer(advisor, mock_slack):
    conversation = Conversation(advisor, MemoryStore(), poll_duration=1.0)
    async with serve_app(conversation, mock_slack) as slack:
        blocks, ts = await start_poll(slack, mock_slack)
        await vote(slack, mock_slack, blocks, ts, "Reveal", "UANN")
        assert not slack.front_end.polls.timers(), "no timer left for a revealed poll"
        await asyncio.sleep(2.0)  # past the poll's own deadline
        assert len(mock_slack.calls_to("chat.update")) == 1, "the card was not touched again"


async def test_a_poll_posted_through_the_response_url_reveals_by_itself(advisor, mock_slack):
    conversation = Conversation(advisor, MemoryStore(), poll_duration=0.3)
    async with serve_app(conversation, mock_slack) as slack:
        mock_slack.fail("chat.postMessage", "not_in_channel")
        _, url = await slack.command("debate the release schedule")
        first, result = await mock_slack.wait_for(url, 2)
        assert first.body["response_type"] == "in_channel" and poll_buttons(first.body["blocks"])
        assert result.body["replace_original"] is True
        assert "Closed" in block_text(result.body) and vote_buttons(result.body["blocks"]) == []


async def test_a_polls_reveal_timer_comes_back_after_a_restart(advisor, mock_slack, tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    async with serve_app(Conversation(advisor, open_store(url), poll_duration=1.5), mock_slack) as first:
        blocks, ts = await start_poll(first, mock_slack)
    assert not mock_slack.calls_to("chat.update"), "stopped before the poll's time was up"
    async with serve_app(Conversation(advisor, open_store(url), poll_duration=1.5), mock_slack):
        (update,) = await mock_slack.wait_for("chat.update")  # nobody clicked: the new process revealed it
        assert (update.body["channel"], update.body["ts"]) == ("C0001", ts)
        assert "Closed" in block_text(update.body)
