"""Abuse and operations in the core: per-user rate limits, input caps, metrics."""

from __future__ import annotations

from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.normalize import MAX_INPUT_CHARS
from rolecall.bot.sqlite_store import SQLiteStore


def test_rate_limit_answers_once_politely_then_stays_silent(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"), rate_limit=3)
    replies = [conversation.handle(Message(text="who owns the roadmap?", user="ana", platform="slack")) for _ in range(6)]
    assert all(r.verdict == "product" for r in replies[:3])
    assert "faster than I can answer" in replies[3].text and replies[3].private
    assert replies[4].text == "" and replies[5].text == ""


def test_rate_limit_is_per_person(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"), rate_limit=2)
    for _ in range(3):
        conversation.handle(Message(text="who owns the roadmap?", user="ana"))
    assert conversation.handle(Message(text="who owns the roadmap?", user="ben")).verdict == "product"


def test_rate_limit_holds_across_workers_sharing_a_store(advisor, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    workers = [Conversation(advisor, store, rate_limit=2), Conversation(advisor, store, rate_limit=2)]
    replies = [workers[i % 2].handle(Message(text="who owns the roadmap?", user="ana")) for i in range(3)]
    assert "faster than I can answer" in replies[2].text


def test_terminal_conversations_are_not_rate_limited_by_default(advisor):
    conversation = Conversation(advisor)
    assert all(conversation.handle(Message(text="who owns the roadmap?")).verdict == "product" for _ in range(30))


def test_overlong_message_is_answered_with_a_notice(advisor):
    reply = Conversation(advisor).handle(Message(text="who owns the roadmap? " + "blah " * MAX_INPUT_CHARS))
    assert reply.text.startswith("(That was long, so I only read the first")


def test_metrics_count_answers_by_verdict_and_quiz_starts(advisor):
    conversation = Conversation(advisor)
    conversation.handle(Message(text="who owns the roadmap?"))
    conversation.handle(Message(text="quiz", user="ben"))
    text = conversation.metrics.render()
    assert 'rolecall_answers_total{verdict="product"} 1' in text
    assert "rolecall_quiz_starts_total 1" in text
    assert "rolecall_handle_seconds_count 2" in text
