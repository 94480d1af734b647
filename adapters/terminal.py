"""The terminal front end: a REPL for people, a line protocol for scripts.

It is an adapter like Slack and Discord: it turns lines into `Message`s and
prints `Reply`s, nothing more.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import textwrap

from ..bot import buttons
from ..bot.conversation import Conversation
from ..bot.intents import Feedback, PickTopic, QuizStart
from ..bot.messages import Message, Reply
from ..bot.parts import Verdict

_BYE = {"quit", "exit", "bye", ":q", "/quit", "/exit"}
_BANNER = "Rolecall: ask who owns what between product and project managers. Type help, or quit to leave."
INTERRUPTED = 130
"""Ctrl-C: the shell's convention for a program stopped by SIGINT (128 + 2)."""
_COLOURS = {"product": "\033[34m", "project": "\033[32m", "both": "\033[35m", "unknown": "\033[90m"}
_BOLD, _RESET = "\033[1m", "\033[0m"


def run_chat(conversation: Conversation, *, as_json: bool, user: str) -> int:
    """Chat until end of input or quit (piped plain text too; under --json, quit is a message like any other)."""
    interactive = sys.stdin.isatty() and not as_json
    if interactive:
        return _repl(conversation, user)
    for raw in sys.stdin.buffer:
        text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if not as_json and text.strip().lower() in _BYE:
            break  # as at the prompt; under --json every line is a message and gets its reply (the contract)
        reply = conversation.handle(Message(text=text, user=user))
        if as_json:
            print(json.dumps(reply.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render(reply), flush=True)
    return 0


def run_quiz(conversation: Conversation, *, user: str) -> int:
    """Start the quiz and keep asking until there is a result or the person stops."""
    reply = conversation.handle(Message(user=user), QuizStart())
    print(render(reply, styled=_styled()))
    while reply.quiz is not None and reply.quiz.get("result") is None:
        try:
            text = input("your answer> ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            return INTERRUPTED
        reply = conversation.handle(Message(text=text, user=user))
        print(render(reply, styled=_styled()))
    return 0


def _repl(conversation: Conversation, user: str) -> int:
    _line_editing()
    print(_BANNER)
    while True:
        try:
            text = input("you> ")
        except EOFError:  # Ctrl-D ends the chat cleanly
            print()
            return 0
        except KeyboardInterrupt:
            print()
            return INTERRUPTED
        if text.strip().lower() in _BYE:
            return 0
        print(render(conversation.handle(Message(text=text, user=user)), styled=True))


def _line_editing() -> None:
    with contextlib.suppress(ImportError):  # line editing and history, where available
        import readline  # noqa: F401


def render(reply: Reply, *, styled: bool = False) -> str:
    """Plain text for a person at a terminal: quiz options are already listed in the text, the two readings of a
    close call are numbered, and on a real terminal lines wrap at word boundaries with the verdict in colour."""
    text = reply.text
    intents = [buttons.parse(c.id) for c in reply.choices]
    if any(isinstance(i, Feedback) for i in intents):
        text += "\n(Was this right? Type 👍 or 👎, or yes / no.)"
    picks = [c.label for c, i in zip(reply.choices, intents) if isinstance(i, PickTopic)]
    if picks:
        text += "\n" + "\n".join(f"  {n}) {label}" for n, label in enumerate(picks, 1))
        text += "\n(Type 1 or 2, or I meant ..., to pick a reading.)"
    if styled and sys.stdout.isatty():
        text = _wrap(text, shutil.get_terminal_size().columns)
        if "NO_COLOR" not in os.environ:
            text = _coloured(text, reply)
    return text + "\n"


def _styled() -> bool:
    return sys.stdout.isatty()


def _wrap(text: str, width: int) -> str:
    """Each line wrapped at word boundaries, keeping list indents."""
    width = max(40, width - 1)
    out = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line, width, subsequent_indent=indent + "   " if indent else "",
                                 break_long_words=False, break_on_hyphens=False) if len(line) > width else line)
    return "\n".join(out)


def _coloured(text: str, reply: Reply) -> str:
    """The verdict's heading in the verdict's colour (Slack and Discord colour their cards the same way)."""
    verdict = reply.first(Verdict)
    if verdict is None or verdict.topic is None:
        return text
    head, dot, rest = text.partition(". ")
    return f"{_BOLD}{_COLOURS.get(verdict.owner, '')}{head}{dot.strip()}{_RESET} {rest}" if dot else text
