"""The one entry point every front end calls: `Conversation.handle(message) -> Reply`.

Each message is parsed once into an intent (`intents`, `buttons`, `commands`)
and dispatched on the intent's type; the front ends hold no domain logic and
reach the core only through this class's public methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from . import buttons
from .advisor import Advisor, topic_label
from .answering import Answering
from .commands import help_lines
from .feedback import Feedback as FeedbackStore
from .intents import (
    AboutMessage,
    Adopt,
    Agreement,
    Ask,
    AskContact,
    DebateStart,
    Feedback,
    Help,
    Intent,
    PickReading,
    PickTopic,
    QuizAnswer,
    QuizControl,
    QuizStart,
    Reveal,
    Share,
    ShowResult,
    StaleButton,
    Triage,
    Vote,
)
from .keys import DELIVERY, POLL, POLL_CARD
from .messages import Choice, Message, Reply
from .metrics import Metrics
from .normalize import MAX_INPUT_CHARS, words
from .parts import Notice, PollCard, QuizQuestion, QuizResult, TriageTable
from .polls import Polls
from .quiz import Quiz, load_quiz
from .quiz_session import QuizSessions
from .ratelimit import RateLimiter
from .ratelimit import Verdict as RateVerdict
from .sqlite_store import MemoryStore
from .store import CorruptValue, Store, StoreError, Value
from .talk import Talk
from .triage import triage_pasted
from .typed_text import parse_text

log = logging.getLogger(__name__)

HELP_TEXT = "\n".join([
    'I settle "is this product or project work?" debates between product managers and project managers.',
    "Ask me things like:",
    "  • who owns the roadmap?",
    "  • is the burndown chart product or project work?",
    "  • CPI is at 0.87, whose problem is that?",
    "  • what skills does a project manager need?",
    "  • what's the difference between a product manager and a project manager?",
    "I answer with a verdict (product, project, both, or not something I know), the reason, and where it comes from.",
    "Say quiz to find out which role fits you, and my result to see your last result.",
    "Say debate: <task> to start a team poll; vote product, vote project or vote both, and reveal to see my answer.",
    "After an answer, 👍 or 👎 tells me whether it was right.",
    "In Slack and Discord:",
    *help_lines(),
])
STORE_DOWN = "I can't save your progress right now, try again in a moment."
RESET_NOTE = "Your saved quiz couldn't be read, so I've reset it. Say quiz to start again."
POLL_RESET_NOTE = "That poll's saved state couldn't be read, so I've cleared it. Start a new one with debate: <task>."
NOT_YOUR_CARD = "This card belongs to someone else's quiz. Start your own with /rolecall quiz, or message me directly."
SORRY = "Sorry, something went wrong on my side. Please try again."
STALE_BUTTON = "That button isn't one I know any more. Say help to see what I can do."
MAX_DEBATE_CHOICES = 5
""""Debate" buttons under one triage table: one row of buttons on Slack and on Discord."""
_QUESTION_OPENERS = frozenset("who whose whos which what whats is are does do should can how why wait".split())


class Conversation:
    """Routes messages to the advisor, the quiz, debate polls and feedback; state lives only in the store."""

    def __init__(self, advisor: Advisor, store: Store | None = None, quiz: Quiz | None = None,
                 *, poll_duration: float | None = None, rate_limit: int | None = None,
                 admins: frozenset[str] = frozenset(), contacts: dict[str, str] | None = None):
        """`rate_limit` messages a minute per person (None: unlimited, as for the terminal); `admins` (platform user
        ids) may adopt any revealed debate as the team's answer, besides the person who started it; `contacts` names
        the person or group to ask per workspace ("*" for any), offered when an answer is unknown or a close call."""
        store = store or MemoryStore()
        self.advisor = advisor
        self.metrics = Metrics()
        self.quizzes = QuizSessions(quiz or load_quiz(advisor.kb), advisor.kb, store, metrics=self.metrics)
        self.polls = Polls(advisor, store) if poll_duration is None else Polls(advisor, store, poll_duration)
        self.feedback = FeedbackStore(store)
        self.store = store
        self.limiter = RateLimiter(store, limit=rate_limit) if rate_limit else None
        self.talk = Talk(self)
        self._handler_of = self._handlers()
        """Intent type -> handler, built once (the handlers reach the advisor through self, so reloads apply)."""
        self.answering = Answering(advisor, store, self.feedback, contacts=contacts)
        self.admins = admins

    def use_advisor(self, advisor: Advisor) -> None:
        """Swap in reloaded knowledge; conversations in progress carry on."""
        self.advisor = advisor
        self.quizzes.kb = advisor.kb
        self.polls.advisor = advisor
        self.answering.advisor = advisor

    # -- the door ----------------------------------------------------------------------

    def handle(self, message: Message, intent: Intent | None = None) -> Reply:
        """Answer one message, button click or slash command; never raises for any input.

        Front ends that already know the intent (a slash subcommand, see `commands`) pass it;
        otherwise it is parsed from the click's button id or the typed text. A reply with
        no parts means "send nothing" (a flood past the rate limit).
        """
        return self._serve(message, lambda: self._dispatch(message, intent or self._parse(message)))

    # -- what front ends may ask besides ----------------------------------------------------

    def poll_card(self, poll_id: str) -> Reply | None:
        """A poll's card as it stands now (revealed if its time is up); None if it is gone or unreadable."""
        try:
            return self.polls.show(poll_id)
        except (StoreError, CorruptValue) as exc:
            log.warning("could not read poll %s: %s", poll_id, type(exc).__name__)
            return None

    def reveal_delay(self, reply: Reply) -> float | None:
        """Seconds until the open poll shown by `reply` reveals itself, for a front end's timer; None if none."""
        return self.polls.reveal_delay(reply)

    @staticmethod
    def card_owner(reply: Reply, user: str) -> str | None:
        """Whose clicks a card takes: a quiz card belongs to the person taking the quiz; other cards to anyone."""
        return user if reply.first(QuizQuestion) is not None else None

    def first_delivery(self, platform: str, delivery_id: str) -> bool:
        """True the first time a platform delivers this event (Slack's event_id), False for a repeat, across every
        worker sharing the store. With the store down it answers True: a rare double answer beats a lost one."""

        def claim(seen: Value | None) -> tuple[Value, bool]:
            return {"at": time.time()}, seen is None

        try:
            return self.store.update(DELIVERY.key(platform, delivery_id), claim, ttl=DELIVERY.ttl).outcome
        except StoreError as exc:
            log.warning("could not check for a repeated delivery: %s", exc)
            return True

    def attach_card(self, poll_id: str, platform: str, location: dict[str, str]) -> None:
        """Remember where a poll's public card was posted (a channel and message id, in the platform's terms)."""
        try:
            self.store.put(POLL_CARD.key(poll_id), {"platform": platform, "where": dict(location)}, ttl=POLL_CARD.ttl)
        except StoreError as exc:
            log.warning("could not remember where poll %s was posted: %s", poll_id, exc)

    def card_location(self, poll_id: str, platform: str) -> dict[str, str] | None:
        """Where this platform posted the poll's card, if it did (for a typed vote or a reveal after a restart)."""
        try:
            saved = self.store.get(POLL_CARD.key(poll_id))
        except (StoreError, CorruptValue):
            return None
        if not saved or saved.get("platform") != platform or not isinstance(saved.get("where"), dict):
            return None
        return {str(k): str(v) for k, v in saved["where"].items()}

    def open_polls(self, platform: str) -> list[tuple[str, float, dict[str, str]]]:
        """Polls whose card this platform posted and that are still open: (poll id, seconds until the reveal, where).
        A front end reschedules its reveal timers from this at start-up, so reveals survive a restart."""
        found = []
        try:
            keys = self.store.keys(POLL_CARD.prefix)
        except StoreError:
            return []
        for key in keys:
            poll_id = key[len(POLL_CARD.prefix):]
            where = self.card_location(poll_id, platform)
            card = self.poll_card(poll_id) if where else None
            delay = self.reveal_delay(card) if card else None
            if where and delay is not None:
                found.append((poll_id, delay, where))
        return found

    def store_ok(self) -> bool:
        """Whether the store answers (for /healthz); never raises."""
        try:
            return bool(self.store.ping())
        except Exception:  # a health check must answer, whatever the store raises
            return False

    # -- parsing and dispatch --------------------------------------------------------------

    @staticmethod
    def _parse(message: Message) -> Intent:
        if message.choice:
            return buttons.parse(message.choice)
        typed = message.text.strip()
        if buttons.looks_typed(typed):  # a button id typed by a script driving `chat --json`
            return buttons.parse(typed)
        return parse_text(message.text)

    def _dispatch(self, message: Message, intent: Intent) -> Reply:
        if message.choice and message.card_owner and message.card_owner != message.user:
            return Reply.note(NOT_YOUR_CARD, private=True)  # a channel's quiz card must not move someone else's quiz
        if isinstance(intent, (Ask, QuizStart, QuizControl)):  # what these mean depends on whether a quiz is running
            return self._with_quiz_state(message, intent)
        if isinstance(intent, (PickReading, Agreement)) and self._quiz_running(message):
            return self._with_quiz_state(message, Ask(intent.text))  # "the second one", "yes": a quiz answer here
        return self._handler_of[type(intent)](message, intent)

    def _quiz_running(self, message: Message) -> bool:
        try:
            return self.quizzes.state(message) is not None
        except (StoreError, CorruptValue):
            return False

    def _handlers(self) -> dict[type, Callable[[Message, Any], Reply]]:
        return {
            Help: lambda m, i: Reply.note(HELP_TEXT),
            ShowResult: lambda m, i: self.quizzes.last_result(m),
            QuizAnswer: self._quiz_answer,
            DebateStart: self._debate,
            Vote: lambda m, i: self._on_poll(m, i.poll, lambda poll: self.polls.vote(m, poll, i.option)),
            Reveal: lambda m, i: self._on_poll(m, i.poll, lambda poll: self.polls.reveal(m, poll)),
            Adopt: lambda m, i: self._on_poll(m, i.poll, lambda poll: self.polls.adopt(m, poll, i.option,
                                                                                       admins=self.admins)),
            Triage: self._triage,
            Feedback: self._feedback,
            PickTopic: lambda m, i: self.answering.pick_topic(m, i.topic),
            Share: lambda m, i: self.answering.pick_topic(m, i.topic),
            AboutMessage: lambda m, i: self.answering.about_message(m, i.text),
            AskContact: lambda m, i: self.answering.ask_contact(m),
            StaleButton: lambda m, i: Reply.note(STALE_BUTTON),
            **{kind: self.talk.handle for kind in self.talk.handlers()},
        }

    def _with_quiz_state(self, message: Message, intent: Ask | QuizStart | QuizControl) -> Reply:
        if isinstance(intent, QuizStart) and not intent.text:
            return self.quizzes.start(message)  # a button or /rolecall quiz: (re)start, whatever was saved
        if isinstance(intent, Ask) and intent.standalone:
            return self.answering.ask(message, intent.text)
        try:
            state = self.quizzes.state(message)
        except CorruptValue:
            self.quizzes.reset(message)
            return Reply.note(RESET_NOTE)
        except StoreError:
            return self._ask_without_store(message)
        if state is None:
            plain = intent.outside if isinstance(intent, QuizControl) else intent
            if isinstance(plain, QuizStart):
                return self.quizzes.start(message)
            return self.answering.ask(message, plain.text)
        return self._quiz_turn(message, state, intent)

    def _ask_without_store(self, message: Message) -> Reply:
        """The store is down: no state to consult, but questions need none."""
        answer = self.advisor.ask(message.text)
        if answer.verdict == "unknown":
            raise StoreError("no store to tell whether a quiz is running")
        return Reply(parts=(answer.part,))

    # -- the quiz ------------------------------------------------------------------------------

    def _quiz_answer(self, message: Message, intent: QuizAnswer) -> Reply:
        try:
            return self.quizzes.answer(message, intent.question, intent.option)
        except CorruptValue:
            self.quizzes.reset(message)
            return Reply.note(RESET_NOTE)

    def _quiz_turn(self, message: Message, state: Value, intent: Ask | QuizStart | QuizControl) -> Reply:
        if isinstance(intent, QuizControl):
            return self.quizzes.control(message, intent.action)
        tokens = tuple(words(message.text))
        if isinstance(intent, QuizStart) and len(tokens) <= 3:
            return self.quizzes.reask(state, intro="You're in the middle of the quiz (say restart to begin again).")
        if _looks_like_question(message.text, tokens):
            answer = self.advisor.ask(message.text)
            if answer.verdict != "unknown":
                pending = self.quizzes.reask(state, intro="Back to the quiz:")
                return replace(pending, parts=(answer.part, *pending.parts))
        reply = self.quizzes.answer_text(message, state, message.text)
        if reply:
            return reply
        return self.quizzes.reask(state, intro="I couldn't tell which option you meant, so here is the question again:")

    # -- polls, triage, feedback -------------------------------------------------------------

    def _on_poll(self, message: Message, poll_id: str | None, act: Callable[[str], Reply]) -> Reply:
        poll_id = poll_id or self.polls.current(message)
        if not poll_id:
            return Reply.note("There's no debate running here; start one with debate: <task>.", private=True)
        try:
            return act(poll_id)
        except CorruptValue:
            self.store.delete(POLL.key(poll_id))
            return Reply.note(POLL_RESET_NOTE, private=True)

    def _debate(self, message: Message, intent: DebateStart) -> Reply:
        """A poll on the typed task, or on a topic by its id (a triage row's button) under the topic's own name."""
        if intent.topic is None:
            return self.polls.start(message, intent.task)
        entry = self.advisor.kb.by_id.get(intent.topic)
        if entry is None:
            # Gone from the knowledge since the table was sent. Only the clicker is told: a debate button's answer is
            # otherwise posted for everyone.
            return Reply.note(STALE_BUTTON, private=True)
        return self.polls.start(message, topic_label(entry))

    def _triage(self, message: Message, intent: Triage) -> Reply:
        if not intent.text.strip():
            return Reply.note("Paste your backlog, one task per line (or a CSV with a title column), and I'll classify "
                              "every item.", private=True)
        table = triage_pasted(self.advisor, intent.text)
        return Reply(parts=(table,), choices=self._debate_choices(table), private=True)

    def _debate_choices(self, table: TriageTable) -> tuple[Choice, ...]:
        """A "Debate" button for each topic the table shares between the roles, in row order: a shared task has no
        one accountable yet (`raci`), and a team poll is how the team agrees who is."""
        shared = dict.fromkeys(row.topic for row in table.rows if row.verdict == "both" and row.topic)
        entries = [entry for topic in shared if (entry := self.advisor.kb.by_id.get(topic)) is not None]
        return tuple(Choice(buttons.debate(entry.id), f"Debate: {topic_label(entry)}")
                     for entry in entries[:MAX_DEBATE_CHOICES])

    def _feedback(self, message: Message, intent: Feedback) -> Reply:
        topic = intent.topic
        if topic is None:
            last = self.last_answer(message)
            if not last:
                return Reply.note("Thanks! Ask me something first, then tell me whether the answer was right.",
                                  private=True)
            topic = str(last["topic"])
        return self.rate_topic(message, topic, intent.up)

    # -- what Talk asks of the conversation (see talk.Memory) --------------------------------------

    def answer_topic(self, message: Message, topic: str) -> Reply:
        return self.answering.pick_topic(message, topic)

    def last_answer(self, message: Message) -> dict[str, Any] | None:
        return self.answering.last_answer(message)

    def last_readings(self, message: Message) -> list[str]:
        return self.answering.last_readings(message)

    def rate_topic(self, message: Message, topic: str, up: bool) -> Reply:
        return self.answering.rate_topic(message, topic, up)

    def ask_in_frame(self, message: Message, text: str) -> Reply:
        return self.answering.ask(message, text)

    # -- what every message goes through ------------------------------------------------------

    def _serve(self, message: Message, respond: Callable[[], Reply]) -> Reply:
        """The rate limit, error containment, metrics and logs."""
        started = time.perf_counter()
        self.metrics.inc("rolecall_messages_total", platform=message.platform)
        limited = self._rate_limited(message)
        if limited is not None:
            return limited
        try:
            reply = respond()
        except StoreError as exc:
            log.warning("store unavailable: %s", exc)
            self.metrics.inc("rolecall_errors_total", kind="store")
            reply = Reply.note(STORE_DOWN, private=True)
        except Exception:  # a bug must cost one answer, never the bot
            log.exception("error handling a message")
            self.metrics.inc("rolecall_errors_total", kind="internal")
            reply = Reply.note(SORRY, private=True)
        if reply.verdict:
            self.metrics.inc("rolecall_answers_total", verdict=reply.verdict)
        if len(message.text) > MAX_INPUT_CHARS:
            long = Notice(f"(That was long, so I only read the first {MAX_INPUT_CHARS:,} characters.)")
            reply = replace(reply, parts=(long, *reply.parts))
        elapsed = time.perf_counter() - started
        self.metrics.observe(elapsed)
        _log_event(message, reply, elapsed)
        return reply

    def _rate_limited(self, message: Message) -> Reply | None:
        if self.limiter is None:
            return None
        verdict = self.limiter.check(message)
        if verdict is RateVerdict.OK:
            return None
        self.metrics.inc("rolecall_rate_limited_total")
        if verdict is RateVerdict.JUST_EXCEEDED:
            return Reply.note(f"You're sending messages faster than I can answer well (more than {self.limiter.limit} "
                              "a minute). Give me a minute and ask again.", private=True)
        return Reply(private=True)


def _log_event(message: Message, reply: Reply, elapsed: float) -> None:
    """One structured line per message; the text only at debug level (it may be private)."""
    if not log.isEnabledFor(logging.INFO):
        return
    quiz = reply.first(QuizQuestion) or reply.first(QuizResult)
    kind = "quiz" if quiz else "poll" if reply.first(PollCard) else "answer" if reply.verdict else "other"
    fields = {"event": "message", "platform": message.platform, "kind": kind, "verdict": reply.verdict,
              "button": bool(message.choice), "ms": round(elapsed * 1000, 2)}
    if log.isEnabledFor(logging.DEBUG):
        fields["text"] = message.text[:200]
    log.info("handled", extra={"fields": fields})


def _looks_like_question(text: str, tokens: tuple[str, ...]) -> bool:
    return bool(tokens) and (text.rstrip().endswith("?") or tokens[0] in _QUESTION_OPENERS)
