"""/rolecall triage in Slack: a modal for pasting a backlog, the table back as one message to the asker.

`/rolecall triage` with no text opens the modal (views.open with the command's
trigger_id); its submission is answered with one chat.postMessage to the
asker's DM (or, when that fails, one ephemeral message in the channel stored in
the modal's private_metadata). `/rolecall triage <lines>` answers inline,
ephemerally. The table is a code block, split and cut to Slack's limits.
"""

from __future__ import annotations

import json
import re

import pytest
from rolecall_support import assert_cannot_ping
from slack_requests import block_text, serve_app, view_of

from rolecall.adapters.slack_blocks import INPUT_LIMIT, SECTION_LIMIT, TRIAGE_ACTION, TRIAGE_BLOCK, TRIAGE_CALLBACK
from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import MemoryStore

pytestmark = pytest.mark.asyncio

BACKLOG = "Write the PRD\nRun the daily standup\nUpdate the burndown chart\nFix the office printer"


def sections(body: dict) -> list[str]:
    return [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]


def table_rows(body: dict) -> list[str]:
    """The task rows of every code block that holds the table (its header line dropped)."""
    rows = []
    for text in sections(body):
        if text.startswith("```\nTASK "):
            rows += text.removeprefix("```\n").removesuffix("\n```").split("\n")[1:]
    return rows


async def open_modal(slack, mock, *, channel: str = "C0001") -> dict:
    status, url = await slack.command("triage", channel=channel)
    assert status == 200
    (opened,) = await mock.wait_for("views.open")
    assert opened.body["trigger_id"] == "1.2.3"  # the command's own trigger_id
    assert not mock.calls_to(url)
    return view_of(opened)


async def test_a_bare_triage_opens_a_modal_with_a_multiline_box(slack, mock_slack):
    view = await open_modal(slack, mock_slack, channel="C0042")
    assert view["type"] == "modal" and view["callback_id"] == TRIAGE_CALLBACK
    assert len(view["title"]["text"]) <= 24 and view["submit"]["text"]
    (box,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert box["block_id"] == TRIAGE_BLOCK
    element = box["element"]
    assert element["type"] == "plain_text_input" and element["multiline"] is True
    assert element["action_id"] == TRIAGE_ACTION and element["max_length"] == INPUT_LIMIT
    assert json.loads(view["private_metadata"]) == {"channel": "C0042"}


async def test_submitting_the_modal_sends_the_table_as_one_message_to_the_asker(slack, mock_slack):
    view = await open_modal(slack, mock_slack)
    status, text = await slack.submit_view(view, {TRIAGE_BLOCK: {TRIAGE_ACTION: BACKLOG}})
    assert status == 200 and text == ""  # an empty acknowledgement closes the modal
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "UANN"  # the asker's DM with Rolecall
    rows = table_rows(post.body)
    assert len(rows) == 4
    assert re.search(r"Write the PRD\s+product\b", rows[0])
    assert re.search(r"Run the daily standup\s+project\b", rows[1])
    assert re.search(r"Fix the office printer\s+unknown\b", rows[3])
    summary = [s for s in sections(post.body) if "tasks triaged" in s]
    assert summary and "4 tasks triaged" in summary[0]
    assert post.body["text"].startswith("Backlog triage: 4 tasks triaged")
    assert not mock_slack.calls_to("chat.postEphemeral")
    assert len(mock_slack.calls_to("chat.postMessage")) == 1  # one message


async def test_when_the_dm_fails_the_table_comes_privately_in_the_channel_it_was_asked_from(slack, mock_slack):
    view = await open_modal(slack, mock_slack, channel="C0042")
    mock_slack.fail("chat.postMessage", "messages_tab_disabled")
    await slack.submit_view(view, {TRIAGE_BLOCK: {TRIAGE_ACTION: BACKLOG}})
    (note,) = await mock_slack.wait_for("chat.postEphemeral")
    assert (note.body["channel"], note.body["user"]) == ("C0042", "UANN")
    assert len(table_rows(note.body)) == 4


async def test_an_empty_submission_keeps_the_modal_open_with_an_error(slack, mock_slack):
    view = await open_modal(slack, mock_slack)
    status, text = await slack.submit_view(view, {TRIAGE_BLOCK: {TRIAGE_ACTION: "  \n "}})
    assert status == 200
    answer = json.loads(text)
    assert answer["response_action"] == "errors" and TRIAGE_BLOCK in answer["errors"]
    await slack.dm("help")  # the barrier
    await mock_slack.wait_for("chat.postMessage")
    assert len(mock_slack.calls_to("chat.postMessage")) == 1


async def test_an_expired_trigger_gets_the_paste_it_inline_hint(slack, mock_slack):
    mock_slack.fail("views.open", "expired_trigger_id")
    _, url = await slack.command("triage")
    (hint,) = await mock_slack.wait_for(url)
    assert hint.body["response_type"] == "ephemeral"
    assert "Paste your backlog" in hint.body["text"]


async def test_triage_with_pasted_lines_answers_inline_and_privately(slack, mock_slack):
    _, url = await slack.command("triage " + BACKLOG)
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "ephemeral"
    assert len(table_rows(answer.body)) == 4
    assert not mock_slack.calls_to("views.open") and not mock_slack.calls_to("chat.postMessage")


async def test_a_long_backlog_is_split_and_cut_to_slacks_limits_with_a_note(slack, mock_slack):
    backlog = "\n".join(f"Write the PRD for feature number {i} of the mobile app" for i in range(500))
    _, url = await slack.command("triage " + backlog)
    (answer,) = await mock_slack.wait_for(url)
    body = answer.body
    assert len(body["blocks"]) <= 50
    assert all(len(text) <= SECTION_LIMIT for text in sections(body))
    rows = table_rows(body)
    assert 100 < len(rows) < 500
    text = block_text(body)
    assert f"{500 - len(rows)} more rows not shown" in text and "rolecall triage FILE" in text
    assert "500 tasks triaged" in text  # the counts cover the whole backlog


async def test_hostile_task_text_cannot_ping_or_break_the_code_block(slack, mock_slack):
    view = await open_modal(slack, mock_slack)
    backlog = "<!channel> write the PRD @here\nrun the standup ``` <b>x</b> & <@U999>\n<https://evil.example|click>"
    await slack.submit_view(view, {TRIAGE_BLOCK: {TRIAGE_ACTION: backlog}})
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert_cannot_ping(json.dumps(post.body, ensure_ascii=False))
    for text in sections(post.body):
        inner = text.removeprefix("```\n").removesuffix("\n```")
        assert "```" not in inner and "<" not in inner and ">" not in inner


async def test_a_triage_past_the_rate_limit_gets_the_polite_note_not_a_table(advisor, mock_slack):
    async with serve_app(Conversation(advisor, MemoryStore(), rate_limit=1), mock_slack) as slack:
        _, first = await slack.command("triage " + BACKLOG)
        assert len(table_rows((await mock_slack.wait_for(first))[0].body)) == 4
        _, second = await slack.command("triage " + BACKLOG)
        (note,) = await mock_slack.wait_for(second)
        assert note.body["response_type"] == "ephemeral"
        assert "faster than I can answer" in note.body["text"]
        assert "```" not in block_text(note.body) and "Backlog triage" not in block_text(note.body)
