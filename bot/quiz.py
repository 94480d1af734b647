"""The "which role fits me?" quiz: its questions, answer parsing and scoring.

The questions live in `knowledge/quiz.yaml` so they can be edited like the
rest of the knowledge base; this module validates them, reads answers given
as button ids, numbers, letters, ordinals or free text, and turns a set of
answers into a result. It keeps no state: `conversation` stores progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from .knowledge import KnowledgeBase, KnowledgeError, compose_file, node_line, shipped_dir
from .normalize import stem, words
from .vocabulary import STOP_STEMS

ROLES = ("product", "project", "hybrid")
HYBRID_GAP = 10
"""Product and project scores this close (in percentage points) make a hybrid, product-owner style, result."""
MIN_QUESTIONS, MAX_QUESTIONS = 8, 12


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    product: float
    project: float
    because: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Outcome:
    title: str
    summary: str
    career: str
    certifications: tuple[str, ...]
    first_step: str


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]
    outcomes: dict[str, Outcome]

    def __len__(self) -> int:
        return len(self.questions)

    def index_of(self, question_id: str) -> int | None:
        return next((i for i, q in enumerate(self.questions) if q.id == question_id), None)

    def position(self, question_id: str) -> int:
        """Where a question known to be in the quiz stands (a saved state is checked against the quiz first)."""
        index = self.index_of(question_id)
        if index is None:
            raise KeyError(question_id)
        return index


# -- loading -----------------------------------------------------------------

def load_quiz(kb: KnowledgeBase, path: Path | None = None) -> Quiz:
    """Load and validate quiz.yaml; errors name file, line and reason like the knowledge base's."""
    path = path or shipped_dir() / "quiz.yaml"
    name = str(path)
    root = compose_file(path)
    top = _mapping(name, root, {"questions", "results"}, "the quiz")
    questions = tuple(_question(name, node) for node in _sequence(name, top["questions"], "questions"))
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        raise KnowledgeError(name, node_line(top["questions"]), f"the quiz needs {MIN_QUESTIONS} to {MAX_QUESTIONS} questions, not {len(questions)}")
    _unique(name, [(q.id, node) for q, node in zip(questions, top["questions"].value)], "question id")
    results = _mapping(name, top["results"], set(ROLES), "results")
    outcomes = {role: _outcome(name, results[role], kb) for role in ROLES}
    return Quiz(questions, outcomes)


def _mapping(name: str, node: Any, keys: set[str], what: str, optional: frozenset[str] | set[str] = frozenset()) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise KnowledgeError(name, node_line(node) if node else 0, f"{what} must be a mapping")
    found: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in keys | optional:
            raise KnowledgeError(name, node_line(key_node), f"unknown key '{key}' in {what} (allowed: {', '.join(sorted(keys | optional))})")
        found[key] = value
    missing = keys - found.keys()
    if missing:
        raise KnowledgeError(name, node_line(node), f"{what} is missing {', '.join(sorted(missing))}")
    return found


def _sequence(name: str, node: yaml.Node, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise KnowledgeError(name, node_line(node), f"'{what}' must be a non-empty list")
    return node.value


def _text(name: str, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise KnowledgeError(name, node_line(node), f"'{what}' must be a non-empty text")
    return " ".join(str(node.value).split())


def _weight(name: str, node: yaml.Node, what: str) -> float:
    try:
        value = float(_text(name, node, what))
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10:
        raise KnowledgeError(name, node_line(node), f"'{what}' must be a number from 0 to 10")
    return value


def _unique(name: str, items: list[tuple[str, yaml.Node]], what: str) -> None:
    seen: set[str] = set()
    for key, node in items:
        if key in seen:
            raise KnowledgeError(name, node_line(node), f"duplicate {what} '{key}'")
        seen.add(key)


def _question(name: str, node: yaml.Node) -> Question:
    fields = _mapping(name, node, {"id", "text", "options"}, "a question")
    option_nodes = _sequence(name, fields["options"], "options")
    if not 2 <= len(option_nodes) <= 5:
        raise KnowledgeError(name, node_line(fields["options"]), "a question needs 2 to 5 options")
    options = []
    for option_node in option_nodes:
        o = _mapping(name, option_node, {"id", "label", "product", "project", "because"}, "an option")
        option_id = _text(name, o["id"], "id").lower()
        if not re.fullmatch(r"[a-z0-9-]{1,20}", option_id):
            raise KnowledgeError(name, node_line(o["id"]), "option ids are short lowercase words (a, b, c ...)")
        options.append(Option(option_id, _text(name, o["label"], "label"), _weight(name, o["product"], "product"),
                              _weight(name, o["project"], "project"), _text(name, o["because"], "because")))
    _unique(name, [(o.id, n) for o, n in zip(options, option_nodes)], "option id")
    question_id = _text(name, fields["id"], "id")
    if not re.fullmatch(r"[a-z0-9-]{1,40}", question_id):
        raise KnowledgeError(name, node_line(fields["id"]), "question ids are lowercase words with dashes")
    return Question(question_id, _text(name, fields["text"], "text"), tuple(options))


def _outcome(name: str, node: yaml.Node, kb: KnowledgeBase) -> Outcome:
    f = _mapping(name, node, {"title", "summary", "career", "certifications", "first_step"}, "a result")
    career = _text(name, f["career"], "career")
    certs = tuple(_text(name, n, "certification") for n in _sequence(name, f["certifications"], "certifications"))
    for ref, ref_node in [(career, f["career"])] + list(zip(certs, f["certifications"].value)):
        if ref not in kb.by_id:
            raise KnowledgeError(name, node_line(ref_node), f"'{ref}' is not an entry id in the knowledge base")
    return Outcome(_text(name, f["title"], "title"), _text(name, f["summary"], "summary"), career, certs,
                   _text(name, f["first_step"], "first_step"))


# -- reading answers -----------------------------------------------------------

_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "second": 1, "2nd": 1, "two": 1, "third": 2, "3rd": 2, "three": 2,
    "fourth": 3, "4th": 3, "four": 3, "fifth": 4, "5th": 4, "five": 4,
}
_ANSWER_FILLER = frozenset("the option answer choice one pick go with i id take say choose my is its it number letter".split())


def read_answer(question: Question, text: str) -> Option | None:
    """The option a typed answer means, or None when it is not clearly one of them.

    Never guesses: an answer that fits two options about equally is no answer.
    """
    tokens = words(text)
    if not tokens:
        return None
    core = [t for t in tokens if t not in _ANSWER_FILLER] or tokens
    if len(core) == 1:
        token = core[0]
        if token.isdigit() and 1 <= int(token) <= len(question.options):
            return question.options[int(token) - 1]
        if question.option(token):
            return question.option(token)
        if token in ("last", "final"):
            return question.options[-1]
        if token in _ORDINALS and _ORDINALS[token] < len(question.options):
            return question.options[_ORDINALS[token]]
    return _closest_option(question, text)


def _closest_option(question: Question, text: str) -> Option | None:
    said = _topic_stems(text)
    if not said:
        return None
    scores = []
    for option in question.options:
        label = _topic_stems(option.label)
        overlap = sum(1 for s in said if s in label or any(fuzz.ratio(s, w) >= 85 for w in label))
        text_score = fuzz.token_set_ratio(text.lower(), option.label.lower()) / 100
        scores.append((overlap / len(said) * 0.6 + text_score * 0.4, option))
    scores.sort(key=lambda pair: -pair[0])
    best, runner_up = scores[0][0], scores[1][0] if len(scores) > 1 else 0.0
    if best >= 0.45 and best - runner_up >= 0.12:
        return scores[0][1]
    return None


def _topic_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)} - STOP_STEMS - {"rather", "prefer", "like", "love", "enjoy", "would", "id"}


# -- scoring -------------------------------------------------------------------

def result(quiz: Quiz, answers: dict[str, str]) -> dict[str, Any]:
    """Scores as whole percentages and the role they point to."""
    product = project = 0.0
    for question in quiz.questions:
        option = question.option(answers.get(question.id, ""))
        if option:
            product += option.product
            project += option.project
    total = product + project
    share = round(100 * product / total) if total else 50
    scores = {"product": share, "project": 100 - share}
    if abs(scores["product"] - scores["project"]) <= HYBRID_GAP:
        role = "hybrid"
    else:
        role = "product" if share > 50 else "project"
    return {"role": role, "scores": scores}


def strongest_answers(quiz: Quiz, answers: dict[str, str], role: str, count: int = 2) -> list[Option]:
    """The answers that pushed hardest towards the result, for the explanation."""
    picked = (q.option(answers[q.id]) for q in quiz.questions if q.id in answers)
    chosen = [o for o in picked if o is not None]
    if role == "hybrid":
        towards_product = max(chosen, key=lambda o: o.product - o.project, default=None)
        towards_project = max(chosen, key=lambda o: o.project - o.product, default=None)
        return [o for o in (towards_product, towards_project) if o]
    sign = 1 if role == "product" else -1
    ranked = sorted(chosen, key=lambda o: -sign * (o.product - o.project))
    return [o for o in ranked[:count] if sign * (o.product - o.project) > 0]
