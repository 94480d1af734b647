"""/rolecall triage: a form (MODAL) or an attached file, answered only to the asker with the core's triage table."""

from __future__ import annotations

import codecs

import pytest
from fake_discord import CHANNEL_ID, OTHER_USER_ID, FakeDiscord, modal_submit, slash

from rolecall.adapters.discord_commands import TRIAGE_INPUT_ID, TRIAGE_MODAL_ID
from rolecall.bot.plain_text import render
from rolecall.bot.triage import MAX_CHAT_ROWS, triage_pasted

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
MODAL = 9
BACKLOG = """# Sprint 12
- [ ] Update the release schedule
- [x] Prioritise the roadmap
- Track the budget burn
"""


def triage_text(advisor, text: str) -> str:
    """The plain-text table the core renders for a pasted backlog."""
    return render([triage_pasted(advisor, text)])


def code_block(table: str) -> str:
    return "```text\n" + table + "\n```"


async def submit(fake: FakeDiscord, text: str, **kwargs) -> tuple[dict, dict]:
    """Submit the triage form; returns the deferred answer's body and the final (follow-up) message."""
    payload = modal_submit(TRIAGE_MODAL_ID, {TRIAGE_INPUT_ID: text}, **kwargs)
    await fake.interaction(payload)
    return await answered(fake, payload)


async def answered(fake: FakeDiscord, payload: dict) -> tuple[dict, dict]:
    deferred = (await fake.callback_for(int(payload["id"]))).body
    (follow_up,) = await fake.wait_for(lambda c: c in fake.webhook_calls(payload))
    return deferred, follow_up


def assert_private(deferred: dict, follow_up, fake: FakeDiscord, payload: dict | None = None) -> None:
    assert deferred["type"] == DEFERRED_CHANNEL_MESSAGE and deferred["data"]["flags"] & EPHEMERAL, deferred
    assert follow_up.body["flags"] & EPHEMERAL
    assert follow_up.body["allowed_mentions"] == {"parse": []}
    assert fake.messages_from(follow_up)["flags"] & EPHEMERAL
    assert fake.posts(CHANNEL_ID) == [], "nothing is posted in the channel"


async def test_triage_without_a_file_opens_the_form(fake, bot):
    payload = slash("triage")
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["type"] == MODAL
    form = call.body["data"]
    assert form["custom_id"] == TRIAGE_MODAL_ID
    assert form["title"] == "Triage a backlog"
    (label,) = form["components"]
    assert label["type"] == 18 and label["label"].startswith("Your backlog")
    box = label["component"]
    assert box["type"] == 4 and box["custom_id"] == TRIAGE_INPUT_ID
    assert box["style"] == 2, "a paragraph box"
    assert box["max_length"] == 4000 and box["required"] is True
    assert not [m for m in fake.messages.values() if m.get("embeds") or m.get("content")], "a form, not a message"


@pytest.mark.parametrize("legacy_rows", [False, True], ids=["labels", "action-rows"])
async def test_the_submitted_form_gets_the_triage_table_privately(fake, bot, advisor, legacy_rows):
    await fake.interaction(slash("triage"))
    deferred, follow_up = await submit(fake, BACKLOG, legacy_rows=legacy_rows)
    payload_calls = [c for c in fake.calls if c.path.endswith("/callback")]
    assert payload_calls[-1].body == deferred
    assert_private(deferred, follow_up, fake)
    table = triage_text(advisor, BACKLOG)
    assert follow_up.body["content"] == code_block(table)
    assert "Update the release schedule" in table and "project" in table and "3 tasks triaged" in table
    assert not follow_up.files
    # The "thinking" placeholder became the table: one private message, no second one.
    assert fake.messages_from(follow_up)["id"] == str(max(fake.messages))


async def test_a_form_opened_before_a_restart_is_answered_after_it(fake, start_bot, advisor, conversation):
    first = await start_bot()
    await fake.interaction(slash("triage"))
    await fake.wait_for(lambda c: c.path.endswith("/callback"))
    await first.close()

    await start_bot()
    backlog = "Update the release schedule\nPrioritise the roadmap"
    deferred, follow_up = await submit(fake, backlog, user_id=OTHER_USER_ID)
    assert_private(deferred, follow_up, fake)
    assert follow_up.body["content"] == code_block(triage_text(advisor, backlog))


async def test_a_long_table_comes_as_an_attached_text_file(fake, bot, advisor):
    tasks = [f"Update the release schedule for the {n}th launch" for n in range(80)]
    text = "\n".join(tasks)
    assert len(text) <= 4000
    deferred, follow_up = await submit(fake, text)
    assert_private(deferred, follow_up, fake)
    table = triage_text(advisor, text)
    assert len(code_block(table)) > 2000
    content = follow_up.body["content"]
    assert len(content) <= 2000
    assert "triage.txt" in content and "80 tasks triaged" in content and "```text\n" in content
    (file,) = follow_up.files
    assert file["filename"] == "triage.txt"
    assert file["data"].decode("utf-8") == table
    assert [a["filename"] for a in follow_up.body["attachments"]] == ["triage.txt"]


async def test_a_blank_form_gets_the_cores_note_on_what_to_paste(fake, bot):
    deferred, follow_up = await submit(fake, "  \n ")
    assert_private(deferred, follow_up, fake)
    assert "Paste your backlog" in follow_up.body["embeds"][0]["description"]


async def test_nothing_in_a_triage_can_ping_or_break_the_code_block(fake, bot, assert_cannot_ping):
    text = "@everyone update the release schedule\n```\n<@&1234567890> @here prioritise the roadmap ``` now"
    deferred, follow_up = await submit(fake, text)
    content = follow_up.body["content"]
    assert_cannot_ping(content)
    assert content.startswith("```text\n") and content.endswith("\n```")
    assert content.count("```") == 2, "a task's backticks cannot close the block early"
    assert follow_up.body["allowed_mentions"] == {"parse": []}


# -- attachments ---------------------------------------------------------------------------------


async def triage_file(fake: FakeDiscord, filename: str, data: bytes, content_type: str | None = "text/csv",
                      **kwargs) -> dict:
    attachment = fake.add_attachment(filename, data, content_type, **kwargs)
    payload = slash("triage", attachments={"file": attachment})
    await fake.interaction(payload)
    return payload


async def test_an_attached_csv_is_downloaded_and_triaged(fake, bot, advisor):
    csv = b"key,title,status\nPRJ-1,Update the release schedule,open\nPRJ-2,Prioritise the roadmap,open\nPRJ-3,,open\n"
    payload = await triage_file(fake, "backlog.csv", csv)
    deferred, follow_up = await answered(fake, payload)
    assert_private(deferred, follow_up, fake)
    assert fake.downloads == ["backlog.csv"]
    table = triage_text(advisor, csv.decode())
    assert follow_up.body["content"] == code_block(table)
    assert "2 tasks triaged" in table and "line 4" in table  # the empty title is reported, not fatal


async def test_an_attachment_is_read_like_the_cli_reads_a_file(fake, bot, advisor):
    # Excel's "Unicode text" (UTF-16 with a BOM), and stray invalid UTF-8 bytes: decoded, never a crash.
    utf16 = codecs.BOM_UTF16_LE + "Title\nUpdate the release schedule\n".encode("utf-16-le")
    payload = await triage_file(fake, "export.txt", utf16, "text/plain")
    _, follow_up = await answered(fake, payload)
    assert "Update the release schedule" in follow_up.body["content"]

    payload = await triage_file(fake, "list.txt", b"Prioritise the roadmap\n\xff\xfe\xfa\nTrack the budget\n", None)
    _, follow_up = await answered(fake, payload)
    content = follow_up.body["content"]
    assert "Prioritise the roadmap" in content and "Track the budget" in content
    assert "skipped" in content


async def test_a_big_attachment_triages_the_first_rows_and_attaches_the_table(fake, bot, advisor):
    lines = [f"Update the release schedule for milestone {n}" for n in range(MAX_CHAT_ROWS + 100)]
    data = "\n".join(lines).encode()
    payload = await triage_file(fake, "backlog.md", data, "text/markdown; charset=utf-8")
    _, follow_up = await answered(fake, payload)
    content = follow_up.body["content"]
    assert len(content) <= 2000
    assert f"first {MAX_CHAT_ROWS} lines of {len(lines)}" in content
    assert f"{MAX_CHAT_ROWS} tasks triaged" in content
    (file,) = follow_up.files
    assert file["data"].decode() == triage_text(advisor, data.decode())


@pytest.mark.parametrize("filename, content_type, size, words", [
    ("huge.csv", "text/csv", 2_500_000, "up to 1 MB"),
    ("photo.png", "image/png", None, "text or CSV file"),
    ("report.pdf", "application/pdf", None, "text or CSV file"),
])
async def test_an_attachment_that_is_not_a_small_text_file_gets_a_private_note(fake, bot, filename, content_type,
                                                                              size, words):
    payload = await triage_file(fake, filename, b"\x89PNG\r\n" if size is None else b"title\nx\n", content_type,
                                size=size)
    body = (await fake.callback_for(int(payload["id"]))).body
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert words in body["data"]["embeds"][0]["description"]
    assert filename in body["data"]["embeds"][0]["description"]
    assert fake.downloads == [], "nothing is downloaded"


async def test_a_csv_with_an_unusual_content_type_is_read_by_its_name(fake, bot):
    payload = await triage_file(fake, "jira.csv", b"Summary\nUpdate the release schedule\n", "application/octet-stream")
    _, follow_up = await answered(fake, payload)
    assert "1 task triaged" in follow_up.body["content"]


async def test_an_attachment_that_cannot_be_downloaded_gets_a_note(fake, bot, bot_log):
    attachment = fake.add_attachment("gone.csv", b"title\nx\n", "text/csv")
    del fake.attachments[int(attachment["id"])]
    payload = slash("triage", attachments={"file": attachment})
    await fake.interaction(payload)
    deferred, follow_up = await answered(fake, payload)
    assert_private(deferred, follow_up, fake)
    assert "couldn't download gone.csv" in follow_up.body["embeds"][0]["description"]
    assert any("could not download" in r.getMessage() for r in bot_log)
