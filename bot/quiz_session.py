"""A person's way through the quiz, kept in the store between messages.

Every change goes through `Store.update`, and every answer names the question
it answers, so a double click or a click on an old card can never move the
quiz twice or answer the wrong question.
"""

from __future__ import annotations

from typing import Any, Callable

from .knowledge import KnowledgeBase
from .messages import Choice, Message, Reply
from .metrics import Metrics
from .quiz import Question, Quiz, read_answer, result, strongest_answers
from .store import CorruptValue, Store, session_key

RESULT_TTL = 90 * 24 * 3600
"""A finished result is kept for "my result" much longer than an idle quiz."""

CONTROL = {
    "back": {("back",), ("go", "back"), ("previous",), ("prev",), ("undo",), ("previous", "question")},
    "skip": {("skip",), ("pass",), ("next",), ("skip", "it"), ("skip", "this"), ("skip", "question"), ("dont", "know"), ("no", "idea"), ("idk",)},
    "restart": {("restart",), ("start", "over"), ("start", "again"), ("reset",), ("restart", "quiz"), ("begin", "again")},
    "stop": {("stop",), ("quit",), ("cancel",), ("exit",), ("stop", "quiz"), ("quit", "quiz"), ("end", "quiz"), ("cancel", "quiz"), ("exit", "quiz")},
}
HINT = "Answer with a button, a number or letter, or in your own words; say back, skip, restart or stop at any time."


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
        return session_key("quiz", message.platform, message.workspace, message.channel, message.user)

    @staticmethod
    def result_key(message: Message) -> str:
        return session_key("quiz-result", message.platform, message.workspace, message.user)

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

    def command(self, message: Message, words: tuple[str, ...]) -> str | None:
        """Which control word (back, skip, restart, stop) a message is, if any."""
        return next((name for name, forms in CONTROL.items() if words in forms), None)

    def control(self, message: Message, name: str) -> Reply:
        if name == "restart":
            return self.start(message, note="Starting over.")
        if name == "stop":
            self.reset(message)
            return Reply(text="Quiz stopped. Say quiz whenever you want to take it again.", quiz=None)
        if name == "back":
            return self._move(message, back=True)
        return self._move(message, back=False)

    def answer(self, message: Message, question_id: str, option_id: str) -> Reply:
        """Record an answer to `question_id`, only if that is still the question being asked."""

        def change(state, outcome):
            if state["at"] != question_id:
                outcome["stale"] = True
                return state
            question = self.quiz.questions[self.quiz.index_of(question_id)]
            if question.option(option_id) is None:
                outcome["invalid"] = True
                return state
            state["answers"][question_id] = option_id
            return self._advance(state, outcome)

        return self._step(message, change)

    def _step(self, message: Message, change: Callable[[dict, dict], dict | None]) -> Reply:
        """Apply one change to the saved quiz atomically, then reply with wherever it left the person."""
        outcome: dict[str, Any] = {}

        def guarded(state):
            if state is None:
                outcome["gone"] = True
                return None
            self._check(state)
            return change(state, outcome)

        self.store.update(self.key(message), guarded)
        return self._after(message, outcome)

    def answer_text(self, message: Message, state: dict[str, Any], text: str) -> Reply | None:
        """A typed answer to the current question, or None when the text is not one of its options."""
        question = self.current(state)
        option = read_answer(question, text)
        return self.answer(message, question.id, option.id) if option else None

    def current(self, state: dict[str, Any]) -> Question:
        return self.quiz.questions[self.quiz.index_of(state["at"])]

    def _move(self, message: Message, *, back: bool) -> Reply:
        """Back to the previous question (forgetting its answer), or on to the next one without an answer."""

        def change(state, outcome):
            index = self.quiz.index_of(state["at"])
            if back:
                if index == 0:
                    outcome["at_start"] = True
                    return state
                previous = self.quiz.questions[index - 1].id
                state["answers"].pop(previous, None)
                state["at"] = previous
                return state
            state["answers"].pop(state["at"], None)
            return self._advance(state, outcome)

        return self._step(message, change)

    def _advance(self, state: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any] | None:
        index = self.quiz.index_of(state["at"]) + 1
        if index < len(self.quiz):
            state["at"] = self.quiz.questions[index].id
            return state
        outcome["finished"] = dict(state["answers"])
        return None

    def _after(self, message: Message, outcome: dict[str, Any]) -> Reply:
        if outcome.get("gone"):
            return Reply(text="That quiz has already ended. Say quiz to take it again, or my result to see your last result.")
        if "finished" in outcome:
            return self._finish(message, outcome["finished"])
        state = self.store.get(self.key(message))
        if state is None:
            return Reply(text="That quiz has already ended. Say quiz to take it again.")
        question = self.current(state)
        if outcome.get("stale"):
            return self.ask(question, intro="That button belongs to an earlier question, so I left your answers as they were. Here is where you are:")
        if outcome.get("at_start"):
            return self.ask(question, intro="You're already at the first question.")
        return self.ask(question)

    def ask(self, question: Question, *, intro: str = "") -> Reply:
        index = self.quiz.index_of(question.id)
        lines = [intro] if intro else []
        lines.append(f"Question {index + 1} of {len(self.quiz)}: {question.text}")
        lines += [f"  {chr(97 + i)}) {o.label}" for i, o in enumerate(question.options)]
        lines.append(HINT)
        return Reply(
            text="\n".join(lines),
            choices=tuple(Choice(f"quiz:{question.id}:{o.id}", o.label) for o in question.options),
            quiz={"step": index + 1, "of": len(self.quiz), "result": None},
            card={"question": question.text},
        )

    def reask(self, state: dict[str, Any], *, intro: str) -> Reply:
        return self.ask(self.current(state), intro=intro)

    # -- results -----------------------------------------------------------------

    def _finish(self, message: Message, answers: dict[str, str]) -> Reply:
        if not answers:
            return Reply(text="You skipped every question, so I can't tell which role fits you. Say quiz to try again.",
                         quiz={"step": len(self.quiz), "of": len(self.quiz), "result": None})
        outcome = result(self.quiz, answers)
        saved = {"v": 1, "answers": answers, **outcome}
        self.metrics.inc("rolecall_quiz_completions_total")
        self.store.put(self.result_key(message), saved, ttl=RESULT_TTL)
        return self._result_reply(saved)

    def last_result(self, message: Message) -> Reply:
        saved = self.store.get(self.result_key(message))
        if not saved or saved.get("role") not in self.quiz.outcomes or not isinstance(saved.get("answers"), dict):
            return Reply(text="You haven't finished the quiz yet. Say quiz to take it.")
        return self._result_reply(saved)

    def _result_reply(self, saved: dict[str, Any]) -> Reply:
        role, scores, answers = saved["role"], saved["scores"], saved["answers"]
        outcome = self.quiz.outcomes[role]
        reasons = strongest_answers(self.quiz, answers, role)
        lines = [f"Your result: {outcome.title} (product {scores['product']}%, project {scores['project']}%).",
                 outcome.summary]
        if reasons:
            lines.append("What weighed most: you " + " and you ".join(o.because for o in reasons) + ".")
        career = self.kb.by_id.get(outcome.career)
        if career:
            lines.append(f"Career path: {career.answer}")
        certs = [self.kb.by_id[c].phrases[0].upper() if len(self.kb.by_id[c].phrases[0]) <= 8 else self.kb.by_id[c].phrases[0]
                 for c in outcome.certifications if c in self.kb.by_id]
        if certs:
            lines.append("Certifications to look at: " + ", ".join(certs) + ".")
        lines.append(f"A first step: {outcome.first_step}")
        n = len(self.quiz)
        return Reply(text="\n".join(lines), quiz={"step": n, "of": n, "result": {"role": role, "scores": dict(scores)}},
                     card={"title": outcome.title})
