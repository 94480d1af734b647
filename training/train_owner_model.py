"""Fit the owner model (knowledge/owner_model.json) from labelled questions and the knowledge base's phrases.

    python -m venv /tmp/train && /tmp/train/bin/pip install -e '.[train]'
    /tmp/train/bin/python training/train_owner_model.py            # fit, report cross-validation, write the JSON
    /tmp/train/bin/python training/train_owner_model.py --check    # report only

What it learns from: the questions in training/questions/ (written by helpers from public material for training),
the labelled sets the matcher was already tuned on (TUNED_SETS), and every phrase of the knowledge base as "who
owns <phrase>?" with its entry's owner. The held-out sets (HELD_OUT) are never read here, so their scores stay
honest. scikit-learn fits the weights (a training-time extra only); Rolecall scores them in plain Python.

Stacking: the combiner learns from text-model probabilities that were predicted out of fold, so it weighs the text
model as it will behave on questions it has not seen.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

import yaml
from sklearn.feature_extraction import DictVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from rolecall.bot import knowledge
from rolecall.bot.advisor import Advisor
from rolecall.bot.normalize import words
from rolecall.bot.owner_model import ANSWER_FLOOR, FEATURES, OWNERS, OwnerModel, ngrams, readings

ROOT = Path(__file__).resolve().parent.parent
TUNED_SETS = ("public", "seeds", "holdout", "holdout2")
HELD_OUT = ("final", "seeds2", "public2", "seeds3", "public3", "seeds4", "public4", "seeds5", "seeds_j", "timing", "seeds_k",
            "seeds6", "public5", "seeds7", "public6", "seeds8", "public7", "public8", "seeds9", "public9",
            "seeds10", "public10")
QUESTION_WEIGHT = 6.0
"""A labelled question counts for this many knowledge-base phrases: it is how people really ask."""
OUTSIDE_WEIGHT = 0.25
"""A phrase of another function's work (outside.yaml) counts this much as an "unknown" example: at 1 it outweighed the
domain words beside it ("review" and "plan" leaned out of scope); cross-validation chose 0.25 over 0.5 and 1."""
TEXT_C = 2.0
FOLDS = 5
FLOORS = (0.0, 0.3, 0.35, 0.4, 0.45, 0.5)


def labelled() -> list[tuple[str, str, str]]:
    """(set name, question, verdict) for every training question."""
    paths = sorted((ROOT / "training" / "questions").glob("*.yaml")) + [ROOT / "eval" / f"{n}.yaml" for n in TUNED_SETS]
    out = []
    for path in paths:
        assert path.stem not in HELD_OUT, path
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            out.append((path.stem, str(item["q"]), item["verdict"]))
    return out


class Row:
    """One question as the advisor sees it: its stems, the matcher's candidates and pick, and the true verdict."""

    def __init__(self, advisor: Advisor, group: str, question: str, verdict: str):
        self.group, self.question, self.verdict = group, question, verdict
        self.tokens = tokens = words(question)
        self.early = advisor.before_matching(question, tokens)
        query, self.found, self.pick = advisor.match(question, tokens) if self.early is None else (None, [], "unknown")
        self.query = query
        self.stems = query.tokens if query is not None else []


def text_examples(advisor: Advisor, rows: list[Row]) -> tuple[list[dict[str, int]], list[str], list[float]]:
    docs = [dict.fromkeys(ngrams(r.stems), 1) for r in rows]
    labels = [r.verdict for r in rows]
    weights = [QUESTION_WEIGHT] * len(rows)
    phrases = [(p, e.owner, 1.0) for e in advisor.kb.entries for p in e.phrases]
    phrases += [(p, "unknown", OUTSIDE_WEIGHT) for w in advisor.outside.works for p in w.phrases]  # other functions' work
    for phrase, label, weight in phrases:
        docs.append(dict.fromkeys(ngrams(advisor.matcher.analyse(phrase).tokens, shape=False), 1))  # no framing: that is
        # learned from real questions only (wrapped in "who owns", every phrase taught that framing is never unknown)
        labels.append(label)
        weights.append(weight)
    return docs, labels, weights


def fit_text(docs: list[dict[str, int]], labels: list[str], weights: list[float]) -> tuple[DictVectorizer, LogisticRegression]:
    vectorizer = DictVectorizer()
    model = LogisticRegression(C=TEXT_C, max_iter=4000)
    model.fit(vectorizer.fit_transform(docs), labels, sample_weight=weights)
    return vectorizer, model


def text_probabilities(fitted: tuple[DictVectorizer, LogisticRegression], rows: list[Row]) -> list[dict[str, float]]:
    vectorizer, model = fitted
    probs = model.predict_proba(vectorizer.transform([dict.fromkeys(ngrams(r.stems), 1) for r in rows]))
    return [dict(zip(model.classes_, p)) for p in probs]


def folds(rows: list[Row]) -> list[list[Row]]:
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    return [shuffled[i::FOLDS] for i in range(FOLDS)]


def out_of_fold(advisor: Advisor, rows: list[Row]) -> dict[int, dict[str, float]]:
    """Each question's text probabilities from a model that never saw it (the phrases are always in)."""
    result: dict[int, dict[str, float]] = {}
    for fold in folds(rows):
        held = {id(r) for r in fold}
        fitted = fit_text(*text_examples(advisor, [r for r in rows if id(r) not in held]))
        for row, p in zip(fold, text_probabilities(fitted, fold)):
            result[id(row)] = p
    return result


def fit_combiner(rows: list[Row], probs: dict[int, dict[str, float]]) -> LogisticRegression:
    x, y = [], []
    for row in rows:
        for reading in readings(row.found, row.query, probs[id(row)], row.pick):
            x.append(list(reading.features))
            y.append(reading.owner == row.verdict)
    return LogisticRegression(C=1.0, max_iter=2000).fit(x, y)


def combined(combiner: LogisticRegression, row: Row, p: dict[str, float], floor: float = ANSWER_FLOOR) -> tuple[str, float]:
    """What Rolecall would answer, through the same choosing code it runs (OwnerModel.choose)."""
    scorer = OwnerModel({}, [0.0] * len(OWNERS), [float(w) for w in combiner.coef_[0]], float(combiner.intercept_[0]))
    choice = scorer.choose(readings(row.found, row.query, p, row.pick))
    if choice.reading.candidate is None or choice.confidence < floor:
        return "unknown", choice.unknown_confidence
    return choice.reading.owner, choice.confidence


Outcomes = list[list[tuple[float, bool]]]
"""Per fold: each answer's raw confidence (the combiner's output) and whether the answer was right."""


def cross_validate(rows: list[Row], probs: dict[int, dict[str, float]]) -> Outcomes:
    """Accuracy and reliability of the whole pipeline, each fold's combiner fitted without that fold."""
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    floors: Counter[float] = Counter()
    outcomes: Outcomes = []
    for fold in folds(rows):
        held = {id(r) for r in fold}
        combiner = fit_combiner([r for r in rows if id(r) not in held], probs)
        outcomes.append([])
        for row in fold:
            for floor in FLOORS:
                floors[floor] += combined(combiner, row, probs[id(row)], floor)[0] == row.verdict
            owner, confidence = combined(combiner, row, probs[id(row)])
            seen[row.group] += 1
            right[row.group] += owner == row.verdict
            outcomes[-1].append((confidence, owner == row.verdict))
    for group in sorted(seen):
        base = sum(r.pick == r.verdict for r in rows if r.group == group) / seen[group]
        print(f"  {group:22s} {seen[group]:4d}  combined {right[group] / seen[group]:.1%}  matcher alone {base:.1%}")
    print(f"  all                    {sum(seen.values()):4d}  combined {sum(right.values()) / sum(seen.values()):.1%}")
    print("  answering only from a confidence of: " + ", ".join(f"{f} -> {floors[f] / len(rows):.1%}" for f in FLOORS))
    print("  reliability of the combiner's raw output:")
    reliability([pair for fold in outcomes for pair in fold])
    print("  reliability once calibrated, each fold mapped by a calibration fitted on the other folds:")
    maps = [calibration_model(outcomes[:k] + outcomes[k + 1:]) for k in range(len(outcomes))]
    reliability([(maps[k].calibrated(c), right) for k, fold in enumerate(outcomes) for c, right in fold])
    return outcomes


def reliability(pairs: list[tuple[float, bool]]) -> None:
    """Confidence bucket -> answers, their mean confidence, share right; and the gap between the two, weighted."""
    buckets: dict[float, list[tuple[float, bool]]] = {}
    for confidence, right in pairs:
        buckets.setdefault(min(0.9, math.floor(confidence * 10) / 10), []).append((confidence, right))
    for low in sorted(buckets):
        hits = buckets[low]
        mean, share = sum(c for c, _ in hits) / len(hits), sum(r for _, r in hits) / len(hits)
        print(f"    confidence {low:.1f}+  {len(hits):4d} answers  mean {mean:.2f}  {share:.1%} right")
    gap = sum(abs(sum(c for c, _ in h) - sum(r for _, r in h)) for h in buckets.values()) / len(pairs)
    print(f"    expected calibration error {gap:.3f}")


def calibration_points(outcomes: Outcomes) -> list[list[float]]:
    """The share right at each raw confidence, rising: an isotonic fit, each of its flat steps replaced by its
    middle point, so that OwnerModel.calibrated (linear between points) keeps a surer answer above a less sure
    one instead of giving a whole step one figure."""
    pairs = [pair for fold in outcomes for pair in fold]
    fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit([c for c, _ in pairs],
                                                                               [float(r) for _, r in pairs])
    steps: dict[float, list[float]] = {}
    for x, y in zip(fit.X_thresholds_, fit.y_thresholds_):
        steps.setdefault(round(float(y), 4), []).append(float(x))
    return [[round((min(xs) + max(xs)) / 2, 4), y] for y, xs in sorted(steps.items())]


def calibration_model(outcomes: Outcomes) -> OwnerModel:
    return OwnerModel({}, [0.0] * len(OWNERS), [], 0.0, calibration_points(outcomes))


def export(fitted: tuple[DictVectorizer, LogisticRegression], combiner: LogisticRegression,
           calibration: list[list[float]]) -> dict:
    vectorizer, model = fitted
    order = [list(model.classes_).index(o) for o in OWNERS]
    weights = {}
    for gram, column in vectorizer.vocabulary_.items():
        w = [round(float(model.coef_[k][column]), 4) for k in order]
        if max(abs(v) for v in w) >= 0.01:
            weights[gram] = w
    return {"about": "Trained by training/train_owner_model.py; see bot/owner_model.py.",
            "text": {"bias": [round(float(model.intercept_[k]), 4) for k in order], "weights": dict(sorted(weights.items()))},
            "combiner": {"features": list(FEATURES), "weights": [round(float(w), 4) for w in combiner.coef_[0]],
                         "bias": round(float(combiner.intercept_[0]), 4),
                         "calibration": calibration}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report cross-validation only, write nothing")
    args = parser.parse_args()
    advisor = Advisor(knowledge.load(), learned=False)
    rows = [r for r in (Row(advisor, *item) for item in labelled()) if r.early is None]
    print(f"{len(rows)} questions answered by the matcher, {sum(len(e.phrases) for e in advisor.kb.entries)} phrases")
    probs = out_of_fold(advisor, rows)
    for row in rows:  # what Rolecall offers the combiner, with the deeper look the text model asks for
        row.found = advisor.offered(row.question, row.tokens, (row.query, row.found), probs[id(row)])
    outcomes = cross_validate(rows, probs)
    if args.check:
        return 0
    fitted = fit_text(*text_examples(advisor, rows))
    data = export(fitted, fit_combiner(rows, probs), calibration_points(outcomes))
    path = ROOT / "knowledge" / "owner_model.json"
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(data['text']['weights'])} n-grams, combiner {data['combiner']['weights']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
