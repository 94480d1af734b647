"""The Redis store behaves like SQLite, stays atomic under contention, and degrades politely when Redis is down."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rolecall_support import REPO_ROOT, RedisServer
from test_quiz import PRODUCT_ANSWERS

from rolecall.bot.conversation import STORE_DOWN, Conversation
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import SQLiteStore
from rolecall.bot.store import StoreError
from rolecall.bot.store_url import open_store


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "s.db")
    return open_store(request.getfixturevalue("redis_url"))


def test_put_get_delete(store):
    store.put("k", {"a": 1})
    assert store.get("k") == {"a": 1}
    store.delete("k")
    assert store.get("k") is None


def test_values_expire_after_their_ttl(store):
    store.put("k", {"a": 1}, ttl=0.05)
    time.sleep(0.15)
    assert store.get("k") is None


def test_keys_lists_by_prefix_with_glob_characters_taken_literally(store):
    for key in ("gap|a*", "gap|b", "gapx", "poll|1"):
        store.put(key, {})
    assert store.keys("gap|") == ["gap|a*", "gap|b"]


def test_update_is_atomic_under_contention(store):
    def bump():
        for _ in range(25):
            store.update("n", lambda v: ({"n": (v or {"n": 0})["n"] + 1}, None))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("n") == {"n": 200}


def test_two_workers_share_one_quiz_through_redis(advisor, redis_url):
    first, second = Conversation(advisor, open_store(redis_url)), Conversation(advisor, open_store(redis_url))
    reply = first.handle(Message(text="quiz", user="ana"))
    for i, answer in enumerate(PRODUCT_ANSWERS):
        reply = (second if i % 2 == 0 else first).handle(Message(text=answer, user="ana"))
    assert reply.quiz["result"]["role"] == "product"


def test_double_click_delivered_to_two_workers_applies_one_step(advisor, redis_url):
    workers = [Conversation(advisor, open_store(redis_url)) for _ in range(2)]
    first = workers[0].handle(Message(text="quiz", user="ana"))
    click = Message(choice=first.choices[0].id, user="ana")
    replies = []
    threads = [threading.Thread(target=lambda w=w: replies.append(w.handle(click))) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.quiz["step"] for r in replies) == [2, 2]
    assert sum("earlier question" in r.text for r in replies) == 1


def test_fifty_votes_across_two_workers_leave_exactly_fifty(advisor, redis_url):
    workers = [Conversation(advisor, open_store(redis_url)) for _ in range(2)]
    poll = workers[0].handle(Message(text="debate: the gantt chart", user="host", channel="c")).poll
    threads = [threading.Thread(target=workers[i % 2].handle,
                                args=(Message(choice=f"poll:{poll['id']}:{('product', 'project', 'both')[i % 3]}",
                                              user=f"u{i}", channel="c"),)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    revealed = workers[1].handle(Message(text=f"reveal {poll['id']}", user="host", channel="c")).poll
    assert revealed["tally"] == {"product": 17, "project": 17, "both": 16}


def test_redis_down_still_answers_questions_and_quiz_says_it_cannot_save(advisor, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        conversation = Conversation(advisor, open_store(server.url))
        conversation.handle(Message(text="quiz", user="ana"))
        server.stop(kill=True)
        assert conversation.handle(Message(text="who owns the roadmap?", user="ana")).verdict == "product"
        assert conversation.handle(Message(text="a", user="ana")).text == STORE_DOWN
        server.start()
        assert conversation.handle(Message(text="a", user="ana")).quiz["step"] == 2
    finally:
        server.stop()


def test_unreachable_redis_raises_store_error_quickly():
    store = open_store("redis://127.0.0.1:1/0")
    started = time.monotonic()
    with pytest.raises(StoreError):
        store.get("k")
    assert time.monotonic() - started < 5


# -- a machine without redis-server (issue 14: the README's test command must pass there) ----------------------

def pytest_without_redis_server(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """This module's other tests in a child pytest whose PATH has no redis-server and no ROLECALL_TEST_REDIS_URL."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("ROLECALL_TEST_REDIS_URL", "ROLECALL_REQUIRE_REDIS", "PYTEST_ADDOPTS")}
    environment.update(PATH=str(tmp_path), **env)  # an empty folder: nothing to find on PATH
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(Path(__file__)), "-k", "not fresh_machine",
         "-p", "no:cacheprovider", "-o", "addopts=", "-q", "-rs"],
        capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=300, check=False)


def test_fresh_machine_without_redis_server_skips_the_redis_tests_saying_how_to_install_it(tmp_path):
    result = pytest_without_redis_server(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    reasons = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert reasons, result.stdout
    assert all("redis-server not found" in r and "apt-get install redis-server" in r and "brew install redis" in r
               for r in reasons), reasons
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ skipped", summary) and "failed" not in summary and "error" not in summary, summary


def test_fresh_machine_without_redis_server_fails_the_redis_tests_under_rolecall_require_redis(tmp_path):
    result = pytest_without_redis_server(tmp_path, ROLECALL_REQUIRE_REDIS="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "redis-server not found" in result.stdout and "ROLECALL_REQUIRE_REDIS is set" in result.stdout
    assert not re.search(r"\d+ skipped", result.stdout.strip().splitlines()[-1])


def test_fresh_machine_ci_requires_the_redis_tests_to_run():
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert "export ROLECALL_REQUIRE_REDIS=1" in script
