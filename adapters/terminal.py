"""The terminal front end: a REPL for people, a line protocol for scripts.

It is an adapter like Slack and Discord: it turns lines into `Message`s and
prints `Reply`s, nothing more.
"""

from __future__ import annotations

import contextlib
import json
import sys

from ..bot import buttons
from ..bot.conversation import Conversation
from ..bot.intents import Feedback, QuizStart
from ..bot.messages import Message, Reply

_BYE = {"quit", "exit", "bye", ":q", "/quit", "/exit"}
_BANNER = "Rolecall: ask who owns what between product and project managers. Type help, or quit to leave."


def run_chat(conversation: Conversation, *, as_json: bool, user: str) -> int:
    """Chat until end of input (or quit, on a terminal)."""
    interactive = sys.stdin.isatty() and not as_json
    if interactive:
        return _repl(conversation, user)
    for raw in sys.stdin.buffer:
        text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        reply = conversation.handle(Message(text=text, user=user))
        if as_json:
            print(json.dumps(reply.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render(reply), flush=True)
    return 0


def run_quiz(conversation: Conversation, *, user: str) -> int:
    """Start the quiz and keep asking until there is a result or the person stops."""
    reply = conversation.handle(Message(user=user), QuizStart())
    print(render(reply))
    while reply.quiz is not None and reply.quiz.get("result") is None:
        try:
            text = input("your answer> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        reply = conversation.handle(Message(text=text, user=user))
        print(render(reply))
    return 0


def _repl(conversation: Conversation, user: str) -> int:
    _line_editing()
    print(_BANNER)
    while True:
        try:
            text = input("you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text.strip().lower() in _BYE:
            return 0
        print(render(conversation.handle(Message(text=text, user=user))))


def _line_editing() -> None:
    with contextlib.suppress(ImportError):  # line editing and history, where available
        import readline  # noqa: F401


def render(reply: Reply) -> str:
    """Plain text for a person at a terminal (quiz options are already listed in the text)."""
    text = reply.text
    if any(isinstance(buttons.parse(c.id), Feedback) for c in reply.choices):
        text += "\n(Was this right? Type 👍 or 👎, or +1 / -1.)"
    return text + "\n"
