"""`rolecall triage`: a verdict for every task of a CSV, Markdown or plain backlog, through the CLI.

Every test runs the real command in a subprocess (`run_cli`), feeding it files
as a team would export them, and hostile ones nobody meant to write.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ASK_KEYS = {"verdict", "confidence", "topic", "text", "source", "quote", "team_decision"}
"""ask --json: the four contract fields plus the documented additions (source, quote, team_decision)."""
VERDICTS = ("product", "project", "both", "unknown")


def triage(run_cli, tmp_path: Path, content: str | bytes, *args: str, name: str = "backlog.txt"):
    """Write `content` to a file and run `rolecall triage FILE ARGS`."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return run_cli("triage", str(path), *args)


def rows(result) -> list[dict]:
    """The --json output: one object per line; a crash or a bad exit fails here with the stderr."""
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def skips(result) -> list[str]:
    """The 'line N: skipped: reason' reports on stderr."""
    return [line for line in result.stderr.decode("utf-8").splitlines() if ": skipped: " in line]


def assert_no_crash(result) -> None:
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr


def table_counts(stdout: bytes) -> dict[str, int]:
    """The per-verdict (and skipped) counts printed under the table."""
    text = stdout.decode("utf-8")
    return {name: int(n) for name, n in re.findall(r"^\s+(product|project|both|unknown|skipped)\s+(\d+)$", text, re.M)}


# -- CSV ---------------------------------------------------------------------------------

def test_csv_tasks_come_from_the_title_column_by_default(run_cli, tmp_path):
    content = "id,Title,points\n1,Write the PRD for the onboarding flow,3\n2,Update the burndown chart,2\n"
    out = rows(triage(run_cli, tmp_path, content, "--json", name="backlog.csv"))
    assert [r["task"] for r in out] == ["Write the PRD for the onboarding flow", "Update the burndown chart"]
    assert [r["verdict"] for r in out] == ["product", "project"]


def test_csv_without_a_title_prefers_summary_over_description(run_cli, tmp_path):
    content = "key,description,summary\nAB-1,Long text nobody reads,Maintain the risk register\n"
    (out,) = rows(triage(run_cli, tmp_path, content, "--json"))
    assert out["task"] == "Maintain the risk register"
    assert out["verdict"] == "project"


def test_column_option_picks_the_named_column_in_any_case(run_cli, tmp_path):
    content = "title,Headline\nignored title text,Update the burndown chart\n"
    (out,) = rows(triage(run_cli, tmp_path, content, "--column", "headline", "--json"))
    assert out["task"] == "Update the burndown chart"
    assert out["verdict"] == "project"


def test_unknown_column_is_a_one_line_error_listing_the_columns(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "id,Title,points\n1,Write the PRD,3\n", "--column", "nope")
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert len(err.strip().splitlines()) == 1
    assert "nope" in err and "id, Title, points" in err


def test_semicolon_separated_csv_is_recognised_by_its_header(run_cli, tmp_path):
    out = rows(triage(run_cli, tmp_path, "Summary;Owner\nUpdate the burndown chart;ann\n", "--json"))
    assert [r["task"] for r in out] == ["Update the burndown chart"]


def test_first_line_with_a_comma_but_no_known_header_is_a_list_task(run_cli, tmp_path):
    content = "Write the PRD, then get it reviewed\nUpdate the burndown chart\n"
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [r["task"] for r in out] == ["Write the PRD, then get it reviewed", "Update the burndown chart"]


def test_csv_row_with_the_wrong_number_of_fields_is_reported_and_skipped(run_cli, tmp_path):
    content = "id,title\n1,Update the burndown chart\n2,too,many\n3,Write the PRD\n"
    result = triage(run_cli, tmp_path, content, "--json")
    assert [r["line"] for r in rows(result)] == [2, 4]
    assert skips(result) == ["line 3: skipped: expected 2 fields, found 3"]


def test_unclosed_quote_is_reported_not_a_crash(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, 'id,title\n1,Update the burndown chart\n2,"Write the PRD\n3,Plan the release\n', "--json")
    assert [r["line"] for r in rows(result)] == [2]
    assert skips(result) and skips(result)[0].startswith("line 3: skipped:")


# -- Markdown and plain lists -----------------------------------------------------------------

def test_markdown_task_list_strips_markers_and_skips_headings(run_cli, tmp_path):
    content = ("# Sprint 12\n\n## Todo\n- [ ] Write the PRD for onboarding\n* [x] Update the burndown chart\n"
               "1. Maintain the risk register\n- Define the product vision\n---\n")
    out = rows(triage(run_cli, tmp_path, content, "--json", name="sprint.md"))
    assert [r["task"] for r in out] == ["Write the PRD for onboarding", "Update the burndown chart",
                                        "Maintain the risk register", "Define the product vision"]
    assert [r["line"] for r in out] == [4, 5, 6, 7]


def test_markdown_item_with_an_empty_box_is_reported_as_empty(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "- [ ] Update the burndown chart\n- [ ]\n", "--json")
    assert len(rows(result)) == 1
    assert skips(result) == ["line 2: skipped: empty task"]


def test_plain_list_gives_one_task_per_line(run_cli, tmp_path):
    out = rows(triage(run_cli, tmp_path, "Write the PRD\nUpdate the burndown chart\nFix the printer\n", "--json"))
    assert [r["verdict"] for r in out] == ["product", "project", "unknown"]


def test_stdin_dash_reads_the_backlog(run_cli):
    out = rows(run_cli("triage", "-", "--json", input="title\nUpdate the burndown chart\n"))
    assert [(r["task"], r["line"]) for r in out] == [("Update the burndown chart", 2)]


def test_crlf_line_endings_and_a_bom_are_handled(run_cli, tmp_path):
    content = "\ufefftitle,points\r\nUpdate the burndown chart,2\r\nWrite the PRD,3\r\n".encode("utf-8")
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [(r["task"], r["line"]) for r in out] == [("Update the burndown chart", 2), ("Write the PRD", 3)]


def test_utf16_export_with_a_bom_is_decoded(run_cli, tmp_path):
    content = "title\tpoints\r\nUpdate the burndown chart\t2\r\n".encode("utf-16")
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [r["task"] for r in out] == ["Update the burndown chart"]


# -- the --json contract ---------------------------------------------------------------------------

def test_json_objects_are_ask_json_plus_line_and_task(run_cli, tmp_path):
    (out,) = rows(triage(run_cli, tmp_path, "Update the burndown chart\n", "--json"))
    assert set(out) == ASK_KEYS | {"line", "task"}
    asked = json.loads(run_cli("ask", "--json", "Update the burndown chart").stdout)
    assert {k: out[k] for k in ASK_KEYS} == asked
    assert out["line"] == 1


def test_json_line_numbers_count_blank_lines_in_a_list(run_cli, tmp_path):
    out = rows(triage(run_cli, tmp_path, "\n\nWrite the PRD\n\n   \nUpdate the burndown chart\n\n", "--json"))
    assert [r["line"] for r in out] == [3, 6]


def test_json_line_number_of_a_multiline_csv_row_is_where_it_starts(run_cli, tmp_path):
    content = 'id,title\n1,"Update the\nburndown\nchart"\n2,Write the PRD\n'
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [r["line"] for r in out] == [2, 5]
    assert out[0]["task"] == "Update the burndown chart"


# -- the --csv output -----------------------------------------------------------------------------------

def test_csv_output_is_the_input_with_verdict_columns_appended(run_cli, tmp_path):
    content = 'id,title,points\n1,"Update the\nburndown chart",2\n2,,5\n3,Write the PRD,3\n'
    result = triage(run_cli, tmp_path, content, "--csv")
    assert_no_crash(result)
    table = list(csv.reader(io.StringIO(result.stdout.decode("utf-8"))))
    assert table[0] == ["id", "title", "points", "verdict", "confidence", "topic"]
    assert [r[:3] for r in table[1:]] == [["1", "Update the\nburndown chart", "2"], ["3", "Write the PRD", "3"]]
    assert [r[3] for r in table[1:]] == ["project", "product"]
    assert all(0.0 <= float(r[4]) <= 1.0 and r[5] for r in table[1:])
    assert skips(result) == ["line 4: skipped: empty task"]


def test_csv_output_for_a_list_has_a_task_column(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "- [ ] Update the burndown chart\n- Fix the printer\n", "--csv")
    assert_no_crash(result)
    table = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))
    assert [(r["task"], r["verdict"]) for r in table] == [("Update the burndown chart", "project"), ("Fix the printer", "unknown")]
    assert table[1]["topic"] == ""


# -- the table -----------------------------------------------------------------------------------------------

def test_table_counts_tasks_per_verdict_and_skipped(run_cli, tmp_path):
    content = "Write the PRD\nDefine the product vision\nUpdate the burndown chart\nFix the printer\n🚀🚀\n"
    as_json = Counter(r["verdict"] for r in rows(triage(run_cli, tmp_path, content, "--json")))
    result = triage(run_cli, tmp_path, content)
    assert_no_crash(result)
    assert table_counts(result.stdout) == {**{v: as_json[v] for v in VERDICTS}, "skipped": 1}
    assert as_json["product"] == 2 and as_json["project"] == 1 and as_json["unknown"] == 1


def test_table_row_shows_task_verdict_percentage_and_topic(run_cli, tmp_path):
    (line,) = [row for row in triage(run_cli, tmp_path, "Update the burndown chart\n").stdout.decode().splitlines()
               if row.startswith("Update")]
    assert re.fullmatch(r"Update the burndown chart\s+project\s+\d{1,3}%\s+burndown-chart", line)


def test_table_truncates_long_tasks_with_an_ellipsis(run_cli, tmp_path):
    task = "Update the burndown chart " + "and then some more words " * 10
    lines = triage(run_cli, tmp_path, task + "\n").stdout.decode().splitlines()
    assert lines[1].startswith(task[:59].rstrip()) and "…" in lines[1]
    assert lines[1].index("…") == 59
    assert len(lines[1].split("…")[0]) < 60


def test_table_never_shows_control_characters(run_cli, tmp_path):
    stdout = triage(run_cli, tmp_path, "Update the \x1b[31mburndown\x07 chart\x1b[0m\n").stdout.decode()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", stdout)
    assert "burndown" in stdout


# -- hostile files ------------------------------------------------------------------------------------------

def test_missing_file_is_a_one_line_error(run_cli, tmp_path):
    result = run_cli("triage", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert b"nope.csv" in result.stderr and b"Traceback" not in result.stderr


def test_empty_file_triages_nothing(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, b"")
    assert_no_crash(result)
    assert table_counts(result.stdout) == dict.fromkeys((*VERDICTS, "skipped"), 0)


def test_file_of_blank_lines_triages_nothing(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "\n \r\n\t\n\n", "--json")
    assert rows(result) == []
    assert skips(result) == []


def test_100000_character_line_is_classified_and_shown_short(run_cli, tmp_path):
    long_task = "Update the burndown chart " + "x" * 100_000
    result = triage(run_cli, tmp_path, f"Write the PRD\n{long_task}\n")
    assert_no_crash(result)
    assert table_counts(result.stdout)["skipped"] == 0
    assert max(len(line) for line in result.stdout.decode().splitlines()) < 200


def test_line_beyond_the_length_limit_is_skipped_without_reading_it_whole(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "Write the PRD\n" + "y" * 2_500_000 + "\nUpdate the burndown chart\n", "--json")
    assert [r["line"] for r in rows(result)] == [1, 3]
    assert skips(result) == ["line 2: skipped: line longer than 1,000,000 characters"]


def test_invalid_utf8_row_is_skipped_and_the_rest_classified(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, b"Write the PRD\n\xff\xfe\xfd\xc3\n\xc3\x28Update the burndown chart\n", "--json")
    out = rows(result)
    assert [r["line"] for r in out] == [1, 3]
    assert out[1]["verdict"] == "project"
    assert skips(result) == ["line 2: skipped: undecodable bytes, no words left"]


def test_row_with_nul_bytes_is_skipped(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, b"id,title\n1,Write\x00the PRD\n2,Update the burndown chart\n", "--json")
    assert [r["line"] for r in rows(result)] == [3]
    assert skips(result) == ["line 2: skipped: contains NUL bytes"]


def test_emoji_only_row_is_skipped(run_cli, tmp_path):
    result = triage(run_cli, tmp_path, "🚀🔥👍\n:tada: :tada:\nUpdate the burndown chart\n", "--json")
    assert [r["line"] for r in rows(result)] == [3]
    assert [s.split(":")[0] for s in skips(result)] == ["line 1", "line 2"]


@pytest.mark.parametrize("output", [[], ["--json"], ["--csv"]], ids=["table", "json", "csv"])
def test_mass_mentions_in_tasks_are_never_printed_able_to_ping(run_cli, tmp_path, assert_cannot_ping, output):
    content = ("title\n@everyone update the burndown chart\n<!channel> write the PRD\n"
               "hey @here and <!here|here> and <!everyone> fix the printer\n")
    result = triage(run_cli, tmp_path, content, *output)
    assert_no_crash(result)
    assert_cannot_ping(result.stdout.decode("utf-8"))
    assert_cannot_ping(result.stderr.decode("utf-8"))
    assert b"burndown" in result.stdout


# -- big inputs ---------------------------------------------------------------------------------------------------

def test_big_backlog_keeps_input_order_and_prints_every_row_once(run_cli, tmp_path):
    tasks = ["Update the burndown chart", "Write the PRD", "Fix the printer", "Maintain the risk register"]
    content = "".join(f"{tasks[i % 4]} {i}\n" for i in range(4_500))
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [r["line"] for r in out] == list(range(1, 4_501))
    assert [r["task"] for r in out[-4:]] == [f"{tasks[i % 4]} {i}" for i in range(4_496, 4_500)]
    table = triage(run_cli, tmp_path, content).stdout.decode().splitlines()
    assert len([row for row in table if re.search(r"\s(product|project|both|unknown)\s+\d+%", row)]) == 4_500
    assert table_counts("\n".join(table).encode())["skipped"] == 0


# -- big quoted fields (issue 14: one huge multi-line field must not swallow the rest) -----------------

def _log_lines(count: int, width: int = 100) -> str:
    """Pasted log output: `count` lines of about `width` characters, with commas and escaped quotes in them."""
    return "".join(f'log line {i}, status ""ok"": ' + "x" * (width - 30) + "\n" for i in range(count))


LATER_ROWS = '2,Update the burndown chart,short\n3,"Maintain the ""risk"" register",\n4,Define the product vision,"a\nb"\n'
"""Three ordinary rows (one quoted, one multi-line) that must all survive a huge row before them."""


@pytest.mark.parametrize(("closing", "end"), [('"\n', 20_002), ('end of log", more text\n', 20_002),
                                              ('"\n\n', 20_002), ('end","another\nquoted, field"\n', 20_003)],
                         ids=["quote-on-its-own-line", "quote-then-text", "quote-then-blank-line", "quote-then-quoted"])
def test_a_2_mb_multi_line_quoted_field_keeps_every_later_row(run_cli, tmp_path, closing, end):
    big = '1,Write the PRD,"' + _log_lines(20_000) + closing  # 2 MB in one field, from line 2 to `end`
    later = 20_002 + closing.count("\n")
    result = triage(run_cli, tmp_path, "id,title,description\n" + big + LATER_ROWS, "--json", name="big.csv")
    out = rows(result)
    assert [(r["line"], r["verdict"]) for r in out] == [(later, "project"), (later + 1, "project"), (later + 2, "product")]
    assert out[1]["task"] == 'Maintain the "risk" register'
    assert skips(result) == [f"line 2: skipped: row longer than 1,000,000 characters (lines 2 to {end})"]


def test_a_huge_quoted_field_before_the_task_column_keeps_later_rows_in_csv_output(run_cli, tmp_path):
    content = 'id,description,title\n1,"' + _log_lines(30_000) + '",Write the PRD\n' + \
              '2,short,Update the burndown chart\n3,"x\ny",Define the product vision\n'
    result = triage(run_cli, tmp_path, content, "--csv", name="big.csv")
    assert_no_crash(result)
    table = list(csv.reader(io.StringIO(result.stdout.decode("utf-8"))))
    assert [r[2:4] for r in table[1:]] == [["Update the burndown chart", "project"], ["Define the product vision", "product"]]
    assert [r[1] for r in table[1:]] == ["short", "x\ny"]
    assert len(skips(result)) == 1 and skips(result)[0].startswith("line 2: skipped: row longer than")


def test_a_300_kb_multi_line_description_is_classified_and_echoed_whole(run_cli, tmp_path):
    description = _log_lines(3_000)  # past the csv module's default field limit (131,072), within the row limit
    content = f'id,title,description\n1,Write the PRD,"{description}"\n2,Update the burndown chart,x\n'
    result = triage(run_cli, tmp_path, content, "--csv", name="big.csv")
    assert_no_crash(result)
    assert skips(result) == []
    limit = csv.field_size_limit(1_000_000)  # this test's own reader needs the room too
    try:
        table = list(csv.reader(io.StringIO(result.stdout.decode("utf-8"))))
    finally:
        csv.field_size_limit(limit)
    assert [r[1] for r in table[1:]] == ["Write the PRD", "Update the burndown chart"]
    assert table[1][2] == description.replace('""', '"')


def test_a_quote_left_open_in_a_big_file_is_one_skip_naming_its_line(run_cli, tmp_path):
    content = 'id,title\n1,Update the burndown chart\n2,"Write the PRD\n' + "3,Plan the release\n" * 100_000
    result = triage(run_cli, tmp_path, content, "--json", name="big.csv")
    assert [r["line"] for r in rows(result)] == [2]
    assert skips(result) == ["line 3: skipped: quoted field never closed (runs to the end, line 100003)"]


# -- encodings without a byte-order mark ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom_are_recognised_and_decoded(run_cli, tmp_path, encoding):
    content = "title,points\r\nUpdate the burndown chart,2\r\nWrite the PRD,3\r\n".encode(encoding)
    assert not content.startswith((b"\xff\xfe", b"\xfe\xff"))
    result = triage(run_cli, tmp_path, content, "--json", name="backlog.csv")
    assert [(r["task"], r["line"], r["verdict"]) for r in rows(result)] == [
        ("Update the burndown chart", 2, "project"), ("Write the PRD", 3, "product")]
    assert skips(result) == []


def test_utf16_without_a_bom_on_stdin_is_decoded(run_cli):
    out = rows(run_cli("triage", "-", "--json", input="title\nUpdate the burndown chart\n".encode("utf-16-le")))
    assert [(r["task"], r["line"]) for r in out] == [("Update the burndown chart", 2)]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_list_without_a_bom_starting_with_non_latin_text_is_decoded(run_cli, tmp_path, encoding):
    content = "€ budget: Update the burndown chart\n路线图 Define the product vision\nСоставить PRD\n".encode(encoding)
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert [r["line"] for r in out] == [1, 2, 3]
    assert out[0]["task"] == "€ budget: Update the burndown chart" and out[0]["verdict"] == "project"


def test_utf32_with_a_bom_is_decoded(run_cli, tmp_path):
    out = rows(triage(run_cli, tmp_path, "title\nUpdate the burndown chart\n".encode("utf-32"), "--json"))
    assert [r["task"] for r in out] == ["Update the burndown chart"]


def test_nul_ridden_input_that_is_not_clearly_utf16_says_how_to_convert_it(run_cli, tmp_path):
    content = b"Write\x00the PRD\x00\x00\nUpdate\x00\x00the\x00burndown\x00chart\n\x00\x00\x00Fix\x00the printer\n"
    result = triage(run_cli, tmp_path, content, "--json")
    assert rows(result) == []
    reported = skips(result)
    assert len(reported) == 3
    assert all("contains NUL bytes" in s and "UTF-16" in s and "iconv" in s for s in reported)


def test_utf8_text_that_merely_starts_with_a_nul_free_header_stays_utf8(run_cli, tmp_path):
    content = "title\nCafé roadmap: Define the product vision\n".encode() + b"\xff\xfeUpdate the burndown chart\n"
    out = rows(triage(run_cli, tmp_path, content, "--json"))
    assert out[0]["task"] == "Café roadmap: Define the product vision"
    assert out[1]["verdict"] == "project"


# -- what --csv echoes ------------------------------------------------------------------------------------------

BIDI_AND_C1 = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x80\x85\x9b\x9f"


def test_csv_output_strips_bidi_overrides_and_c1_controls(run_cli, tmp_path):
    content = (f"id{BIDI_AND_C1},title,note\n1,Update the \u202eburndown\u202c chart,a\u2066b\u2069c\x9b31m\n"
               "2,Write\x85 the PRD,\u2067\u0645\u0631\u062d\u0628\u0627\u2069\n")
    result = triage(run_cli, tmp_path, content, "--csv")
    assert_no_crash(result)
    text = result.stdout.decode("utf-8")
    assert not re.search(f"[{BIDI_AND_C1}\x80-\x9f]", text)
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["id", "title", "note"]
    assert [r[1:3] for r in table[1:]] == [["Update the burndown chart", "abc31m"], ["Write the PRD", "\u0645\u0631\u062d\u0628\u0627"]]
    assert [r[3] for r in table[1:]] == ["project", "product"]


# -- RACI ------------------------------------------------------------------------------------------

RACI_BACKLOG = "title\nUpdate the roadmap\nUpdate the Gantt chart\nRun stakeholder updates\n"


def test_raci_csv_makes_the_owner_accountable(run_cli, tmp_path):
    path = tmp_path / "backlog.csv"
    path.write_text(RACI_BACKLOG)
    rows = list(csv.DictReader(io.StringIO(run_cli("triage", str(path), "--raci", "--csv").stdout.decode())))
    roadmap, gantt, shared = rows
    assert "A" in roadmap["raci_product"] and roadmap["raci_project"] == "C"
    assert "A" in gantt["raci_project"] and gantt["raci_product"] == "I"
    assert shared["raci_product"] == shared["raci_project"] == "R" and "accountable" in shared["raci_note"]


def test_raci_json_rows_carry_both_letters(run_cli, tmp_path):
    path = tmp_path / "backlog.csv"
    path.write_text(RACI_BACKLOG)
    first = json.loads(run_cli("triage", str(path), "--raci", "--json").stdout.decode().splitlines()[0])
    assert (first["raci_product"], first["raci_project"]) == ("A/R", "C")


def test_raci_markdown_is_a_table_with_each_roles_letters(run_cli, tmp_path):
    path = tmp_path / "backlog.csv"
    path.write_text(RACI_BACKLOG)
    out = run_cli("triage", str(path), "--raci", "--markdown").stdout.decode()
    assert "| task | verdict | confidence | topic | PdM | PjM |" in out
    assert "| Update the Gantt chart | project |" in out


def test_a_team_decision_decides_its_triage_row(run_cli, tmp_path):
    store = f"sqlite:///{tmp_path / 'team.db'}"
    run_cli("kb", "decide", "the gantt chart", "--owner", "both", "--store", store)
    path = tmp_path / "backlog.csv"
    path.write_text(RACI_BACKLOG)
    rows = list(csv.DictReader(io.StringIO(run_cli("triage", str(path), "--raci", "--csv", "--store", store)
                                           .stdout.decode())))
    assert rows[1]["verdict"] == "both" and rows[1]["raci_project"] == "R"
