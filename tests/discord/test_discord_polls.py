"""/rolecall debate: one public poll card that every vote edits in place, a reveal, buttons that outlive restarts."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    OTHER_USER_ID,
    USER_ID,
    FakeDiscord,
    button_ids,
    click,
    eventually,
    mention_of_bot,
    message_create,
    slash,
)

from rolecall.adapters.discord_render import COLOURS, POLL_COLOUR
from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import SQLiteStore

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
UPDATE_MESSAGE = 7
THIRD_USER_ID = 1400000000000000004
FOURTH_USER_ID = 1400000000000000005


async def start_debate(fake: FakeDiscord, task: str = "the release schedule", *, user_id: int = USER_ID) -> tuple[int, str]:
    """/rolecall debate TASK; returns the poll card's message id and the poll id."""
    payload = slash("debate", task=task, user_id=user_id)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["type"] == CHANNEL_MESSAGE
    message = fake.messages_from(call)
    found = re.fullmatch(r"rolecall:poll:([0-9a-f]+):product", button_ids(message)[0])
    assert found, button_ids(message)
    return int(message["id"]), found[1]


async def vote(fake: FakeDiscord, message_id: int, poll_id: str, option: str, *, user_id: int = USER_ID) -> dict:
    """Click one poll button; returns the bot's interaction callback body."""
    payload = click(fake, message_id, f"rolecall:poll:{poll_id}:{option}", user_id=user_id)
    await fake.interaction(payload)
    return (await fake.callback_for(int(payload["id"]))).body


def card(fake: FakeDiscord, message_id: int) -> dict:
    (embed,) = fake.messages[message_id]["embeds"]
    return embed


def voting_buttons(message: dict) -> list[str]:
    """The vote and reveal buttons on a card (a closed card may offer others, such as adopting the answer)."""
    return [i for i in button_ids(message) if re.fullmatch(r"rolecall:poll:[0-9a-f]+:(product|project|both|reveal)", i)]


def tally(embed: dict) -> dict[str, int]:
    return {f["name"].split(" ")[0].lower(): int(f["value"]) for f in embed["fields"]}


async def test_debate_posts_one_public_poll_card_with_four_persistent_buttons(fake, bot):
    message_id, poll_id = await start_debate(fake)
    message = fake.messages[message_id]
    assert not message["flags"] & EPHEMERAL, "a debate is for the whole channel"
    embed = card(fake, message_id)
    assert embed["title"] == "Debate: Is the release schedule product or project work?"
    assert embed["color"] == POLL_COLOUR.value
    assert tally(embed) == {"product": 0, "project": 0, "both": 0}
    assert all(f["inline"] for f in embed["fields"])
    assert "Votes so far" not in embed["description"], "the tally is shown once, as fields"
    assert embed["footer"]["text"] == "0 votes · open"
    assert button_ids(message) == [f"rolecall:poll:{poll_id}:{o}" for o in ("product", "project", "both", "reveal")]
    labels = [b["label"] for row in message["components"] for b in row["components"]]
    assert labels == ["Product", "Project", "Both", "Reveal"]
    callback = [c for c in fake.calls if c.path.endswith("/callback")][-1]
    assert callback.body["data"]["allowed_mentions"] == {"parse": []}


async def test_votes_from_several_people_edit_the_same_message_with_counts_and_no_names(fake, bot):
    message_id, poll_id = await start_debate(fake)
    ballots = [(USER_ID, "product"), (OTHER_USER_ID, "project"), (THIRD_USER_ID, "product"), (FOURTH_USER_ID, "both")]
    for voter, option in ballots:
        body = await vote(fake, message_id, poll_id, option, user_id=voter)
        assert body["type"] == UPDATE_MESSAGE, "a vote edits the card, it posts nothing new"
        assert body["data"]["allowed_mentions"] == {"parse": []}
    embed = card(fake, message_id)
    assert tally(embed) == {"product": 2, "project": 1, "both": 1}
    assert embed["footer"]["text"] == "4 votes · open"
    everything = json.dumps(fake.messages[message_id])
    for voter in (USER_ID, OTHER_USER_ID, THIRD_USER_ID, FOURTH_USER_ID):
        assert str(voter) not in everything
    assert "ada" not in everything.lower()
    assert fake.posts(CHANNEL_ID) == [], "no channel message per vote"
    assert button_ids(fake.messages[message_id])[0] == f"rolecall:poll:{poll_id}:product"


async def test_voting_again_changes_the_vote(fake, bot):
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "product")
    await vote(fake, message_id, poll_id, "project", user_id=OTHER_USER_ID)
    assert tally(card(fake, message_id)) == {"product": 1, "project": 1, "both": 0}
    await vote(fake, message_id, poll_id, "both")
    assert tally(card(fake, message_id)) == {"product": 0, "project": 1, "both": 1}
    await vote(fake, message_id, poll_id, "both")  # the same vote twice counts once
    assert tally(card(fake, message_id)) == {"product": 0, "project": 1, "both": 1}


async def test_reveal_turns_the_card_into_the_result(fake, bot, advisor):
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "project")
    await vote(fake, message_id, poll_id, "product", user_id=OTHER_USER_ID)
    await vote(fake, message_id, poll_id, "project", user_id=THIRD_USER_ID)

    body = await vote(fake, message_id, poll_id, "reveal")  # by the person who started it
    assert body["type"] == UPDATE_MESSAGE
    message = fake.messages[message_id]
    assert voting_buttons(message) == [], "a closed poll has no vote or reveal buttons left"
    embed = card(fake, message_id)
    answer = advisor.ask("the release schedule")
    assert answer.verdict == "project"
    assert embed["title"] == "Debate closed: Is the release schedule product or project work?"
    assert embed["color"] == COLOURS["project"].value
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("Product", "1"), ("Project · Rolecall's answer", "2"), ("Both", "0")]
    description = embed["description"]
    assert description.startswith("Rolecall: Project manager.")
    assert answer.part.reason in description
    assert "2 of 3 agreed with Rolecall" in description
    assert "Topic:" not in description
    assert embed["footer"]["text"].startswith(f"{answer.part.topic_label} · {answer.part.source} · ")
    assert embed["footer"]["text"].endswith("3 votes · closed")


async def test_only_the_starter_can_reveal_early_and_others_get_a_private_note(fake, bot):
    message_id, poll_id = await start_debate(fake)
    before = json.dumps(fake.messages[message_id])
    body = await vote(fake, message_id, poll_id, "reveal", user_id=OTHER_USER_ID)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "Only the person who started this poll" in body["data"]["embeds"][0]["description"]
    assert json.dumps(fake.messages[message_id]) == before


async def test_a_vote_on_a_closed_poll_gets_a_private_note_and_changes_nothing(fake, bot):
    message_id, poll_id = await start_debate(fake)
    open_card = dict(fake.messages[message_id])
    await vote(fake, message_id, poll_id, "product")
    await vote(fake, message_id, poll_id, "reveal")
    closed = dict(fake.messages[message_id])

    fake.messages[message_id] = open_card  # a click from a client that still shows the open card
    body = await vote(fake, message_id, poll_id, "both", user_id=OTHER_USER_ID)
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    note = body["data"]["embeds"][0]
    assert note["title"].startswith("Debate closed: ")
    assert note["description"].startswith("This poll is closed, so your vote wasn't counted.")
    assert tally(note) == {"product": 1, "project": 0, "both": 0}, "the note shows how it ended"
    assert not body["data"].get("components")
    assert fake.messages[message_id] == open_card, "the card is not edited"
    assert not [c for c in fake.calls if c.method == "PATCH"]
    assert tally(closed["embeds"][0]) == {"product": 1, "project": 0, "both": 0}


async def test_once_time_is_up_anyone_can_reveal_a_card_that_missed_its_timer(fake, start_bot, advisor, store):
    # The timer that reveals the card lives in the process: stop the bot before it fires, restart after time is up.
    first = await start_bot(conversation=Conversation(advisor, store, poll_duration=0.2))
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "project")
    await first.close()
    await asyncio.sleep(0.3)
    await start_bot(conversation=Conversation(advisor, SQLiteStore(store.path), poll_duration=0.2))

    body = await vote(fake, message_id, poll_id, "product", user_id=OTHER_USER_ID)  # too late: a private note
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert card(fake, message_id)["title"].startswith("Debate: ")
    body = await vote(fake, message_id, poll_id, "reveal", user_id=OTHER_USER_ID)  # not the starter, but time is up
    assert body["type"] == UPDATE_MESSAGE
    embed = card(fake, message_id)
    assert embed["title"].startswith("Debate closed: ")
    assert tally(embed) == {"product": 0, "project": 1, "both": 0}, "the late vote did not count"
    assert voting_buttons(fake.messages[message_id]) == []


async def test_buttons_keep_working_across_a_restart(fake, start_bot, advisor, store):
    first = await start_bot()
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "product")
    await first.close()

    # A new process: new client, new Conversation, the same SQLite file.
    await start_bot(conversation=Conversation(advisor, SQLiteStore(store.path)))
    assert len(fake.identifies) == 2
    body = await vote(fake, message_id, poll_id, "project", user_id=OTHER_USER_ID)
    assert body["type"] == UPDATE_MESSAGE
    assert tally(card(fake, message_id)) == {"product": 1, "project": 1, "both": 0}
    await vote(fake, message_id, poll_id, "both")  # a change of vote from before the restart
    assert tally(card(fake, message_id)) == {"product": 0, "project": 1, "both": 1}
    await vote(fake, message_id, poll_id, "reveal")  # the starter is still known: state is in the store
    assert card(fake, message_id)["title"].startswith("Debate closed: ")


async def test_an_unknown_verdict_is_revealed_honestly(fake, bot):
    message_id, poll_id = await start_debate(fake, "the printer toner")
    await vote(fake, message_id, poll_id, "both")
    await vote(fake, message_id, poll_id, "reveal")
    embed = card(fake, message_id)
    assert embed["color"] == COLOURS["unknown"].value
    assert "honestly don't know" in embed["description"]
    # The core names the closest topics when they are close, and offers examples otherwise (as in tests/test_polls.py).
    assert "closest topics" in embed["description"] or "Ask me things like" in embed["description"]
    assert [f["name"] for f in embed["fields"]] == ["Product", "Project", "Both"], "no option is marked as the answer"
    assert tally(embed) == {"product": 0, "project": 0, "both": 1}


async def test_the_card_reveals_itself_when_time_is_up(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, poll_duration=0.3))
    payload = slash("debate", task="the roadmap")
    await fake.interaction(payload)
    message_id = int(fake.messages_from(await fake.callback_for(int(payload["id"])))["id"])
    assert card(fake, message_id)["title"].startswith("Debate: ")
    edit = (await fake.wait_for(lambda c: c.method == "PATCH" and c.path.endswith("/messages/@original")
                                and c.path.startswith("/webhooks/"), timeout=5))[0]
    assert payload["token"] in edit.path
    assert edit.body["allowed_mentions"] == {"parse": []}
    embed = card(fake, message_id)
    assert embed["title"] == "Debate closed: Is the roadmap product or project work?"
    assert embed["color"] == COLOURS["product"].value
    assert voting_buttons(fake.messages[message_id]) == []


async def test_a_card_revealed_by_a_click_is_not_edited_again_when_time_is_up(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, poll_duration=0.3))
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "reveal")
    await asyncio.sleep(1.0)
    assert not [c for c in fake.calls if c.method == "PATCH"]


async def test_a_debate_task_cannot_ping(fake, bot, assert_cannot_ping):
    message_id, poll_id = await start_debate(fake, "@everyone <@&1234567890> the roadmap @here")
    embed = card(fake, message_id)
    assert_cannot_ping(embed["title"])
    assert_cannot_ping(embed.get("description", ""))
    await vote(fake, message_id, poll_id, "reveal")
    for text in (card(fake, message_id)["title"], card(fake, message_id)["description"]):
        assert_cannot_ping(text)


async def test_a_blank_debate_gets_help_privately(fake, bot):
    payload = slash("debate", task="   ")
    await fake.interaction(payload)
    body = (await fake.callback_for(int(payload["id"]))).body
    assert body["data"]["flags"] & EPHEMERAL
    assert not body["data"].get("components")


async def test_typed_votes_in_a_channel_update_the_same_tally(fake, bot):
    # The card and "vote product" typed to the bot share one poll: the next click shows the typed vote too.
    message_id, poll_id = await start_debate(fake)
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> vote project", author_id=OTHER_USER_ID,
                                                         mentions=[mention_of_bot()]))
    await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    await vote(fake, message_id, poll_id, "product")
    assert tally(card(fake, message_id)) == {"product": 1, "project": 1, "both": 0}


async def test_a_debate_started_by_mention_reveals_itself_too(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, poll_duration=0.3))
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> debate: the burndown chart",
                                                         mentions=[mention_of_bot()]))
    (post,) = await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    message_id = int(fake.messages_from(post)["id"])
    assert card(fake, message_id)["title"].startswith("Debate: ")
    path = f"/channels/{CHANNEL_ID}/messages/{message_id}"
    (edit,) = await fake.wait_for(lambda c: c.method == "PATCH" and c.path == path)
    assert edit.body["allowed_mentions"] == {"parse": []}
    assert card(fake, message_id)["title"] == "Debate closed: Is the burndown chart product or project work?"
    assert voting_buttons(fake.messages[message_id]) == []


# -- many votes at once, and reveals after a restart -----------------------------------------------


async def test_concurrent_votes_leave_the_card_on_the_final_tally_and_never_count_down(fake, bot):
    # Issue 14: each click answered with its own snapshot of the tally, landing in any order (…7, 8, 6…).
    message_id, poll_id = await start_debate(fake)
    fake.jitter = 0.05  # calls overtake each other on the way, as on the real network
    voters = [USER_ID + 100 + n for n in range(30)]
    payloads = [click(fake, message_id, f"rolecall:poll:{poll_id}:product", user_id=v) for v in voters]
    await asyncio.gather(*(fake.interaction(p) for p in payloads))
    for payload in payloads:
        call = await fake.callback_for(int(payload["id"]), timeout=10)
        assert call.status == 200, call.body
        assert fake.acknowledged_after(payload) < 3

    def shown() -> int:
        return tally(card(fake, message_id))["product"]

    await eventually(lambda: shown() == len(voters), timeout=10, what="the card to show every vote")
    await asyncio.sleep(0.5)  # nothing older lands after it
    assert shown() == len(voters)
    counts = [sum(int(f["value"]) for f in version["embeds"][0]["fields"]) for version in fake.history[message_id]]
    assert counts == sorted(counts), f"the card went back to an older count: {counts}"


async def test_reveal_timers_come_back_after_a_restart(fake, start_bot, advisor, store):
    first = await start_bot(conversation=Conversation(advisor, store, poll_duration=1.5))
    message_id, poll_id = await start_debate(fake)
    await vote(fake, message_id, poll_id, "project")
    await first.close()  # stopped before the poll's time is up: its timer goes with it

    await start_bot(conversation=Conversation(advisor, SQLiteStore(store.path), poll_duration=1.5))
    path = f"/channels/{CHANNEL_ID}/messages/{message_id}"
    (edit,) = await fake.wait_for(lambda c: c.method == "PATCH" and c.path == path, timeout=5)
    assert edit.body["allowed_mentions"] == {"parse": []}
    embed = card(fake, message_id)
    assert embed["title"].startswith("Debate closed: "), "revealed on time by the new process, without a click"
    assert tally(embed) == {"product": 0, "project": 1, "both": 0}
    assert voting_buttons(fake.messages[message_id]) == []


async def test_a_debate_started_by_mention_reveals_itself_after_a_restart_too(fake, start_bot, advisor, store):
    first = await start_bot(conversation=Conversation(advisor, store, poll_duration=1.5))
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> debate: the burndown chart",
                                                         mentions=[mention_of_bot()]))
    (post,) = await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    message_id = int(fake.messages_from(post)["id"])
    await asyncio.sleep(0.2)
    await first.close()
    await start_bot(conversation=Conversation(advisor, SQLiteStore(store.path), poll_duration=1.5))
    path = f"/channels/{CHANNEL_ID}/messages/{message_id}"
    await fake.wait_for(lambda c: c.method == "PATCH" and c.path == path, timeout=5)
    assert card(fake, message_id)["title"].startswith("Debate closed: ")


async def test_every_card_of_a_poll_reveals_itself_including_a_copy_posted_for_a_typed_vote(fake, start_bot, advisor,
                                                                                          store):
    await start_bot(conversation=Conversation(advisor, store, poll_duration=0.8))
    message_id, poll_id = await start_debate(fake)
    await fake.dispatch("MESSAGE_CREATE", message_create(f"<@{BOT_ID}> vote project", author_id=OTHER_USER_ID,
                                                         mentions=[mention_of_bot()]))
    (post,) = await fake.wait_for(lambda c: c.path == f"/channels/{CHANNEL_ID}/messages")
    copy_id = int(fake.messages_from(post)["id"])
    await eventually(lambda: all(card(fake, m)["title"].startswith("Debate closed: ") for m in (message_id, copy_id)),
                     timeout=5, what="both cards to be revealed")
    assert tally(card(fake, message_id)) == tally(card(fake, copy_id)) == {"product": 0, "project": 1, "both": 0}
