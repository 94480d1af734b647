"""The `/rolecall` subcommands: one table for the Slack parser, the Discord command tree, the help text and the
Slack manifest's usage hint.

Slack sends "/rolecall who the release plan" as one text; Discord sends a
subcommand name and an option. Both end in the same intent through
`Subcommand.intent`, so the platforms can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from .intents import Ask, DebateStart, Help, Intent, QuizStart, ShowResult, Triage


@dataclass(frozen=True)
class Subcommand:
    name: str
    summary: str
    """One line: the Discord command's description and the help text's line."""
    argument: str | None = None
    """The option's name ("task", "question"), or None for a command without one."""
    argument_help: str = ""
    max_length: int = 500
    public: bool = False
    """Whether the reply is posted for the whole channel (a verdict settling a debate) or only the asker sees it."""
    required: bool = True
    """Whether the command needs its argument (`triage` without one opens a form instead)."""

    def intent(self, argument: str = "") -> Intent:
        """The intent this subcommand stands for; a required argument left blank gets the help text."""
        argument = argument.strip()
        if self.argument and self.required and not argument:
            return Help()
        if self.name in ("who", "ask"):
            return Ask(argument, standalone=True)
        if self.name == "quiz":
            return QuizStart()
        if self.name == "result":
            return ShowResult()
        if self.name == "debate":
            return DebateStart(argument)
        if self.name == "triage":
            return Triage(argument)
        return Help()

    def posts_publicly(self, intent: Intent) -> bool:
        """Whether this command's reply goes to the whole channel: a public command, unless it fell back to help."""
        return self.public and not isinstance(intent, Help)

    @property
    def usage(self) -> str:
        return f"{self.name} <{self.argument}>" if self.argument and self.required else self.name


SUBCOMMANDS = (
    Subcommand("who", "Post who owns a task (product or project manager) for the whole channel", "task",
               "the task, artifact or metric, e.g. the release plan", public=True),
    Subcommand("ask", "Ask Rolecall a question; only you see the answer", "question",
               "e.g. is the burndown chart product or project work?"),
    Subcommand("debate", "Start a team poll in the channel: is this task product or project work?", "task",
               "the task to debate, e.g. the release plan", max_length=200, public=True),
    Subcommand("triage", "Classify a backlog: paste it into a form, or attach a text or CSV file", "tasks",
               "the backlog, one task per line", max_length=40_000, required=False),
    Subcommand("quiz", "Take the quiz: which role fits you, product or project manager?"),
    Subcommand("result", "Your last quiz result; only you see it"),
    Subcommand("help", "What Rolecall can do, with examples"),
)
BY_NAME = {sub.name: sub for sub in SUBCOMMANDS}
ALIASES = {"results": "result"}


def parse(text: str) -> tuple[Subcommand, Intent]:
    """`who the release plan` -> (who, Ask("the release plan")); an unknown or empty command -> help."""
    head, _, rest = text.strip().partition(" ")
    name = ALIASES.get(head.lower(), head.lower())
    sub = BY_NAME.get(name, BY_NAME["help"])
    return sub, sub.intent(rest if sub.argument else "")


def usage_hint() -> str:
    """The Slack manifest's usage_hint: every subcommand, in the table's order."""
    return " | ".join(sub.usage for sub in SUBCOMMANDS)


def help_lines() -> list[str]:
    """One line per subcommand, for the help text."""
    return [f"  • /rolecall {sub.usage}: {sub.summary[0].lower()}{sub.summary[1:]}" for sub in SUBCOMMANDS]
