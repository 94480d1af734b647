"""A triage table's shared rows ("shared: agree who is accountable") each offer a debate: a button that starts the
same public team poll `debate: <task>` starts, on that topic, in the channel the click came from.

Through the core's one door (`Conversation.handle`) and the `rolecall chat --json` contract, as every front end
reaches it: the button ids are the ones Slack, Discord and scripts send back.
"""

from __future__ import annotations

import json

import pytest
from rolecall_support import run_cli

from rolecall.bot.conversation import MAX_DEBATE_CHOICES, Conversation
from rolecall.bot.intents import Triage
from rolecall.bot.messages import Message, Reply
from rolecall.bot.parts import PollCard
from rolecall.bot.sqlite_store import SQLiteStore

SHARED_TASKS = ["stakeholder management", "communication with the team"]
BACKLOG = "\n".join(["Write the PRD", SHARED_TASKS[0], "Run the daily standup", SHARED_TASKS[1],
                     "Manage stakeholders"])
"""Two tasks both roles share (the last row is the first one's topic again) among tasks each role owns alone."""


@pytest.fixture
def conversation(advisor, tmp_path) -> Conversation:
    return Conversation(advisor, SQLiteStore(tmp_path / "state.db"))


def triage(conversation: Conversation, backlog: str = BACKLOG, *, user: str = "ana") -> Reply:
    return conversation.handle(Message(user=user, channel="general"), Triage(backlog))


def click(conversation: Conversation, choice: str, *, user: str = "ben", channel: str = "general") -> Reply:
    return conversation.handle(Message(user=user, channel=channel, choice=choice))


def shared_topics(advisor, tasks: list[str]) -> list[tuple[str, str]]:
    """(entry id, label) of each task's topic, which the knowledge base says both roles share."""
    found = []
    for task in tasks:
        verdict = advisor.ask(task).part
        assert verdict.owner == "both" and verdict.topic and verdict.topic_label, (task, verdict)
        found.append((verdict.topic, verdict.topic_label))
    return found


def debate_choices(reply: Reply) -> list[tuple[str, str]]:
    return [(c.id, c.label) for c in reply.choices if c.label.startswith("Debate: ")]


# -- the table's buttons -----------------------------------------------------------------------


def test_a_triage_offers_one_debate_per_shared_topic_in_row_order(conversation, advisor):
    expected = [(f"debate:{topic}:start", f"Debate: {label}") for topic, label in shared_topics(advisor, SHARED_TASKS)]
    assert debate_choices(triage(conversation)) == expected


def test_a_triage_with_nothing_shared_offers_no_buttons(conversation):
    reply = triage(conversation, "Write the PRD\nRun the daily standup\nFix the office printer")
    assert reply.choices == ()


def test_a_triage_offers_at_most_five_debates(conversation, advisor):
    shared = [e for e in advisor.kb.by_id.values() if e.owner == "both"]
    tasks = [e.phrases[0] for e in shared if advisor.ask(e.phrases[0]).topic == e.id][:MAX_DEBATE_CHOICES + 2]
    assert len(tasks) == MAX_DEBATE_CHOICES + 2
    choices = debate_choices(triage(conversation, "\n".join(tasks)))
    assert [label for _, label in choices] == [f"Debate: {label}" for _, label in
                                               shared_topics(advisor, tasks[:MAX_DEBATE_CHOICES])]


def test_the_chat_json_contract_carries_the_debate_buttons(conversation, advisor):
    expected = [{"id": f"debate:{topic}:start", "label": f"Debate: {label}"}
                for topic, label in shared_topics(advisor, SHARED_TASKS)]
    assert triage(conversation).as_json()["choices"] == expected


# -- a click on one ----------------------------------------------------------------------------


def test_a_debate_click_starts_a_public_poll_on_that_topic(conversation, advisor):
    ((topic, label), _) = shared_topics(advisor, SHARED_TASKS)
    reply = click(conversation, f"debate:{topic}:start")
    assert not reply.private, "a debate is the channel's"
    assert reply.poll["question"] == f"Is {label} product or project work?"
    assert reply.poll["tally"] == {"product": 0, "project": 0, "both": 0} and reply.poll["closed"] is False
    assert [c.label for c in reply.choices] == ["Product", "Project", "Both", "Reveal"]


def test_the_poll_is_the_latest_in_the_channel_clicked_from(conversation):
    poll = click(conversation, debate_choices(triage(conversation))[0][0], channel="design").poll
    voted = conversation.handle(Message(text="vote project", user="cat", channel="design"))
    assert voted.poll["id"] == poll["id"] and voted.poll["tally"]["project"] == 1
    elsewhere = conversation.handle(Message(text="vote project", user="cat", channel="general"))
    assert elsewhere.poll is None, "no debate runs in the channel the table was asked from"


def test_the_clicker_started_the_poll_and_may_reveal_it(conversation):
    poll_id = click(conversation, debate_choices(triage(conversation))[0][0], user="ben").poll["id"]
    early = click(conversation, f"poll:{poll_id}:reveal", user="ana")
    assert early.private and "Only the person who started" in early.text
    revealed = click(conversation, f"poll:{poll_id}:reveal", user="ben")
    assert revealed.poll["closed"] is True


def test_the_revealed_debate_answers_on_the_topic_clicked(conversation, advisor):
    ((topic, _), _) = shared_topics(advisor, SHARED_TASKS)
    poll_id = click(conversation, f"debate:{topic}:start").poll["id"]
    revealed = click(conversation, f"poll:{poll_id}:reveal")
    card = revealed.first(PollCard)
    assert card is not None and card.verdict is not None
    assert (card.verdict.owner, card.verdict.topic) == ("both", topic)


def test_a_debate_button_on_a_topic_no_longer_known_is_stale_and_private(conversation):
    reply = click(conversation, "debate:no-such-topic:start")
    assert reply.private and reply.poll is None
    assert "That button isn't one I know any more" in reply.text


def test_a_typed_debate_with_a_colon_is_still_the_typed_command(conversation):
    reply = conversation.handle(Message(text="debate:budget", user="ana", channel="general"))
    assert reply.poll["question"] == "Is budget product or project work?"


def test_a_script_can_send_a_debate_id_back_to_chat_json(advisor):
    ((topic, label), _) = shared_topics(advisor, SHARED_TASKS)
    result = run_cli("chat", "--json", input=f"debate:{topic}:start\n")
    assert result.returncode == 0, result.stderr
    (reply,) = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert reply["poll"]["question"] == f"Is {label} product or project work?"
