"""Questions about the roles themselves rather than about one topic.

"What skills does a project manager need?" has no single owner-topic to match:
the answer is every skill entry of that role. These lists are built from the
knowledge base by kind and owner, so they grow with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import glossary
from .knowledge import Entry, KnowledgeBase
from .vocabulary import ROLE_PRODUCT, ROLE_PROJECT, STOPWORDS

KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(["skill", "skills", "skillset", "strengths", "traits", "qualities", "competencies"], "skill"),
    **dict.fromkeys(["metric", "metrics", "kpi", "kpis", "measures", "measured", "judged", "numbers"], "metric"),
    **dict.fromkeys(["tool", "tools", "software", "apps", "toolkit", "stack"], "tool"),
    **dict.fromkeys(["certification", "certifications", "cert", "certs", "certificate", "certificates", "credentials", "qualification", "qualifications"], "certification"),
    **dict.fromkeys(["career", "careers", "path", "ladder", "progression", "promotion", "grow", "growth", "titles"], "career"),
    **dict.fromkeys(["responsibilities", "duties", "do", "does", "role", "job"], "responsibility"),
    **dict.fromkeys(["artifacts", "artefacts", "deliverables", "documents", "docs", "outputs"], "artifact"),
    **dict.fromkeys(["methods", "methodologies", "methodology", "frameworks", "approaches", "processes"], "method"),
}
_FILLER = frozenset(
    "list typical typically main key common commonly usual use uses used track tracks need needs "
    "require required requires good best top important become becoming learn get typical manager managers "
    "management mgmt pm pms role roles path".split()
)
_DIFFERENCE = frozenset("difference differences differ different compare comparison versus vs distinguish".split())
_KIND_TITLES = {
    "skill": "skills", "metric": "metrics", "tool": "tools", "certification": "certifications",
    "career": "career path", "responsibility": "responsibilities", "artifact": "artifacts", "method": "methods",
}
_MOVING = frozenset("move moving moved switch switching switched transition transitioning transitioned pivot pivoting "
                    "shift shifting change changing jump jumping into".split())
"""A question naming both roles with one of these asks how to go from one to the other."""
_NEEDING = frozenset("need needs needed require requires hire hiring have afford combine merge away".split())
COMPARISON = "role-difference"
"""The entry comparing the two roles: the shared answer about them as a whole."""
_ROLE_ENTRY = {"product": "role-product-manager", "project": "role-project-manager", "both": COMPARISON}


@dataclass(frozen=True)
class Listing:
    verdict: str
    text: str


def listing(kb: KnowledgeBase, tokens: list[str]) -> Listing | None:
    """A role-level answer when the question names a role and a kind but no topic."""
    product = any(t in ROLE_PRODUCT for t in tokens)
    project = any(t in ROLE_PROJECT for t in tokens)
    if not (product or project):
        return None
    kinds = [KIND_WORDS[t] for t in tokens if t in KIND_WORDS]
    rest = [t for t in tokens if t not in STOPWORDS and t not in KIND_WORDS and t not in _FILLER and t not in _DIFFERENCE
            and not (product and project and (t in _MOVING or t in _NEEDING))]
    if rest:
        return None
    if product and project:
        entry_id = _whole_roles_id(tokens)
        if entry_id == _ROLE_ENTRY["both"] and kinds and not any(t in _DIFFERENCE for t in tokens):
            return None  # "skills of product and project managers?" is about the shared skills: leave it to the matcher
        entry = kb.by_id.get(entry_id)
        return Listing(entry.owner, entry.answer) if entry else None
    role = "product" if product else "project"
    kind = next((k for k in kinds if k != "responsibility"), kinds[0] if kinds else None)
    if kind is None:
        return None
    if kind == "responsibility":
        return _describe(kb, role)
    return _list_kind(kb, role, kind)


def whole_roles(kb: KnowledgeBase, tokens: list[str]) -> Entry | None:
    """The entry that answers a question about the two roles as a whole — how they differ, moving from one to the
    other, needing both — or None when the question does not name both roles. The owner model also offers it as
    the shared reading of a question that names both roles among other words ("eli5: pdm vs pjm?", "can the pdm
    and the pjm be the same person on a tiny team?"), which no topic's phrases match."""
    if not (any(t in ROLE_PRODUCT for t in tokens) and any(t in ROLE_PROJECT for t in tokens)):
        return None
    return kb.by_id.get(_whole_roles_id(tokens))


def _whole_roles_id(tokens: list[str]) -> str:
    if any(t in _MOVING for t in tokens):
        return "career-switching"
    if _asks_for_both(tokens):
        return "concept-need-both-roles"
    return _ROLE_ENTRY["both"]


def _asks_for_both(tokens: list[str]) -> bool:
    """"Do we need both a product and a project manager?", "can one person do both?", "get away with one"."""
    return any(t in _NEEDING for t in tokens) and ("both" in tokens or "one" in tokens)


def role_entry(kb: KnowledgeBase, owner: str) -> Entry | None:
    """The entry about a role as a whole (the two roles' comparison for "both")."""
    return kb.by_id.get(_ROLE_ENTRY[owner]) if owner in _ROLE_ENTRY else None


def _describe(kb: KnowledgeBase, role: str) -> Listing | None:
    entry = role_entry(kb, role)
    if entry is None:
        return None
    text = entry.answer
    duties = _names(kb, role, "responsibility", limit=8)
    if duties:
        text += f"\nTypical responsibilities: {duties}."
    return Listing(entry.owner, text)


def _list_kind(kb: KnowledgeBase, role: str, kind: str) -> Listing | None:
    """The role's entries of one kind: the first few with the reason each belongs to the role, then the rest by
    name, then the shared ones."""
    entries = _of(kb, role, kind)
    if not entries:
        return None
    title = "Product manager" if role == "product" else "Project manager"
    lines = [f"{title} {_KIND_TITLES[kind]}, the main ones first:"]
    lines += [f"  • {_label(e)}: {_first_sentence(e.answer)}" for e in entries[:EXPLAINED]]
    rest = entries[EXPLAINED:EXPLAINED + 9]
    if rest:
        lines.append("Also: " + ", ".join(_label(e) for e in rest) + ".")
    shared = _names(kb, "both", kind, limit=6)
    if shared:
        lines.append(f"Shared with the other role: {shared}.")
    lines.append("Ask \"who owns <one of these>?\" for the reasoning behind any of them.")
    return Listing(role, "\n".join(lines))


EXPLAINED = 3
"""Entries of a listing shown with their reason; the rest are named."""


def _of(kb: KnowledgeBase, owner: str, kind: str) -> list[Entry]:
    return [e for e in kb.entries if e.owner == owner and e.kind == kind and not e.id.startswith("role-")]


def _label(entry: Entry) -> str:
    """A topic's name for a listing, as people type it, with abbreviations in their case."""
    return glossary.proper_case(entry.phrases[0])


def _first_sentence(text: str, limit: int = 160) -> str:
    end = text.find(". ")
    sentence = text if end < 0 else text[: end + 1]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _names(kb: KnowledgeBase, owner: str, kind: str, *, limit: int) -> str:
    return ", ".join(glossary.proper_case(e.phrases[0]) for e in _of(kb, owner, kind)[:limit])


def examples(kb: KnowledgeBase, count: int = 3) -> list[Entry]:
    """A few well-known topics to suggest when a question matched nothing at all."""
    wanted = ("product-roadmap", "burndown-chart", "stakeholder-management", "gantt-chart", "user-stories")
    found = [kb.by_id[i] for i in wanted if i in kb.by_id]
    return (found or kb.entries)[:count]
