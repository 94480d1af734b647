"""The one entry point every front end calls: `Conversation.handle(message) -> Reply`.

It decides what a message is (help, a question, a quiz step, a button click)
and keeps the front ends free of domain logic.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from typing import Callable

from .advisor import Advisor
from .commands import Command
from .messages import Message, Reply
from .normalize import defang, words
from .feedback import Feedback
from .metrics import Metrics
from .normalize import MAX_INPUT_CHARS
from .ratelimit import RateLimiter
from .ratelimit import Verdict as RateVerdict
from .messages import Choice
from .polls import Polls
from .quiz import Quiz, load_quiz
from .quiz_session import QuizSessions
from .store import CorruptValue, MemoryStore, Store, StoreError, session_key

log = logging.getLogger(__name__)

HELP_TEXT = """I settle "is this product or project work?" debates between product managers and project managers.
Ask me things like:
  • who owns the roadmap?
  • is the burndown chart product or project work?
  • CPI is at 0.87, whose problem is that?
  • what skills does a project manager need?
  • what's the difference between a product manager and a project manager?
I answer with a verdict (product, project, both, or not something I know), the reason, and where it comes from.
Say quiz to find out which role fits you, and my result to see your last result."""

_HELP = {("help",), ("commands",), ("what", "can", "you", "do"), ("how", "do", "i", "use", "you"), ("usage",), ("menu",)}
_MY_RESULT = {("my", "result"), ("my", "results"), ("show", "my", "result"), ("quiz", "result"), ("last", "result"), ("what", "was", "my", "result")}
_START_QUIZ = re.compile(
    r"\b(?:quiz|fits? me|suits? me|right (?:role )?for me|am i (?:more )?(?:of )?(?:an? )?(?:product|project)|"
    r"should i (?:be|become) (?:an? )?(?:product|project)|which role (?:should i|would i|is for me)|career quiz)\b"
)
_CHOICE_ID = re.compile(r"^(?:quiz|poll|feedback):[\w-]+(?::[\w-]+)*$")
_DEBATE = re.compile(r"^\s*(?:/rolecall\s+)?debate\s*[:\-]?\s+(.+)$", re.IGNORECASE | re.DOTALL)
_VOTE = re.compile(r"^\s*vote\s+(?:(?P<id>[0-9a-f]{8})\s+)?(?P<option>product|project|both)\s*[.!]?\s*$", re.IGNORECASE)
_REVEAL = re.compile(r"^\s*reveal(?:\s+(?P<id>[0-9a-f]{8}))?\s*[.!]?\s*$", re.IGNORECASE)
_THUMBS = {"👍": True, "+1": True, ":+1:": True, ":thumbsup:": True, "👎": False, "-1": False, ":-1:": False,
           ":thumbsdown:": False}
_QUESTION_OPENERS = frozenset("who whose whos which what whats is are does do should can how why wait".split())
STORE_DOWN = "I can't save your progress right now, try again in a moment."
RESET_NOTE = "Your saved quiz couldn't be read, so I've reset it. Say quiz to start again."


class Conversation:
    """Routes messages to the advisor and the quiz; state lives only in the store."""

    def __init__(self, advisor: Advisor, store: Store | None = None, quiz: Quiz | None = None,
                 *, poll_duration: float | None = None, rate_limit: int | None = None):
        """`rate_limit` messages a minute per person (None: unlimited, as for the terminal)."""
        store = store or MemoryStore()
        self.advisor = advisor
        self.metrics = Metrics()
        self.quizzes = QuizSessions(quiz or load_quiz(advisor.kb), advisor.kb, store, metrics=self.metrics)
        self.polls = Polls(advisor, store) if poll_duration is None else Polls(advisor, store, poll_duration)
        self.feedback = Feedback(store)
        self.store = store
        self.limiter = RateLimiter(store, limit=rate_limit) if rate_limit else None

    def use_advisor(self, advisor: Advisor) -> None:
        """Swap in reloaded knowledge; conversations in progress carry on."""
        self.advisor = advisor
        self.quizzes.kb = advisor.kb
        self.polls.advisor = advisor

    def handle(self, message: Message) -> Reply:
        """Answer one message or button click; never raises for any input.

        An empty reply text means "send nothing" (a flood past the rate limit).
        """
        return self._serve(message, lambda: self._route(message))

    def run(self, command: Command, message: Message) -> Reply:
        """A /rolecall subcommand from Slack or Discord, answered exactly as chat would answer it."""
        return self._serve(message, lambda: self._command(command, message))

    def _serve(self, message: Message, respond: Callable[[], Reply]) -> Reply:
        """What every message goes through: the rate limit, error containment, metrics, logs, ping safety."""
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
            reply = Reply(text=STORE_DOWN, private=True)
        except Exception:  # a bug must cost one answer, never the bot
            log.exception("error handling a message")
            self.metrics.inc("rolecall_errors_total", kind="internal")
            reply = Reply(text="Sorry, something went wrong on my side. Please try again.", private=True)
        if reply.verdict:
            self.metrics.inc("rolecall_answers_total", verdict=reply.verdict)
        if len(message.text) > MAX_INPUT_CHARS:
            reply = replace(reply, text=f"(That was long, so I only read the first {MAX_INPUT_CHARS:,} characters.)\n{reply.text}")
        elapsed = time.perf_counter() - started
        self.metrics.observe(elapsed)
        _log_event(message, reply, elapsed)
        return _safe(reply)

    def _rate_limited(self, message: Message) -> Reply | None:
        if self.limiter is None:
            return None
        verdict = self.limiter.check(message)
        if verdict is RateVerdict.OK:
            return None
        self.metrics.inc("rolecall_rate_limited_total")
        if verdict is RateVerdict.JUST_EXCEEDED:
            return Reply(text=f"You're sending messages faster than I can answer well (more than {self.limiter.limit} a "
                              "minute). Give me a minute and ask again.", private=True)
        return Reply(text="", private=True)

    def _command(self, command: Command, message: Message) -> Reply:
        if command.name in ("who", "ask"):
            return self._ask(message, command.argument)
        if command.name == "quiz":
            return self._route(replace(message, text="", choice="quiz:start"))
        if command.name == "result":
            return self._route(replace(message, text="my result", choice=None))
        if command.name == "debate":
            return self._route(replace(message, text=f"debate: {command.argument}", choice=None))
        if command.name == "triage":
            if not command.argument.strip():
                return Reply(text="Paste your backlog, one task per line (or a CSV with a title column), and I'll "
                                  "classify every item.", private=True)
            from .triage import triage_text

            return Reply(text=triage_text(self.advisor, command.argument), private=True)
        return Reply(text=HELP_TEXT)

    def _route(self, message: Message) -> Reply:
        if not message.choice and _CHOICE_ID.match(message.text.strip()):
            message = replace(message, choice=message.text.strip(), text="")  # a button id typed by a script
        if message.choice:
            return self._button(message)
        debate = _DEBATE.match(message.text)
        if debate:
            return self.polls.start(message, debate.group(1))
        poll_reply = self._poll_text(message)
        if poll_reply:
            return poll_reply
        thumbs = _THUMBS.get(message.text.strip().lower())
        if thumbs is not None:
            return self._thumbs(message, thumbs)
        tokens = tuple(words(message.text))
        if tokens in _HELP:
            return Reply(text=HELP_TEXT)
        if tokens in _MY_RESULT:
            return self.quizzes.last_result(message)
        try:
            state = self.quizzes.state(message)
        except CorruptValue:
            self.quizzes.reset(message)
            return Reply(text=RESET_NOTE)
        except StoreError:
            answer = self.advisor.ask(message.text)  # no state to consult, but questions need none
            if answer.verdict == "unknown":
                raise
            return Reply(text=answer.text, verdict=answer.verdict, answer=answer.details())
        if state is None:
            if _START_QUIZ.search(" ".join(tokens)):
                return self.quizzes.start(message)
            return self._ask(message, message.text)
        return self._quiz_turn(message, state, tokens)

    def _poll_text(self, message: Message) -> Reply | None:
        """'vote product', 'vote <id> both', 'reveal', 'reveal <id>' typed in chat."""
        found = _VOTE.match(message.text) or _REVEAL.match(message.text)
        if not found:
            return None
        poll_id = found.group("id") or self.polls.current(message)
        if not poll_id:
            return Reply(text="There's no debate running here; start one with debate: <task>.", private=True)
        if found.re is _VOTE:
            return self.polls.vote(message, poll_id, found.group("option").lower())
        return self.polls.reveal(message, poll_id)

    def _button(self, message: Message) -> Reply:
        parts = message.choice.split(":")
        if parts[0] == "help":
            return Reply(text=HELP_TEXT)
        if parts[0] == "feedback" and len(parts) == 3 and parts[2] in ("up", "down"):
            return self._record_vote(message, parts[1], parts[2] == "up")
        if parts[0] == "poll" and len(parts) == 3:
            if parts[2] == "reveal":
                return self.polls.reveal(message, parts[1])
            return self.polls.vote(message, parts[1], parts[2])
        if parts == ["quiz", "start"]:
            return self.quizzes.start(message)
        if parts[0] == "quiz" and len(parts) == 3:
            try:
                return self.quizzes.answer(message, parts[1], parts[2])
            except CorruptValue:
                self.quizzes.reset(message)
                return Reply(text=RESET_NOTE)
        return Reply(text="That button isn't one I know any more. Say help to see what I can do.")

    def _quiz_turn(self, message: Message, state: dict, tokens: tuple[str, ...]) -> Reply:
        command = self.quizzes.command(message, tokens)
        if command:
            return self.quizzes.control(message, command)
        if tokens and _START_QUIZ.search(" ".join(tokens)) and len(tokens) <= 3:
            return self.quizzes.reask(state, intro="You're in the middle of the quiz (say restart to begin again).")
        if _looks_like_question(message.text, tokens):
            answer = self.advisor.ask(message.text)
            if answer.verdict != "unknown":
                return self._with_reminder(answer, state)
        reply = self.quizzes.answer_text(message, state, message.text)
        if reply:
            return reply
        return self.quizzes.reask(state, intro="I couldn't tell which option you meant, so here is the question again:")

    def _with_reminder(self, answer, state: dict) -> Reply:
        pending = self.quizzes.reask(state, intro="Back to the quiz:")
        return Reply(text=f"{answer.text}\n\n{pending.text}", verdict=answer.verdict, choices=pending.choices,
                     quiz=pending.quiz, answer=answer.details())

    def _ask(self, message: Message, text: str) -> Reply:
        """Answer, remember it for 👍/👎, and note it as a gap when the knowledge fell short."""
        answer = self.advisor.ask(text)
        choices: tuple[Choice, ...] = ()
        if answer.topic:
            choices = (Choice(f"feedback:{answer.topic}:up", "👍"), Choice(f"feedback:{answer.topic}:down", "👎"))
        try:
            if answer.gap:
                self.feedback.record_gap(text, answer.nearest)
            if answer.topic:
                self.store.put(_last_answer_key(message), {"topic": answer.topic})
        except StoreError as exc:  # bookkeeping only: the answer matters more
            log.warning("could not record answer feedback state: %s", exc)
        return Reply(text=answer.text, verdict=answer.verdict, answer=answer.details(), choices=choices)

    def _thumbs(self, message: Message, up: bool) -> Reply:
        last = self.store.get(_last_answer_key(message))
        if not last:
            return Reply(text="Thanks! Ask me something first, then tell me whether the answer was right.", private=True)
        return self._record_vote(message, last["topic"], up)

    def _record_vote(self, message: Message, topic: str, up: bool) -> Reply:
        if topic not in self.advisor.kb.by_id:
            return Reply(text="That answer is no longer in my knowledge, but thanks all the same.", private=True)
        self.feedback.vote(message, topic, up)
        label = self.advisor.kb.by_id[topic].phrases[0]
        note = "was right" if up else "was wrong; the team can see this in rolecall kb feedback"
        return Reply(text=f"Thanks! Noted that my answer on {label} {note}.", private=True)


def _log_event(message: Message, reply: Reply, elapsed: float) -> None:
    """One structured line per message; the text only at debug level (it may be private)."""
    if not log.isEnabledFor(logging.INFO):
        return
    kind = "quiz" if reply.quiz else "poll" if reply.poll else "answer" if reply.verdict else "other"
    fields = {"event": "message", "platform": message.platform, "kind": kind, "verdict": reply.verdict,
              "button": bool(message.choice), "ms": round(elapsed * 1000, 2)}
    if log.isEnabledFor(logging.DEBUG):
        fields["text"] = message.text[:200]
    log.info("handled", extra={"fields": fields})


def _last_answer_key(message: Message) -> str:
    return session_key("last-answer", message.platform, message.workspace, message.channel, message.user)


def _looks_like_question(text: str, tokens: tuple[str, ...]) -> bool:
    return bool(tokens) and (text.rstrip().endswith("?") or tokens[0] in _QUESTION_OPENERS)


def _safe(reply: Reply) -> Reply:
    """Whatever went into a reply, it cannot ping a channel."""
    text = defang(reply.text)
    if text == reply.text:
        return reply
    return replace(reply, text=text)
