"""Measuring answer quality on a labelled question file.

Accuracy alone hides a bot that says "product" to everything, so the report
also gives accuracy per verdict class and the confusion matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .advisor import Advisor

VERDICTS = ("product", "project", "both", "unknown")


RELIABILITY_BUCKETS = ((0.0, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01))


@dataclass(frozen=True)
class Labelled:
    id: str
    question: str
    verdict: str


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=lambda: {a: dict.fromkeys(VERDICTS, 0) for a in VERDICTS})
    misses: list[dict] = field(default_factory=list)
    graded: list[tuple[float, bool]] = field(default_factory=list)
    """(confidence, right) for every answer: what the reliability table is made of."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def class_accuracy(self, verdict: str) -> float | None:
        row = self.confusion[verdict]
        count = sum(row.values())
        return row[verdict] / count if count else None

    def reliability(self) -> list[dict[str, Any]]:
        """Confidence bucket -> how many answers -> how many were right: does the confidence mean what it says?"""
        rows = []
        for low, high in RELIABILITY_BUCKETS:
            inside = [right for confidence, right in self.graded if low <= confidence < high]
            if inside:
                rows.append({"from": low, "to": min(high, 1.0), "count": len(inside),
                             "accuracy": round(sum(inside) / len(inside), 4)})
        return rows

    def as_json(self) -> dict:
        return {
            "total": self.total, "correct": self.correct, "accuracy": round(self.accuracy, 4),
            "per_verdict": {v: self.class_accuracy(v) for v in VERDICTS},
            "confusion": self.confusion, "misses": self.misses, "reliability": self.reliability(),
        }


def load_questions(path: Path) -> list[Labelled]:
    """Read {id, q, verdict} items; other keys (source, basis) are for people."""
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a YAML list of {{id, q, verdict}} items, found a {type(items).__name__}")
    questions = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or "q" not in item or item.get("verdict") not in VERDICTS:
            raise ValueError(f"{path}: item {number} needs 'q' and a 'verdict' in {', '.join(VERDICTS)}")
        questions.append(Labelled(str(item.get("id", number)), str(item["q"]), item["verdict"]))
    return questions


def evaluate(advisor: Advisor, questions: list[Labelled]) -> Report:
    report = Report()
    for item in questions:
        answer = advisor.ask(item.question)
        report.total += 1
        report.graded.append((answer.confidence, answer.verdict == item.verdict))
        report.confusion[item.verdict][answer.verdict] += 1
        if answer.verdict == item.verdict:
            report.correct += 1
        else:
            report.misses.append({"id": item.id, "q": item.question, "expected": item.verdict,
                                  "got": answer.verdict, "topic": answer.topic, "confidence": answer.confidence})
    return report


def format_report(report: Report) -> str:
    lines = [f"accuracy: {report.accuracy:.1%} ({report.correct}/{report.total})", "per verdict:"]
    for verdict in VERDICTS:
        share = report.class_accuracy(verdict)
        count = sum(report.confusion[verdict].values())
        if share is not None:
            lines.append(f"  {verdict:<8} {share:6.1%} of {count}")
    lines.append("confusion (rows: expected, columns: answered):")
    lines.append("  " + " " * 9 + "".join(f"{v:>9}" for v in VERDICTS))
    for expected in VERDICTS:
        lines.append(f"  {expected:<9}" + "".join(f"{report.confusion[expected][v]:>9}" for v in VERDICTS))
    lines.append("reliability (confidence -> answers -> right):")
    for row in report.reliability():
        lines.append(f"  {row['from']:.2f}-{row['to']:.2f} {row['count']:>6} {row['accuracy']:>8.1%}")
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        for miss in report.misses:
            lines.append(f"  [{miss['id']}] expected {miss['expected']}, got {miss['got']} "
                         f"({miss['topic'] or '-'}, {miss['confidence']:.2f}): {miss['q']}")
    return "\n".join(lines)
