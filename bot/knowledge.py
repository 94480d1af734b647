"""Loading and validating the knowledge base.

The YAML is written by people who are not programmers, so every mistake must
come back as "file, line: what is wrong", at load time, before the bot answers
anyone with half a knowledge base.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .normalize import phrase_key
from .sources import FILE_NAME as SOURCES_FILE
from .sources import Source, load_sources
from .yaml_nodes import (
    KnowledgeError,
    KnowledgeErrors,
    compose_file,
    fields_of,
    is_sequence,
    node_line,
    scalar,
)

if TYPE_CHECKING:
    import yaml

OWNERS = ("product", "project", "both")
KINDS = (
    "responsibility", "artifact", "tool", "metric", "skill", "certification",
    "career", "method", "concept", "timeframe",
)
REQUIRED = ("id", "owner", "kind", "phrases", "answer", "source")
OPTIONAL = ("quote", "overrides", "reviewed", "reviewer")
NOT_ENTRIES = ("quiz.yaml", "glossary.yaml", "outside.yaml", "outside.yml")
"""Files beside the entries that hold something else: the quiz questions, the abbreviations glossary and the work
of other functions (outside.py)."""
"""`quote`: the sentence of the source the entry rests on, word for word, shown with the answer.
`overrides`: the id of an earlier (shipped) entry this one replaces on purpose: its owner and answer win, and the
replaced entry's phrases lead to it.
`reviewed` (YYYY-MM-DD) and `reviewer`: when and by whom a person last checked the entry (see `kb stale`)."""
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
"""At most 48 characters: an id travels inside button ids, and Discord's custom_id holds 100 with its prefix,
the longest action (feedback:<id>:down) and a card owner's 20-digit id."""


@dataclass(frozen=True)
class Entry:
    """One topic the bot knows: who owns it, what people call it, and why."""

    id: str
    owner: str
    kind: str
    phrases: tuple[str, ...]
    answer: str
    source: str
    file: str
    line: int
    quote: str | None = None
    overrides: str | None = None
    reviewed: date | None = None
    reviewer: str | None = None


class KnowledgeBase:
    """All entries, by id, in load order."""

    def __init__(self, entries: Iterable[Entry], sources: dict[str, Source] | None = None):
        self.entries: list[Entry] = list(entries)
        self.by_id: dict[str, Entry] = {e.id: e for e in self.entries}
        self.sources: dict[str, Source] = sources or {}
        self.overrides: list[tuple[Entry, Entry]] = []
        """(the team's entry, the shipped entry it replaced), for `kb check`."""

    def source_of(self, entry: Entry) -> Source:
        """The reference an entry rests on; a team's own free-text source is shown as written."""
        return self.sources.get(entry.source) or Source(entry.source, entry.source)

    def __len__(self) -> int:
        return len(self.entries)

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts per owner and per kind, for `rolecall kb check`."""
        return {
            "owner": dict(Counter(e.owner for e in self.entries)),
            "kind": dict(Counter(e.kind for e in self.entries)),
        }

    def phrase_count(self) -> int:
        return sum(len(e.phrases) for e in self.entries)


@lru_cache(maxsize=1)
def shipped_dir() -> Path:
    """Where the installed package keeps its YAML files."""
    return Path(str(resources.files("rolecall.knowledge")))


def load(extra_dirs: Iterable[Path] = (), *, include_shipped: bool = True) -> KnowledgeBase:
    """Load, validate and merge the shipped files and any team folders on top.

    Raises KnowledgeError for the first problem found, so a broken edit never
    produces a half-loaded bot.
    """
    return load_files(knowledge_files(extra_dirs, include_shipped=include_shipped))


def knowledge_files(extra_dirs: Iterable[Path] = (), *, include_shipped: bool = True) -> list[Path]:
    """Every knowledge file, shipped first, then each team folder in order (quiz.yaml is not one; sources.yaml is)."""
    files: list[Path] = []
    if include_shipped:
        files += sorted(shipped_dir().glob("*.yaml"))
    for folder in extra_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            raise KnowledgeError(str(folder), 0, "knowledge folder does not exist")
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:  # silently skipping it would drop the team's knowledge at the next reload
            raise KnowledgeError(str(folder), 0, f"cannot read the knowledge folder: {exc.strerror or exc}") from None
        files += [folder / n for n in names if n.endswith(".yaml")] + [folder / n for n in names if n.endswith(".yml")]
    return [f for f in files if f.name not in NOT_ENTRIES]


def load_files(files: list[Path]) -> KnowledgeBase:
    """Every file parsed and checked; all the problems found are raised together (KnowledgeErrors)."""
    errors: list[KnowledgeError] = []
    sources = {}
    try:
        sources = load_sources([f for f in files if f.name == SOURCES_FILE])
    except KnowledgeError as exc:
        errors.append(exc)
    entries: list[Entry] = []
    for path in files:
        if path.name != SOURCES_FILE:
            entries += _parse(path, errors)
    entries, overrides = _apply_overrides(entries, errors)
    errors += consistency_errors(entries)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise KnowledgeErrors(errors[0].file, errors[0].line, errors[0].reason, tuple(errors))
    kb = KnowledgeBase(entries, sources)
    kb.overrides = overrides
    return kb


def _apply_overrides(entries: list[Entry], errors: list[KnowledgeError]) -> tuple[list[Entry], list[tuple[Entry, Entry]]]:
    """Entries that say `overrides: X` replace X (keeping X's phrases, so questions about X reach them); a clash
    without `overrides` is left for the duplicate checks to report."""
    first: dict[str, Entry] = {}
    for entry in entries:
        first.setdefault(entry.id, entry)
    replacing: dict[int, Entry] = {}
    for entry in entries:
        if entry.overrides is None:
            continue
        target = first.get(entry.overrides)
        if target is None or target is entry:
            errors.append(KnowledgeError(entry.file, entry.line, f"'{entry.id}' overrides '{entry.overrides}', "
                                         "but no earlier entry has that id"))
        else:
            replacing[id(target)] = entry
    if not replacing:
        return entries, []
    moved = {id(team) for team in replacing.values()}
    result, pairs = [], []
    for entry in entries:
        team = replacing.get(id(entry))
        if team is None:
            if id(entry) not in moved:  # a replacing entry stands where the entry it replaces stood
                result.append(entry)
            continue
        merged = replace(team, phrases=team.phrases + tuple(p for p in entry.phrases if p not in team.phrases))
        result.append(merged)
        pairs.append((merged, entry))
    return result, pairs


def _parse(path: Path, errors: list[KnowledgeError]) -> list[Entry]:
    """The file's good entries; its problems go to `errors`, each entry on its own."""
    try:
        nodes = _entry_nodes(path)
    except KnowledgeError as exc:
        errors.append(exc)
        return []
    entries = []
    for node in nodes:
        try:
            entries.append(_entry(str(path), node))
        except KnowledgeError as exc:
            errors.append(exc)
    return entries


def parse_file(path: Path) -> list[Entry]:
    """Parse one YAML file into entries, keeping each field's line number; raises its first problem."""
    return [_entry(str(path), node) for node in _entry_nodes(path)]


def _entry_nodes(path: Path) -> list[yaml.Node]:
    root = compose_file(path)
    if root is None:
        return []
    if not is_sequence(root):
        raise KnowledgeError(str(path), node_line(root), "the file must be a list of entries (each starting with '- id:')")
    return list(root.value)


def _entry(name: str, node: yaml.Node) -> Entry:
    fields = fields_of(name, node, REQUIRED, OPTIONAL)
    entry_id = scalar(name, fields["id"], "id")
    if not _ID.match(entry_id):
        raise KnowledgeError(name, node_line(fields["id"]), f"id '{entry_id}' must be lowercase letters, digits and dashes, "
                                                         "at most 48 characters")
    owner = scalar(name, fields["owner"], "owner")
    if owner not in OWNERS:
        raise KnowledgeError(name, node_line(fields["owner"]), f"owner '{owner}' must be one of: {', '.join(OWNERS)}")
    kind = scalar(name, fields["kind"], "kind")
    if kind not in KINDS:
        raise KnowledgeError(name, node_line(fields["kind"]), f"kind '{kind}' must be one of: {', '.join(KINDS)}")
    return Entry(
        id=entry_id,
        owner=owner,
        kind=kind,
        phrases=_phrases(name, fields["phrases"]),
        answer=" ".join(scalar(name, fields["answer"], "answer").split()),
        source=scalar(name, fields["source"], "source"),
        file=name,
        line=node_line(node),
        quote=" ".join(scalar(name, fields["quote"], "quote").split()) if "quote" in fields else None,
        overrides=scalar(name, fields["overrides"], "overrides") if "overrides" in fields else None,
        reviewed=_date(name, fields["reviewed"]) if "reviewed" in fields else None,
        reviewer=scalar(name, fields["reviewer"], "reviewer") if "reviewer" in fields else None,
    )


def _date(name: str, node: yaml.Node) -> date:
    text = scalar(name, node, "reviewed")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise KnowledgeError(name, node_line(node), f"'reviewed' must be a date like 2026-12-01, not '{text}'") from None


def is_shipped(entry: Entry) -> bool:
    """Whether an entry came with Rolecall (rather than from a team folder); asked on every answer, so cheap."""
    return os.path.dirname(entry.file) == str(shipped_dir())


def due_for_review(kb: KnowledgeBase, *, older_than_days: int, today: date | None = None) -> list[Entry]:
    """Entries whose review is older than the limit, and team entries never reviewed: oldest first."""
    today = today or date.today()
    due = [e for e in kb.entries if (e.reviewed and (today - e.reviewed).days > older_than_days)
           or (e.reviewed is None and not is_shipped(e))]
    return sorted(due, key=lambda e: (e.reviewed or date.min, e.id))


def _phrases(name: str, node: yaml.Node) -> tuple[str, ...]:
    if not is_sequence(node) or not node.value:
        raise KnowledgeError(name, node_line(node), "'phrases' must be a non-empty list")
    return tuple(scalar(name, item, "phrase").lower() for item in node.value)


def check_consistency(entries: list[Entry]) -> None:
    """Rules that span entries: unique ids, and no phrase claimed by two owners; raises the first problem."""
    errors = consistency_errors(entries)
    if errors:
        raise errors[0]


def consistency_errors(entries: list[Entry]) -> list[KnowledgeError]:
    """Every duplicate id and every phrase claimed by two owners."""
    errors: list[KnowledgeError] = []
    ids: dict[str, Entry] = {}
    phrase_owner: dict[str, tuple[str, Entry]] = {}
    for entry in entries:
        if entry.id in ids:
            first = ids[entry.id]
            errors.append(KnowledgeError(entry.file, entry.line, f"duplicate id '{entry.id}': clashes with {_where(first)}"))
            continue
        ids[entry.id] = entry
        for phrase in entry.phrases:
            key = phrase_key(phrase)
            if not key:
                errors.append(KnowledgeError(entry.file, entry.line, f"phrase '{phrase}' in '{entry.id}' has no words"))
                continue
            seen = phrase_owner.get(key)
            if seen and seen[0] != entry.owner:
                other = seen[1]
                errors.append(KnowledgeError(
                    entry.file, entry.line,
                    f"phrase '{phrase}' is under owner '{entry.owner}' in '{entry.id}' but under owner "
                    f"'{other.owner}' in {_where(other)}",
                ))
            phrase_owner.setdefault(key, (entry.owner, entry))
    return errors


def _where(entry: Entry) -> str:
    """Name an entry's place, saying so when it is one of the shipped ones a team folder clashes with."""
    shipped = Path(entry.file).parent == shipped_dir()
    return f"{'the shipped entry' if shipped else 'entry'} '{entry.id}' ({entry.file}:{entry.line})"
