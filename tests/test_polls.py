"""Debate polls, driven through the chat JSON contract and the core API with several users."""

from __future__ import annotations

import json
import time

import pytest
from rolecall_support import run_cli

from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import SQLiteStore


@pytest.fixture
def team(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"))

    def say(user: str, text: str = "", choice: str | None = None):
        return conversation.handle(Message(text=text, user=user, channel="general", choice=choice))

    return say


def test_debate_starts_a_poll_with_vote_and_reveal_buttons(team):
    reply = team("ana", "debate: the burndown chart")
    assert reply.poll["question"] == "Is the burndown chart product or project work?"
    assert reply.poll["tally"] == {"product": 0, "project": 0, "both": 0} and reply.poll["closed"] is False
    assert [c.label for c in reply.choices] == ["Product", "Project", "Both", "Reveal"]


def test_each_person_votes_once_and_a_second_click_changes_the_vote(team):
    poll = team("ana", "debate: the burndown chart").poll
    team("ben", choice=f"poll:{poll['id']}:product")
    reply = team("ben", choice=f"poll:{poll['id']}:project")
    assert reply.poll["tally"] == {"product": 0, "project": 1, "both": 0}


def test_tally_shows_counts_not_names(team):
    team("ana", "debate: the burndown chart")
    reply = team("ben", "vote both")
    assert reply.poll["tally"]["both"] == 1
    assert "ben" not in reply.text


def test_reveal_by_the_starter_shows_tally_verdict_reason_and_agreement(team):
    team("ana", "debate: the burndown chart")
    team("ben", "vote project")
    team("cat", "vote product")
    reply = team("ana", "reveal")
    assert reply.poll["closed"] is True and reply.poll["verdict"] == "project"
    assert "1 of 2 agreed" in reply.text and "Source" in reply.text


def test_only_the_starter_can_reveal_before_time_is_up(team):
    team("ana", "debate: the burndown chart")
    reply = team("ben", "reveal")
    assert reply.private and reply.poll is None
    assert "Only the person who started" in reply.text


def test_poll_reveals_itself_when_time_is_up(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"), poll_duration=0.05)
    conversation.handle(Message(text="debate: the gantt chart", user="ana"))
    time.sleep(0.1)
    reply = conversation.handle(Message(text="reveal", user="ben"))
    assert reply.poll["closed"] is True and reply.poll["verdict"] == "project"


def test_vote_on_a_closed_poll_is_a_private_note_and_changes_nothing(team):
    team("ana", "debate: the burndown chart")
    team("ben", "vote project")
    team("ana", "reveal")
    reply = team("cat", "vote product")
    assert reply.private and "closed" in reply.text
    assert reply.poll["tally"] == {"product": 0, "project": 1, "both": 0}


def test_unknown_verdict_is_revealed_honestly_with_closest_topics(team):
    team("ana", "debate: who fixes the printer")
    reply = team("ana", "reveal")
    assert reply.poll["verdict"] == "unknown"
    assert "don't know" in reply.text and ("closest topics" in reply.text or "Ask me things like" in reply.text)


def test_debate_task_with_a_mass_mention_cannot_ping(team):
    reply = team("ana", "debate: @everyone the roadmap <!channel>")
    assert "@everyone" not in reply.poll["question"] and "<!channel>" not in reply.text


def test_poll_survives_a_restart_and_is_driven_from_scripts_with_user_values(tmp_path):
    store = f"sqlite:///{tmp_path}/poll.db"
    start = json.loads(run_cli("debate", "the release schedule", "--json", "--store", store, "--user", "ana").stdout)
    poll_id = start["poll"]["id"]
    for user, vote in [("ben", "project"), ("cat", "project"), ("dan", "both")]:
        run_cli("chat", "--json", "--store", store, "--user", user, input=f"vote {vote}\n")
    reveal = json.loads(run_cli("chat", "--json", "--store", store, "--user", "ana", input=f"reveal {poll_id}\n").stdout)
    assert reveal["poll"] == {"id": poll_id, "question": "Is the release schedule product or project work?",
                              "tally": {"product": 0, "project": 2, "both": 1}, "closed": True, "verdict": "project"}


def test_vote_without_a_running_debate_says_so(team):
    assert "no debate running" in team("ana", "vote product").text


# -- what front ends keep about a poll's card ---------------------------------------------------

def test_a_poll_cards_location_is_remembered_per_platform(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"))
    poll = conversation.handle(Message(text="debate: the release schedule", platform="slack")).poll
    conversation.attach_card(poll["id"], "slack", {"channel": "C1", "ts": "1.2"})
    assert conversation.card_location(poll["id"], "slack") == {"channel": "C1", "ts": "1.2"}
    assert conversation.card_location(poll["id"], "discord") is None


def test_open_polls_lists_each_posted_card_with_the_time_left_until_its_reveal(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"), poll_duration=600)
    poll = conversation.handle(Message(text="debate: the release schedule", platform="slack")).poll
    conversation.attach_card(poll["id"], "slack", {"channel": "C1", "ts": "1.2"})
    ((poll_id, delay, where),) = conversation.open_polls("slack")
    assert poll_id == poll["id"] and 590 < delay <= 601 and where["ts"] == "1.2"
    conversation.handle(Message(text="reveal", platform="slack"))
    assert conversation.open_polls("slack") == []


def test_a_delivery_is_first_once_across_conversations_sharing_a_store(advisor, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    one, two = Conversation(advisor, store), Conversation(advisor, store)
    assert one.first_delivery("slack", "Ev123") is True
    assert two.first_delivery("slack", "Ev123") is False
    assert two.first_delivery("slack", "Ev124") is True
