"""The conversational intents: follow-ups on the last answer, agreement in words, small talk, what Rolecall knows.

They lean on the conversation's memory of the last answer (per person and channel, in the store); with no
last answer, a follow-up word is just a question, and is answered as one.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import follow_ups, glossary
from .advisor import Advisor
from .intents import (
    Agreement,
    Define,
    FollowUp,
    Intent,
    ListSources,
    ListTopics,
    PickReading,
    SmallTalk,
    Usage,
    WhatAbout,
)
from .messages import Message, Reply
from .normalize import words


class Memory(Protocol):
    """What Talk needs of the conversation: its advisor, its answers and its memory of the last one."""

    advisor: Advisor

    def ask_in_frame(self, message: Message, text: str) -> Reply: ...

    def answer_topic(self, message: Message, topic: str) -> Reply: ...

    def rate_topic(self, message: Message, topic: str, up: bool) -> Reply: ...

    def last_answer(self, message: Message) -> dict[str, Any] | None: ...

    def last_readings(self, message: Message) -> list[str]: ...


class Talk:
    def __init__(self, memory: Memory):
        self.memory = memory
        self._handler_of = self.handlers()

    def handlers(self) -> dict[type, Any]:
        return {FollowUp: self.follow_up, WhatAbout: self.what_about, PickReading: self.pick_reading,
                Agreement: self.agreement, SmallTalk: self.small_talk, ListTopics: self.topics,
                ListSources: self.sources, Define: self.define, Usage: self.usage}

    def handle(self, message: Message, intent: Intent) -> Reply:
        return self._handler_of[type(intent)](message, intent)

    def follow_up(self, message: Message, intent: FollowUp) -> Reply:
        last = self.memory.last_answer(message)
        if not last:
            split = self.memory.last_readings(message)  # a split answer: "why" is a question about one part
            return Reply.note(follow_ups.PICK_A_PART if split else follow_ups.NO_LAST_ANSWER)
        confidence = last.get("confidence")
        parts = follow_ups.expand(self.memory.advisor, str(last["topic"]), intent.kind,
                                  float(confidence) if isinstance(confidence, (int, float)) else None)
        return Reply(parts=parts)

    def what_about(self, message: Message, intent: WhatAbout) -> Reply:
        if not self.memory.last_answer(message):
            return self.memory.ask_in_frame(message, intent.text)
        return self.memory.ask_in_frame(message, f"who owns {intent.subject}?")

    def pick_reading(self, message: Message, intent: PickReading) -> Reply:
        readings = self.memory.last_readings(message)
        if not readings:
            return self.memory.ask_in_frame(message, intent.meant or intent.text)
        if intent.index is not None and intent.index < len(readings):
            return self.memory.answer_topic(message, readings[intent.index])
        meant = set(words(intent.meant))
        kb = self.memory.advisor.kb
        best = max(readings, key=lambda t: len(meant & set(words(" ".join(kb.by_id[t].phrases[:3]))))
                   if t in kb.by_id else -1)
        return self.memory.answer_topic(message, best)

    def agreement(self, message: Message, intent: Agreement) -> Reply:
        last = self.memory.last_answer(message)
        if not last:
            return Reply.note(follow_ups.NO_LAST_ANSWER)
        return self.memory.rate_topic(message, str(last["topic"]), intent.up)

    def small_talk(self, message: Message, intent: SmallTalk) -> Reply:
        return Reply.note(follow_ups.SMALL_TALK[intent.kind])

    def topics(self, message: Message, intent: ListTopics) -> Reply:
        return Reply.note(follow_ups.topics_text(self.memory.advisor.kb))

    def sources(self, message: Message, intent: ListSources) -> Reply:
        return Reply.note(follow_ups.sources_text(self.memory.advisor.kb))

    def define(self, message: Message, intent: Define) -> Reply:
        meaning = glossary.define(intent.term)
        if meaning is None:
            return self.memory.ask_in_frame(message, intent.text)
        return Reply.note(meaning)

    def usage(self, message: Message, intent: Usage) -> Reply:
        return Reply.note(follow_ups.USAGE[intent.command], private=True)
