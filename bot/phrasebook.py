"""The conversational words around answers: follow-ups, agreement, small talk, "what does X stand for?".

These only make sense in a conversation (after an answer, or as chat), so they are recognised here, by
their whole shape, before anything is matched against the knowledge base.
"""

from __future__ import annotations

import re

from .intents import Agreement, Define, FollowUp, Intent, ListSources, ListTopics, PickReading, SmallTalk, WhatAbout

_FOLLOW_UPS = {
    "why": {("why",), ("why", "is", "that"), ("how", "come"), ("why", "so"), ("explain",), ("explain", "why"),
            ("what", "is", "the", "reason"), ("whats", "the", "reason"), ("reason",), ("because",)},
    "more": {("tell", "me", "more"), ("more",), ("explain", "more"), ("more", "detail"), ("more", "details"),
             ("go", "on"), ("elaborate",), ("say", "more"), ("expand",), ("explain", "that"), ("details",)},
    "sure": {("are", "you", "sure"), ("really",), ("you", "sure"), ("sure",), ("how", "sure", "are", "you"),
             ("how", "confident", "are", "you"), ("is", "that", "right"), ("is", "that", "true")},
    "source": {("source",), ("sources", "for", "that"), ("whats", "the", "source"), ("what", "is", "the", "source"),
               ("where", "does", "that", "come", "from"), ("says", "who"), ("citation",), ("proof",),
               ("where", "is", "that", "from")},
}
_FOLLOW_UP_OF = {form: kind for kind, forms in _FOLLOW_UPS.items() for form in forms}
_AGREE = {("yes",), ("yep",), ("yeah",), ("right",), ("correct",), ("exactly",), ("true",), ("thats", "right"),
          ("that", "is", "right"), ("thats", "correct"), ("good", "answer"), ("makes", "sense"), ("agreed",)}
_DISAGREE = {("no",), ("nope",), ("wrong",), ("incorrect",), ("thats", "wrong"), ("that", "is", "wrong"),
             ("thats", "not", "right"), ("not", "right"), ("bad", "answer"), ("false",), ("disagree",)}
_THANKS = {("thanks",), ("thank", "you"), ("thx",), ("ty",), ("cheers",), ("thanks", "a", "lot"), ("many", "thanks"),
           ("great", "thanks"), ("ok", "thanks"), ("perfect", "thanks"), ("awesome", "thanks"), ("thank", "you", "so", "much")}
_BYE = {("bye",), ("goodbye",), ("see", "you"), ("see", "ya"), ("later",), ("good", "night"), ("cya",)}
_TOPICS = {("topics",), ("list", "topics"), ("what", "topics"), ("what", "do", "you", "know"),
           ("what", "do", "you", "know", "about"), ("show", "topics"), ("all", "topics"), ("list", "all", "topics")}
_SOURCES = {("sources",), ("list", "sources"), ("what", "are", "your", "sources"), ("your", "sources"),
            ("where", "does", "your", "knowledge", "come", "from")}
_ORDINALS = {"first": 0, "1st": 0, "one": 0, "1": 0, "second": 1, "2nd": 1, "two": 1, "2": 1, "other": 1, "latter": 1,
             "former": 0}
_PICK = re.compile(r"^\s*(?:the\s+)?(?P<n>first|1st|second|2nd|other|former|latter|1|2)(?:\s+one)?(?:\s+reading)?\s*[.!]?\s*$"
                   r"|^\s*i\s+meant?\s+(?P<meant>.{1,120}?)\s*[.!]?\s*$", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:(?:and\s+)?what\s+about|how\s+about|and|also)\s+(?P<x>[^?]{1,160}?)\s*\??\s*$"
                         r"|^\s*(?P<y>[^?]{1,120}?)\s+(?:too|as\s+well)\s*\??\s*$", re.IGNORECASE)
_DEFINE = re.compile(r"^\s*(?:what\s+(?:does|do|is|s)\s+|whats\s+|what's\s+)?(?:an?\s+)?(?P<t>[a-z0-9&/+.\-]{2,12})"
                     r"\s+(?:stand\s+for|mean|short\s+for|abbreviation\s+for)\s*\??\s*$"
                     r"|^\s*(?:define|meaning\s+of|expand)\s+(?P<u>[a-z0-9&/+.\-]{2,12})\s*\??\s*$", re.IGNORECASE)


def parse(text: str, tokens: tuple[str, ...]) -> Intent | None:
    """A conversational intent, or None when the message is a question for the knowledge base."""
    if len(text) > 300:
        return None
    kind = _FOLLOW_UP_OF.get(tokens)
    if kind:
        return FollowUp(kind, text)
    if tokens in _AGREE or tokens in _DISAGREE:
        return Agreement(tokens in _AGREE, text)
    if tokens in _THANKS:
        return SmallTalk("thanks")
    if tokens in _BYE:
        return SmallTalk("bye")
    if tokens in _TOPICS:
        return ListTopics()
    if tokens in _SOURCES:
        return ListSources()
    return _shaped(text)


def _shaped(text: str) -> Intent | None:
    define = _DEFINE.match(text)
    if define:
        return Define((define.group("t") or define.group("u")).strip(".").lower(), text)
    pick = _PICK.match(text)
    if pick:
        if pick.group("n"):
            return PickReading(_ORDINALS[pick.group("n").lower()], "", text)
        return PickReading(None, pick.group("meant"), text)
    about = _WHAT_ABOUT.match(text)
    if about:
        subject = (about.group("x") or about.group("y") or "").strip()
        if subject and len(subject.split()) <= 12:
            return WhatAbout(subject, text)
    return None
