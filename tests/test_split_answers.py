"""A question about one product task and one project task at once is answered "both", with each role's part.

Driven through the core API, `rolecall ask --json` and `rolecall chat --json`, as the rest of the suite is.
"""

from __future__ import annotations

import json

from rolecall_support import chat_json as chat
from rolecall_support import run_cli

TOOLS = "smartsheet vs aha, which pm uses which?"
"""A tool of each role, asked as one question: no topic is about both tools."""



def test_a_product_task_and_a_project_task_asked_together_are_both_with_each_roles_part(advisor):
    answer = advisor.ask(TOOLS)
    assert answer.verdict == "both"
    assert [(r.owner, r.topic) for r in answer.part.split] == [("product", "aha"), ("project", "smartsheet")]


def test_a_split_answer_says_which_part_is_whose_and_where_each_comes_from(advisor):
    text = advisor.ask(TOOLS).text
    assert text.startswith("Both, split between the roles:")
    assert "is the product manager's part" in text and "the project manager's." in text
    assert "\nSource: " in text


def test_a_split_answer_has_no_topic_of_its_own_and_lists_its_parts_as_verdicts():
    answer = json.loads(run_cli("ask", "--json", TOOLS).stdout)
    assert answer["verdict"] == "both" and answer["topic"] is None
    assert [(v["verdict"], v["topic"]) for v in answer["verdicts"]] == [("product", "aha"), ("project", "smartsheet")]
    assert answer["source"]


def test_a_split_answer_offers_each_part_as_a_reading_to_pick(tmp_path):
    (reply,) = chat(tmp_path, TOOLS)
    assert [c["id"] for c in reply["choices"]] == ["topic:aha", "topic:smartsheet"]
    assert all(c["label"].startswith("I meant ") for c in reply["choices"])


def test_a_question_about_one_task_is_never_split(advisor):
    answer = advisor.ask("who keeps the project schedule in smartsheet?")
    assert answer.verdict == "project" and not answer.part.split


def test_after_a_split_answer_the_second_one_picks_the_project_part(tmp_path):
    _, picked = chat(tmp_path, TOOLS, "the second one")
    assert picked["verdict"] == "project" and "smartsheet" in picked["text"].lower()


def test_why_after_a_split_answer_asks_which_part(tmp_path):
    _, why = chat(tmp_path, TOOLS, "why?")
    assert why["verdict"] is None and "Type 1 or 2 to pick one" in why["text"]
