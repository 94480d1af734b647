"""What Rolecall says around its answers: follow-ups on the last answer, what it knows, the glossary, usage hints.

Everything here is built from the knowledge base (and `glossary.yaml`), so it grows with it.
"""

from __future__ import annotations

from collections import Counter

from .advisor import Advisor, topic_label
from .knowledge import KnowledgeBase
from .parts import Notice, Part, role_name

SMALL_TALK = {
    "thanks": "You're welcome! Ask me anything else about who owns what.",
    "bye": "Bye! Come back whenever a who-owns-what argument starts.",
}
USAGE = {
    "vote": "To vote on the channel's debate, say vote product, vote project or vote both.",
    "reveal": "To reveal the channel's debate, say reveal (the person who started it can, or anyone once time is up).",
    "debate": "To start a team poll, say debate: <task>, e.g. debate: the release plan.",
    "adopt": "After a debate is revealed, its starter can say adopt (the team's majority) or adopt product, "
             "adopt project or adopt both to make it this workspace's answer.",
}
NO_LAST_ANSWER = "Ask me something first, e.g. who owns the roadmap? Then I can tell you why, or where it comes from."
PICK_A_PART = "That answer had two parts, one for each role. Type 1 or 2 to pick one, then ask why."
_KIND_NAMES = {"responsibility": "responsibilities", "artifact": "artifacts", "tool": "tools", "metric": "metrics",
               "skill": "skills", "certification": "certifications", "career": "career steps", "method": "methods",
               "concept": "concepts", "timeframe": "timeframes"}


def expand(advisor: Advisor, topic: str, kind: str, confidence: float | None) -> tuple[Part, ...]:
    """The last answer again, expanded for "why", "tell me more", "are you sure" or "source"."""
    answer = advisor.about(topic)
    if answer is None:
        return (Notice("That answer is no longer in my knowledge. Ask me again in your own words."),)
    entry = advisor.kb.by_id[topic]
    source = advisor.kb.source_of(entry)
    where = f"It rests on {source.label}" + (f": “{entry.quote}”" if entry.quote else ".")
    if kind == "source":
        return (Notice(f"{where}" + ("" if entry.quote else f" The reasoning: {entry.answer}")),)
    if kind == "sure":
        sure = (f"I'd put it at {confidence:.0%}: answers given with that confidence turn out right about that often. "
                if confidence is not None else "")
        return (Notice(f"{sure}{where} If your team sees it differently, say so with 👎 or start a debate: "
                       f"{topic_label(entry)}."),)
    related = _related(advisor, topic) if kind == "more" else []
    more = f" Related topics: {', '.join(related)}." if related else ""
    return answer.part, Notice(where + more)


def _related(advisor: Advisor, topic: str) -> list[str]:
    entry = advisor.kb.by_id[topic]
    _, found = advisor.matcher.candidates(entry.phrases[0], limit=6)
    return [f"{topic_label(c.entry)} ({role_name(c.entry.owner).lower()})" for c in found if c.entry.id != topic][:3]


def topics_text(kb: KnowledgeBase) -> str:
    """What Rolecall knows, by kind, with counts and a few examples of each."""
    counts = Counter(e.kind for e in kb.entries)
    lines = [f"I know {len(kb):,} topics about who does what between product and project managers:"]
    for kind, count in counts.most_common():
        examples = ", ".join([topic_label(e) for e in kb.entries if e.kind == kind][:4])
        lines.append(f"  • {_KIND_NAMES.get(kind, kind)} ({count}): {examples} …")
    lines.append("Ask about any of them, e.g. who owns the roadmap? or is the RAID log product or project work?")
    return "\n".join(lines)


def sources_text(kb: KnowledgeBase) -> str:
    """The references answers rest on, most used first."""
    used = Counter(kb.source_of(e).id for e in kb.entries)
    by_id = {s.id: s for s in kb.sources.values()}
    lines = ["My answers rest on these (how many topics cite each):"]
    for source_id, count in used.most_common(12):
        source = by_id.get(source_id)
        if source is not None:
            lines.append(f"  • {source.label} ({count})")
    if len(used) > 12:
        lines.append(f"  … and {len(used) - 12} more.")
    return "\n".join(lines)
