"""`rolecall triage FILE`: a whole backlog file (or stdin) classified, as a table, JSON lines or CSV.

The core turns the backlog into rows (`rolecall.bot.triage`); this front end
opens the file, streams the rows out as they come (memory stays flat however
many there are) and reports skipped rows on stderr with their line numbers.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TextIO

from . import team_commands
from .bot import plain_text, raci
from .bot.advisor import Advisor, Answer
from .bot.decisions import Decision, Decisions
from .bot.normalize import defang
from .bot.text_encoding import open_text
from .bot.triage import Backlog, Lines, Skip, Task, TriageError, answered, read_backlog, shown

ADDED_COLUMNS = ("verdict", "confidence", "topic")
"""What `--csv` appends to every input row."""
RACI_COLUMNS = ("raci_product", "raci_project", "raci_note")
"""... and with `--raci`."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Dropped from echoed fields: C0 and C1 control codes (tab and line breaks stay: CSV quotes them), and the bidi
embeddings, overrides and isolates that make a terminal or a chat show text in another order than it is stored."""


@dataclass
class Extras:
    """What a row carries besides the answer: the team's decision (with --store) and RACI letters (with --raci)."""

    raci: bool = False
    decisions: Decisions | None = None

    def decided(self, task: Task, answer: Answer) -> Decision | None:
        if self.decisions is None:
            return None
        return self.decisions.lookup(team_commands.PLATFORM, team_commands.WORKSPACE, answer.topic, task.text)

    def fields(self, task: Task, answer: Answer) -> dict[str, object]:
        """The row's verdict (the team's, when it decided) and, with --raci, each role's letters."""
        decided = self.decided(task, answer)
        verdict = decided.verdict if decided else answer.verdict
        found: dict[str, object] = {"verdict": verdict, "team_decision": decided.as_json() if decided else None}
        if self.raci:
            found["raci_product"], found["raci_project"] = raci.letters(verdict)
            found["raci_note"] = raci.note(verdict)
        return found


class Writer(Protocol):
    """One output format: started with the input's columns, fed each answer, finished with the counts."""

    def start(self, backlog: Backlog) -> None: ...
    def row(self, task: Task, answer: Answer) -> None: ...
    def finish(self, counts: Counter[str], skipped: int) -> None: ...


class TableWriter:
    """An aligned table for people, then the counts per verdict and the number skipped (the core's plain text)."""

    def __init__(self, out: TextIO, extras: Extras):
        self.out = out
        self.extras = extras

    def start(self, backlog: Backlog) -> None:
        raci_head = "  PDM  PJM" if self.extras.raci else ""
        self.out.write(plain_text.triage_header() + raci_head + "\n")

    def row(self, task: Task, answer: Answer) -> None:
        fields = self.extras.fields(task, answer)
        line = plain_text.triage_row_text(shown(task.text), str(fields["verdict"]), answer.confidence,
                                          shown(answer.topic) if answer.topic else None)
        if self.extras.raci:
            line += f"  {fields['raci_product'] or '-':<4} {fields['raci_project'] or '-':<4} {fields['raci_note']}"
        self.out.write(line.rstrip() + "\n")

    def finish(self, counts: Counter[str], skipped: int) -> None:
        self.out.write("\n" + "\n".join(plain_text.triage_counts_lines(counts, skipped)) + "\n")


class JsonWriter:
    """One `ask --json` object per task plus "line" and "task", flushed as it goes so pipes see rows early."""

    def __init__(self, out: TextIO, extras: Extras):
        self.out = out
        self.extras = extras

    def start(self, backlog: Backlog) -> None:
        pass

    def row(self, task: Task, answer: Answer) -> None:
        obj = {**answer.as_json(), **self.extras.fields(task, answer)}
        obj["line"] = task.line
        obj["task"] = shown(task.text)
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def finish(self, counts: Counter[str], skipped: int) -> None:
        pass


class CsvWriter:
    """The input rows (or a `task` column for lists) with verdict, confidence and topic appended.

    Fields are echoed as given, except that control codes (C0, C1) and bidi
    overrides are dropped and mass mentions defanged: the output gets pasted
    into chat and terminals too.
    """

    def __init__(self, out: TextIO, extras: Extras):
        self.out = out
        self.extras = extras
        self.writer = csv.writer(out, lineterminator="\n")

    def start(self, backlog: Backlog) -> None:
        self.writer = csv.writer(self.out, delimiter=backlog.delimiter, lineterminator="\n")
        added = list(ADDED_COLUMNS) + (list(RACI_COLUMNS) if self.extras.raci else [])
        self.writer.writerow([_safe_field(c) for c in backlog.columns] + added)

    def row(self, task: Task, answer: Answer) -> None:
        fields = self.extras.fields(task, answer)
        added = [fields["verdict"], answer.as_json()["confidence"], answer.topic or ""]
        if self.extras.raci:
            added += [fields["raci_product"], fields["raci_project"], fields["raci_note"]]
        self.writer.writerow([_safe_field(f) for f in task.fields] + added)

    def finish(self, counts: Counter[str], skipped: int) -> None:
        pass


def _safe_field(text: str) -> str:
    return defang(_CONTROL.sub("", text))


class MarkdownWriter:
    """A Markdown table (for a wiki page or a pull request), then the counts."""

    def __init__(self, out: TextIO, extras: Extras):
        self.out = out
        self.extras = extras

    def start(self, backlog: Backlog) -> None:
        raci_head = " PdM | PjM |" if self.extras.raci else ""
        self.out.write(f"| task | verdict | confidence | topic |{raci_head}\n|---|---|---|---|"
                       + ("---|---|" if self.extras.raci else "") + "\n")

    def row(self, task: Task, answer: Answer) -> None:
        fields = self.extras.fields(task, answer)
        cells = [_cell(shown(task.text)), str(fields["verdict"]), f"{answer.confidence:.0%}", answer.topic or "-"]
        if self.extras.raci:
            cells += [str(fields["raci_product"]) or "-", str(fields["raci_project"]) or "-"]
        self.out.write("| " + " | ".join(cells) + " |\n")

    def finish(self, counts: Counter[str], skipped: int) -> None:
        self.out.write("\n" + "\n".join(plain_text.triage_counts_lines(counts, skipped)) + "\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


WRITERS: dict[str, Callable[[TextIO, Extras], Writer]] = {"table": TableWriter, "json": JsonWriter, "csv": CsvWriter,
                                                          "markdown": MarkdownWriter}


# -- the command ---------------------------------------------------------------------------

def run_triage(advisor: Advisor, *, source: str, column: str | None = None, output: str = "table",
               stdin: BinaryIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
               extras: Extras | None = None) -> int:
    """Classify every task in `source` (a path, or "-" for stdin) and print them as `output`.

    Returns the exit code: 0 when the input could be read (bad rows are reported
    and skipped, not failures), 2 when it cannot be opened or `column` is not in
    the CSV header. The streams are parameters so the benchmark can run it in
    process.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    name = "stdin" if source == "-" else source
    try:
        binary = (stdin or sys.stdin.buffer) if source == "-" else open(source, "rb")  # noqa: SIM115 (closed in finally; stdin is not ours to close)
    except OSError as exc:
        print(f"rolecall triage: cannot read {name}: {exc.strerror or exc}", file=err)
        return 2
    text = open_text(binary)
    try:
        backlog = read_backlog(Lines(text), column)
        answers = answered(advisor, backlog.rows)
        counts, skipped = _triage(answers, backlog, WRITERS[output](out, extras or Extras()), err)
        out.flush()
    except TriageError as exc:
        print(f"rolecall triage: {name}: {exc}", file=err)
        return 2
    except BrokenPipeError:
        _silence_stdout()  # the reader (head, less) has gone: stop quietly, not with a traceback at exit
        return 0
    except OSError as exc:  # a read error mid-file, or a full disk under the output
        print(f"rolecall triage: {name}: {exc.strerror or exc}", file=err)
        return 2
    finally:
        if source == "-":
            text.detach()  # leave the caller's stdin open
        else:
            text.close()
    if not counts and not skipped:
        print(f"rolecall triage: no tasks found in {name}", file=err)
    return 0


def _triage(answers: Iterable[tuple[Task | Skip, Answer | None]], backlog: Backlog, writer: Writer,
            err: TextIO) -> tuple[Counter[str], int]:
    """Write every answer as it arrives and report every skip; keep only the counts."""
    counts: Counter[str] = Counter()
    skipped = 0
    writer.start(backlog)
    for item, answer in answers:
        if isinstance(item, Skip):
            skipped += 1
            print(f"line {item.line}: skipped: {item.reason}", file=err)
            continue
        assert answer is not None  # every task is answered
        counts[answer.verdict] += 1
        writer.row(item, answer)
    writer.finish(counts, skipped)
    return counts, skipped


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
