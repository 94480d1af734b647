"""A person's way through the quiz, kept in the store between messages.

Every change goes through `Store.update`, and every answer names the question
it answers, so a double click or a click on an old card can never move the
quiz twice or answer the wrong question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from . import buttons, glossary
from .keys import QUIZ, QUIZ_RESULT
from .knowledge import KnowledgeBase
from .messages import Choice, Message, Reply
from .metrics import Metrics
from .parts import QuizEnded, QuizQuestion, QuizResult
from .quiz import Question, Quiz, read_answer, result, strongest_answers
from .store import CorruptValue, Store, Value


class Step(Enum):
    """What one change did to a saved quiz."""

    MOVED = "moved"
    GONE = "gone"
    STALE = "stale"
    """The click answered an earlier question: nothing changed."""
    INVALID = "invalid"
    AT_START = "at start"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Stepped:
    step: Step
    answers: dict[str, str] = field(default_factory=dict)
    """The final answers, when the step finished the quiz."""


HINT = "Answer with a number or letter, or in your own words; say back, skip, restart or stop at any time."
CONTROLS = (("back", "◀ Back"), ("skip", "Skip"), ("stop", "Stop quiz"))
"""The controls a quiz card carries as buttons, beside its options: where typing does not reach the bot (a private
card in a Discord channel) they are the only way back, past a question, or out."""
CONTROL_NAMES = frozenset(name for name, _ in CONTROLS)


class QuizSessions:
    """Starts, advances and finishes quizzes for many people at once."""

    def __init__(self, quiz: Quiz, kb: KnowledgeBase, store: Store, *, metrics: Metrics | None = None):
        self.quiz = quiz
        self.kb = kb
        self.store = store
        self.metrics = metrics or Metrics()

    # -- keys and state ------------------------------------------------------

    @staticmethod
    def key(message: Message) -> str:
        return QUIZ.of(message)

    @staticmethod
    def result_key(message: Message) -> str:
        return QUIZ_RESULT.of(message)

    def state(self, message: Message) -> dict[str, Any] | None:
        """The active quiz, or None; raises CorruptValue when what is saved makes no sense."""
        state = self.store.get(self.key(message))
        if state is not None:
            self._check(state)
        return state

    def _check(self, state: dict[str, Any]) -> None:
        answers = state.get("answers")
        if self.quiz.index_of(str(state.get("at"))) is None or not isinstance(answers, dict):
            raise CorruptValue("saved quiz does not match the current questions")

    def reset(self, message: Message) -> None:
        self.store.delete(self.key(message))

    # -- moves -----------------------------------------------------------------

    def start(self, message: Message, *, note: str = "") -> Reply:
        first = self.quiz.questions[0]
        self.store.put(self.key(message), {"v": 1, "at": first.id, "answers": {}})
        self.metrics.inc("rolecall_quiz_starts_total")
        intro = note or f"Let's find which role fits you: {len(self.quiz)} quick questions."
        return self.ask(first, intro=intro)

    def control(self, message: Message, name: str) -> Reply:
        if name == "restart":
            return self.start(message, note="Starting over.")
        return self._step(message, lambda state: self._controlled(state, name))

    def answer(self, message: Message, question_id: str, option_id: str) -> Reply:
        """Record an answer to `question_id`, only if that is still the question being asked; a control button
        (back, skip, stop) shown with that question acts on the quiz instead, under the same guard."""

        def change(state: Value) -> tuple[Value | None, Stepped]:
            if state["at"] != question_id:
                return state, Stepped(Step.STALE)
            question = self.quiz.questions[self.quiz.position(question_id)]
            if question.option(option_id) is None:
                return self._controlled(state, option_id) if option_id in CONTROL_NAMES else (state, Stepped(Step.INVALID))
            state["answers"][question_id] = option_id
            return self._advance(state)

        return self._step(message, change)

    def _step(self, message: Message, change: Callable[[Value], tuple[Value | None, Stepped]]) -> Reply:
        """Apply one change to the saved quiz atomically, then reply with wherever it left the person."""

        def guarded(state: Value | None) -> tuple[Value | None, Stepped]:
            if state is None:
                return None, Stepped(Step.GONE)
            self._check(state)
            return change(state)

        return self._after(message, self.store.update(self.key(message), guarded).outcome)

    def answer_text(self, message: Message, state: dict[str, Any], text: str) -> Reply | None:
        """A typed answer to the current question, or None when the text is not one of its options."""
        question = self.current(state)
        option = read_answer(question, text)
        return self.answer(message, question.id, option.id) if option else None

    def current(self, state: dict[str, Any]) -> Question:
        return self.quiz.questions[self.quiz.position(state["at"])]

    def _controlled(self, state: Value, name: str) -> tuple[Value | None, Stepped]:
        """Stop (the quiz is forgotten), back to the previous question (forgetting its answer), or on to the next one
        without an answer: typed or pressed, the same change."""
        if name == "stop":
            return None, Stepped(Step.STOPPED)
        index = self.quiz.position(state["at"])
        if name == "back":
            if index == 0:
                return state, Stepped(Step.AT_START)
            previous = self.quiz.questions[index - 1].id
            state["answers"].pop(previous, None)
            state["at"] = previous
            return state, Stepped(Step.MOVED)
        state["answers"].pop(state["at"], None)
        return self._advance(state)

    def _advance(self, state: Value) -> tuple[Value | None, Stepped]:
        index = self.quiz.position(state["at"]) + 1
        if index < len(self.quiz):
            state["at"] = self.quiz.questions[index].id
            return state, Stepped(Step.MOVED)
        return None, Stepped(Step.FINISHED, dict(state["answers"]))

    def _after(self, message: Message, done: Stepped) -> Reply:
        if done.step is Step.GONE:
            return Reply.note("That quiz has already ended. Say quiz to take it again, or my result to see your last result.")
        if done.step is Step.FINISHED:
            return self._finish(message, done.answers)
        if done.step is Step.STOPPED:
            return self._stopped()
        state = self.store.get(self.key(message))
        if state is None:
            return Reply.note("That quiz has already ended. Say quiz to take it again.")
        question = self.current(state)
        if done.step is Step.STALE:
            return self.ask(question, intro="That button belongs to an earlier question, so I left your answers as they "
                                            "were. Here is where you are:")
        if done.step is Step.AT_START:
            return self.ask(question, intro="You're already at the first question.")
        return self.ask(question)

    def _stopped(self) -> Reply:
        return Reply(parts=(QuizEnded(len(self.quiz), stopped=True),))

    def ask(self, question: Question, *, intro: str = "") -> Reply:
        index = self.quiz.position(question.id)
        part = QuizQuestion(step=index + 1, of=len(self.quiz), text=question.text,
                            options=tuple(o.label for o in question.options), intro=intro, hint=HINT,
                            controls=tuple(Choice(buttons.quiz_answer(question.id, name), label)
                                           for name, label in CONTROLS if name != "back" or index > 0))
        return Reply(parts=(part,),
                     choices=tuple(Choice(buttons.quiz_answer(question.id, o.id), o.label) for o in question.options))

    def reask(self, state: dict[str, Any], *, intro: str) -> Reply:
        return self.ask(self.current(state), intro=intro)

    # -- results -----------------------------------------------------------------

    def _finish(self, message: Message, answers: dict[str, str]) -> Reply:
        if not answers:
            return Reply(parts=(QuizEnded(len(self.quiz)),))
        outcome = result(self.quiz, answers)
        saved = {"v": 1, "answers": answers, **outcome}
        self.metrics.inc("rolecall_quiz_completions_total")
        self.store.put(self.result_key(message), saved, ttl=QUIZ_RESULT.ttl)
        return self._result_reply(saved)

    def last_result(self, message: Message) -> Reply:
        saved = self.store.get(self.result_key(message))
        if not saved or saved.get("role") not in self.quiz.outcomes or not isinstance(saved.get("answers"), dict):
            return Reply.note("You haven't finished the quiz yet. Say quiz to take it.")
        return self._result_reply(saved)

    def _result_reply(self, saved: dict[str, Any]) -> Reply:
        role, scores, answers = saved["role"], saved["scores"], saved["answers"]
        outcome = self.quiz.outcomes[role]
        career = self.kb.by_id.get(outcome.career)
        certs = tuple(_certification_name(self.kb.by_id[c].phrases[0]) for c in outcome.certifications
                      if c in self.kb.by_id)
        part = QuizResult(role=role, title=outcome.title, scores=dict(scores), summary=outcome.summary,
                          of=len(self.quiz), because=tuple(o.because for o in strongest_answers(self.quiz, answers, role)),
                          career=career.answer if career else None, certifications=certs,
                          first_step=outcome.first_step)
        return Reply(parts=(part,))


def _certification_name(phrase: str) -> str:
    """PMP, CSPO ... as they are written; other names with a capital ("Pragmatic institute")."""
    named = glossary.proper_case(phrase)
    return named if named != phrase else phrase[:1].upper() + phrase[1:]
