"""`rolecall kb decisions | decide | undecide`: a team's decisions in the terminal's workspace (or any store).

Decisions are made in chat (a revealed debate, `adopt`) or here, and kept per workspace in the store; the
terminal's workspace is the one `rolecall chat` and `rolecall ask --store` use. `--export` writes them as a
team knowledge file of `overrides:` entries, so a team can keep its answers in git.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .bot.advisor import Advisor, topic_label
from .bot.decisions import Decision, Decisions, iso_date, now, topic_key
from .bot.parts import OWNERS

PLATFORM, WORKSPACE = "terminal", "local"
"""The terminal's workspace, as `rolecall chat` uses it (see Message's defaults)."""


def add_parsers(kb_sub: argparse._SubParsersAction, add_knowledge: object) -> None:
    listing = kb_sub.add_parser("decisions", help="the team's decisions: who owns what, as decided in debates",
                                description="List this workspace's decisions, newest first (or --export them).")
    listing.add_argument("--store", metavar="URL", help="the store the bot runs with (default as for chat)")
    listing.add_argument("--json", action="store_true", help="one JSON object per decision")
    listing.add_argument("--export", metavar="FILE.yaml", help="write them as a team knowledge file (overrides)")
    listing.set_defaults(run=_cmd_decisions)
    decide = kb_sub.add_parser("decide", help="record the team's answer for a topic or question",
                               description="Decide who owns a topic (an entry id, or a question it answers).")
    decide.add_argument("topic", help='an entry id or a question, e.g. "the release plan"')
    decide.add_argument("--owner", required=True, choices=OWNERS, help="the team's answer")
    decide.add_argument("--reason", help="why, shown with the answer")
    decide.add_argument("--store", metavar="URL", help="the store the bot runs with (default as for chat)")
    decide.set_defaults(run=_cmd_decide)
    undecide = kb_sub.add_parser("undecide", help="revoke the team's decision for a topic or question",
                                 description="Revoke a decision; answers go back to common practice.")
    undecide.add_argument("topic", help="an entry id or a question")
    undecide.add_argument("--store", metavar="URL", help="the store the bot runs with (default as for chat)")
    undecide.set_defaults(run=_cmd_undecide)
    for parser in (listing, decide, undecide):
        add_knowledge(parser)  # type: ignore[operator]


def resolve_topic(advisor: Advisor, text: str) -> str:
    """An entry id as given, else the topic the question is answered with (or the question's own words)."""
    if text in advisor.kb.by_id:
        return text
    return topic_key(advisor.ask(text).topic, text)


def decisions(store_url: str | None) -> Decisions:
    from .bot.store_url import open_store  # here, not at the top: `ask` without a store never loads SQLite

    return Decisions(open_store(store_url))


def lookup(decisions: Decisions, topic: str | None, question: str) -> Decision | None:
    """The terminal workspace's decision on a topic (or question), if any."""
    return decisions.lookup(PLATFORM, WORKSPACE, topic, question)


def _advisor(args: argparse.Namespace) -> Advisor:
    return Advisor.load([Path(d) for d in args.knowledge])


def _cmd_decide(args: argparse.Namespace) -> int:
    advisor = _advisor(args)
    topic = resolve_topic(advisor, args.topic)
    decision = Decision(topic=topic, verdict=args.owner, question=args.topic, decided_at=now(), by="rolecall kb decide",
                        reason=args.reason)
    decisions(args.store).decide(PLATFORM, WORKSPACE, decision)
    print(f"Decided: {_label(advisor, topic)} is {args.owner} work in this workspace.")
    return 0


def _cmd_undecide(args: argparse.Namespace) -> int:
    advisor = _advisor(args)
    topic = resolve_topic(advisor, args.topic)
    if decisions(args.store).undecide(PLATFORM, WORKSPACE, topic):
        print(f"Revoked the team's decision on {_label(advisor, topic)}; answers follow common practice again.")
        return 0
    print(f"rolecall kb undecide: no decision recorded for {_label(advisor, topic)}")
    return 1


def _cmd_decisions(args: argparse.Namespace) -> int:
    advisor = _advisor(args)
    found = decisions(args.store).all(PLATFORM, WORKSPACE)
    if args.export:
        Path(args.export).write_text(export_yaml(advisor, found), encoding="utf-8")
        print(f"Wrote {len(found)} decision{'s' * (len(found) != 1)} to {args.export}; add its folder with "
              "--knowledge (or ROLECALL_KNOWLEDGE) to make them part of the knowledge base.")
        return 0
    if args.json:
        for d in found:
            print(json.dumps(d.as_json(), ensure_ascii=False))
        return 0
    if not found:
        print("No team decisions yet: reveal a debate and adopt it, or use rolecall kb decide.")
        return 0
    for d in found:
        print(f"{iso_date(d.decided_at)[:10]}  {d.verdict:<8} {_label(advisor, d.topic)}  (by {d.by})")
    return 0


def _label(advisor: Advisor, topic: str) -> str:
    entry = advisor.kb.by_id.get(topic)
    return topic_label(entry) if entry else topic.removeprefix("text:")


def export_yaml(advisor: Advisor, decisions: list[Decision]) -> str:
    """A team knowledge file: one entry per decision on a known topic, overriding the shipped one."""
    lines = ["# The team's decisions, exported by `rolecall kb decisions --export`. Each entry overrides a shipped one.",
             ""]
    for d in decisions:
        entry = advisor.kb.by_id.get(d.topic)
        if entry is None:
            continue
        answer = d.reason or f"Our team decided this is {d.verdict} work ({iso_date(d.decided_at)[:10]})."
        lines += [f"- id: team-{entry.id}"[:50], f"  overrides: {entry.id}", f"  owner: {d.verdict}",
                  f"  kind: {entry.kind}", "  phrases:", f"    - {json.dumps(entry.phrases[0])}",
                  f"  answer: {json.dumps(answer, ensure_ascii=False)}",
                  f"  source: {json.dumps('team decision of ' + iso_date(d.decided_at)[:10])}",
                  f"  reviewed: {iso_date(d.decided_at)[:10]}", f"  reviewer: {json.dumps(d.by)}", ""]
    return "\n".join(lines)
