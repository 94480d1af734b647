"""A conversation, not a lookup: follow-ups on the last answer, feedback in words, several topics at once.

Driven as a script would: `rolecall chat --json` with piped input and one store.
"""

from __future__ import annotations

import json

import pytest
from rolecall_support import chat_json as chat
from rolecall_support import run_cli


def test_why_after_an_answer_explains_that_answer(tmp_path):
    _, why = chat(tmp_path, "who owns the roadmap?", "why?")
    assert why["verdict"] == "product" and "roadmap" in why["text"].lower()


@pytest.mark.parametrize("follow_up", ["tell me more", "are you sure?", "source?"])
def test_other_follow_ups_are_about_the_last_answer(tmp_path, follow_up):
    _, reply = chat(tmp_path, "who owns the roadmap?", follow_up)
    assert "roadmap" in reply["text"].lower() and "not something I know" not in reply["text"]


def test_what_about_asks_the_same_question_of_something_else(tmp_path):
    _, reply = chat(tmp_path, "who owns the roadmap?", "what about the budget?")
    assert reply["verdict"] == "project"


def test_yes_after_an_answer_is_recorded_as_a_thumbs_up(tmp_path):
    _, thanks = chat(tmp_path, "who owns the roadmap?", "yes")
    assert "Noted" in thanks["text"]
    report = run_cli("kb", "feedback", "--json", "--store", f"sqlite:///{tmp_path / 'state.db'}").stdout.decode()
    (topic,) = [json.loads(line) for line in report.splitlines()]
    assert topic["up"] == 1 and "roadmap" in topic["topic"]


def test_thats_wrong_after_an_answer_is_a_thumbs_down(tmp_path):
    _, noted = chat(tmp_path, "who owns the burndown chart?", "that's wrong")
    assert "was wrong" in noted["text"]


def test_yes_with_nothing_asked_yet_is_not_recorded(tmp_path):
    (reply,) = chat(tmp_path, "yes")
    assert "Ask me something first" in reply["text"]


def test_thanks_is_not_answered_with_a_greeting(tmp_path):
    (reply,) = chat(tmp_path, "thanks")
    assert "welcome" in reply["text"].lower() and not reply["text"].startswith("Hi")


def test_after_a_close_call_the_second_one_picks_the_other_reading(tmp_path):
    first, picked = chat(tmp_path, "who owns the budget for the roadmap", "the second one")
    readings = [c["id"] for c in first["choices"] if c["id"].startswith("topic:")]
    assert len(readings) == 2
    assert picked["verdict"] == "project" and picked["verdict"] != first["verdict"]


def test_several_topics_in_one_question_get_one_verdict_each(run_cli):
    answer = json.loads(run_cli("ask", "--json", "who owns the roadmap and the budget?").stdout)
    assert [v["verdict"] for v in answer["verdicts"]] == ["product", "project"]
    assert answer["verdict"] == "product"


def test_a_phrase_that_joins_two_words_stays_one_topic(run_cli):
    answer = json.loads(run_cli("ask", "--json", "who owns planning and organization skills?").stdout)
    assert "verdicts" not in answer


def test_an_abbreviation_is_spelled_out_and_nothing_else(tmp_path):
    (reply,) = chat(tmp_path, "what does PjM stand for?")
    assert "project manager" in reply["text"].lower() and reply["verdict"] is None
    assert "Topic:" not in reply["text"]


def test_list_topics_shows_what_rolecall_knows_by_kind(tmp_path):
    (reply,) = chat(tmp_path, "list topics")
    assert "responsibilities" in reply["text"] and "metrics" in reply["text"]


@pytest.mark.parametrize(("typed", "hint"), [("vote maybe", "vote product"), ("debate:", "debate: <task>")])
def test_a_command_used_wrong_gets_a_usage_hint(tmp_path, typed, hint):
    (reply,) = chat(tmp_path, typed)
    assert hint in reply["text"]


def test_the_terminal_never_talks_about_buttons(run_cli):
    script = "who owns the roadmap?\nquiz\nb\ndebate: the release schedule\nvote product\nreveal\nhelp\n"
    out = run_cli("chat", "--store", "memory://", input=script).stdout.decode().lower()
    assert "button" not in out and "click" not in out


def test_version_prints_the_version(run_cli):
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.decode().startswith("rolecall ")


def test_who_owns_this_on_a_message_is_private_and_offers_to_share(advisor):
    from rolecall.bot.conversation import Conversation
    from rolecall.bot.intents import AboutMessage
    from rolecall.bot.messages import Message

    conversation = Conversation(advisor)
    private = conversation.handle(Message(), AboutMessage("can someone update the burndown chart before standup?"))
    assert private.private and private.verdict == "project"
    (share,) = [c for c in private.choices if c.label == "Share in channel"]
    shared = conversation.handle(Message(choice=share.id))
    assert not shared.private and shared.verdict == "project"
