"""Backlog triage: a product / project / both / unknown verdict for every task of a backlog, as rows.

A backlog is a CSV export (Jira, Linear, GitHub, a spreadsheet), a Markdown task
list or a plain list, one task per line; each task is asked of the advisor
exactly as `rolecall ask` would. Backlogs come from tools and people we do not
control, so the reader is built for bad input: bytes are decoded leniently, rows
that cannot be classified come back as skips with their line number and reason,
and nothing about a row can stop the run. Rows are produced lazily, so a front
end that streams them (the CLI) keeps memory flat however many there are.
Opening files and writing tables belong to the front ends (`rolecall triage`,
the Slack modal, the Discord attachment).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from .advisor import Advisor, Answer
from .normalize import clean, defang, words
from .parts import TriageRow, TriageSkip, TriageTable
from .plain_text import fit
from .text_encoding import BacklogText

KNOWN_COLUMNS = ("title", "summary", "task", "name", "description", "subject", "issue")
"""Column names that hold the task text, in order of preference (what common trackers export)."""
DELIMITERS = (",", "\t", ";", "|")
"""Tried in this order on the first line: comma CSV, tab-separated, European `;` exports, Markdown tables."""
MAX_LINE_CHARS = 1_000_000
"""A longer line is skipped unread past this point, so one runaway line cannot exhaust memory."""
MAX_ROW_CHARS = MAX_LINE_CHARS
"""A CSV row (all its lines, for a multi-line quoted field) longer than this is skipped, read past without keeping it."""
_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_RULE = re.compile(r"([-*_])(?:\s*\1){2,}$")
_FENCE = re.compile(r"(?:```|~~~)")
_BULLET = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:\s+|$)(?:\[[ xX]\](?:\s+|$))?")


class TriageError(Exception):
    """A problem with the whole input (not one row): reported in one line, exit code 2."""


class RowTooLong(Exception):
    """Raised by `Lines` from inside the csv reader when one row grows past its `row_limit`."""


@dataclass(frozen=True)
class Task:
    """One classifiable task: where it starts, its text, and the row to echo for `--csv`."""

    line: int
    text: str
    fields: list[str]


@dataclass(frozen=True)
class Skip:
    """A row that cannot be classified, and why; reported, never fatal."""

    line: int
    reason: str


@dataclass
class Backlog:
    """What the input turned out to be, and its rows as a lazy stream."""

    kind: str
    """"csv" or "list" (plain or Markdown: both are one task per line)."""
    columns: list[str]
    delimiter: str
    rows: Iterator[Task | Skip]


# -- reading -----------------------------------------------------------------------------

class Lines:
    """The physical lines of a text stream, numbered, with over-long lines blanked out.

    The CSV reader pulls lines from here, so `line_no` always says how far the
    input has been read: a row that started after the previous row's last line
    started at `previous line_no + 1`, which is how multi-line CSV rows get
    the line number a person sees in an editor. A line over `max_chars` is
    drained in chunks and handed on as an empty line, its number kept in
    `overlong` so the row containing it is reported instead of parsed.
    `quotes` and `at_end` let the CSV side tell a quoted field left open at the
    end of the file (which the lenient csv reader silently accepts) from a good row.

    With `row_limit` set (the CSV side sets it), a line that would make the
    current row (counted since `start_row()`) longer than that is not handed
    out: `RowTooLong` is raised instead and the line is kept for the next read,
    so the csv reader never holds more than one bounded row in memory however
    long a quoted field runs. `nul_note` is what the decoding step (`open_text`)
    knows about NUL bytes in this input, said with rows skipped for them.
    """

    def __init__(self, text: TextIO, max_chars: int = MAX_LINE_CHARS):
        self._text = text
        self._max = max_chars
        self._pushed: str | None = None
        self.line_no = 0
        self.overlong: deque[int] = deque()
        self.quotes = 0
        self.at_end = False
        self.row_limit: int | None = None
        self.row_chars = 0
        self.nul_note = text.nul_note if isinstance(text, BacklogText) else None

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        if self._pushed is not None:
            line, self._pushed = self._pushed, None
        else:
            line = self._read()
        if self.row_limit is not None and self.row_chars and self.row_chars + len(line) > self.row_limit:
            self._pushed = line
            raise RowTooLong
        self.row_chars += len(line)
        return line

    def _read(self) -> str:
        line = self._text.readline(self._max)
        if not line:
            self.at_end = True
            raise StopIteration
        self.line_no += 1
        self.quotes += line.count('"')
        if len(line) >= self._max and not line.endswith(("\n", "\r")):
            while (rest := self._text.readline(self._max)) and not rest.endswith(("\n", "\r")):
                pass
            self.overlong.append(self.line_no)
            return "\n"
        return line

    def start_row(self) -> None:
        """A new CSV row starts with the next line: its length is counted from zero."""
        self.row_chars = 0

    def push_back(self, line: str) -> None:
        """Hand `line` out again next (after a look at it to detect the format); its number stays counted."""
        self._pushed = line

    def was_overlong(self, first: int, last: int) -> bool:
        """Whether any line in first..last was too long; forgets line numbers up to `last` (rows only move forward)."""
        hit = False
        while self.overlong and self.overlong[0] <= last:
            hit = hit or self.overlong.popleft() >= first
        return hit


def read_backlog(lines: Lines, column: str | None = None) -> Backlog:
    """Detect the input's format from its first non-blank line and return its rows, lazily.

    It is a CSV only when that line is a header naming the task column: a known
    name (title, summary, ...) or `column`. A plain task that merely contains a
    comma stays a task. With `column` given the input must be a CSV with that
    column, so a miss is an error listing the columns there are.
    """
    first = _first_content_line(lines)
    if first is None:
        return Backlog("list", ["task"], ",", iter(()))
    delimiter = _sniff_header(first, column)
    lines.push_back(first)
    if delimiter is None:
        if column is not None:
            raise TriageError(f"no column named {column!r}; available columns: {_column_listing(first)}")
        return Backlog("list", ["task"], ",", _list_rows(lines))
    if csv.field_size_limit() < MAX_ROW_CHARS:  # the csv default (131,072) would cut a long description short;
        csv.field_size_limit(MAX_ROW_CHARS)      # Lines' row_limit bounds a row before the csv module sees more
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise TriageError(f"cannot read the CSV header on line {lines.line_no}: {exc}") from None
    index = task_column(header, column)
    if index is None:  # the header spans several lines and the one-line look was misleading
        raise TriageError(f"no task column in the CSV header; available columns: {_column_listing(first)}")
    return Backlog("csv", header, delimiter, _csv_rows(reader, lines, len(header), index, delimiter))


def _first_content_line(lines: Lines) -> str | None:
    """The first line that is not blank (an over-long line counts as content: it must be reported)."""
    for line in lines:
        if line.strip() or lines.overlong:
            return line
    return None


def _sniff_header(line: str, column: str | None) -> str | None:
    """The delimiter under which `line` is a header naming the task column, else None."""
    for delimiter in DELIMITERS:
        if delimiter != "," and delimiter not in line:
            continue
        fields = next(csv.reader([line], delimiter=delimiter), [])
        if task_column(fields, column) is not None:
            return delimiter
    return None


def task_column(header: list[str], column: str | None = None) -> int | None:
    """Index of the task column: `column` (exact, then any case), else the first known name present."""
    names = [_column_key(h) for h in header]
    if column is not None:
        stripped = [h.strip() for h in header]
        if column.strip() in stripped:
            return stripped.index(column.strip())
        key = _column_key(column)
        return names.index(key) if key in names else None
    for known in KNOWN_COLUMNS:
        if known in names:
            return names.index(known)
    return None


def _column_key(name: str) -> str:
    return name.replace("\ufeff", "").strip().casefold()


def _column_listing(line: str, limit: int = 20) -> str:
    """The first line's fields as column names, for an error message that must stay one short line."""
    best = max((next(csv.reader([line], delimiter=d), []) for d in DELIMITERS), key=len)
    names = [fit(clean(n), 40).rstrip() or "''" for n in best[:limit]]
    return (", ".join(names) + (", ..." if len(best) > limit else "")) or "(none)"


def _csv_rows(reader: Iterator[list[str]], lines: Lines, width: int, index: int,
              delimiter: str) -> Iterator[Task | Skip]:
    """Every data row of a CSV as a Task, or a Skip saying why not; blank lines are passed over silently.

    A row longer than MAX_ROW_CHARS (a quoted field of pasted logs, or a quote
    left open) is read past to where its quoted field closes, without keeping
    it, and reported; the rows after it are read as usual.
    """
    start, quotes = lines.line_no + 1, lines.quotes
    lines.row_limit = MAX_ROW_CHARS
    while True:
        lines.start_row()
        try:
            row = next(reader)
        except StopIteration:
            return
        except RowTooLong:
            closed = _read_past_quoted_field(lines, delimiter)
            lines.was_overlong(start, lines.line_no)
            if not closed:
                yield Skip(start, f"quoted field never closed (runs to the end, line {lines.line_no})")
                return
            yield Skip(start, f"row longer than {MAX_ROW_CHARS:,} characters (lines {start} to {lines.line_no})")
            start, quotes = lines.line_no + 1, lines.quotes
            continue
        except csv.Error as exc:  # e.g. an unclosed quote that ran past the field size limit
            lines.was_overlong(start, lines.line_no)
            upto = f" up to line {lines.line_no}" if lines.line_no > start else ""
            yield Skip(start, f"unparsable CSV{upto} ({exc}; an unclosed quote?)")
            start, quotes = lines.line_no + 1, lines.quotes
            continue
        line, start = start, lines.line_no + 1
        unclosed = lines.at_end and line < start - 1 and (lines.quotes - quotes) % 2 == 1
        quotes = lines.quotes
        if lines.was_overlong(line, start - 1):
            yield Skip(line, f"line longer than {MAX_LINE_CHARS:,} characters")
        elif unclosed:
            yield Skip(line, f"quoted field never closed (runs to the end, line {start - 1})")
        elif not row or (len(row) == 1 and not row[0].strip()):
            continue
        elif len(row) != width:
            yield Skip(line, f"expected {width} fields, found {len(row)}")
        else:
            yield _checked(line, row[index], row, lines.nul_note)


def _read_past_quoted_field(lines: Lines, delimiter: str) -> bool:
    """Read on from inside a quoted field to the end of its row, keeping nothing; False if the input ends first.

    The csv reader only asks for another line while it is inside a quoted
    field, so that is where a row that grew too long stands.
    """
    limit, lines.row_limit = lines.row_limit, None
    try:
        return any(not _still_quoted(line, delimiter) for line in lines)
    finally:
        lines.row_limit = limit


def _still_quoted(line: str, delimiter: str) -> bool:
    """Whether a CSV row that is inside a quoted field where `line` starts is still inside one where it ends.

    The csv module's own rules: `""` is a quote inside the field; after the
    closing quote, quotes are literal up to the next delimiter; a field that
    starts with a quote opens a new quoted field.
    """
    body = line.rstrip("\r\n")
    pos = 0
    while True:
        close = body.find('"', pos)
        while close >= 0 and body.startswith('"', close + 1):
            close = body.find('"', close + 2)
        if close < 0:
            return True
        pos = close + 1
        while True:
            cut = body.find(delimiter, pos)
            if cut < 0:
                return False
            pos = cut + 1
            if body.startswith('"', pos):
                pos += 1
                break


def _list_rows(lines: Lines) -> Iterator[Task | Skip]:
    """Every task of a plain or Markdown list: bullets, numbers and [ ]/[x] boxes stripped;
    headings, rules, code fences and blank lines skipped silently."""
    for raw in lines:
        line = lines.line_no
        if lines.was_overlong(line, line):
            yield Skip(line, f"line longer than {MAX_LINE_CHARS:,} characters")
            continue
        text = raw.strip()
        if not text or _HEADING.match(text) or _RULE.match(text) or _FENCE.match(text):
            continue
        bullet = _BULLET.match(text)
        if bullet:
            text = text[bullet.end():].strip()
        yield _checked(line, text, [text], lines.nul_note)


def _checked(line: int, text: str, fields: list[str], nul_note: str | None = None) -> Task | Skip:
    """The task, or why it cannot be classified: the same test `ask` uses for "no question there"."""
    if any("\x00" in f for f in fields):
        return Skip(line, f"contains NUL bytes ({nul_note})" if nul_note else "contains NUL bytes")
    if not text.strip():
        return Skip(line, "empty task")
    if not words(text):
        if "\ufffd" in text:
            return Skip(line, "undecodable bytes, no words left")
        return Skip(line, "no words to classify (only symbols or emoji)")
    return Task(line, text, fields)


# -- answering ------------------------------------------------------------------------------------

MAX_CHAT_ROWS = 500
"""Rows a chat triage (Slack modal, Discord modal or attachment) takes; more is a CLI job."""


def shown(text: str) -> str:
    """Task text safe to show people: no markup, control codes or emoji, and no live mass mention."""
    return defang(clean(text))


def answered(advisor: Advisor, items: Iterable[Task | Skip]) -> Iterator[tuple[Task | Skip, Answer | None]]:
    """Each item with its answer (None for a skip), in input order, one at a time so memory stays flat."""
    for item in items:
        yield item, advisor.ask(item.text) if isinstance(item, Task) else None


def row(task: Task, answer: Answer) -> TriageRow:
    return TriageRow(task.line, shown(task.text), answer.verdict, answer.confidence, answer.topic)


def triage_pasted(advisor: Advisor, text: str, *, max_rows: int = MAX_CHAT_ROWS) -> TriageTable:
    """A backlog pasted into chat (or attached), as one table: at most `max_rows` lines are read."""
    lines = text.splitlines()
    limit: dict[str, int] = {}
    if len(lines) > max_rows:
        limit = {"read_lines": max_rows, "total_lines": len(lines)}
        lines = lines[:max_rows]
    backlog = read_backlog(Lines(io.StringIO("\n".join(lines), newline="")))
    rows: list[TriageRow] = []
    skipped: list[TriageSkip] = []
    counts: Counter[str] = Counter()
    for item, answer in answered(advisor, backlog.rows):
        if isinstance(item, Skip) or answer is None:
            skipped.append(TriageSkip(item.line, item.reason if isinstance(item, Skip) else ""))
        else:
            counts[answer.verdict] += 1
            rows.append(row(item, answer))
    return TriageTable(tuple(rows), tuple(skipped), dict(counts), **limit)
