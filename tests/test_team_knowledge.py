"""A team's own knowledge folder on top of the shipped files, and reloading it while running."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rolecall_support import run_cli

from rolecall.bot.advisor import Advisor
from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.reload import KnowledgeWatcher

TEAM_ENTRY = """\
- id: team-zebra-review
  owner: project
  kind: responsibility
  phrases:
    - zebra review
    - zebra gate
  answer: Our zebra review is the delivery gate before each release train, run by the project manager.
  source: practice
"""


def team_folder(tmp_path: Path, text: str = TEAM_ENTRY) -> Path:
    folder = tmp_path / "team"
    folder.mkdir(exist_ok=True)
    (folder / "ours.yaml").write_text(text, encoding="utf-8")
    return folder


def test_team_folder_adds_its_own_names_for_things(tmp_path):
    folder = team_folder(tmp_path)
    out = json.loads(run_cli("ask", "who runs the zebra review?", "--json", "--knowledge", str(folder)).stdout)
    assert out["verdict"] == "project" and out["topic"] == "team-zebra-review"


def test_team_folder_from_the_environment(tmp_path):
    folder = team_folder(tmp_path)
    result = run_cli("ask", "who runs the zebra review?", "--json", env={"ROLECALL_KNOWLEDGE": str(folder)})
    assert json.loads(result.stdout)["topic"] == "team-zebra-review"


def test_entry_clashing_with_a_shipped_id_is_a_clear_error(tmp_path):
    folder = team_folder(tmp_path, TEAM_ENTRY.replace("team-zebra-review", "burndown-chart"))
    result = run_cli("kb", "check", "--knowledge", str(folder))
    assert result.returncode != 0
    message = result.stderr.decode()
    assert "ours.yaml:1:" in message and "clashes with the shipped entry 'burndown-chart'" in message


def test_phrase_clashing_with_a_shipped_owner_is_a_clear_error(tmp_path):
    folder = team_folder(tmp_path, TEAM_ENTRY.replace("- zebra gate", "- burndown chart").replace("owner: project", "owner: product"))
    message = run_cli("kb", "check", "--knowledge", str(folder)).stderr.decode()
    assert "burndown chart" in message and "the shipped entry" in message


def test_reload_picks_up_a_good_edit(tmp_path):
    folder = team_folder(tmp_path)
    conversation = Conversation(Advisor.load([folder]))
    watcher = KnowledgeWatcher([folder], conversation.use_advisor)
    (folder / "ours.yaml").write_text(TEAM_ENTRY.replace("zebra gate", "okapi gate"), encoding="utf-8")
    time.sleep(0.01)
    assert watcher.check() is True
    assert conversation.handle(Message(text="who owns the okapi gate?")).verdict == "project"


def test_reload_rejects_a_broken_edit_and_keeps_the_last_good_knowledge(tmp_path, caplog):
    folder = team_folder(tmp_path)
    conversation = Conversation(Advisor.load([folder]))
    watcher = KnowledgeWatcher([folder], conversation.use_advisor)
    (folder / "ours.yaml").write_text(TEAM_ENTRY.replace("owner: project", "owner: projekt"), encoding="utf-8")
    assert watcher.check() is False
    assert "ours.yaml:2: owner 'projekt'" in caplog.text
    assert conversation.handle(Message(text="who runs the zebra review?")).verdict == "project"
