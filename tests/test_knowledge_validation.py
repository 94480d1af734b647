"""The knowledge base: every mistake in a team's YAML comes back as file:line: reason.

Custom folders are loaded on their own (include_shipped=False) so these tests
do not depend on what the shipped files say today.
"""

from __future__ import annotations

import os
import re

import pytest

from rolecall.bot import knowledge
from rolecall.bot.knowledge import KnowledgeError

GOOD = """\
- id: alpha-report
  owner: product
  kind: artifact
  phrases:
    - alpha report
    - alpha doc
  answer: The alpha report is product work.
  source: practice
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return hits[occurrence - 1]


def load_folder(folder):
    return knowledge.load([folder], include_shipped=False)


def assert_located(error: KnowledgeError, file_name: str, line: int, *reason_words: str) -> None:
    message = str(error)
    assert re.search(rf"{re.escape(file_name)}:{line}: \S", message), message
    for word in reason_words:
        assert word.lower() in message.lower(), message


# -- a valid team folder -------------------------------------------------------

def test_valid_team_folder_loads_every_entry(tmp_path, write_kb):
    path = write_kb(tmp_path, GOOD + GOOD.replace("alpha", "beta").replace("product", "project"))
    kb = load_folder(path.parent)
    assert [e.id for e in kb.entries] == ["alpha-report", "beta-report"]
    assert kb.by_id["beta-report"].owner == "project"


def test_entries_remember_their_file_and_line(tmp_path, write_kb):
    text = "# team notes\n" + GOOD + GOOD.replace("alpha", "beta")
    path = write_kb(tmp_path, text)
    entries = knowledge.parse_file(path)
    assert [(e.file.endswith("team.yaml"), e.line) for e in entries] == [
        (True, line_of(text, "id: alpha-report")), (True, line_of(text, "id: beta-report"))]


def test_phrases_are_kept_lower_case_and_answers_on_one_line(tmp_path, write_kb):
    path = write_kb(tmp_path, GOOD.replace("alpha doc", "Alpha DOC").replace(
        "answer: The alpha report is product work.", "answer: >-\n    The alpha report\n    is product work."))
    (entry,) = knowledge.parse_file(path)
    assert "alpha doc" in entry.phrases
    assert entry.answer == "The alpha report is product work."


def test_yml_extension_is_read_too(tmp_path, write_kb):
    path = write_kb(tmp_path, GOOD, name="team.yml")
    assert len(load_folder(path.parent)) == 1


def test_empty_file_adds_no_entries(tmp_path, write_kb):
    path = write_kb(tmp_path, "# nothing yet\n")
    assert len(load_folder(path.parent)) == 0


def test_team_folder_adds_to_the_shipped_entries(tmp_path, write_kb):
    path = write_kb(tmp_path, GOOD.replace("alpha", "zebra-crossing-audit"))
    shipped = knowledge.load()
    merged = knowledge.load([path.parent])
    assert len(merged) == len(shipped) + 1
    assert "zebra-crossing-audit-report" in merged.by_id


# -- each mistake: file, line and reason ---------------------------------------

def test_unknown_key_is_reported_at_its_line(tmp_path, write_kb):
    text = GOOD.replace("  source: practice", "  source: practice\n  colour: blue")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "colour:"), "unknown key", "colour")


def test_missing_field_is_reported_at_its_entry(tmp_path, write_kb):
    text = GOOD + GOOD.replace("alpha", "beta").replace("  answer: The beta report is product work.\n", "")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "id: beta-report"), "missing", "answer")


def test_bad_owner_is_reported_at_its_line(tmp_path, write_kb):
    text = GOOD + GOOD.replace("alpha", "beta").replace("owner: product", "owner: manager")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "owner: manager"), "owner", "manager", "product", "project", "both")


def test_bad_kind_is_reported_at_its_line(tmp_path, write_kb):
    text = GOOD.replace("kind: artifact", "kind: gadget")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "kind: gadget"), "kind", "gadget")


def test_empty_phrase_list_is_reported(tmp_path, write_kb):
    text = GOOD.replace("  phrases:\n    - alpha report\n    - alpha doc\n", "  phrases: []\n")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "phrases: []"), "phrases")


def test_key_given_twice_in_one_entry_is_reported_at_the_second(tmp_path, write_kb):
    text = GOOD.replace("  source: practice", "  source: practice\n  owner: project")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "owner: project"), "owner", "twice")


def test_phrase_with_no_words_is_reported(tmp_path, write_kb):
    text = GOOD.replace("    - alpha doc", "    - '?!'")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", 1, "?!", "no words")


def test_bad_id_is_reported_at_its_line(tmp_path, write_kb):
    text = GOOD.replace("id: alpha-report", "id: Alpha Report!")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "id: Alpha"), "id")


def test_duplicate_id_across_two_files_names_both(tmp_path, write_kb):
    write_kb(tmp_path, GOOD, name="a-first.yaml")
    second = "- id: other-thing\n  owner: both\n  kind: concept\n  phrases: [other thing]\n" \
             "  answer: Shared.\n  source: practice\n" + GOOD.replace("product", "project").replace("alpha report", "alpha summary").replace("alpha doc", "alpha brief")
    path = write_kb(tmp_path, second, name="b-second.yaml")
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "b-second.yaml", line_of(second, "id: alpha-report"), "duplicate", "alpha-report")
    assert "a-first.yaml:1" in str(caught.value)


def test_team_folder_cannot_reuse_a_shipped_id(tmp_path, write_kb):
    shipped_id = knowledge.load().entries[0].id
    text = GOOD.replace("alpha-report", shipped_id).replace("alpha report", "zz unique alpha report").replace("alpha doc", "zz unique alpha doc")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.load([path.parent])
    assert_located(caught.value, "team.yaml", 1, "duplicate", shipped_id)


def test_same_phrase_under_two_owners_is_an_error(tmp_path, write_kb):
    text = GOOD + GOOD.replace("alpha-report", "alpha-delivery").replace("product", "project").replace("alpha report", "alpha plan")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "id: alpha-delivery"), "alpha doc", "product", "project")


def test_same_phrase_differing_only_in_case_and_plural_is_still_the_same_phrase(tmp_path, write_kb):
    write_kb(tmp_path, GOOD, name="a.yaml")
    text = GOOD.replace("alpha-report", "alpha-delivery").replace("product", "project") \
        .replace("alpha report", "alpha plan").replace("alpha doc", "Alpha Docs")
    path = write_kb(tmp_path, text, name="b.yaml")
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "b.yaml", 1, "alpha docs", "product", "project")


def test_invalid_yaml_is_reported_at_its_line(tmp_path, write_kb):
    text = GOOD + GOOD.replace("alpha", "beta").replace("answer: The beta report is product work.",
                                                        "answer: The beta report: it is: product work.")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "answer: The beta report:"), "invalid yaml")


def test_unclosed_bracket_is_invalid_yaml(tmp_path, write_kb):
    text = GOOD.replace("  phrases:\n    - alpha report\n    - alpha doc\n", "  phrases: [alpha report, alpha doc\n")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    message = str(caught.value)
    assert re.search(r"team\.yaml:[1-9]\d*: ", message) and "invalid yaml" in message.lower(), message


def test_file_that_is_not_a_list_is_reported(tmp_path, write_kb):
    text = "# one entry, but not as a list item\n" + GOOD.replace("- id:", "id:").replace("\n  ", "\n")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "id: alpha-report"), "list")


def test_list_item_that_is_not_a_mapping_is_reported(tmp_path, write_kb):
    text = GOOD + "- just a sentence\n"
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert_located(caught.value, "team.yaml", line_of(text, "just a sentence"), "mapping")


def test_file_that_is_not_utf8_is_reported(tmp_path, write_kb):
    path = write_kb(tmp_path, GOOD)
    path.write_bytes(GOOD.replace("practice", "pr\xe6ctice").encode("latin-1"))
    with pytest.raises(KnowledgeError) as caught:
        load_folder(path.parent)
    assert "team.yaml" in str(caught.value)


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(KnowledgeError) as caught:
        knowledge.load([tmp_path / "no-such-folder"], include_shipped=False)
    assert "no-such-folder" in str(caught.value)


def test_parse_file_reports_the_same_errors_as_load(tmp_path, write_kb):
    text = GOOD.replace("owner: product", "owner: ceo")
    path = write_kb(tmp_path, text)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.parse_file(path)
    assert_located(caught.value, "team.yaml", line_of(text, "owner: ceo"), "owner", "ceo")


# -- rolecall kb check -----------------------------------------------------------

def test_kb_check_rejects_a_broken_team_folder_with_file_line_reason(tmp_path, write_kb, run_cli):
    text = GOOD.replace("kind: artifact", "kind: gizmo")
    path = write_kb(tmp_path, text)
    result = run_cli("kb", "check", "--knowledge", str(path.parent))
    output = (result.stdout + result.stderr).decode()
    assert result.returncode != 0
    assert f"team.yaml:{line_of(text, 'kind: gizmo')}: " in output
    assert "gizmo" in output
    assert "Traceback" not in output


def test_kb_check_rejects_a_missing_team_folder(tmp_path, run_cli):
    result = run_cli("kb", "check", "--knowledge", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert "nowhere" in result.stderr.decode()


def test_kb_check_passes_the_shipped_knowledge_with_a_summary(run_cli):
    result = run_cli("kb", "check")
    output = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    kb = knowledge.load()
    summary = kb.summary()
    assert f"{len(kb)} entries" in output
    assert f"{kb.phrase_count()} phrases" in output
    for owner in ("product", "project", "both"):
        assert f"{owner} {summary['owner'][owner]}" in output
    for kind, count in summary["kind"].items():
        assert f"{kind} {count}" in output


def test_kb_check_counts_a_valid_team_folder(tmp_path, write_kb, run_cli):
    path = write_kb(tmp_path, GOOD.replace("alpha", "zebra-crossing-audit"))
    result = run_cli("kb", "check", "--knowledge", str(path.parent))
    assert result.returncode == 0, result.stderr.decode()
    assert f"{len(knowledge.load()) + 1} entries" in result.stdout.decode()


# -- the shipped knowledge base ---------------------------------------------------

def test_shipped_knowledge_base_is_big_enough():
    kb = knowledge.load()
    assert len(kb) >= 150
    assert kb.phrase_count() >= 800


def test_shipped_knowledge_base_covers_all_three_owners():
    owners = knowledge.load().summary()["owner"]
    assert {"product", "project", "both"} <= set(owners)


def test_shipped_entries_all_have_a_source():
    kb = knowledge.load()
    assert all(e.source for e in kb.entries)
    assert all(e.answer for e in kb.entries)


# -- files that are not plain knowledge files ------------------------------------------------------

def test_a_fifo_in_a_knowledge_folder_is_refused_without_blocking(run_cli, tmp_path):
    os.mkfifo(tmp_path / "team.yaml")
    done = run_cli("kb", "check", "--knowledge", str(tmp_path), timeout=5)
    assert done.returncode != 0
    assert "team.yaml" in done.stderr.decode() and "not a regular file" in done.stderr.decode()


def test_a_symlink_to_a_device_is_refused(run_cli, tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    done = run_cli("kb", "check", "--knowledge", str(tmp_path), timeout=5)
    assert done.returncode != 0 and "zero.yaml" in done.stderr.decode()


def test_an_unreadable_knowledge_file_is_an_error_not_skipped(run_cli, tmp_path):
    (tmp_path / "team.yaml").mkdir()  # unreadable as a file, whoever runs the test
    done = run_cli("kb", "check", "--knowledge", str(tmp_path))
    assert done.returncode != 0 and "team.yaml" in done.stderr.decode()


def test_an_oversized_knowledge_file_is_refused(run_cli, tmp_path):
    (tmp_path / "huge.yaml").write_bytes(b"# padding\n" * 600_000)
    done = run_cli("kb", "check", "--knowledge", str(tmp_path))
    assert done.returncode != 0 and "at most" in done.stderr.decode()


def test_kb_check_reports_every_mistake_in_one_run(run_cli, tmp_path, write_kb):
    bad = GOOD.replace("owner: product", "owner: marketing")
    bad += GOOD.replace("alpha-report", "beta-report").replace("kind: artifact", "kind: vibe").replace("alpha", "beta")
    bad += GOOD.replace("alpha-report", "gamma-report").replace("alpha", "gamma").replace("  source: practice\n", "")
    folder = write_kb(tmp_path, bad).parent
    errors = [line for line in run_cli("kb", "check", "--knowledge", str(folder)).stderr.decode().splitlines() if line]
    assert len(errors) == 3
    assert any("marketing" in e for e in errors) and any("vibe" in e for e in errors)
    assert any("missing 'source'" in e for e in errors)


def test_a_file_level_problem_never_says_line_0(run_cli, tmp_path):
    (tmp_path / "team.yaml").write_bytes(b"\xff\xfe not utf-8")
    stderr = run_cli("kb", "check", "--knowledge", str(tmp_path)).stderr.decode()
    assert "team.yaml" in stderr and ":0:" not in stderr
