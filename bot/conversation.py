"""The one entry point every front end calls: `Conversation.handle(message) -> Reply`.

It decides what a message is (help, a question, later a quiz step or a vote)
and keeps the front ends free of domain logic.
"""

from __future__ import annotations

from .advisor import Advisor
from .messages import Message, Reply
from .normalize import defang, words

HELP_TEXT = """I settle "is this product or project work?" debates between product managers and project managers.
Ask me things like:
  • who owns the roadmap?
  • is the burndown chart product or project work?
  • CPI is at 0.87, whose problem is that?
  • what skills does a project manager need?
  • what's the difference between a product manager and a project manager?
I answer with a verdict (product, project, both, or not something I know), the reason, and where it comes from."""

_HELP = {("help",), ("commands",), ("what", "can", "you", "do"), ("how", "do", "i", "use", "you"), ("usage",), ("?",)}


class Conversation:
    """Routes messages to the advisor; holds no per-platform state."""

    def __init__(self, advisor: Advisor):
        self.advisor = advisor

    def handle(self, message: Message) -> Reply:
        tokens = tuple(words(message.text))
        if tokens in _HELP or message.choice == "help":
            return Reply(text=HELP_TEXT)
        answer = self.advisor.ask(message.text)
        return Reply(text=defang(answer.text), verdict=answer.verdict, answer=answer.as_json())
