"""The "which role fits me?" quiz, driven through Conversation.handle as every front end drives it."""

from __future__ import annotations

import pytest

from rolecall.bot.conversation import Conversation
from rolecall.bot.messages import Message
from rolecall.bot.parts import QuizQuestion
from rolecall.bot.quiz import load_quiz, read_answer
from rolecall.bot.sqlite_store import MemoryStore, SQLiteStore

PRODUCT_ANSWERS = ["b", "b", "b", "a", "a", "b", "a", "a", "b", "b"]
"""For the shipped quiz: the option of each question that leans fully towards product."""
PROJECT_ANSWERS = ["a", "a", "a", "b", "b", "a", "b", "b", "a", "a"]


@pytest.fixture
def chat(advisor):
    conversation = Conversation(advisor, MemoryStore())

    def say(text: str = "", *, user: str = "ana", channel: str = "c1", choice: str | None = None):
        return conversation.handle(Message(text=text, user=user, channel=channel, choice=choice))

    return say


def take(chat, answers, **who):
    reply = chat("quiz", **who)
    for answer in answers:
        reply = chat(answer, **who)
    return reply


def test_shipped_quiz_has_eight_to_twelve_questions_with_weighted_options(advisor):
    quiz = load_quiz(advisor.kb)
    assert 8 <= len(quiz) <= 12
    assert all(len(q.options) >= 2 for q in quiz.questions)


@pytest.mark.parametrize("opener", ["quiz", "which role fits me?", "am I more product or project?", "start the quiz"])
def test_quiz_starts_from_plain_chat(chat, opener):
    reply = chat(opener)
    assert reply.quiz == {"step": 1, "of": 10, "result": None}
    assert reply.choices and reply.choices[0].id.startswith("quiz:")


def test_product_answers_give_a_product_result_with_scores_career_and_certifications(chat):
    reply = take(chat, PRODUCT_ANSWERS)
    assert reply.quiz["result"] == {"role": "product", "scores": {"product": 100, "project": 0}}
    assert "Career path" in reply.text and "CSPO" in reply.text and "first step" in reply.text.lower()


def test_project_answers_give_a_project_result(chat):
    reply = take(chat, PROJECT_ANSWERS)
    assert reply.quiz["result"]["role"] == "project"
    assert "PMP" in reply.text


def test_balanced_answers_give_a_hybrid_result(chat):
    reply = take(chat, PRODUCT_ANSWERS[:5] + PROJECT_ANSWERS[5:])
    assert reply.quiz["result"]["role"] == "hybrid"
    assert reply.quiz["result"]["scores"] == {"product": 50, "project": 50}


def test_result_names_the_answers_that_weighed_most(chat):
    reply = take(chat, PRODUCT_ANSWERS)
    assert "What weighed most: you" in reply.text


def test_answers_by_number_letter_and_ordinal_word(chat):
    chat("quiz")
    assert chat("2").quiz["step"] == 2
    assert chat("B").quiz["step"] == 3
    assert chat("the second one").quiz["step"] == 4


def test_free_text_answer_is_matched_to_the_option_it_means(chat):
    chat("quiz")
    for answer in ["b", "b", "b"]:
        chat(answer)
    reply = chat("I'd rather talk to customers about why users struggle")
    assert reply.quiz["step"] == 5
    for answer in PRODUCT_ANSWERS[4:]:
        reply = chat(answer)
    assert reply.quiz["result"] == {"role": "product", "scores": {"product": 100, "project": 0}}


def test_unrecognised_answer_reasks_the_same_question_without_advancing(chat):
    chat("quiz")
    reply = chat("banana bread")
    assert reply.quiz["step"] == 1
    assert "couldn't tell which option" in reply.text
    assert [c.id for c in reply.choices] == [c.id for c in chat("banana").choices]


def test_number_out_of_range_is_not_an_answer(chat):
    chat("quiz")
    assert chat("9").quiz["step"] == 1


def test_back_returns_to_the_previous_question_and_forgets_its_answer(chat):
    chat("quiz")
    chat("a")
    reply = chat("back")
    assert reply.quiz["step"] == 1
    assert "already at the first question" in chat("back").text


def test_skip_moves_on_without_an_answer(chat):
    chat("quiz")
    assert chat("skip").quiz["step"] == 2


def test_skipping_everything_gives_no_result(chat):
    reply = take(chat, ["skip"] * 10)
    assert reply.quiz["result"] is None
    assert "skipped every question" in reply.text


def test_restart_goes_back_to_question_one(chat):
    take(chat, ["a", "a", "a"])
    reply = chat("restart")
    assert reply.quiz["step"] == 1 and "Starting over" in reply.text


def test_stop_ends_the_quiz_and_questions_are_answered_normally_again(chat):
    take(chat, ["a"])
    assert chat("stop").quiz is None
    assert chat("who owns the roadmap?").verdict == "product"


def test_ownership_question_mid_quiz_is_answered_with_a_reminder_and_keeps_progress(chat):
    take(chat, ["a", "a"])
    reply = chat("wait, who owns the roadmap?")
    assert reply.verdict == "product"
    assert "Back to the quiz" in reply.text and reply.quiz["step"] == 3
    assert chat("a").quiz["step"] == 4


def test_my_result_shows_the_last_result_after_the_quiz(chat):
    take(chat, PROJECT_ANSWERS)
    reply = chat("my result")
    assert reply.quiz["result"]["role"] == "project"


def test_my_result_before_any_quiz_says_so(chat):
    assert "haven't finished the quiz" in chat("my result").text


def test_button_click_answers_the_question_it_belongs_to(chat):
    first = chat("quiz")
    reply = chat(choice=first.choices[1].id)
    assert reply.quiz["step"] == 2


def test_double_click_on_the_same_button_advances_once(chat):
    first = chat("quiz")
    chat(choice=first.choices[0].id)
    reply = chat(choice=first.choices[0].id)
    assert reply.quiz["step"] == 2
    assert "earlier question" in reply.text


def test_button_after_the_quiz_ended_gets_a_polite_note(chat):
    first = chat("quiz")
    chat("stop")
    assert "already ended" in chat(choice=first.choices[0].id).text


def _controls(reply):
    """The card's Back / Skip / Stop buttons, by label."""
    (question,) = [part for part in reply.parts if isinstance(part, QuizQuestion)]
    return {control.label.split()[-1].lower(): control.id for control in question.controls}


def test_a_quiz_card_has_skip_and_stop_buttons_and_back_from_the_second_question_on(chat):
    first = chat("quiz")
    assert set(_controls(first)) == {"skip", "quiz"}  # "Skip", "Stop quiz"
    assert set(_controls(chat("a"))) == {"back", "skip", "quiz"}


def test_control_buttons_are_not_among_the_choices_a_script_picks_options_from(chat):
    first = chat("quiz")
    assert len(first.choices) == len(first.first(QuizQuestion).options)


def test_the_back_button_returns_to_the_previous_question(chat):
    chat("quiz")
    second = chat("a")
    assert chat(choice=_controls(second)["back"]).quiz["step"] == 1


def test_the_skip_button_moves_on_without_an_answer(chat):
    first = chat("quiz")
    assert chat(choice=_controls(first)["skip"]).quiz["step"] == 2


def test_the_stop_button_ends_the_quiz(chat):
    first = chat("quiz")
    reply = chat(choice=_controls(first)["quiz"])
    assert reply.quiz is None and "Quiz stopped" in reply.text
    assert chat("who owns the roadmap?").verdict == "product"


def test_a_control_button_on_an_earlier_card_changes_nothing(chat):
    first = chat("quiz")
    chat("a")
    reply = chat(choice=_controls(first)["skip"])
    assert reply.quiz["step"] == 2 and "earlier question" in reply.text


def test_two_people_in_one_channel_have_separate_quizzes(chat):
    chat("quiz", user="ana")
    chat("a", user="ana")
    assert chat("quiz", user="ben").quiz["step"] == 1
    assert chat("a", user="ana").quiz["step"] == 3


def test_corrupt_saved_quiz_is_reset_with_a_message(advisor, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    conversation = Conversation(advisor, store)
    message = Message(text="quiz", user="ana")
    conversation.handle(message)
    key = conversation.quizzes.key(message)
    store._connect().execute("UPDATE kv SET value = '{not json' WHERE key = ?", (key,))
    reply = conversation.handle(Message(text="a", user="ana"))
    assert "reset" in reply.text
    assert conversation.handle(Message(text="a", user="ana")).quiz is None


def test_saved_quiz_from_an_older_question_set_is_reset(advisor, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    conversation = Conversation(advisor, store)
    message = Message(text="quiz", user="ana")
    store.put(conversation.quizzes.key(message), {"v": 1, "at": "no-such-question", "answers": {}})
    assert "reset" in conversation.handle(Message(text="a", user="ana")).text


def test_idle_quiz_expires(advisor, tmp_path):
    conversation = Conversation(advisor, SQLiteStore(tmp_path / "s.db", ttl=0.05))
    conversation.handle(Message(text="quiz", user="ana"))
    import time

    time.sleep(0.1)
    assert conversation.handle(Message(text="a", user="ana")).quiz is None


def test_read_answer_never_guesses_between_two_options(advisor):
    question = load_quiz(advisor.kb).questions[0]
    assert read_answer(question, "something") is None
    assert read_answer(question, "") is None
