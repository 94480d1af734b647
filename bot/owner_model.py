"""A learned second opinion on the owner, and the combiner that weighs it against the matcher.

The matcher finds topics by their phrases; on questions nobody tuned it on it is right about four times in five,
and its scores barely tell a right answer from a wrong one. Two small linear models, trained offline by
`training/train_owner_model.py` on labelled questions written from public material (never on the held-out sets),
add what phrases miss:

- the *text model* reads the question's stemmed words and word pairs and gives each verdict a probability: the
  framing ("which role suits me", "is X a pdm thing"), the context nouns that do not decide, everyday talk;
- the *combiner* scores each reading the matcher offers (the best topic of each owner, or "not something I know")
  from that probability, the topic's match score and the matcher's own pick, and its output is the share of such
  readings that turned out right — the answer's confidence.

Scoring is a few dozen dictionary lookups and dot products in plain Python, so the weights ship as JSON and no
numerical library is needed at run time.
"""

from __future__ import annotations

import json
import math
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .knowledge import shipped_dir
from .matcher import Analysis, Candidate

OWNERS = ("product", "project", "both", "unknown")
ANSWER_FLOOR = 0.45
"""Below this confidence in its best topic the honest answer is "not something I know" (chosen by cross-validation
on the training questions: see training/README.md). "Unknown" is a reading of its own and is then less likely still:
none of the readings on offer is likely ("who owns the flux capacitor warranty?" would be capacity planning at 0.31),
and abstaining is what a person would want. Dropping the floor gained 0.1 points in cross-validation; not worth it."""
MAX_WORDS = 80
"""The text model reads this many words: the question in a long message is near its start, and cost stays flat."""
DEEPEN_FROM = 0.3
"""An owner the text model gives at least this probability, that none of the matcher's top topics has, gets its best
topic from further down offered too (DEEP_LIMIT), when that topic reads other words of the question than the best one:
a shared task whose shared topic ranked sixth was otherwise never a choice. Cross-validation on the 4,372 training
questions: 88.0% -> 88.7% overall, "both" 77.7% -> 80.3%; about 3% of questions take the second, deeper look."""
DEEP_LIMIT = 20
WEAKER_SHARE = 0.4
"""A topic matched under this share of the best one's score that reads no question word the best one does not is a
weaker match of the same words ("planning and organisation" for "the release plan"), not another reading, and is not
offered: it could only win on the text model's prior, for the wrong reason. Cross-validation: -0.1 points."""
FEATURES = ("text_log_probability", "match_score", "matcher_pick", "is_unknown", "behind_best",
            "unseen_share", "guessed_share", "unknown_unseen_share", "unknown_guessed_share", "whole_roles",
            "split_roles")
"""Per reading. The shares are of the question's topic words that nothing knows, and that were typo-corrected;
each appears twice, once for the owners' readings and once for "unknown", so each side learns its own weight.
`whole_roles` marks the reading about the two roles as a whole (WholeRoles), `split_roles` the reading of a
question as one product task and one project task (SplitRoles)."""


@dataclass(frozen=True)
class WholeRoles(Candidate):
    """The shared reading of a question that names both roles when no shared topic is on offer: the two roles as
    a whole (roles.whole_roles). No phrase matched it, so it has no match score; the combiner weighs it on the text
    model and its own weight. Cross-validation: "both" questions answered "not something I know" were a third of the
    shared misses, most of them about the two roles ("eli5: pdm vs pjm?", "one person doing both?")."""


@dataclass(frozen=True)
class SplitRoles(Candidate):
    """The shared reading of a question that asks about a product task and a project task at once ("who decides
    what goes in the release and who makes sure it goes out on the date?"): each role owns one part. It is offered
    when no shared topic is, and a product topic and a project topic each read words of the question the other
    does not; its match score is the weaker part's. `entry` is the roles' comparison, for the owner only: the
    answer is made of the two parts. Cross-validation and held-out figures are in training/README.md."""

    product: Candidate
    project: Candidate


def model_path() -> Path:
    return shipped_dir() / "owner_model.json"


SHORT_MESSAGE = 4
LONG_MESSAGE = 15
"""Stem counts that bound the three message lengths the text model tells apart. Exact lengths did 0.2 points
better in cross-validation but learned accidents of the training sets (a weight of its own for 8-word messages,
most of which were everyday chat)."""


def ngrams(stems: Sequence[str], *, shape: bool = True) -> list[str]:
    """What the text model reads: each stem and each pair of neighbours ("road map" and "roadmap" both count), and
    the message's shape — how it opens ("^is", "^who own"), how it ends, and whether it is short, middling or
    long. The shape tells a question about a role ("is jira a pdm thing") from chat that happens to hold a domain
    word, and a pasted paragraph from a one-line ask. Knowledge-base phrases are read without it (shape=False).
    What it did in cross-validation, and what was tried beside it, is in training/README.md."""
    head = list(stems[:MAX_WORDS])
    grams = head + [f"{a} {b}" for a, b in zip(head, head[1:])]
    if not shape:  # a knowledge-base phrase is not a message: its shape would teach "short means in scope"
        return grams
    size = len(stems)
    grams.append("#short" if size <= SHORT_MESSAGE else "#middling" if size <= LONG_MESSAGE else "#long")
    if head:
        grams += [f"^{head[0]}", f"{head[-1]}$"]
    if len(head) > 1:
        grams.append(f"^{head[0]} {head[1]}")
    return grams


@dataclass(frozen=True)
class Reading:
    """One way to answer: an owner with the best topic the matcher found for it, or unknown (no topic)."""

    owner: str
    candidate: Candidate | None
    features: tuple[float, ...]


@dataclass(frozen=True)
class Choice:
    reading: Reading
    confidence: float
    """The combiner's estimate that this reading is right. Not normalised over the readings on offer: sometimes
    none of them is right (a shared task whose shared topic the matcher missed), and normalising hid that."""
    runner_up: Reading | None
    runner_up_confidence: float
    unknown_confidence: float
    """The combiner's estimate for "not something I know", for when the best topic is too unlikely to give."""

    @property
    def abstains(self) -> bool:
        return self.reading.candidate is None or self.confidence < ANSWER_FLOOR


class OwnerModel:
    def __init__(self, weights: dict[str, list[float]], bias: list[float], combiner: list[float], combiner_bias: float,
                 calibration: Sequence[Sequence[float]] = ()):
        # Each n-gram's four weights sit in one flat array, found by the n-gram's row: a dict of 20,000 small lists
        # took 19 ms to unpickle on every cold start, this takes a fraction of that.
        self.rows = {gram: row for row, gram in enumerate(weights)}
        self.table = array("d", [w for four in weights.values() for w in four])
        self.bias = bias
        self.combiner = combiner
        self.combiner_bias = combiner_bias
        self.calibration = ([float(x) for x, _ in calibration], [float(y) for _, y in calibration])
        """(combiner output, share right) points, rising: the combiner is a logistic model of each reading, and the
        answer is the best of several, so its raw output ran a few points high in the middle (0.8-0.9 was right
        81% of the time). An isotonic fit on cross-validated answers maps it to the share right."""

    @classmethod
    def load(cls, path: Path | None = None) -> OwnerModel:
        """The shipped weights; a missing or damaged file is a packaging bug, so it fails loudly with the file."""
        path = path or model_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            text, combiner = data["text"], data["combiner"]
            model = cls(text["weights"], text["bias"], combiner["weights"], combiner["bias"],
                        combiner.get("calibration", ()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"{path}: not a usable owner model ({exc})") from None
        if len(model.bias) != len(OWNERS) or len(model.combiner) != len(FEATURES):
            raise RuntimeError(f"{path}: owner model has the wrong shape")
        return model

    def probabilities(self, stems: Sequence[str]) -> dict[str, float]:
        """P(verdict | words): a softmax over the four verdicts of the summed weights of the question's n-grams."""
        product, project, both, unknown = self.bias
        table, rows = self.table, self.rows
        for gram in set(ngrams(stems)):
            row = rows.get(gram)
            if row is not None:
                at = row * 4
                product += table[at]
                project += table[at + 1]
                both += table[at + 2]
                unknown += table[at + 3]
        totals = (product, project, both, unknown)
        top = max(totals)
        exps = [math.exp(t - top) for t in totals]
        whole = sum(exps)
        return {owner: e / whole for owner, e in zip(OWNERS, exps)}

    def calibrated(self, score: float) -> float:
        """The share of answers given at this combiner output that turned out right (linear between points)."""
        xs, ys = self.calibration
        if not xs:
            return score
        at = bisect_right(xs, score)
        if at == 0:
            return ys[0]
        if at == len(xs):
            return ys[-1]
        x0, x1, y0, y1 = xs[at - 1], xs[at], ys[at - 1], ys[at]
        return y1 if x1 == x0 else y0 + (y1 - y0) * (score - x0) / (x1 - x0)

    def choose(self, readings: list[Reading]) -> Choice:
        """The reading the combiner trusts most, with its confidence, and the strongest other reading that is a topic
        of its own: the rival a close call would name. The two roles as a whole, or split, are no topic a person
        could pick, and standing second they hid a near topic ("the budget for the roadmap": the project budget)."""
        scores = [1 / (1 + math.exp(-self._decision(r))) for r in readings]
        order = sorted(range(len(readings)), key=lambda i: -scores[i])
        best = order[0]
        rival = next((i for i in order[1:] if _a_topic(readings[i].candidate)), None)
        unknown = next(s for r, s in zip(readings, scores) if r.candidate is None)
        return Choice(readings[best], scores[best], readings[rival] if rival is not None else None,
                      scores[rival] if rival is not None else 0.0, unknown)

    def _decision(self, reading: Reading) -> float:
        return self.combiner_bias + sum(w * f for w, f in zip(self.combiner, reading.features))


def missing_owners(found: Sequence[Candidate], probabilities: dict[str, float]) -> list[str]:
    """The owners the text model finds likely (DEEPEN_FROM) that none of these topics belongs to."""
    have = {candidate.entry.owner for candidate in found}
    return [owner for owner in OWNERS[:3] if probabilities[owner] >= DEEPEN_FROM and owner not in have]


def readings(found: list[Candidate], query: Analysis, probabilities: dict[str, float], matcher_pick: str) -> list[Reading]:
    """The matcher's best topic for each owner it found, and "unknown", each described by the combiner's features.

    The training script builds its rows with this same function, so what is learned is what is scored.
    """
    top = found[0].score if found else 0.0
    words = max(1, len(query.slots))
    unseen = len(query.unseen) / words
    guessed = sum(1 for slot in query.slots if slot and max(slot.values()) < 1.0) / words
    best: dict[str, Candidate] = {}
    for candidate in found:
        best.setdefault(candidate.entry.owner, candidate)
    out = [Reading(owner, candidate, (_log(probabilities[owner]), candidate.score, float(matcher_pick == owner), 0.0,
                                      candidate.score - top, unseen, guessed, 0.0, 0.0,
                                      float(isinstance(candidate, WholeRoles)), float(isinstance(candidate, SplitRoles))))
           for owner, candidate in best.items()]
    out.append(Reading("unknown", None, (_log(probabilities["unknown"]), 1.0 - top, float(matcher_pick == "unknown"),
                                         1.0, 0.0, 0.0, 0.0, unseen, guessed, 0.0, 0.0)))
    return out


def _a_topic(candidate: Candidate | None) -> bool:
    return candidate is not None and not isinstance(candidate, WholeRoles | SplitRoles)


def _log(p: float) -> float:
    return math.log(p + 1e-4)
