"""Who to ask when Rolecall is unsure: the contact line in the embed, and "Ask <contact>" pinging exactly one role.

Also: every part the core can reply with renders as something in an embed.
"""

from __future__ import annotations

import json
import re
import time
from typing import get_args

import pytest
from fake_discord import CHANNEL_ID, INTERACTION_DEADLINE, USER_ID, FakeDiscord, button_ids, click, slash
from slow_store import LockedStore

from rolecall.adapters.discord_contact import ping_message, role_id
from rolecall.adapters.discord_io import NO_PINGS
from rolecall.adapters.discord_render import render
from rolecall.bot import parts as p
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Reply

pytestmark = pytest.mark.asyncio

EPHEMERAL = 64
CHANNEL_MESSAGE = 4
DEFERRED_UPDATE = 6
ROLE = 123456789012345678
UNKNOWN = "who owns the flux capacitor warranty?"
ASK = "rolecall:contact:ask"
VERDICT = p.Verdict("project", 0.9, "Project managers own delivery plans.", topic="release-plan",
                    topic_label="release schedule", source="common industry practice")
SAMPLES: dict[type, object] = {
    p.Verdict: VERDICT,
    p.TeamDecision: p.TeamDecision("product", time.time(), "ana", "Is the release schedule …?"),
    p.Contact: p.Contact("@delivery-leads", str(ROLE)),
    p.ContactPing: p.ContactPing(p.Contact("Delivery leads", str(ROLE)), "who owns the warranty?"),
    p.Notice: p.Notice("Thanks!"),
    p.QuizQuestion: p.QuizQuestion(1, 8, "Which do you enjoy more?", ("Talking to users", "Planning")),
    p.QuizResult: p.QuizResult("product", "Product manager", {"product": 70, "project": 30}, "You like why.", 8),
    p.QuizEnded: p.QuizEnded(8),
    p.PollCard: p.PollCard("abc", "the release schedule", {"product": 1}, closed=True, deadline=0, verdict=VERDICT),
    p.TriageTable: p.TriageTable((p.TriageRow(1, "the release schedule", "project", 0.9, "release-plan"),),
                                 counts={"project": 1}),
}


def embed_text(reply: Reply) -> str:
    embed = render(reply)
    return "\n".join([embed.title or "", embed.description or "", embed.footer.text or "",
                      *(f"{f.name} {f.value}" for f in embed.fields)]).strip()


async def test_every_part_type_renders_something():
    assert set(SAMPLES) == set(get_args(p.Part)), "a new part type needs a sample here (and a layout)"
    for kind, part in SAMPLES.items():
        assert embed_text(Reply(parts=(part,))), f"{kind.__name__} renders as an empty embed"
        assert (render(Reply(parts=(p.Notice("First."), part))).description or "").startswith("First."), kind.__name__


async def test_the_contact_closes_the_answer_it_goes_with():
    embed = render(Reply(parts=(VERDICT, p.Contact("@delivery-leads", str(ROLE)))))
    assert embed.colour == render(Reply(parts=(VERDICT,))).colour, "laid out as the verdict, not as a note"
    assert embed.description == ("Project manager. Project managers own delivery plans.\n\n"
                                 "Still unsure? Ask @delivery-leads.")
    assert embed.footer.text == "release schedule · common industry practice"
    assert "Topic:" not in embed_text(Reply(parts=(VERDICT,)))


async def test_a_contact_named_after_everyone_pings_nobody():
    embed = render(Reply(parts=(VERDICT, p.Contact("@everyone"))))
    assert "@everyone" not in (embed.description or "") and "Ask @\u2060everyone." in (embed.description or "")


async def test_only_a_numeric_group_is_a_role():
    assert role_id(str(ROLE)) == ROLE and role_id(" 42 ") == 42
    for group in (None, "", "S0123ABC", "@leads", "²", "0", "-5", str(2**64), "1" * 21):
        assert role_id(group) is None, group
    ping = SAMPLES[p.ContactPing]
    assert isinstance(ping, p.ContactPing)
    assert ping_message(ping, in_guild=False) == ("Delivery leads, can you help? Someone asked: who owns the "
                                                  "warranty?", NO_PINGS)


# -- "Ask <contact>" against the fake Discord ----------------------------------------------------


async def unknown_card(fake: FakeDiscord, question: str = UNKNOWN, **where: bool) -> dict:
    payload = slash("who", task=question, **where)
    await fake.interaction(payload)
    return fake.messages_from(await fake.callback_for(int(payload["id"])))


async def test_ask_posts_the_question_for_exactly_that_role(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, contacts={"*": f"Delivery leads|{ROLE}"}))
    card = await unknown_card(fake)
    assert card["embeds"][0]["description"].endswith("Still unsure? Ask Delivery leads.")
    assert ASK in button_ids(card)
    labels = {b["custom_id"]: b["label"] for row in card["components"] for b in row["components"]}
    assert labels[ASK] == "Ask Delivery leads"
    before = json.dumps(fake.messages[int(card["id"])])

    payload = click(fake, int(card["id"]), ASK)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["type"] == CHANNEL_MESSAGE, "a new message, not an edit of the card"
    data = call.body["data"]
    assert not data.get("flags", 0) & EPHEMERAL and not data.get("embeds")
    assert data["content"] == f"<@&{ROLE}>, can you help? Someone asked: {UNKNOWN}"
    assert data["allowed_mentions"] == {"parse": [], "roles": [ROLE]}, "that role and nobody else"
    posted = fake.messages_from(call)
    assert int(posted["id"]) != int(card["id"]) and int(posted["channel_id"]) == CHANNEL_ID
    assert json.dumps(fake.messages[int(card["id"])]) == before, "the card stays as it was"


async def test_the_question_cannot_ping_anyone_else(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, contacts={"*": f"Delivery leads|{ROLE}"}))
    question = f"who owns the flux capacitor warranty @everyone @here <@&999> <@{USER_ID}>?"
    card = await unknown_card(fake, question)
    payload = click(fake, int(card["id"]), ASK)
    await fake.interaction(payload)
    data = (await fake.callback_for(int(payload["id"]))).body["data"]
    content = data["content"]
    assert content.startswith(f"<@&{ROLE}>, can you help? Someone asked: who owns the flux capacitor warranty")
    assert re.findall(r"<@[!&]?\d+>", content) == [f"<@&{ROLE}>"], content
    assert "@everyone" not in content and "@here" not in content
    assert data["allowed_mentions"] == {"parse": [], "roles": [ROLE]}


async def test_a_group_that_is_not_a_role_id_is_named_in_plain_text(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, contacts={"*": "@delivery-leads|S0123ABC"}))
    card = await unknown_card(fake)
    payload = click(fake, int(card["id"]), ASK)
    await fake.interaction(payload)
    call = await fake.callback_for(int(payload["id"]))
    assert call.body["type"] == CHANNEL_MESSAGE and not call.body["data"].get("flags", 0) & EPHEMERAL
    assert call.body["data"]["content"] == f"@delivery-leads, can you help? Someone asked: {UNKNOWN}"
    assert call.body["data"]["allowed_mentions"] == {"parse": []}


async def test_in_a_dm_the_role_is_named_not_mentioned(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, contacts={"*": f"Delivery leads|{ROLE}"}))
    card = await unknown_card(fake, dm=True)
    payload = click(fake, int(card["id"]), ASK, dm=True)
    await fake.interaction(payload)
    data = (await fake.callback_for(int(payload["id"]))).body["data"]
    assert data["content"] == f"Delivery leads, can you help? Someone asked: {UNKNOWN}"
    assert data["allowed_mentions"] == {"parse": []}


async def test_no_button_without_a_group_and_no_line_without_a_contact(fake, start_bot, advisor, store):
    await start_bot(conversation=Conversation(advisor, store, contacts={"*": "@delivery-leads"}))
    card = await unknown_card(fake)
    assert card["embeds"][0]["description"].endswith("Still unsure? Ask @delivery-leads.")
    assert ASK not in button_ids(card)
    known = await unknown_card(fake, "who owns the roadmap?")
    assert "Still unsure" not in known["embeds"][0]["description"]


async def test_ask_on_a_slow_store_is_acknowledged_in_time_then_posted(fake, start_bot, advisor, store):
    slow = LockedStore(store)
    await start_bot(conversation=Conversation(advisor, slow, contacts={"*": f"Delivery leads|{ROLE}"}))
    card = await unknown_card(fake)
    slow.lock(2.5)
    payload = click(fake, int(card["id"]), ASK)
    await fake.interaction(payload)
    ack = await fake.callback_for(int(payload["id"]))
    assert fake.acknowledged_after(payload) < INTERACTION_DEADLINE
    assert ack.body["type"] == DEFERRED_UPDATE
    (post,) = await fake.wait_for(lambda c: c in fake.webhook_calls(payload, "POST"), timeout=10)
    assert not post.body.get("flags", 0) & EPHEMERAL
    assert post.body["content"] == f"<@&{ROLE}>, can you help? Someone asked: {UNKNOWN}"
    assert post.body["allowed_mentions"] == {"parse": [], "roles": [ROLE]}
    posted = fake.messages_from(post)
    assert int(posted["id"]) != int(card["id"]) and not posted["flags"] & EPHEMERAL
