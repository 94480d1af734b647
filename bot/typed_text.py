"""What a typed message means: the one parser of chat text into an intent (see `intents`)."""

from __future__ import annotations

import re

from . import phrasebook
from .intents import (
    Adopt,
    Ask,
    DebateStart,
    Feedback,
    Help,
    Intent,
    QuizControl,
    QuizStart,
    Reveal,
    ShowResult,
    Usage,
    Vote,
)
from .normalize import MAX_INPUT_CHARS, words

QUIZ_CONTROLS = {
    "back": {("back",), ("go", "back"), ("previous",), ("prev",), ("undo",), ("previous", "question")},
    "skip": {("skip",), ("pass",), ("next",), ("skip", "it"), ("skip", "this"), ("skip", "question"), ("dont", "know"),
             ("no", "idea"), ("idk",)},
    "restart": {("restart",), ("start", "over"), ("start", "again"), ("reset",), ("restart", "quiz"),
                ("begin", "again")},
    "stop": {("stop",), ("quit",), ("cancel",), ("exit",), ("stop", "quiz"), ("quit", "quiz"), ("end", "quiz"),
             ("cancel", "quiz"), ("exit", "quiz")},
}
_CONTROL_OF = {form: name for name, forms in QUIZ_CONTROLS.items() for form in forms}
_HELP = {("help",), ("commands",), ("what", "can", "you", "do"), ("how", "do", "i", "use", "you"), ("usage",), ("menu",)}
_MY_RESULT = {("my", "result"), ("my", "results"), ("show", "my", "result"), ("quiz", "result"), ("last", "result"),
              ("what", "was", "my", "result")}
_START_QUIZ = re.compile(
    r"\b(?:quiz|fits? me|suits? me|right (?:role )?for me|am i (?:more )?(?:of )?(?:an? )?(?:product|project)|"
    r"should i (?:be|become) (?:an? )?(?:product|project)|which role (?:should i|would i|is for me)|career quiz)\b"
)
_DEBATE = re.compile(r"\s*+(?:/rolecall\s++)?debate(?:\s*+[:\-]|\s)\s*+(.+)", re.IGNORECASE | re.DOTALL)
"""Possessive quantifiers throughout: a message of spaces costs one pass, never a backtracking search."""
_VOTE = re.compile(r"vote\s++(?:(?P<id>[0-9a-f]{8})\s++)?(?P<option>product|project|both)[.!]?", re.IGNORECASE)
_REVEAL = re.compile(r"reveal(?:\s++(?P<id>[0-9a-f]{8}))?[.!]?", re.IGNORECASE)
_MISUSED = re.compile(r"/?(vote|reveal|debate|adopt)\b[\s:\-]*+.{0,30}", re.IGNORECASE | re.DOTALL)
"""What is left of a vote, reveal or debate that did not parse: it gets a usage hint, not a guess."""
_ADOPT = re.compile(r"adopt(?:\s++(?P<id>[0-9a-f]{8}))?(?:\s++(?P<option>product|project|both))?[.!]?", re.IGNORECASE)
MAX_COMMAND_CHARS = 40
"""A typed vote or reveal is a few words; longer text is never parsed as one (and costs nothing to rule out)."""
_THUMBS = {"👍": True, "+1": True, ":+1:": True, ":thumbsup:": True, "👎": False, "-1": False, ":-1:": False,
           ":thumbsdown:": False}


def parse_text(text: str) -> Intent:
    """What a typed message asks for. Quiz-only readings (an option, a control word) are decided with the quiz state.

    Only the first MAX_INPUT_CHARS are read, as everywhere, so no message costs more than a short one to parse.
    """
    text = text[:MAX_INPUT_CHARS]
    debate = _DEBATE.match(text)
    if debate:
        return DebateStart(debate.group(1))
    short = text.strip()
    if len(short) <= MAX_COMMAND_CHARS:
        vote = _VOTE.fullmatch(short)
        if vote:
            return Vote(vote.group("option").lower(), vote.group("id"))
        reveal = _REVEAL.fullmatch(short)
        if reveal:
            return Reveal(reveal.group("id"))
        adopt = _ADOPT.fullmatch(short)
        if adopt:
            return Adopt((adopt.group("option") or "").lower() or None, adopt.group("id"))
        misused = _MISUSED.fullmatch(short)
        if misused:
            return Usage(misused.group(1).lower())
    thumbs = _THUMBS.get(text.strip().lower())
    if thumbs is not None:
        return Feedback(thumbs)
    tokens = tuple(words(text))
    if tokens in _HELP:
        return Help()
    if tokens in _MY_RESULT:
        return ShowResult()
    conversational = phrasebook.parse(text, tokens)
    if conversational is not None:
        return conversational
    plain: Ask | QuizStart = QuizStart(text) if _START_QUIZ.search(" ".join(tokens)) else Ask(text)
    control = _CONTROL_OF.get(tokens)
    return QuizControl(control, plain) if control else plain
