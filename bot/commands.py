"""The `/rolecall` command's subcommands, parsed once for every platform.

Slack sends "/rolecall who the release plan" as one text; Discord sends a
subcommand name and an option. Both become a `Command`, and `Conversation.run`
turns it into a reply, so the platforms can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBCOMMANDS = ("who", "ask", "quiz", "help", "result", "debate", "triage")
"""Subcommands of /rolecall."""


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""
    public: bool = False
    """Whether the reply is posted for the whole channel (a verdict settling a debate) or only the asker sees it."""


def parse(text: str) -> Command:
    """`who the release plan` -> Command("who", "the release plan", public=True); unknown or empty -> help."""
    head, _, rest = text.strip().partition(" ")
    name = head.lower()
    rest = rest.strip()
    if name == "who" and rest:
        return Command("who", rest, public=True)
    if name == "ask" and rest:
        return Command("ask", rest)
    if name == "quiz":
        return Command("quiz")
    if name == "debate" and rest:
        return Command("debate", rest, public=True)
    if name == "triage":
        return Command("triage", rest)
    if name in ("result", "results"):
        return Command("result")
    return Command("help")
