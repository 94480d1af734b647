"""The `rolecall` command line and the JSON contracts outside scripts rely on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VERDICTS = {"product", "project", "both", "unknown"}


def json_lines(stdout: bytes) -> list[dict]:
    """One JSON object per output line; lines are split on newline only."""
    text = stdout.decode("utf-8")
    assert text.endswith("\n"), "output must end with a newline"
    return [json.loads(line) for line in text[:-1].split("\n")]


def assert_answer_shape(obj: dict) -> None:
    assert {"verdict", "confidence", "topic", "text"} <= set(obj)
    assert obj["verdict"] in VERDICTS
    assert isinstance(obj["confidence"], float | int) and not isinstance(obj["confidence"], bool)
    assert 0.0 <= obj["confidence"] <= 1.0
    assert obj["topic"] is None or (isinstance(obj["topic"], str) and obj["topic"])
    assert isinstance(obj["text"], str) and obj["text"]


# -- ask ---------------------------------------------------------------------------

def test_ask_json_prints_exactly_one_answer_object(run_cli):
    result = run_cli("ask", "who owns the product roadmap?", "--json")
    assert result.returncode == 0, result.stderr.decode()
    (obj,) = json_lines(result.stdout)
    assert_answer_shape(obj)
    assert obj["verdict"] == "product"
    assert isinstance(obj["topic"], str)


def test_ask_json_for_an_unknown_question_has_a_null_topic(run_cli):
    result = run_cli("ask", "--json", "who fixes the printer?")
    (obj,) = json_lines(result.stdout)
    assert_answer_shape(obj)
    assert obj["verdict"] == "unknown"
    assert obj["topic"] is None


def test_ask_joins_unquoted_words_into_one_question(run_cli):
    result = run_cli("ask", "--json", "who", "maintains", "the", "gantt", "chart")
    (obj,) = json_lines(result.stdout)
    assert obj["verdict"] == "project"


def test_ask_without_json_prints_the_text_a_person_reads(run_cli):
    result = run_cli("ask", "who maintains the Gantt chart?")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("Project manager.")


def test_ask_without_a_question_is_a_usage_error(run_cli):
    result = run_cli("ask")
    assert result.returncode != 0
    assert result.stderr.decode().strip()
    assert "Traceback" not in result.stderr.decode()


def test_ask_answers_from_a_team_knowledge_folder(tmp_path, write_kb, run_cli):
    path = write_kb(tmp_path, """
        - id: zebra-crossing-audit
          owner: project
          kind: responsibility
          phrases: [zebra crossing audit]
          answer: Our delivery leads run the zebra crossing audit.
          source: practice
    """)
    result = run_cli("ask", "--json", "--knowledge", str(path.parent), "who runs the zebra crossing audit?")
    (obj,) = json_lines(result.stdout)
    assert (obj["verdict"], obj["topic"]) == ("project", "zebra-crossing-audit")


def test_team_knowledge_folder_can_come_from_the_environment(tmp_path, write_kb, run_cli):
    path = write_kb(tmp_path, """
        - id: zebra-crossing-audit
          owner: product
          kind: responsibility
          phrases: [zebra crossing audit]
          answer: Product decides.
          source: practice
    """)
    result = run_cli("ask", "--json", "zebra crossing audit", env={"ROLECALL_KNOWLEDGE": str(path.parent)})
    (obj,) = json_lines(result.stdout)
    assert obj["topic"] == "zebra-crossing-audit"


def test_broken_team_folder_stops_ask_with_file_and_line(tmp_path, write_kb, run_cli):
    path = write_kb(tmp_path, "- id: x\n  owner: nobody\n")
    result = run_cli("ask", "--json", "--knowledge", str(path.parent), "who owns the roadmap?")
    assert result.returncode != 0
    assert result.stdout == b""
    assert re.search(r"team\.yaml:\d+: ", result.stderr.decode())


# -- ask --batch ---------------------------------------------------------------------

HOSTILE_LINES: list[bytes] = [
    b"who owns the product roadmap?",
    b"",
    b"who maintains the Gantt chart?",
    b"   ",
    b"x" * 100_000,
    ("who owns the roadmap " * 5_000).encode(),
    b"who\x00 owns\x07 the\x1b[31m gantt\x7f chart\x0b\x0c",
    b"who owns \xff\xfe the budget \xc3\x28 \xed\xa0\x80 \x80",
    "🙂🙂🚀".encode(),
    "谁负责产品路线图？".encode(),
    "من يملك خارطة الطريق؟".encode(),
    "Wer ist für die Roadmap verantwortlich?".encode(),
    b"@everyone who owns the roadmap",
    b"<!channel> hi",
    b"<!here>",
    b"<!everyone> @here <@&123456> burndown chart",
    b"with a carriage return inside\rthe line",
    "\u2028who owns\u2029 the roadmap\x85".encode(),
    b"burndown chart\r",
]


def write_batch(tmp_path, lines: list[bytes]):
    path = tmp_path / "questions.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_batch_json_prints_one_valid_object_per_input_line_in_order(tmp_path, run_cli):
    result = run_cli("ask", "--batch", str(write_batch(tmp_path, HOSTILE_LINES)), "--json")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    objects = json_lines(result.stdout)
    assert len(objects) == len(HOSTILE_LINES)
    for obj in objects:
        assert_answer_shape(obj)
    assert [o["verdict"] for o in objects[:4]] == ["product", "unknown", "project", "unknown"]
    assert objects[-1]["verdict"] == "project"


def test_batch_output_can_never_ping(tmp_path, run_cli, assert_cannot_ping):
    result = run_cli("ask", "--batch", str(write_batch(tmp_path, HOSTILE_LINES)), "--json")
    assert_cannot_ping(result.stdout.decode())
    for obj in json_lines(result.stdout):
        assert_cannot_ping(obj["text"])


def test_batch_answers_match_single_asks(tmp_path, run_cli):
    questions = [b"who owns the product roadmap?", b"burndown chart", b"who fixes the printer?"]
    batch = json_lines(run_cli("ask", "--batch", str(write_batch(tmp_path, questions)), "--json").stdout)
    singles = [json_lines(run_cli("ask", "--json", q.decode()).stdout)[0] for q in questions]
    assert batch == singles


def test_batch_reads_stdin_with_a_dash(run_cli):
    lines = [b"who owns the product roadmap?", b"", b"who maintains the Gantt chart?", b"\xff\xfe"]
    result = run_cli("ask", "--batch", "-", "--json", input=b"\n".join(lines) + b"\n")
    assert result.returncode == 0
    objects = json_lines(result.stdout)
    assert [o["verdict"] for o in objects] == ["product", "unknown", "project", "unknown"]


def test_batch_last_line_without_newline_still_counts(run_cli):
    result = run_cli("ask", "--batch", "-", "--json", input=b"burndown chart\r\nwho owns the product roadmap?")
    assert [o["verdict"] for o in json_lines(result.stdout)] == ["project", "product"]


def test_batch_of_an_empty_file_prints_nothing(tmp_path, run_cli):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = run_cli("ask", "--batch", str(path), "--json")
    assert result.returncode == 0
    assert result.stdout == b""


def test_batch_without_json_prints_text_answers(tmp_path, run_cli):
    result = run_cli("ask", "--batch", str(write_batch(tmp_path, [b"burndown chart"])))
    assert result.stdout.decode().startswith("Project manager.")


def test_batch_of_a_missing_file_is_a_one_line_error(tmp_path, run_cli):
    result = run_cli("ask", "--batch", str(tmp_path / "nope.txt"), "--json")
    assert result.returncode != 0
    assert "nope.txt" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


# -- chat --json -----------------------------------------------------------------------

CHAT_KEYS = {"text", "verdict", "choices", "quiz", "poll"}


def test_chat_json_prints_one_reply_object_per_input_line(run_cli):
    lines = ["help", "who owns the product roadmap?", "", "who fixes the printer?", "<!here>", "🙂"]
    result = run_cli("chat", "--json", "--user", "tester", input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr.decode()
    replies = json_lines(result.stdout)
    assert len(replies) == len(lines)
    for reply in replies:
        assert set(reply) >= CHAT_KEYS
        assert isinstance(reply["text"], str) and reply["text"]
        assert reply["verdict"] is None or reply["verdict"] in VERDICTS
        assert isinstance(reply["choices"], list)
        assert all({"id", "label"} <= set(c) for c in reply["choices"])
        assert reply["quiz"] is None or {"step", "of", "result"} <= set(reply["quiz"])
        assert reply["poll"] is None or {"id", "question", "tally", "closed", "verdict"} <= set(reply["poll"])
    assert replies[0]["verdict"] is None and "who owns" in replies[0]["text"]
    assert [r["verdict"] for r in replies[1:4]] == ["product", "unknown", "unknown"]


def test_chat_and_ask_give_the_same_verdict(run_cli):
    question = "who maintains the Gantt chart?"
    (reply,) = json_lines(run_cli("chat", "--json", input=question + "\n").stdout)
    (answer,) = json_lines(run_cli("ask", "--json", question).stdout)
    assert reply["verdict"] == answer["verdict"] == "project"
    assert reply["text"] == answer["text"]


def test_chat_survives_invalid_utf8_and_control_characters(run_cli, assert_cannot_ping):
    result = run_cli("chat", "--json", input=b"\xff\xfe\x00\x1b[2J\n@everyone <!channel> hi\n")
    replies = json_lines(result.stdout)
    assert len(replies) == 2
    for reply in replies:
        assert_cannot_ping(reply["text"])


def test_chat_without_json_on_piped_input_prints_plain_replies(run_cli):
    result = run_cli("chat", input="burndown chart\n")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("Project manager.")


def test_quit_ends_a_piped_chat_as_it_does_at_the_prompt(run_cli):
    done = run_cli("chat", input="who owns the roadmap?\nquit\nwho owns the budget?\n")
    out = done.stdout.decode()
    assert done.returncode == 0 and "Product manager" in out and "Project manager" not in out


def test_quit_under_json_is_a_message_with_its_own_reply(run_cli):
    done = run_cli("chat", "--json", input="quit\nwho owns the budget?\n")
    assert len(done.stdout.decode().splitlines()) == 2


# -- help for every command ------------------------------------------------------------

def listed_commands(help_text: str) -> list[str]:
    """Command names from an argparse help listing (the indented lines under 'commands:')."""
    section = help_text.split("commands:", 1)[1]
    return re.findall(r"^ {4}([a-z][\w-]*)\s", section, flags=re.MULTILINE)


def test_top_level_help_lists_the_commands(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    assert {"ask", "chat", "kb", "eval"} <= set(listed_commands(result.stdout.decode()))


def all_command_paths(run_cli) -> list[tuple[str, ...]]:
    paths = []
    for command in listed_commands(run_cli("--help").stdout.decode()):
        paths.append((command,))
        sub_help = run_cli(command, "--help").stdout.decode()
        if "commands:" in sub_help:
            paths += [(command, sub) for sub in listed_commands(sub_help)]
    return paths


def test_every_command_has_help_that_exits_zero(run_cli):
    paths = all_command_paths(run_cli)
    assert ("kb", "check") in paths
    for path in paths:
        result = run_cli(*path, "--help")
        assert result.returncode == 0, path
        assert result.stdout.decode().startswith("usage: rolecall " + " ".join(path)), path


def test_installed_rolecall_script_runs():
    script = Path(sys.executable).with_name("rolecall")
    script = script if script.exists() else shutil.which("rolecall")
    if script is None:
        pytest.skip("rolecall console script not installed next to this Python")
    result = subprocess.run([str(script), "ask", "--json", "burndown chart"], capture_output=True, timeout=60, check=False)
    assert result.returncode == 0
    assert json.loads(result.stdout)["verdict"] == "project"


# -- eval --------------------------------------------------------------------------------

LABELLED = """\
- {id: t1, q: 'who owns the product roadmap?', verdict: product}
- {id: t2, q: 'who maintains the Gantt chart?', verdict: project}
- {id: t3, q: 'stakeholder management, PdM or PjM?', verdict: both}
- {id: t4, q: 'who fixes the printer?', verdict: unknown}
- {id: t5, q: 'burndown chart', verdict: product, basis: deliberately mislabelled to produce a miss}
"""


def test_eval_prints_accuracy_confusion_matrix_and_misses(tmp_path, run_cli):
    path = tmp_path / "labelled.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    result = run_cli("eval", str(path))
    output = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert re.search(r"accuracy: 80\.0% \(4/5\)", output), output
    assert "confusion" in output
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["product", "project", "both", "unknown"])
    rows = {line.split()[0]: line.split()[1:] for line in lines[header + 1:header + 5]}
    assert rows == {"product": ["1", "1", "0", "0"], "project": ["0", "1", "0", "0"],
                    "both": ["0", "0", "1", "0"], "unknown": ["0", "0", "0", "1"]}
    assert "misses (1)" in output
    assert re.search(r"\[t5\] expected product, got project.*burndown chart", output), output


def test_eval_json_reports_the_same_numbers(tmp_path, run_cli):
    path = tmp_path / "labelled.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    report = json.loads(run_cli("eval", "--json", str(path)).stdout)
    assert (report["total"], report["correct"]) == (5, 4)
    assert report["confusion"]["product"] == {"product": 1, "project": 1, "both": 0, "unknown": 0}
    assert [m["id"] for m in report["misses"]] == ["t5"]


def test_eval_fail_under_exits_one_below_the_bar(tmp_path, run_cli):
    path = tmp_path / "labelled.yaml"
    path.write_text(LABELLED, encoding="utf-8")
    assert run_cli("eval", str(path), "--fail-under", "90").returncode == 1
    assert run_cli("eval", str(path), "--fail-under", "80").returncode == 0


@pytest.mark.parametrize("content", [None, "- {q: 'who owns the roadmap?', verdict: maybe}\n"], ids=["missing", "bad-verdict"])
def test_eval_of_a_bad_file_is_a_one_line_error(tmp_path, run_cli, content):
    path = tmp_path / "labelled.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("eval", str(path))
    assert result.returncode != 0
    assert "labelled.yaml" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize(("variable", "command"), [("ROLECALL_SESSION_TTL", "chat"), ("ROLECALL_POLL_DURATION", "chat"),
                                                   ("ROLECALL_RATE_LIMIT", "serve"), ("PORT", "serve")])
def test_a_malformed_number_in_the_environment_names_the_variable(run_cli, variable, command, tmp_path):
    args = ["chat", "--json"] if command == "chat" else ["serve", "slack", "--env-file", str(tmp_path / "none.env")]
    done = run_cli(*args, input=b"hi\n", env={variable: "abc", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert done.returncode == 2
    assert variable in done.stderr.decode() and "Traceback" not in done.stderr.decode()
