"""👍/👎 on every answer, /rolecall result, private notes and rate-limited floods."""

from __future__ import annotations

import asyncio
import json

import pytest
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    USER_ID,
    FakeDiscord,
    button_ids,
    click,
    mention_of_bot,
    message_create,
    slash,
)

from rolecall.adapters.discord_render import render
from rolecall.bot.advisor import Advisor
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import SQLiteStore

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7


async def command(fake: FakeDiscord, name: str, **kwargs) -> tuple[dict, dict]:
    """Run a slash command; returns the callback body and the message it created."""
    payload = slash(name, **kwargs)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    return call.body, fake.messages_from(call)


async def press(fake: FakeDiscord, message_id: int, custom_id: str, **kwargs) -> dict:
    payload = click(fake, message_id, custom_id, **kwargs)
    await fake.interaction(payload)
    return (await fake.callback_for(int(payload["id"]))).body


async def mention(fake: FakeDiscord, text: str, *, author_id: int = USER_ID) -> None:
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> {text}", author_id=author_id,
                                                         mentions=[mention_of_bot()]))


def votes(conversation: Conversation) -> dict[str, tuple[int, int]]:
    return {t.topic: (t.up, t.down) for t in conversation.feedback.topics()}


def feedback_ids(message: dict) -> tuple[str, str]:
    ids = [i for i in button_ids(message) if i.startswith("rolecall:feedback:")]
    assert len(ids) == 2 and ids[0].endswith(":up") and ids[1].endswith(":down"), button_ids(message)
    return ids[0], ids[1]


# -- 👍 / 👎 --------------------------------------------------------------------------------------


async def test_a_public_verdict_carries_feedback_buttons_and_a_vote_answers_privately(fake, bot, conversation, advisor):
    _, verdict = await command(fake, "who", task="the release schedule")
    topic = advisor.ask("the release schedule").topic
    up, down = feedback_ids(verdict)
    assert (up, down) == (f"rolecall:feedback:{topic}:up", f"rolecall:feedback:{topic}:down")
    assert [b["label"] for row in verdict["components"] for b in row["components"]] == ["👍", "👎"]
    before = json.dumps(fake.messages[int(verdict["id"])])

    body = await press(fake, int(verdict["id"]), up, user_id=OTHER_USER_ID)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert body["data"]["embeds"][0]["description"].startswith("Thanks! Noted that my answer on ")
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert votes(conversation) == {topic: (1, 0)}

    body = await press(fake, int(verdict["id"]), down, user_id=OTHER_USER_ID)  # a change of mind replaces the vote
    assert "was wrong" in body["data"]["embeds"][0]["description"]
    await press(fake, int(verdict["id"]), down)
    assert votes(conversation) == {topic: (0, 2)}
    assert json.dumps(fake.messages[int(verdict["id"])]) == before, "the answer everyone sees is unchanged"
    assert fake.posts(CHANNEL_ID) == []


async def test_private_answers_and_mentions_carry_them_too(fake, bot, conversation, advisor):
    body, answer = await command(fake, "ask", question="who owns the roadmap?")
    assert body["data"]["flags"] & EPHEMERAL
    up, _ = feedback_ids(answer)
    body = await press(fake, int(answer["id"]), up)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL

    await mention(fake, "is the burndown chart product or project work?")
    post = (await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[-1]
    reply = fake.messages_from(post)
    _, down = feedback_ids(reply)
    assert not any("|" in i for i in button_ids(reply)), "anyone may rate an answer posted in a channel"
    body = await press(fake, int(reply["id"]), down, user_id=OTHER_USER_ID)
    assert body["data"]["flags"] & EPHEMERAL
    assert votes(conversation) == {advisor.ask("who owns the roadmap?").topic: (1, 0),
                                   advisor.ask("burndown chart").topic: (0, 1)}


LONGEST_ID = "team-zebra-gate-review-before-each-release-train"
LONG_ENTRY = f"""\
- id: {LONGEST_ID}
  owner: project
  kind: responsibility
  phrases:
    - zebra gate review
  answer: Our zebra gate review is the delivery gate before each release train, run by the project manager.
  source: practice
"""


@pytest.mark.parametrize("where", ["who", "mention"])
async def test_a_team_entry_with_the_longest_id_keeps_both_feedback_buttons_clickable(fake, start_bot, store,
                                                                                     tmp_path, where):
    # Issue 14: with longer ids allowed, a long team entry lost its 👎 and its 👍 could not be clicked.
    assert len(LONGEST_ID) == 48, "the longest id the knowledge loader accepts"
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "ours.yaml").write_text(LONG_ENTRY, encoding="utf-8")
    conversation = Conversation(Advisor.load([folder]), store)
    await start_bot(conversation=conversation)
    if where == "who":
        _, answer = await command(fake, "who", task="the zebra gate review")
    else:
        await mention(fake, "who owns the zebra gate review?")
        answer = fake.messages_from((await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages"))[-1])
    up, down = feedback_ids(answer)
    assert (up, down) == (f"rolecall:feedback:{LONGEST_ID}:up", f"rolecall:feedback:{LONGEST_ID}:down")
    for button, words in ((up, "was right"), (down, "was wrong")):
        body = await press(fake, int(answer["id"]), button, user_id=OTHER_USER_ID)
        assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
        assert words in body["data"]["embeds"][0]["description"]
    assert votes(conversation) == {LONGEST_ID: (0, 1)}


async def test_an_unknown_answer_has_no_feedback_buttons(fake, bot):
    _, answer = await command(fake, "ask", question="who fixes the printer?")
    assert not [i for i in button_ids(answer) if i.startswith("rolecall:feedback:")]


async def test_feedback_buttons_work_after_a_restart(fake, start_bot, advisor, store):
    first = await start_bot()
    _, verdict = await command(fake, "who", task="the roadmap")
    await first.close()
    fresh = Conversation(advisor, SQLiteStore(store.path))
    await start_bot(conversation=fresh)
    body = await press(fake, int(verdict["id"]), feedback_ids(verdict)[0])
    assert body["data"]["flags"] & EPHEMERAL and "Thanks!" in body["data"]["embeds"][0]["description"]
    assert votes(fresh) == {advisor.ask("the roadmap").topic: (1, 0)}


# -- /rolecall result -----------------------------------------------------------------------------


async def test_result_shows_the_askers_last_quiz_result_privately(fake, bot, conversation):
    body, _ = await command(fake, "result")
    assert body["data"]["flags"] & EPHEMERAL
    assert "haven't finished the quiz" in body["data"]["embeds"][0]["description"]

    _, quiz = await command(fake, "quiz")
    quiz_id = int(quiz["id"])
    while fake.messages[quiz_id]["embeds"][0]["title"].startswith("Step "):
        await press(fake, quiz_id, button_ids(fake.messages[quiz_id])[0])
    finished = fake.messages[quiz_id]["embeds"][0]
    assert finished["title"] == "Your quiz result"

    body, _ = await command(fake, "result")
    assert body["data"]["flags"] & EPHEMERAL
    (embed,) = body["data"]["embeds"]
    assert embed["title"] == "Your quiz result"
    assert embed["description"] == finished["description"]
    expected = conversation.handle(Message(text="my result", platform="discord", workspace=str(GUILD_ID),
                                           channel=str(CHANNEL_ID), user=str(USER_ID)))
    assert embed == render(expected).to_dict(), "the card shows what the core saved"

    body, _ = await command(fake, "result", user_id=OTHER_USER_ID)  # someone else's result is not shown
    assert "haven't finished the quiz" in body["data"]["embeds"][0]["description"]


# -- private notes from a mention: a DM, since a channel message cannot be ephemeral --------------


async def test_a_private_note_to_a_mention_goes_by_dm(fake, bot):
    await mention(fake, "vote product")  # no debate is running: a note only for the one who typed it
    (dm,) = await fake.wait_for(lambda c: c.path == f"/channels/{DM_CHANNEL_ID}/messages")
    assert "no debate running" in dm.body["embeds"][0]["description"]
    assert dm.body["allowed_mentions"] == {"parse": []}
    assert [c.body for c in fake.calls if c.path == "/users/@me/channels"] == [{"recipient_id": USER_ID}]
    await asyncio.sleep(0.05)
    assert fake.posts(CHANNEL_ID) == []


async def test_with_dms_closed_the_note_is_a_reply_in_the_channel(fake, bot, bot_log):
    fake.fail("POST", rf"^/channels/{DM_CHANNEL_ID}/messages$", 403, code=50007)
    await mention(fake, "vote product")
    (post,) = await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    assert "no debate running" in post.body["embeds"][0]["description"]
    assert post.body["allowed_mentions"] == {"parse": [], "replied_user": False}


# -- a flood past the rate limit: one polite note, then nothing ------------------------------------


@pytest.fixture
def limited(advisor, store) -> Conversation:
    conversation = Conversation(advisor, store, rate_limit=2)
    conversation.limiter.window = 10.0 ** 9  # one window for the whole test, whatever the clock says
    return conversation


async def test_a_flood_of_mentions_gets_one_note_then_silence(fake, start_bot, limited):
    await start_bot(conversation=limited)
    for n in (1, 2):
        await mention(fake, "who owns the roadmap?")
        await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages", count=n)
    await mention(fake, "who owns the roadmap?")
    (note,) = await fake.wait_for(lambda c: c.path == f"/channels/{DM_CHANNEL_ID}/messages")
    assert "faster than I can answer" in note.body["embeds"][0]["description"]
    for _ in range(3):
        await mention(fake, "who owns the roadmap?")
    await mention(fake, "who owns the release schedule?", author_id=OTHER_USER_ID)  # someone else is still answered
    await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages", count=3)
    await asyncio.sleep(0.1)
    assert len(fake.posts(CHANNEL_ID)) == 3 and len(fake.posts(DM_CHANNEL_ID)) == 1


async def test_a_flood_of_commands_and_clicks_changes_nothing_and_every_command_is_answered(fake, start_bot, limited):
    # Issue 14: a command past the limit used to get no answer at all, which Discord shows as a red error.
    await start_bot(conversation=limited)
    _, card = await command(fake, "debate", task="the roadmap")              # 1
    poll_button = button_ids(card)[0]
    body = await press(fake, int(card["id"]), poll_button)                  # 2
    assert body["type"] == UPDATE_MESSAGE
    body = await press(fake, int(card["id"]), button_ids(card)[1])          # 3: just over, told once, privately
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "faster than I can answer" in body["data"]["embeds"][0]["description"]
    before = json.dumps(fake.messages[int(card["id"])])

    body = await press(fake, int(card["id"]), button_ids(card)[2])          # 4: acknowledged, nothing sent
    assert body == {"type": DEFERRED_UPDATE}
    assert json.dumps(fake.messages[int(card["id"])]) == before

    body, note = await command(fake, "quiz")                                # 5: a short private note, no quiz
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "faster than I can answer" in note["embeds"][0]["description"]
    assert not note["components"]
    _, other = await command(fake, "quiz", user_id=OTHER_USER_ID)
    assert other["embeds"][0]["title"].startswith("Step 1")


async def test_a_split_answer_has_a_button_per_part_and_a_press_answers_that_part(fake, bot):
    _, verdict = await command(fake, "who", task="smartsheet vs aha, which pm uses which?")
    assert verdict["embeds"][0]["description"].startswith("Both, split between the roles:")
    parts = [i for i in button_ids(verdict) if i.startswith("rolecall:topic:")]
    assert parts == ["rolecall:topic:aha", "rolecall:topic:smartsheet"]
    body = await press(fake, int(verdict["id"]), parts[1])
    assert "smartsheet" in json.dumps(body).lower() and "Project manager" in json.dumps(body)
