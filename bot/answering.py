"""Answering a question in a conversation: the verdict, its buttons, what is remembered of it, and what the team
decided or who to ask beside it.

Conversation routes intents here; the advisor only knows questions, this knows the person asking (their last
answer, kept in the store per person and channel) and the workspace (its decisions and its contact).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from . import buttons
from .advisor import Advisor, Answer, topic_label
from .decisions import Decisions, decision_part
from .feedback import Feedback
from .keys import LAST_ANSWER
from .messages import Choice, Message, Reply
from .parts import Contact, ContactPing, Verdict
from .store import CorruptValue, Store, StoreError

log = logging.getLogger(__name__)


class Answering:
    def __init__(self, advisor: Advisor, store: Store, feedback: Feedback, *, contacts: dict[str, str] | None = None):
        self.advisor = advisor
        self.store = store
        self.feedback = feedback
        self.decisions = Decisions(store)
        self.contacts = contacts or {}

    def ask(self, message: Message, text: str) -> Reply:
        """Answer, remember it for 👍/👎, and note it as a gap when the knowledge fell short."""
        answers = self.advisor.ask_many(text)
        answer = answers[0]
        try:
            if answer.gap:
                self.feedback.record_gap(message, text, answer.nearest)
        except StoreError as exc:  # bookkeeping only: the answer matters more
            log.warning("could not record a gap: %s", exc)
        reply = self._answered(message, answer, text)
        if len(answers) > 1:  # one verdict per topic named; feedback and follow-ups are about the first
            reply = replace(reply, parts=tuple(a.part for a in answers))
        decided = self.decisions.lookup(message.platform, message.workspace, answer.topic, text)
        if decided is not None:
            return replace(reply, parts=(decision_part(decided, answer.verdict), *reply.parts))
        contact = self._contact(message)
        if contact and (answer.verdict == "unknown" and answer.gap or answer.part.close_call):
            ask = (Choice(buttons.ask_contact(), f"Ask {contact.name}"),) if contact.group else ()
            reply = replace(reply, parts=(*reply.parts, contact), choices=(*reply.choices, *ask))
        return reply

    def _contact(self, message: Message) -> Contact | None:
        """This workspace's person to ask: "Name", or "Name|GROUP-ID" when a button may ping the group."""
        configured = self.contacts.get(message.workspace) or self.contacts.get("*")
        if not configured:
            return None
        name, _, group = configured.partition("|")
        return Contact(name.strip(), group.strip() or None)

    def ask_contact(self, message: Message) -> Reply:
        contact = self._contact(message)
        if contact is None or contact.group is None:
            return Reply.note("There is nobody configured to ask here (ROLECALL_CONTACT).", private=True)
        last = self.remembered(message) or {}
        return Reply(parts=(ContactPing(contact, str(last.get("question") or "who owns this?")),))

    def about_message(self, message: Message, text: str) -> Reply:
        """ "Who owns this?" on someone's message (a shortcut or context menu): the answer for the person who asked,
        with a "Share in channel" choice the front end posts publicly when clicked."""
        reply = self.ask(message, text)
        topic = (reply.first(Verdict) or Verdict("unknown", 0.0, "")).topic
        share = (Choice(buttons.share(topic), "Share in channel"),) if topic else ()
        return replace(reply, private=True, choices=(*reply.choices, *share))

    def pick_topic(self, message: Message, topic: str) -> Reply:
        answer = self.advisor.about(topic)
        if answer is None:
            return Reply.note("That topic is no longer in my knowledge. Ask me again in your own words.", private=True)
        return self._answered(message, answer)

    def _answered(self, message: Message, answer: Answer, question: str = "") -> Reply:
        """An answer with its buttons: both readings after a close call or each part of a split answer, else 👍/👎
        (remembered for a typed one)."""
        close_call = answer.part.close_call
        choices: tuple[Choice, ...] = ()
        readings: tuple[tuple[str, str], ...] = ()
        if close_call and answer.topic:
            readings = ((answer.topic, answer.part.topic_label or answer.topic),
                        (close_call.topic, close_call.topic_label))
        elif answer.part.split:
            readings = tuple((r.topic, r.topic_label) for r in answer.part.split)
        if readings:
            choices = tuple(Choice(buttons.pick_topic(t), f"I meant {label}") for t, label in readings if t)
        elif answer.topic:
            choices = (Choice(buttons.feedback(answer.topic, True), "👍"),
                       Choice(buttons.feedback(answer.topic, False), "👎"))
        remembered = {"topic": answer.topic, "confidence": answer.confidence, "question": question[:300],
                      "readings": [t for t, _ in readings]}
        contact = self._contact(message)
        if not answer.topic and not readings and not (contact and contact.group):
            return Reply(parts=(answer.part,), choices=choices)  # nothing to follow up on: keep nothing of the asker
        try:
            self.store.put(LAST_ANSWER.of(message), remembered, ttl=LAST_ANSWER.ttl)
        except StoreError as exc:  # bookkeeping only: the answer matters more
            log.warning("could not record answer feedback state: %s", exc)
        return Reply(parts=(answer.part,), choices=choices)

    def rate_topic(self, message: Message, topic: str, up: bool) -> Reply:
        if topic not in self.advisor.kb.by_id:
            return Reply.note("That answer is no longer in my knowledge, but thanks all the same.", private=True)
        self.feedback.vote(message, topic, up)
        label = topic_label(self.advisor.kb.by_id[topic])
        note = "was right" if up else "was wrong; the team can see this in rolecall kb feedback"
        return Reply.note(f"Thanks! Noted that my answer on {label} {note}.", private=True)

    def last_answer(self, message: Message) -> dict[str, Any] | None:
        """The last answer on a topic this person got here (topic, confidence, readings, question), if any."""
        saved = self.remembered(message)
        return saved if saved and saved.get("topic") else None

    def last_readings(self, message: Message) -> list[str]:
        """The topics the last answer here offered to pick from (a close call's two, a split answer's parts)."""
        saved = self.remembered(message) or {}
        return [str(t) for t in saved.get("readings") or []]

    def remembered(self, message: Message) -> dict[str, Any] | None:
        """What the store remembers of the last question answered here, topic or not."""
        try:
            return self.store.get(LAST_ANSWER.of(message))
        except (StoreError, CorruptValue):
            return None
