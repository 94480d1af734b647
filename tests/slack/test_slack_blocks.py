"""Laying out the core's typed reply parts as Block Kit: cards, Slack's limits, and output that cannot ping anyone."""

from __future__ import annotations

import json

from slack_requests import block_text, tally_of

from rolecall.adapters.slack_blocks import card_owner_of, escape, render, triage_message
from rolecall.adapters.slack_home import home_view
from rolecall.bot import plain_text
from rolecall.bot.messages import Choice, Reply
from rolecall.bot.parts import (
    Notice,
    PollCard,
    QuizQuestion,
    QuizResult,
    Reading,
    TeamDecision,
    TriageRow,
    TriageSkip,
    TriageTable,
    Verdict,
)

HINT = "Answer with a button."


def test_user_text_is_escaped_and_cannot_ping():
    reply = Reply.note("You said <!channel> & <@U123> <!here|here> <https://evil.example|click> @everyone")
    out = render(reply)
    raw = json.dumps(out.blocks) + out.text
    for ping in ("<!channel>", "<@U123>", "<!here", "<https://", "@everyone"):
        assert ping not in raw
    assert "&amp;" in out.text and "&lt;" in out.text and "&gt;" in out.text


def test_escape_turns_markup_into_text():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_a_verdict_card_has_a_header_the_reason_and_topic_and_source():
    verdict = Verdict("project", 0.9, "The PM runs the schedule.", topic="release-plan", topic_label="release schedule",
                      source="common industry practice")
    blocks = render(Reply(parts=(verdict,))).blocks
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Project manager"}}
    assert blocks[1]["text"]["text"] == "The PM runs the schedule."
    assert blocks[-1]["type"] == "context"
    assert "release schedule" in blocks[-1]["elements"][0]["text"]
    assert "common industry practice" in blocks[-1]["elements"][0]["text"]


def test_a_split_verdict_card_shows_each_roles_part_its_source_and_a_button_per_part():
    verdict = Verdict("both", 0.9, "Both, split between the roles: aha is the product manager's part, smartsheet the "
                      "project manager's.", source="Project vs Product Management", split=(
                          Reading("aha", "product", "aha"), Reading("smartsheet", "project", "smartsheet")))
    choices = (Choice("topic:aha", "I meant aha"), Choice("topic:smartsheet", "I meant smartsheet"))
    blocks = render(Reply(parts=(verdict,), choices=choices)).blocks
    assert blocks[0]["text"]["text"] == "Both roles"
    assert "\nSource: Project vs Product Management" in blocks[1]["text"]["text"]
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == ["topic:aha", "topic:smartsheet"]


def test_a_quiz_card_keeps_slacks_limits_and_shows_the_full_wording_of_long_options():
    long_label = "An option whose wording is far longer than the seventy-five characters a button can show"
    question = QuizQuestion(step=3, of=10, text="Pick one?", options=("Short", long_label), hint=HINT)
    reply = Reply(parts=(question,), choices=(Choice("quiz:q3:a", "Short"), Choice("quiz:q3:b", long_label)))
    blocks = render(reply, owner="UANN").blocks
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert card_owner_of(actions["block_id"]) == "UANN"
    assert [e["value"] for e in actions["elements"]] == ["quiz:q3:a", "quiz:q3:b"]
    assert all(len(e["text"]["text"]) <= 75 for e in actions["elements"])
    assert len({e["action_id"] for e in actions["elements"]}) == 2
    assert any(long_label in b.get("text", {}).get("text", "") for b in blocks if b["type"] == "section")
    assert any(b["type"] == "context" and b["elements"][0]["text"].startswith("Step 3 of 10") for b in blocks)


def test_a_result_card_names_the_role_even_when_it_has_brackets():
    result = QuizResult(role="hybrid", title="Hybrid (product owner style)", scores={"product": 55, "project": 45},
                        summary="A summary.", of=10)
    blocks = render(Reply(parts=(result,))).blocks
    assert blocks[0]["text"]["text"] == "Quiz result: Hybrid (product owner style)"
    assert any(b["type"] == "context" and "Product 55%" in b["elements"][0]["text"] for b in blocks)
    (again,) = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert again["value"] == "quiz:start" and again["text"]["text"] == "Take the quiz again"


def test_long_text_is_split_into_sections_within_the_limit():
    reply = Reply.note("\n".join(["word " * 100] * 20))
    blocks = render(reply).blocks
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)


def test_the_home_view_has_a_start_quiz_button():
    view = home_view("I settle debates. Ask me things like:\n  • who owns the roadmap?")
    assert view["type"] == "home"
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == ["quiz:start"]


def test_poll_cards_render_question_tally_buttons_and_the_result():
    question = "Is the roadmap product or project work?"
    tally = {"product": 2, "project": 1, "both": 0}
    card = PollCard(id="abcd1234", question=question, tally=tally, closed=False, deadline=0.0)
    choices = tuple(Choice(f"poll:abcd1234:{o}", o.capitalize()) for o in ("product", "project", "both", "reveal"))
    open_card = render(Reply(parts=(card,), choices=choices)).blocks
    assert open_card[0] == {"type": "header", "text": {"type": "plain_text", "text": question}}
    assert tally_of(open_card) == {"product": 2, "project": 1, "both": 0}
    assert open_card[-1]["block_id"].startswith("rolecall:poll:abcd1234")
    verdict = Verdict("product", 0.9, "The PdM owns it.", topic="roadmap", topic_label="product roadmap",
                      source="seed article")
    closed = render(Reply(parts=(PollCard(id="abcd1234", question=question, tally=tally, closed=True, deadline=0.0,
                                          verdict=verdict),))).blocks
    text = block_text({"blocks": closed})
    assert "*Rolecall: Product manager.* The PdM owns it." in text
    assert "*2 of 3 agreed* with Rolecall (product manager)." in text
    assert "*product roadmap* · seed article" in text
    assert not [b for b in closed if b["type"] == "actions"]


def test_a_late_vote_is_a_note_with_the_final_tally():
    verdict = Verdict("both", 0.9, "Shared.", topic="x", topic_label="x", source="s")
    card = PollCard(id="abcd1234", question="Is X product or project work?", tally={"product": 0, "project": 0,
                    "both": 1}, closed=True, deadline=0.0, verdict=verdict)
    out = render(Reply(parts=(Notice("This poll is closed, so your vote wasn't counted."), card), private=True))
    text = block_text({"blocks": out.blocks})
    assert "wasn't counted" in out.text
    assert "Final tally: *Product* 0 · *Project* 0 · *Both* 1 (1 vote) · Rolecall: *Both roles*" in text
    assert not [b for b in out.blocks if b["type"] in ("actions", "header")]


def test_the_table_renderer_keeps_notes_counts_and_skipped_rows():
    table = TriageTable(rows=(TriageRow(1, "write the PRD", "product", 0.99, "prd"),),
                        skipped=(TriageSkip(2, "no words to classify"),), counts={"product": 1},
                        read_lines=2, total_lines=3)
    body = triage_message(Reply(parts=(table,), private=True)).__dict__
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert texts[0].startswith("(I triaged the first 2 lines")
    row = plain_text.triage_row_text("write the PRD", "product", 0.99, "prd")
    assert texts[1] == f"```\n{plain_text.triage_header()}\n{row}\n```"
    assert texts[2].startswith("```\n1 task triaged")
    assert texts[3] == "line 2: skipped: no words to classify"
    assert body["text"].startswith("Backlog triage: 1 task triaged")


def test_a_triage_reply_without_a_table_is_shown_as_a_note():
    body = triage_message(Reply.note("You're sending messages faster than I can answer well.", private=True))
    assert "```" not in block_text(body.__dict__) and "Backlog triage" not in block_text(body.__dict__)



def test_every_rendering_of_a_card_has_block_ids_of_its_own():
    """Slack: a block_id is unique for each message and each iteration of a message
    (https://docs.slack.dev/reference/block-kit/blocks), or a client may keep an old button's state after an update."""
    question = QuizQuestion(step=1, of=10, text="Pick one?", options=("a", "b"), hint=HINT)
    reply = Reply(parts=(question,), choices=(Choice("quiz:q1:a", "a"), Choice("quiz:q1:b", "b")))
    card = PollCard(id="abcd1234", question="Is X product or project work?", tally={}, closed=False, deadline=0.0)
    poll = Reply(parts=(card,), choices=(Choice("poll:abcd1234:product", "Product"),))
    result = QuizResult(role="product", title="Product manager", scores={"product": 90, "project": 10},
                        summary="A summary.", of=10)
    for one in (reply, poll, Reply(parts=(result,))):
        ids = [[b["block_id"] for b in render(one, owner="UANN").blocks if "block_id" in b] for _ in range(2)]
        assert ids[0] and ids[0] != ids[1] and not set(ids[0]) & set(ids[1])
    assert card_owner_of([b for b in render(reply, owner="UANN").blocks if "block_id" in b][0]["block_id"]) == "UANN"
    assert card_owner_of([b for b in render(poll).blocks if "block_id" in b][0]["block_id"]) is None


def test_a_team_decision_is_shown_before_common_practice():
    decision = TeamDecision(verdict="project", decided_at=1764633600.0, by="UANN", question="Is X product or project?",
                            tally={"product": 1, "project": 4, "both": 0}, agrees=False)
    verdict = Verdict("product", 0.9, "The PdM owns it.", topic="roadmap", topic_label="roadmap", source="s")
    blocks = render(Reply(parts=(decision, verdict))).blocks
    text = block_text({"blocks": blocks})
    assert text.index("Your team decided: Project manager") < text.index("Product manager")
