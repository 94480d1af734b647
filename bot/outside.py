"""Work of neither role: the sales quota, an NDA, payroll, a laptop that will not start.

People ask the bot about these too ("who signs off the NDA for the vendor?"), often in a product or project setting,
and a guess at either role is wrong in front of the channel. `knowledge/outside.yaml` lists such work with the
function that usually does it, so that Rolecall can say "not something I know" and still point the right way, and
so that the owner model learns these phrases as out of scope (training/README.md has what that did).

The file sits beside the knowledge base but is not part of it: its entries have a function instead of an owner,
and a phrase a knowledge-base topic also uses is left to the topic. A team folder may hold an outside.yaml of its
own in the same shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .knowledge import Entry, KnowledgeBase, shipped_dir
from .matcher import Matcher
from .sources import Source
from .yaml_nodes import KnowledgeError, compose_file, fields_of, is_sequence, node_line, scalar

if TYPE_CHECKING:
    import yaml

FILE = "outside.yaml"
KEYS = ("id", "function", "phrases", "answer", "source")
THRESHOLD = 0.6
"""A match at least this good names the function in the reply, weaker ones leave a plain "not something I know". Of
the training questions matching listed work at 0.6 or better, 53 of 61 were labelled out of scope; at 0.5-0.6, 43 of
79 ("who makes sure the contractor has signed the NDA before they start onsite" is the project manager's)."""


@dataclass(frozen=True)
class Outside:
    """One kind of work and the function that usually does it."""

    id: str
    function: str
    """Who does it, as a reply names them: "legal", "HR", "the security team"."""
    phrases: tuple[str, ...]
    answer: str
    source: str
    file: str
    line: int


@dataclass(frozen=True)
class Found:
    work: Outside
    score: float
    source: Source

    @property
    def named(self) -> bool:
        return self.score >= THRESHOLD


class OutsideWork:
    """The listed work of other functions, matched the way the knowledge base is."""

    def __init__(self, works: list[Outside], sources: dict[str, Source]):
        self.works = works
        self.by_id = {w.id: w for w in works}
        # The matcher wants entries: each work stands in as an entry of its own (owner "unknown", never shown).
        self.kb = KnowledgeBase((Entry(w.id, "unknown", "outside", w.phrases, w.answer, w.source, w.file, w.line)
                                 for w in works), sources)
        self.matcher = Matcher(self.kb)

    @classmethod
    def load(cls, sources: dict[str, Source], paths: Iterable[Path] | None = None) -> OutsideWork:
        """The shipped list, and a team folder's own (its compliance team, its agency) after it; a later id replaces
        an earlier one."""
        works: dict[str, Outside] = {}
        for file in [path()] if paths is None else paths:
            works.update((w.id, w) for w in parse(file))
        return cls(list(works.values()), sources)

    def match(self, question: str, tokens: list[str]) -> Found | None:
        """The listed work the question is most about, if any; `named` says whether it is close enough to say so."""
        _, found = self.matcher.candidates(question, 1, tokens=tokens)
        if not found:
            return None
        return Found(self.by_id[found[0].entry.id], found[0].score, self.kb.source_of(found[0].entry))


def path() -> Path:
    return shipped_dir() / FILE


def files(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    """The shipped list, then each team folder's outside.yaml (or .yml) that exists, in the folders' order."""
    found = [path()]
    for folder in extra_dirs:
        found += [p for p in (Path(folder) / FILE, Path(folder) / FILE.replace(".yaml", ".yml")) if p.is_file()]
    return found


def parse(file: Path) -> list[Outside]:
    """Every listed work, each field checked; a problem fails the load with the file, the line and the reason."""
    root = compose_file(file) if file.exists() else None
    if root is None:
        return []
    name = str(file)
    if not is_sequence(root):
        raise KnowledgeError(name, node_line(root), "the file must be a list of entries (each starting with '- id:')")
    works = [_work(name, node) for node in root.value]
    seen: dict[str, int] = {}
    for work in works:
        if work.id in seen:
            raise KnowledgeError(name, work.line, f"id '{work.id}' is used twice (first on line {seen[work.id]})")
        seen[work.id] = work.line
    return works


def _work(name: str, node: yaml.Node) -> Outside:
    fields = fields_of(name, node, KEYS)
    phrases = fields["phrases"]
    if not is_sequence(phrases) or not phrases.value:
        raise KnowledgeError(name, node_line(phrases), "'phrases' must be a non-empty list")
    return Outside(
        id=scalar(name, fields["id"], "id"),
        function=scalar(name, fields["function"], "function"),
        phrases=tuple(scalar(name, p, "phrase").lower() for p in phrases.value),
        answer=" ".join(scalar(name, fields["answer"], "answer").split()),
        source=scalar(name, fields["source"], "source"),
        file=name,
        line=node_line(node),
    )
