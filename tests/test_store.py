"""Conversation state: SQLite by default, shared by threads and processes, expiring when idle."""

from __future__ import annotations

import json
import threading

import pytest
from rolecall_support import run_cli
from test_quiz import PRODUCT_ANSWERS, PROJECT_ANSWERS

from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import SQLiteStore
from rolecall.bot.store import StoreError
from rolecall.bot.store_url import open_store


def test_returning_none_from_update_deletes_the_key(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.put("k", {"a": 1})
    store.update("k", lambda v: (None, None))
    assert store.get("k") is None


def test_update_reports_what_the_change_did(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    done = store.update("k", lambda v: ({"a": 2}, "created" if v is None else "changed"))
    assert (done.value, done.outcome) == ({"a": 2}, "created")
    assert store.update("k", lambda v: (v, "changed" if v else "created")).outcome == "changed"


def test_values_survive_reopening_the_file(tmp_path):
    SQLiteStore(tmp_path / "s.db").put("k", {"a": 1})
    assert SQLiteStore(tmp_path / "s.db").get("k") == {"a": 1}


def test_fifty_people_take_the_quiz_at_once_on_one_file(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db"))
    results: dict[str, dict] = {}
    errors: list[str] = []

    def take(user: str, answers: list[str]):
        reply = conversation.handle(Message(text="quiz", user=user, channel="general"))
        for step, answer in enumerate(answers, 1):
            if reply.quiz["step"] != step:
                errors.append(f"{user} saw step {reply.quiz['step']} instead of {step}")
            reply = conversation.handle(Message(text=answer, user=user, channel="general"))
        results[user] = reply.quiz["result"]

    plans = {f"user{i}": PRODUCT_ANSWERS if i % 2 else PROJECT_ANSWERS for i in range(50)}
    threads = [threading.Thread(target=take, args=item) for item in plans.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for user, answers in plans.items():
        expected = "product" if answers is PRODUCT_ANSWERS else "project"
        assert results[user]["role"] == expected, user


def test_quiz_goes_on_in_a_second_process_sharing_the_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    first = run_cli("chat", "--json", "--user", "ana", "--store", url, input="quiz\n" + "\n".join(PRODUCT_ANSWERS[:4]) + "\n")
    steps = [json.loads(line)["quiz"]["step"] for line in first.stdout.decode().splitlines()]
    assert steps == [1, 2, 3, 4, 5]
    second = run_cli("chat", "--json", "--user", "ana", "--store", url, input="\n".join(PRODUCT_ANSWERS[4:]) + "\n")
    replies = [json.loads(line) for line in second.stdout.decode().splitlines()]
    assert replies[-1]["quiz"]["result"] == {"role": "product", "scores": {"product": 100, "project": 0}}


def test_another_user_in_the_second_process_has_no_quiz(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    run_cli("chat", "--json", "--user", "ana", "--store", url, input="quiz\na\n")
    other = json.loads(run_cli("chat", "--json", "--user", "ben", "--store", url, input="a\n").stdout)
    assert other["quiz"] is None


def test_store_url_forms(tmp_path):
    assert isinstance(open_store(f"sqlite:///{tmp_path}/a.db"), SQLiteStore)
    assert (tmp_path / "a.db").exists()
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store("ftp://nowhere")


def test_unwritable_store_reports_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = SQLiteStore(blocker / "sub" / "s.db")  # never fails to start: Rolecall answers without saving
    with pytest.raises(StoreError):
        store.put("k", {"a": 1})


# -- a store file that cannot be used ---------------------------------------------------------

@pytest.mark.parametrize("content", [b"this is not a database " * 300, b"SQLite format 3\x00" + b"\x00" * 50],
                         ids=["not-sqlite", "truncated"])
def test_chat_on_a_damaged_store_file_still_answers_questions(tmp_path, content):
    path = tmp_path / "state.db"
    path.write_bytes(content)
    done = run_cli("chat", "--json", "--store", f"sqlite:///{path}", input=b"who owns the roadmap?\nquiz\n")
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 0
    assert replies[0]["verdict"] == "product"
    assert "can't save" in replies[1]["text"]
    assert str(path) in done.stderr.decode(), "one warning names the file"


def test_a_damaged_store_file_is_reported_once_not_per_message(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage" * 1000)
    done = run_cli("chat", "--json", "--store", f"sqlite:///{path}", input=b"quiz\nquiz\nquiz\n")
    assert done.stderr.decode().count("cannot use the store file") == 1


def test_a_store_that_cannot_be_opened_raises_store_error_on_use_not_on_creation(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage" * 1000)
    store = SQLiteStore(path)
    with pytest.raises(StoreError):
        store.get("k")
    assert store.ping() is False
