"""`rolecall kb check | gaps | feedback | stale`: the knowledge base's health, and what the team should add or
review next."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_kb_check(args: argparse.Namespace) -> int:
    from .bot import knowledge, outside

    folders = [Path(d) for d in args.knowledge]
    kb = knowledge.load(folders)
    elsewhere = outside.OutsideWork.load(kb.sources, outside.files(folders))
    summary = kb.summary()
    files = len({e.file for e in kb.entries})
    print(f"OK: {len(kb)} entries, {kb.phrase_count()} phrases in {files} files")
    print(f"work of other functions: {len(elsewhere.works)} kinds, "
          f"{sum(len(w.phrases) for w in elsewhere.works)} phrases")
    print("by owner: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["owner"].items())))
    print("by kind:  " + ", ".join(f"{k} {v}" for k, v in sorted(summary["kind"].items())))
    for team, shipped in kb.overrides:
        print(f"override: {team.file}:{team.line} '{team.id}' replaces '{shipped.id}' ({shipped.owner} -> {team.owner})")
    return 0


def cmd_kb_stale(args: argparse.Namespace) -> int:
    from .bot import knowledge

    days = _days(args.older_than)
    due = knowledge.due_for_review(knowledge.load([Path(d) for d in args.knowledge]), older_than_days=days)
    for entry in due:
        when = entry.reviewed.isoformat() if entry.reviewed else "never"
        if args.json:
            print(json.dumps({"id": entry.id, "reviewed": None if entry.reviewed is None else when,
                              "reviewer": entry.reviewer, "file": entry.file, "line": entry.line}))
        else:
            print(f"{when:<10}  {entry.id}  {entry.file}:{entry.line}" + (f"  ({entry.reviewer})" if entry.reviewer else ""))
    if not due and not args.json:
        print(f"Nothing is due: every reviewed entry was checked within {days} days.")
    return 0


def _days(age: str) -> int:
    """"90d", "12w", "6m" or a plain number of days."""
    text = age.strip().lower()
    unit = {"d": 1, "w": 7, "m": 30, "y": 365}.get(text[-1:], 0)
    number = text[:-1] if unit else text
    if not number.isdigit():
        raise ValueError(f"--older-than takes an age like 90d, 12w or 6m, not {age!r}")
    return int(number) * (unit or 1)


def _feedback(args: argparse.Namespace):
    from .bot.feedback import Feedback
    from .bot.store_url import open_store

    return Feedback(open_store(args.store))


def cmd_kb_gaps(args: argparse.Namespace) -> int:
    groups = _feedback(args).gaps()
    if args.json:
        for g in groups:
            print(json.dumps({"question": g.question, "count": g.count, "similar": g.similar, "nearest": g.nearest}, ensure_ascii=False))
        return 0
    if not groups:
        print("No gaps recorded yet: every question asked in chat was answered confidently.")
    else:
        print(f"{'asked':>5}  question (similar)  ->  nearest known topic")
    for g in groups:
        similar = f" (+{g.similar} similar)" if g.similar else ""
        print(f"{g.count:>5}  {g.question}{similar}  ->  {g.nearest or '-'}")
    from .bot import knowledge

    due = knowledge.due_for_review(knowledge.load([Path(d) for d in args.knowledge]), older_than_days=90)
    if due:
        print(f"\nDue for review ({len(due)}; see rolecall kb stale): " + ", ".join(e.id for e in due[:10])
              + (" ..." if len(due) > 10 else ""))
    return 0


def cmd_kb_feedback(args: argparse.Namespace) -> int:
    topics = _feedback(args).topics()
    if args.json:
        for t in topics:
            print(json.dumps({"topic": t.topic, "up": t.up, "down": t.down, "down_share": round(t.down_share, 3)}))
        return 0
    if not topics:
        print("No 👍/👎 votes recorded yet.")
        return 0
    print(f"{'👎 share':>8}  {'👍':>4} {'👎':>4}  topic")
    for t in topics:
        print(f"{t.down_share:>8.0%}  {t.up:>4} {t.down:>4}  {t.topic}")
    return 0
