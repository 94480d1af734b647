"""The plain-text form of every reply part: the terminal, notification fallbacks and `text` in the JSON contracts.

This is the one place the core's parts become prose. Slack and Discord lay the
parts out themselves and use this only where a platform wants plain text (a
notification, a screen reader).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from .parts import (
    OWNERS,
    Contact,
    ContactPing,
    Notice,
    Part,
    PollCard,
    QuizEnded,
    QuizQuestion,
    QuizResult,
    TeamDecision,
    TriageTable,
    Verdict,
    role_name,
)

TASK_WIDTH = 60
"""Display columns of a task in the triage table; longer tasks end in an ellipsis."""
TRIAGE_VERDICTS = (*OWNERS, "unknown")
OFF_TOPIC = "That's not something I know: I only cover who does what between product managers and project managers."
EXAMPLES = ("Ask me things like who owns the roadmap?, is the RAID log product or project work? or what does a "
            "product manager do?")
QUIZ_SKIPPED = "You skipped every question, so I can't tell which role fits you. Say quiz to try again."
QUIZ_STOPPED = "Quiz stopped. Say quiz whenever you want to take it again."
TYPED_POLL_HINT = ("Say vote product, vote project or vote both (say it again to change your vote). Whoever started "
                   "the poll can reveal Rolecall's answer with reveal, and it reveals itself when time is up.")
"""The plain-text card's hint: where there are no buttons to press (the terminal, a notification)."""
POLL_HINT = ("Vote with the buttons (or say vote product / vote project / vote both); clicking again changes your "
             "vote. Whoever started the poll can reveal Rolecall's answer, and it reveals itself when time is up.")
"""On a card with buttons (Slack, Discord)."""


def render(parts: Iterable[Part]) -> str:
    """A whole reply: its parts, a blank line apart."""
    return "\n\n".join(text for text in (part_text(p) for p in parts) if text)


def part_text(part: Part) -> str:
    if isinstance(part, Verdict):
        return verdict_text(part)
    if isinstance(part, Notice):
        return part.text
    if isinstance(part, TeamDecision):
        return decision_text(part)
    if isinstance(part, Contact):
        return f"Still unsure? Ask {part.name}."
    if isinstance(part, ContactPing):
        return f"{part.contact.name}, can you help? Someone asked: {part.question}"
    if isinstance(part, QuizQuestion):
        return quiz_question_text(part)
    if isinstance(part, QuizResult):
        return quiz_result_text(part)
    if isinstance(part, QuizEnded):
        return QUIZ_STOPPED if part.stopped else QUIZ_SKIPPED
    if isinstance(part, PollCard):
        return poll_text(part)
    return triage_text(part)


def decision_text(decision: TeamDecision) -> str:
    """ "Your team decided: Project manager (debate of 2 December, 5 of 7 agreed)." and what common practice says."""
    when = datetime.fromtimestamp(decision.decided_at, tz=UTC)
    how = f"decided {when.day} {when:%B %Y}"
    if decision.tally:
        votes = sum(decision.tally.values())
        how = f"debate of {when.day} {when:%B %Y}, {decision.tally.get(decision.verdict, 0)} of {votes} agreed"
    text = f"Your team decided: {role_name(decision.verdict)} ({how}; adopted by {decision.by})."
    if decision.reason:
        text += f" Why: {decision.reason}"
    return text + ("" if decision.agrees else "\nCommon practice says otherwise:")


def verdict_text(verdict: Verdict) -> str:
    if verdict.topic is None:
        if verdict.source:  # a split answer, or work of another function: either says where it comes from
            return f"{verdict.reason}\nSource: {verdict.source}"
        if verdict.closest:
            return f"{verdict.reason} {closest_text(verdict.closest)}"
        if verdict.owner == "unknown" and verdict.reason == OFF_TOPIC:
            return f"{verdict.reason} {EXAMPLES}"
        return verdict.reason
    text = f"{heading(verdict)}{verdict.reason}\n{topic_line(verdict)}"
    if verdict.quote:
        text += f"\n“{verdict.quote}”"
    if verdict.close_call:
        text += "\n" + close_call_text(verdict)
    if verdict.review_due:
        text += "\n" + review_text(verdict)
    return text


def review_text(verdict: Verdict) -> str:
    if not verdict.reviewed:
        return "(This is your team's own answer and nobody has reviewed it yet.)"
    who = f" by {verdict.reviewer}" if verdict.reviewer else ""
    return f"(This is your team's own answer, last reviewed on {verdict.reviewed}{who}: it is due for review.)"


def heading(verdict: Verdict) -> str:
    """ "Product manager. " before the reason, unless the reason already opens with the verdict ("Both, leaning ...")."""
    name = role_name(verdict.owner)
    opener = name.split()[0]
    if verdict.reason.startswith((name, f"{opener},", f"{opener}:")):
        return ""
    return f"{name}. "


def topic_line(verdict: Verdict) -> str:
    return f"Topic: {verdict.topic_label} · Source: {verdict.source}"


def close_call_text(verdict: Verdict) -> str:
    """Both readings, each with its owner: "Close call: project if you mean X, product if you mean Y."""
    rival = verdict.close_call
    if rival is None:
        return ""
    return (f"Close call: {owner_word(verdict.owner)} if you mean {verdict.topic_label}, "
            f"{owner_word(rival.owner)} if you mean {rival.topic_label}.")


def owner_word(owner: str) -> str:
    return {"both": "both roles"}.get(owner, owner)


def closest_text(labels: Iterable[str]) -> str:
    return "The closest topics I know are: " + ", ".join(labels) + "."


def quiz_question_text(question: QuizQuestion) -> str:
    lines = [question.intro] if question.intro else []
    lines.append(f"Question {question.step} of {question.of}: {question.text}")
    lines += [f"  {chr(97 + i)}) {label}" for i, label in enumerate(question.options)]
    if question.hint:
        lines.append(question.hint)
    return "\n".join(lines)


def quiz_result_text(result: QuizResult) -> str:
    lines = [f"Your result: {result.title} (product {result.scores['product']}%, project {result.scores['project']}%).",
             result.summary]
    if result.because:
        lines.append("What weighed most: you " + " and you ".join(result.because) + ".")
    if result.career:
        lines.append(f"Career path: {result.career}")
    if result.certifications:
        lines.append("Certifications to look at: " + ", ".join(result.certifications) + ".")
    if result.first_step:
        lines.append(f"A first step: {result.first_step}")
    return "\n".join(lines)


def tally_text(card: PollCard) -> str:
    return ", ".join(f"{o} {card.tally.get(o, 0)}" for o in OWNERS)


def poll_text(card: PollCard) -> str:
    if not card.closed:
        votes = card.votes
        return (f"Debate: {card.question}\nVotes so far: {tally_text(card)} ({votes} vote{'s' * (votes != 1)}).\n"
                + TYPED_POLL_HINT)
    text = f"Debate closed: {card.question}\nThe team voted: {tally_text(card)}.\n"
    if card.verdict is None or card.verdict.owner == "unknown":
        said = verdict_text(card.verdict) if card.verdict else ""
        return text + f"Rolecall: I honestly don't know this one. {said}".rstrip()
    return (text + f"Rolecall: {verdict_text(card.verdict)}\n"
            f"{card.agreed} of {card.votes} agreed with Rolecall ({role_name(card.verdict.owner).lower()}).")


# -- the triage table ----------------------------------------------------------------------

def triage_text(table: TriageTable) -> str:
    """The table, the counts per verdict, then every skipped row: as `rolecall triage` prints it."""
    lines = [triage_limit_text(table)] if table.read_lines is not None else []
    lines.append(triage_header())
    lines += [triage_row_text(row.task, row.verdict, row.confidence, row.topic) for row in table.rows]
    lines += ["", *triage_counts_lines(table.counts, len(table.skipped))]
    lines += [f"line {s.line}: skipped: {s.reason}" for s in table.skipped]
    return "\n".join(lines)


def triage_limit_text(table: TriageTable) -> str:
    return (f"(I triaged the first {table.read_lines:,} lines of {table.total_lines:,}; "
            "use `rolecall triage FILE` for more.)")


def triage_header() -> str:
    return f"{fit('TASK', TASK_WIDTH)}  {'VERDICT':<7}  {'CONF':>4}  TOPIC"


def triage_row_text(task: str, verdict: str, confidence: float, topic: str | None) -> str:
    return f"{fit(task, TASK_WIDTH)}  {verdict:<7}  {confidence:>4.0%}  {topic or '-'}"


def triage_counts_lines(counts: Mapping[str, int], skipped: int) -> list[str]:
    """`N tasks triaged` and one line per verdict, then the number skipped."""
    total = sum(counts.get(v, 0) for v in TRIAGE_VERDICTS)
    lines = [f"{total} task{'' if total == 1 else 's'} triaged"]
    lines += [f"  {verdict:<8}{counts.get(verdict, 0):>7}" for verdict in TRIAGE_VERDICTS]
    lines.append(f"  {'skipped':<8}{skipped:>7}")
    return lines


def display_width(text: str) -> int:
    """Terminal columns `text` takes: wide East Asian characters take two, invisible ones none."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if ch.isascii():
        return 1
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns (ending in an ellipsis when cut) and padded to exactly `width`.

    Only the first `width` characters are ever looked at, so a 100,000-character task costs no more than a short one.
    """
    if text.isascii():
        return text.ljust(width) if len(text) <= width else (text[: width - 1].rstrip() + "…").ljust(width)
    kept: list[str] = []
    used = 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width:
            while kept and (used > width - 1 or kept[-1].isspace()):
                used -= _char_width(kept.pop())
            return "".join(kept) + "…" + " " * (width - 1 - used)
        kept.append(ch)
        used += w
    return "".join(kept) + " " * (width - used)
