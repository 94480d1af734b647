""""Who owns this?" on any message (the message shortcut) and what App Home shows to review, over real HTTP.

Payloads are shaped as Slack sends them (a signed `message_action` form post with the chosen message), the app
answers through the mock Web API, and the tests read what was posted.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from slack_requests import block_text, find_button, header_of, poll_buttons, slack_text, view_of

from rolecall.adapters.slack_block_kit import escape
from rolecall.adapters.slack_home import GAP_LIMIT, REVIEW_LIMIT, ToReview, home_view
from rolecall.adapters.slack_shortcuts import NO_TEXT, SHARED, SHORTCUT_CALLBACK
from rolecall.bot.feedback import GapGroup
from rolecall.bot.intents import AboutMessage
from rolecall.bot.knowledge import Entry

REPO_ROOT = Path(__file__).resolve().parents[2]


def _manifest() -> dict:
    return yaml.safe_load((REPO_ROOT / "adapters" / "slack_manifest.yaml").read_text(encoding="utf-8"))


# -- the manifest -------------------------------------------------------------------------------

def test_the_manifest_declares_the_who_owns_this_message_shortcut():
    (shortcut,) = _manifest()["features"]["shortcuts"]
    assert shortcut["type"] == "message"
    assert shortcut["callback_id"] == SHORTCUT_CALLBACK
    assert shortcut["name"] == "Who owns this?" and len(shortcut["name"]) <= 24
    assert 0 < len(shortcut["description"]) <= 80
    assert "commands" in _manifest()["oauth_config"]["scopes"]["bot"]  # shortcuts need it


# -- the shortcut -------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_the_shortcut_answers_privately_about_the_chosen_message(slack, mock_slack, conversation,
                                                                      monkeypatch):
    seen = []
    handle = conversation.handle
    monkeypatch.setattr(conversation, "handle", lambda m, i=None: seen.append((m, i)) or handle(m, i))
    status, url = await slack.message_action(slack_text("who owns the roadmap & the <draft>?"))
    assert status == 200
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    assert note.body["channel"] == "C0001" and note.body["user"] == "UANN"
    assert "thread_ts" not in note.body  # the chosen message is not in a thread
    assert block_text(note.body).startswith(("Project", "Product", "Both"))  # a verdict on the message's text
    assert any(v.startswith("share:") for v in poll_buttons(note.body["blocks"]))
    ((asked, intent),) = seen
    assert intent == AboutMessage("who owns the roadmap & the <draft>?")  # decoded once
    assert asked.user == "UANN" and asked.channel == "C0001" and asked.workspace == "T0001"
    assert not mock_slack.calls_to("chat.postMessage") and not mock_slack.calls_to(url)


@pytest.mark.asyncio
async def test_share_in_channel_posts_the_answer_publicly_in_the_thread(slack, mock_slack):
    await slack.message_action("who owns the release schedule?", thread_ts="1700000001.000001")
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    assert note.body["thread_ts"] == "1700000001.000001"
    _, url = await slack.click(note.body["blocks"], "Share in channel", thread_ts="1700000001.000001",
                               message_ts=note.answer["message_ts"])
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0001" and post.body["thread_ts"] == "1700000001.000001"
    assert header_of(post.body["blocks"]) == header_of(note.body["blocks"])  # the same answer, for everyone
    assert not any(v.startswith("share:") for v in poll_buttons(post.body["blocks"]))  # shared already
    block_id = next(b["block_id"] for b in post.body["blocks"] if b.get("type") == "actions")
    assert block_id.startswith("rolecall:choices#")  # nobody's card: anyone may give 👍/👎
    (done,) = await mock_slack.wait_for(url)
    assert done.body["replace_original"] is True and SHARED in done.body["text"]
    assert len(mock_slack.calls_to("chat.postEphemeral")) == 1


@pytest.mark.asyncio
async def test_share_falls_back_to_the_response_url_where_rolecall_may_not_post(slack, mock_slack):
    await slack.message_action("who owns the release schedule?")
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    mock_slack.fail("chat.postMessage", "not_in_channel")
    _, url = await slack.click(note.body["blocks"], "Share in channel")
    (public,) = await mock_slack.wait_for(url)
    assert public.body["response_type"] == "in_channel" and public.body["replace_original"] is False
    assert header_of(public.body["blocks"]) == header_of(note.body["blocks"])


@pytest.mark.asyncio
async def test_outside_rolecalls_channels_the_answer_comes_through_the_response_url(slack, mock_slack):
    mock_slack.fail("chat.postEphemeral", "channel_not_found")
    _, url = await slack.message_action("who owns the release schedule?")
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "ephemeral"
    assert find_button(answer.body["blocks"], "Share in channel")
    assert not mock_slack.calls_to("chat.postMessage")


@pytest.mark.asyncio
async def test_a_message_without_text_gets_a_polite_note(slack, mock_slack):
    await slack.message_action("")
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    assert note.body["user"] == "UANN"
    assert block_text(note.body).startswith(NO_TEXT.split(",")[0])
    assert "actions" not in json.dumps(note.body.get("blocks"))


@pytest.mark.asyncio
async def test_the_shortcut_cannot_ping_through_the_chosen_text(slack, mock_slack):
    await slack.message_action("<!channel> who owns <@U999> and the <https://evil.example|release schedule>?")
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    raw = json.dumps(note.body)
    assert "<!channel>" not in raw and "<@U999>" not in raw and "<https://" not in raw


# -- App Home: what to review -------------------------------------------------------------------

def _entry(n: int, reviewed: date | None = None, reviewer: str | None = None) -> Entry:
    return Entry(id=f"team-{n}", owner="product", kind="artifact", phrases=(f"topic {n}",), answer="Because.",
                 source="team", file="team/kb.yaml", line=n, reviewed=reviewed, reviewer=reviewer)


def test_app_home_lists_what_is_due_for_review_and_the_top_gaps_escaped():
    due = [_entry(1, date(2020, 1, 2), "Ana <!here>"), *(_entry(n) for n in range(2, REVIEW_LIMIT + 4))]
    gaps = [GapGroup(f"who owns <!channel> thing {n} & co?", 10 - n, n % 2, "roadmap" if n else None)
            for n in range(GAP_LIMIT + 3)]
    view = home_view("Help.", ToReview(due=due, gaps=gaps))
    text = block_text({"blocks": view["blocks"]})
    assert "What to review" in text
    assert f"reviewed 2020-01-02 by {escape('Ana <!here>')}" in text and "never reviewed" in text
    assert f"topic {REVIEW_LIMIT}" in text and f"topic {REVIEW_LIMIT + 1}" not in text
    assert "3 more due" in text
    assert text.count(escape("who owns <!channel> thing")) == GAP_LIMIT
    assert "asked 10 times" in text and "&amp; co" in text and "closest: roadmap" in text
    raw = json.dumps(view)
    assert "<!here>" not in raw and "<!channel>" not in raw
    assert len(view["blocks"]) <= 100
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b.get("type") == "section")


def test_app_home_says_so_when_nothing_is_due_and_nothing_was_missed():
    text = block_text({"blocks": home_view("Help.", ToReview())["blocks"]})
    assert "Nothing is due" in text and "None yet" in text


@pytest.mark.asyncio
async def test_app_home_shows_a_question_rolecall_could_not_answer(slack, mock_slack):
    await slack.dm("who owns the espresso machine descaling?")
    await mock_slack.wait_for("chat.postMessage")
    await slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DANN", "tab": "home"})
    (publish,) = await mock_slack.wait_for("views.publish")
    text = block_text({"blocks": view_of(publish)["blocks"]})
    assert "What to review" in text
    assert "espresso machine descaling" in text and "asked 1 time" in text


@pytest.mark.asyncio
async def test_app_home_never_shows_another_workspaces_unanswered_questions(slack, mock_slack):
    await slack.dm("who owns the espresso machine descaling?", team="T0OTHER", user="UBOB", channel="DBOB")
    await mock_slack.wait_for("chat.postMessage")
    await slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DANN", "tab": "home"})
    (publish,) = await mock_slack.wait_for("views.publish")
    assert "espresso" not in block_text({"blocks": view_of(publish)["blocks"]})
