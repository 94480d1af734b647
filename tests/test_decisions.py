"""Settled is settled: a team's decision answers first in its workspace, until revoked; team files may override."""

from __future__ import annotations

import json

from rolecall_support import run_cli


def ask_json(*args: str) -> dict:
    return json.loads(run_cli("ask", "--json", *args).stdout)


def test_an_adopted_debate_becomes_the_teams_answer_in_its_store_only(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("debate", "the release schedule", "--store", store, "--user", "ana")
    for voter in ("ben", "cat"):
        run_cli("chat", "--json", "--store", store, "--user", voter, input="vote product\n")
    replies = run_cli("chat", "--json", "--store", store, "--user", "ana", input="reveal\nadopt\n").stdout.decode()
    assert "Done" in json.loads(replies.splitlines()[1])["text"]
    decided = ask_json("who owns the release schedule?", "--store", store)
    assert decided["verdict"] == "product" and decided["team_decision"]["verdict"] == "product"
    assert decided["team_decision"]["tally"] == {"product": 2, "project": 0, "both": 0}
    assert decided["team_decision"]["by"] == "ana" and "Your team decided" in decided["text"]
    elsewhere = ask_json("who owns the release schedule?")
    assert elsewhere["verdict"] == "project" and elsewhere["team_decision"] is None


def test_only_the_starter_may_adopt_a_debate(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("debate", "the release schedule", "--store", store, "--user", "ana")
    run_cli("chat", "--json", "--store", store, "--user", "ana", input="reveal\n")
    (reply,) = [json.loads(x) for x in run_cli("chat", "--json", "--store", store, "--user", "ben",
                                               input="adopt\n").stdout.decode().splitlines()]
    assert "Only the person who started" in reply["text"]


def test_a_revealed_card_offers_to_make_it_the_teams_answer(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("debate", "the release schedule", "--store", store, "--user", "ana")
    (reply,) = [json.loads(x) for x in run_cli("chat", "--json", "--store", store, "--user", "ana",
                                               input="reveal\n").stdout.decode().splitlines()]
    assert any(c["id"].endswith(":adopt") for c in reply["choices"])


def test_decisions_are_listed_decided_and_revoked_from_the_command_line(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    assert run_cli("kb", "decide", "the burndown chart", "--owner", "both", "--reason", "we share it",
                   "--store", store).returncode == 0
    (listed,) = [json.loads(x) for x in run_cli("kb", "decisions", "--json", "--store", store).stdout.splitlines()]
    assert listed["verdict"] == "both" and listed["reason"] == "we share it"
    assert ask_json("who owns the burndown chart?", "--store", store)["verdict"] == "both"
    assert run_cli("kb", "undecide", "the burndown chart", "--store", store).returncode == 0
    assert run_cli("kb", "decisions", "--json", "--store", store).stdout.strip() == b""
    assert ask_json("who owns the burndown chart?", "--store", store)["team_decision"] is None


def test_exported_decisions_load_as_team_knowledge_that_overrides_the_shipped_entry(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("kb", "decide", "the burndown chart", "--owner", "product", "--store", store)
    folder = tmp_path / "team"
    folder.mkdir()
    assert run_cli("kb", "decisions", "--store", store, "--export", str(folder / "ours.yaml")).returncode == 0
    check = run_cli("kb", "check", "--knowledge", str(folder)).stdout.decode()
    assert "replaces 'burndown-chart'" in check
    assert ask_json("who owns the burndown chart?", "--knowledge", str(folder))["verdict"] == "product"


def test_a_team_entry_that_overrides_a_shipped_one_changes_its_verdict(tmp_path, write_kb):
    folder = write_kb(tmp_path, """\
        - id: our-roadmap
          overrides: roadmap-ownership
          owner: project
          kind: artifact
          phrases:
            - our roadmap
          answer: Here the delivery lead keeps the roadmap.
          source: team wiki
        """).parent
    assert ask_json("who owns the roadmap?", "--knowledge", str(folder))["verdict"] == "project"
    assert "replaces 'roadmap-ownership'" in run_cli("kb", "check", "--knowledge", str(folder)).stdout.decode()


def test_overriding_an_entry_that_does_not_exist_is_an_error(tmp_path, write_kb):
    folder = write_kb(tmp_path, """\
        - id: our-thing
          overrides: no-such-entry
          owner: project
          kind: artifact
          phrases:
            - our thing
          answer: Ours.
          source: practice
        """).parent
    done = run_cli("kb", "check", "--knowledge", str(folder))
    assert done.returncode != 0 and "no-such-entry" in done.stderr.decode()


def test_team_entries_never_reviewed_or_reviewed_long_ago_are_due(tmp_path, write_kb):
    folder = write_kb(tmp_path, """\
        - id: fresh-thing
          owner: project
          kind: artifact
          phrases:
            - fresh thing
          answer: Ours.
          source: practice
          reviewed: 2099-01-01
          reviewer: ana
        - id: old-thing
          owner: project
          kind: artifact
          phrases:
            - old thing
          answer: Ours.
          source: practice
          reviewed: 2020-01-01
        - id: unreviewed-thing
          owner: project
          kind: artifact
          phrases:
            - unreviewed thing
          answer: Ours.
          source: practice
        """).parent
    due = [json.loads(x)["id"] for x in run_cli("kb", "stale", "--json", "--knowledge", str(folder)).stdout.splitlines()]
    assert due == ["unreviewed-thing", "old-thing"]
    assert "due for review" in ask_json("who owns the old thing?", "--knowledge", str(folder))["text"]
    assert "due for review" not in ask_json("who owns the fresh thing?", "--knowledge", str(folder))["text"]


def test_a_malformed_review_date_is_reported_at_its_line(tmp_path, write_kb):
    folder = write_kb(tmp_path, """\
        - id: thing
          owner: project
          kind: artifact
          phrases:
            - thing
          answer: Ours.
          source: practice
          reviewed: last tuesday
        """).parent
    done = run_cli("kb", "check", "--knowledge", str(folder))
    assert done.returncode != 0 and ":8:" in done.stderr.decode() and "reviewed" in done.stderr.decode()


def test_a_configured_contact_is_offered_when_rolecall_does_not_know(tmp_path):
    done = run_cli("chat", "--json", "--store", "memory://", input="who owns the flux capacitor warranty?\n"
                   "who owns the roadmap?\n", env={"ROLECALL_CONTACT": "@delivery-leads"})
    unknown, known = [json.loads(x)["text"] for x in done.stdout.decode().splitlines()]
    assert "Still unsure? Ask @delivery-leads." in unknown
    assert "Still unsure" not in known


def test_a_contact_can_be_set_per_workspace(tmp_path):
    done = run_cli("chat", "--json", "--store", "memory://", input="who owns the flux capacitor warranty?\n",
                   env={"ROLECALL_CONTACT": "T1=@leads;local=Priya"})
    assert "Ask Priya." in json.loads(done.stdout.decode())["text"]


def test_a_contact_with_a_group_offers_a_button_that_asks_them(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    done = run_cli("chat", "--json", "--store", store, input="who owns the flux capacitor warranty?\ncontact:ask\n",
                   env={"ROLECALL_CONTACT": "@delivery-leads|S0123ABC"})
    unknown, asked = [json.loads(x) for x in done.stdout.decode().splitlines()]
    assert {"id": "contact:ask", "label": "Ask @delivery-leads"} in unknown["choices"]
    assert "@delivery-leads" in asked["text"] and "flux capacitor warranty" in asked["text"]


def test_deciding_a_topic_resolves_its_gaps(tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("chat", "--json", "--store", store, input="who owns the flux capacitor warranty?\n")
    assert "flux capacitor" in run_cli("kb", "gaps", "--store", store).stdout.decode()
    run_cli("kb", "decide", "who owns the flux capacitor warranty?", "--owner", "project", "--store", store)
    assert "flux capacitor" not in run_cli("kb", "gaps", "--store", store).stdout.decode()
