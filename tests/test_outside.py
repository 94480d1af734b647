"""Work of neither role (knowledge/outside.yaml): answered "not something I know", with whose work it usually is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rolecall.bot import outside
from rolecall.bot.advisor import Advisor
from rolecall.bot.conversation import Conversation
from rolecall.bot.knowledge import KnowledgeError
from rolecall.bot.messages import Message
from rolecall.bot.reload import KnowledgeWatcher


@pytest.mark.parametrize(("question", "function"), [
    ("can someone review the NDA for the project vendor?", "legal"),
    ("who runs payroll this month?", "payroll"),
    ("my laptop won't connect to the VPN, who do I ask?", "IT support"),
    ("who handles the refund for this customer?", "customer support"),
])
def test_work_of_another_function_is_out_of_scope_and_says_whose_it_is(advisor: Advisor, question: str, function: str):
    answer = advisor.ask(question)
    assert answer.verdict == "unknown" and answer.topic is None
    assert answer.text.startswith(f"Neither role: that is usually for {function}.")
    assert "\nSource: " in answer.text and not re.search(r"\b\d{3}_[0-9a-f]{16}\.txt\b", answer.text)


def test_the_json_answer_keeps_its_contract_and_names_the_source(run_cli):
    answer = json.loads(run_cli("ask", "--json", "who runs payroll this month?").stdout)
    assert answer["verdict"] == "unknown" and answer["topic"] is None and answer["quote"] is None
    assert answer["source"] and answer["source"] in answer["text"]


def test_out_of_scope_work_of_another_function_is_not_reported_as_a_gap_in_the_knowledge(advisor: Advisor):
    assert not advisor.ask("who runs payroll this month?").gap
    assert advisor.ask("who fixes the printer?").gap


@pytest.mark.parametrize(("question", "verdict"), [
    ("who sets the list price of the premium tier?", "product"),
    ("who manages the vendor contracts for the project?", "project"),
    ("who owns the project budget?", "project"),
])
def test_the_product_and_project_side_of_that_work_keeps_its_owner(advisor: Advisor, question: str, verdict: str):
    assert advisor.ask(question).verdict == verdict


def test_everyday_chat_is_still_answered_without_naming_a_function(advisor: Advisor):
    answer = advisor.ask("what should we get Sam for his milestone anniversary?")
    assert answer.verdict == "unknown" and not answer.text.startswith("Neither role")


def test_no_phrase_of_other_functions_work_is_also_a_knowledge_base_phrase(advisor: Advisor):
    ours = {p for entry in advisor.kb.entries for p in entry.phrases}
    clashes = [p for work in advisor.outside.works for p in work.phrases if p in ours]
    assert not clashes


def test_every_listed_work_rests_on_a_named_public_reference(advisor: Advisor):
    for work in advisor.outside.works:
        source = advisor.kb.sources.get(work.source)
        assert source is not None and source.url and source.url.startswith("https://"), work.id


def test_a_broken_file_fails_at_load_with_file_line_and_reason(tmp_path: Path):
    path = tmp_path / "outside.yaml"
    path.write_text("- id: outside-nda\n  function: legal\n  phrases: []\n  answer: x\n  source: y\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        outside.parse(path)
    assert (raised.value.file, raised.value.line) == (str(path), 3) and "phrases" in raised.value.reason


def test_an_unknown_key_is_named_with_its_line(tmp_path: Path):
    path = tmp_path / "outside.yaml"
    path.write_text("- id: outside-nda\n  owner: legal\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        outside.parse(path)
    assert raised.value.line == 2 and "unknown key 'owner'" in raised.value.reason


def test_a_team_lists_its_own_functions_beside_the_shipped_ones(run_cli, tmp_path: Path):
    (tmp_path / "outside.yaml").write_text(
        "- id: outside-soc2-evidence\n  function: our GRC team\n  phrases: [soc2 evidence, audit evidence for soc2]\n"
        "  answer: The GRC team collects SOC 2 evidence; engineers and PMs hand over what it asks for.\n"
        "  source: Our security handbook\n", encoding="utf-8")
    ours = json.loads(run_cli("ask", "--json", "--knowledge", str(tmp_path), "who collects the SOC2 evidence?").stdout)
    shipped = json.loads(run_cli("ask", "--json", "--knowledge", str(tmp_path), "who runs payroll this month?").stdout)
    assert ours["verdict"] == "unknown" and ours["text"].startswith("Neither role: that is usually for our GRC team.")
    assert ours["source"] == "Our security handbook"
    assert shipped["text"].startswith("Neither role: that is usually for payroll.")


def test_a_broken_team_file_is_reported_by_kb_check_with_file_and_line(run_cli, tmp_path: Path):
    (tmp_path / "outside.yaml").write_text("- id: outside-x\n  function: legal\n  phrases: nope\n  answer: x\n  source: y\n", encoding="utf-8")
    result = run_cli("kb", "check", "--knowledge", str(tmp_path))
    assert result.returncode != 0 and f"{tmp_path / 'outside.yaml'}:3" in result.stderr.decode()


def test_a_running_bot_picks_up_a_team_edit_to_its_list(tmp_path: Path):
    conversation = Conversation(Advisor.load([tmp_path]))
    watcher = KnowledgeWatcher([tmp_path], conversation.use_advisor)
    (tmp_path / "outside.yaml").write_text(
        "- id: outside-okapi-badges\n  function: the okapi desk\n  phrases: [okapi badge]\n"
        "  answer: The okapi desk prints badges.\n  source: Our handbook\n", encoding="utf-8")
    assert watcher.check() is True
    reply = conversation.handle(Message(text="who prints my okapi badge?"))
    assert reply.verdict == "unknown" and "usually for the okapi desk" in reply.text
