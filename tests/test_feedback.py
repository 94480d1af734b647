"""👍/👎 on answers and the gaps report, after a scripted session."""

from __future__ import annotations

import json

from rolecall_support import run_cli

from rolecall.bot.decisions import Decision, Decisions
from rolecall.bot.feedback import Feedback
from rolecall.bot.messages import Message
from rolecall.bot.sqlite_store import SQLiteStore


def chat(store: str, user: str, lines: list[str]) -> list[dict]:
    result = run_cli("chat", "--json", "--store", store, "--user", user, input="\n".join(lines) + "\n")
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_every_answer_carries_thumbs_buttons(tmp_path):
    reply = chat(f"sqlite:///{tmp_path}/s.db", "ana", ["who owns the roadmap?"])[0]
    assert [c["label"] for c in reply["choices"]] == ["👍", "👎"]


def test_feedback_report_lists_topics_by_share_of_thumbs_down(tmp_path):
    store = f"sqlite:///{tmp_path}/s.db"
    chat(store, "ana", ["who owns the roadmap?", "👎", "who maintains the gantt chart?", "👍"])
    chat(store, "ben", ["who owns the roadmap?", "👍"])
    rows = [json.loads(row) for row in run_cli("kb", "feedback", "--store", store, "--json").stdout.decode().splitlines()]
    assert rows[0]["down"] == 1 and rows[0]["up"] == 1
    assert rows[-1] == {"topic": rows[-1]["topic"], "up": 1, "down": 0, "down_share": 0.0}


def test_one_person_voting_twice_on_a_topic_counts_once(tmp_path):
    store = f"sqlite:///{tmp_path}/s.db"
    chat(store, "ana", ["who owns the roadmap?", "👎", "👎", "👍"])
    rows = [json.loads(row) for row in run_cli("kb", "feedback", "--store", store, "--json").stdout.decode().splitlines()]
    assert (rows[0]["up"], rows[0]["down"]) == (1, 0)


def test_gaps_report_groups_similar_unknown_questions_most_asked_first(tmp_path):
    store = f"sqlite:///{tmp_path}/s.db"
    chat(store, "ana", ["who fixes the printer?", "who fixes the printers", "who waters the plants", "who fixes the printer"])
    rows = [json.loads(row) for row in run_cli("kb", "gaps", "--store", store, "--json").stdout.decode().splitlines()]
    assert rows[0]["question"] == "who fixes the printer" and rows[0]["count"] == 3 and rows[0]["similar"] == 1
    assert rows[1]["question"] == "who waters the plants"


def test_gaps_keep_no_user_ids(tmp_path):
    store = f"sqlite:///{tmp_path}/s.db"
    chat(store, "ana-secret-id", ["who fixes the printer?"])
    assert b"ana-secret-id" not in (tmp_path / "s.db").read_bytes()


def test_confident_answers_are_not_gaps(tmp_path):
    store = f"sqlite:///{tmp_path}/s.db"
    chat(store, "ana", ["who owns the roadmap?"])
    assert "No gaps recorded" in run_cli("kb", "gaps", "--store", store).stdout.decode()


def test_a_workspaces_gaps_and_their_resolution_stay_in_that_workspace(tmp_path):
    store = SQLiteStore(str(tmp_path / "state.db"))
    feedback, decisions = Feedback(store), Decisions(store)
    for workspace in ("T1", "T2"):
        feedback.record_gap(Message(platform="slack", workspace=workspace), "who owns the coffee rota?", "rota")
    assert [g.question for g in feedback.gaps("slack", "T1")] == ["who owns the coffee rota"]
    decisions.decide("slack", "T1", Decision("rota", "project", "who owns the coffee rota?", 0.0, "ana"))
    assert feedback.gaps("slack", "T1") == [] and len(feedback.gaps("slack", "T2")) == 1
    assert [g.count for g in feedback.gaps()] == [1]  # the operator's report: every workspace's open ones
