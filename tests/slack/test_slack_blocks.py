"""Rendering the core's replies as Block Kit: cards, Slack's limits, and output that cannot ping anyone."""

from __future__ import annotations

import json

from rolecall.adapters.slack_blocks import escape, home_view, render, triage_message
from rolecall.bot.messages import Choice, Reply
from mock_slack_api import block_text, tally_of


def test_user_text_is_escaped_and_cannot_ping():
    reply = Reply(text="You said <!channel> & <@U123> <!here|here> <https://evil.example|click> @everyone")
    out = render(reply)
    raw = json.dumps(out.blocks) + out.text
    for ping in ("<!channel>", "<@U123>", "<!here", "<https://", "@everyone"):
        assert ping not in raw
    assert "&amp;" in out.text and "&lt;" in out.text and "&gt;" in out.text


def test_escape_turns_markup_into_text():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_a_verdict_card_has_a_header_the_reason_and_topic_and_source():
    reply = Reply(text="Project manager. The PM runs the schedule.\nTopic: release plan · Source: common industry practice",
                  verdict="project")
    blocks = render(reply).blocks
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Project manager"}}
    assert blocks[1]["text"]["text"] == "The PM runs the schedule."
    assert blocks[-1]["type"] == "context"
    assert "release plan" in blocks[-1]["elements"][0]["text"]
    assert "common industry practice" in blocks[-1]["elements"][0]["text"]


def test_a_quiz_card_keeps_slacks_limits_and_shows_the_full_wording_of_long_options():
    long_label = "An option whose wording is far longer than the seventy-five characters a button can show"
    reply = Reply(text=f"Question 3 of 10: Pick one?\n  a) Short\n  b) {long_label}\nAnswer with a button.",
                  choices=(Choice("quiz:q3:a", "Short"), Choice("quiz:q3:b", long_label)),
                  quiz={"step": 3, "of": 10, "result": None})
    blocks = render(reply, owner="UANN").blocks
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"].endswith("UANN")
    assert [e["value"] for e in actions["elements"]] == ["quiz:q3:a", "quiz:q3:b"]
    assert all(len(e["text"]["text"]) <= 75 for e in actions["elements"])
    assert len({e["action_id"] for e in actions["elements"]}) == 2
    assert any(long_label in b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section")
    assert any(b["type"] == "context" and b["elements"][0]["text"].startswith("Question 3 of 10") for b in blocks)


def test_a_result_card_names_the_role_even_when_it_has_brackets():
    reply = Reply(text="Your result: Hybrid (product owner style) (product 55%, project 45%).\nA summary.",
                  quiz={"step": 10, "of": 10, "result": {"role": "hybrid", "scores": {"product": 55, "project": 45}}})
    blocks = render(reply).blocks
    assert blocks[0]["text"]["text"] == "Your result: Hybrid (product owner style)"
    assert any(b["type"] == "context" and "Product 55%" in b["elements"][0]["text"] for b in blocks)


def test_long_text_is_split_into_sections_within_the_limit():
    reply = Reply(text="\n".join(["word " * 100] * 20))
    blocks = render(reply).blocks
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_the_home_view_has_a_start_quiz_button():
    view = home_view("I settle debates. Ask me things like:\n  • who owns the roadmap?")
    assert view["type"] == "home"
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == ["quiz:start"]


def test_poll_cards_render_question_tally_buttons_and_the_result():
    poll = {"id": "abcd1234", "question": "Is the roadmap product or project work?",
            "tally": {"product": 2, "project": 1, "both": 0}, "closed": False, "verdict": None}
    choices = tuple(Choice(f"poll:abcd1234:{o}", o.capitalize()) for o in ("product", "project", "both", "reveal"))
    open_card = render(Reply(text="Debate: ...\nVotes so far: product 2, project 1, both 0 (3 votes).\nVote below.",
                             poll=poll, choices=choices)).blocks
    assert open_card[0] == {"type": "header", "text": {"type": "plain_text", "text": poll["question"]}}
    assert tally_of(open_card) == {"product": 2, "project": 1, "both": 0}
    assert open_card[-1]["block_id"] == "rolecall:poll:abcd1234"
    closed = render(Reply(text=("Debate closed: Is the roadmap product or project work?\nThe team voted: product 2, "
                                "project 1, both 0.\nRolecall: Product manager. The PdM owns it.\nTopic: product "
                                "roadmap · Source: seed article\n2 of 3 agreed with Rolecall (product manager)."),
                          verdict="product", poll={**poll, "closed": True, "verdict": "product"})).blocks
    text = block_text({"blocks": closed})
    assert "*Rolecall: Product manager.* The PdM owns it." in text
    assert "*2 of 3 agreed* with Rolecall (product manager)." in text
    assert not [b for b in closed if b["type"] == "actions"]


def test_the_table_renderer_keeps_notes_counts_and_skipped_rows():
    text = ("(I triaged the first 2 lines of 3; use `rolecall triage FILE` for more.)\n"
            "TASK                 VERDICT  CONF  TOPIC\nwrite the PRD        product   99%  prd\n"
            "\n1 task triaged\n  product        1\n  skipped        1\nline 2: skipped: no words to classify")
    body = triage_message(text).__dict__
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert texts[0].startswith("(I triaged the first 2 lines")
    assert texts[1] == "```\nTASK                 VERDICT  CONF  TOPIC\nwrite the PRD        product   99%  prd\n```"
    assert texts[2].startswith("```\n1 task triaged")
    assert texts[3] == "line 2: skipped: no words to classify"
