"""The Slack app in HTTP mode: signed requests over real HTTP, Web API calls recorded by a local mock."""

from __future__ import annotations

import json
import logging
import time

import pytest
from mock_slack_api import BOT_TOKEN, BOT_USER, SIGNING_SECRET
from slack_requests import block_text, header_of, progress_of, slack_text

from rolecall.adapters.slack_blocks import escape

pytestmark = pytest.mark.asyncio

PINGS = ("<!channel", "<!here", "<!everyone", "@everyone", "@here", "@channel", "<@U")


def assert_cannot_ping(text: str) -> None:
    for ping in PINGS:
        assert ping not in text, f"{ping!r} could notify people: {text!r}"


# -- the door: signatures, url_verification, health -------------------------------------

async def test_url_verification_answers_the_challenge(slack):
    status, text = await slack.post(json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"}))
    assert status == 200
    assert "abc123" in text


@pytest.mark.parametrize("case", ["wrong", "stale", "missing"])
async def test_a_bad_stale_or_missing_signature_is_refused(slack, mock_slack, case):
    body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
    if case == "wrong":
        status, _ = await slack.post(body, signature="v0=" + "0" * 64)
    elif case == "stale":
        old = int(time.time()) - 10 * 60
        status, _ = await slack.post(body, timestamp=old)  # correctly signed, but ten minutes old
    else:
        status, _ = await slack.post(body, sign=False)
    assert status == 401
    assert [c.path for c in mock_slack.calls] == [] or all(c.path == "auth.test" for c in mock_slack.calls)


async def test_an_event_with_a_bad_signature_posts_nothing(slack, mock_slack):
    status = await slack.event({"type": "app_mention", "user": "UANN", "text": "who owns the roadmap?",
                                "ts": "1.1", "channel": "C0001"}, headers={"X-Slack-Signature": "v0=bad"})
    assert status == 401
    status = await slack.mention("who owns the release schedule?")  # a good one afterwards: the only answer
    assert status == 200
    assert len(await mock_slack.wait_for("chat.postMessage")) == 1


# -- mentions and DMs ------------------------------------------------------------------

async def test_a_mention_gets_the_verdict_in_a_thread_reply(slack, mock_slack, advisor):
    status = await slack.mention("who owns the release schedule?", ts="1700000001.000100")
    assert status == 200
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0001"
    assert post.body["thread_ts"] == "1700000001.000100"
    blocks = post.body["blocks"]
    assert header_of(blocks) == "Project manager"
    assert post.body["text"].startswith("Project manager.")
    context = [b for b in blocks if b["type"] == "context"]
    verdict = advisor.ask("who owns the release schedule?").part
    assert context and f"*{verdict.topic_label}* · {escape(verdict.source)}" in context[0]["elements"][0]["text"]
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"


async def test_a_mention_inside_a_thread_answers_in_that_thread(slack, mock_slack):
    await slack.event({"type": "app_mention", "user": "UANN", "text": f"<@{BOT_USER}> who owns the roadmap?",
                       "ts": "1700000009.000200", "thread_ts": "1700000009.000100", "channel": "C0001"})
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000009.000100"
    assert header_of(post.body["blocks"]) == "Product manager"


async def test_a_direct_message_is_answered_in_the_dm(slack, mock_slack):
    await slack.dm("is the burndown chart product or project work?")
    (post,) = await mock_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "DANN"
    assert "thread_ts" not in post.body or post.body["thread_ts"] is None
    assert header_of(post.body["blocks"]) == "Project manager"


async def test_bot_messages_and_edits_in_a_dm_are_ignored(slack, mock_slack):
    await slack.event({"type": "message", "channel_type": "im", "bot_id": "BOTHER", "user": "UOTHERBOT",
                       "text": "who owns the roadmap?", "ts": "1.1", "channel": "DANN"})
    await slack.event({"type": "message", "channel_type": "im", "subtype": "message_changed", "channel": "DANN",
                       "ts": "1.2", "message": {"text": "who owns the roadmap?", "user": "UANN"}})
    await slack.event({"type": "message", "channel_type": "im", "user": BOT_USER, "text": "my own words",
                       "ts": "1.3", "channel": "DANN"})
    await slack.dm("help")  # the barrier: once this is answered, the three above would have been too
    posts = await mock_slack.wait_for("chat.postMessage")
    assert len(posts) == 1
    assert "quiz" in posts[0].body["text"]


async def test_the_quiz_in_a_dm_with_typed_answers_ends_with_a_result(slack, mock_slack):
    await slack.dm("quiz")
    (first,) = await mock_slack.wait_for("chat.postMessage")
    assert progress_of(first.body["blocks"]) == "Step 1 of 10"
    step = 1
    while True:
        await slack.dm("b")  # the second option, typed
        posts = await mock_slack.wait_for("chat.postMessage", step + 1)
        blocks = posts[-1].body["blocks"]
        step += 1
        if header_of(blocks) and header_of(blocks).startswith("Quiz result"):
            break
        assert progress_of(blocks) == f"Step {step} of 10"
        assert step <= 10
    assert step == 11
    assert "Career path" in block_text(posts[-1].body)


# -- /rolecall -------------------------------------------------------------------------

async def test_who_posts_the_verdict_for_the_whole_channel(slack, mock_slack):
    status, url = await slack.command("who the release schedule")
    assert status == 200
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "in_channel"
    assert header_of(answer.body["blocks"]) == "Project manager"


async def test_ask_answers_only_the_asker(slack, mock_slack):
    status, url = await slack.command("ask is the product roadmap product or project work?")
    assert status == 200
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "ephemeral"
    assert header_of(answer.body["blocks"]) == "Product manager"


async def test_quiz_starts_a_quiz_card_for_the_asker(slack, mock_slack):
    _, url = await slack.command("quiz")
    (card,) = await mock_slack.wait_for(url)
    assert card.body["response_type"] == "ephemeral"
    blocks = card.body["blocks"]
    assert progress_of(blocks) == "Step 1 of 10"
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) >= 2
    assert all(b["value"].startswith("quiz:") for b in buttons)
    assert len({b["action_id"] for b in buttons}) == len(buttons)


@pytest.mark.parametrize("text", ["help", "", "frobnicate the roadmap"])
async def test_help_bare_and_unknown_subcommands_show_help(slack, mock_slack, text):
    _, url = await slack.command(text)
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "who owns the roadmap" in block_text(answer.body)


async def test_result_before_any_quiz_says_so(slack, mock_slack):
    _, url = await slack.command("result")
    (answer,) = await mock_slack.wait_for(url)
    assert answer.body["response_type"] == "ephemeral"
    assert "haven't finished the quiz" in answer.body["text"]


# -- the quiz card -------------------------------------------------------------------------

async def test_a_whole_quiz_clicked_through_updates_one_card_to_the_result(slack, mock_slack):
    _, url = await slack.command("quiz")
    (card,) = await mock_slack.wait_for(url)
    blocks = card.body["blocks"]
    for step in range(1, 11):
        assert progress_of(blocks) == f"Step {step} of 10"
        status, url = await slack.click(blocks, 0 if step % 2 else 1)
        assert status == 200
        (update,) = await mock_slack.wait_for(url)
        assert update.body["replace_original"] is True  # the same card, no channel spam
        blocks = update.body["blocks"]
    assert header_of(blocks).startswith("Quiz result: ")
    assert "Product" in block_text(update.body) and "Project" in block_text(update.body)
    assert not mock_slack.calls_to("chat.postMessage")
    _, url = await slack.command("result")
    (saved,) = await mock_slack.wait_for(url)
    assert header_of(saved.body["blocks"]) == header_of(blocks)


async def test_an_old_cards_button_gets_a_polite_note_not_a_wrong_step(slack, mock_slack):
    _, url = await slack.command("quiz")
    (card,) = await mock_slack.wait_for(url)
    first = card.body["blocks"]
    _, url = await slack.click(first, 0)
    (second,) = await mock_slack.wait_for(url)
    assert progress_of(second.body["blocks"]) == "Step 2 of 10"
    _, url = await slack.click(first, 1)  # the first card's button again
    (note,) = await mock_slack.wait_for(url)
    assert "earlier question" in note.body["text"]
    assert progress_of(note.body["blocks"]) == "Step 2 of 10"  # the quiz did not move


async def test_the_quiz_cards_back_and_stop_buttons_move_back_and_end_the_quiz(slack, mock_slack):
    _, url = await slack.command("quiz")
    (card,) = await mock_slack.wait_for(url)
    _, url = await slack.click(card.body["blocks"], 0)
    (second,) = await mock_slack.wait_for(url)
    _, url = await slack.click(second.body["blocks"], "◀ Back")
    (back,) = await mock_slack.wait_for(url)
    assert progress_of(back.body["blocks"]) == "Step 1 of 10"
    _, url = await slack.click(back.body["blocks"], "Stop quiz")
    (stopped,) = await mock_slack.wait_for(url)
    assert "Quiz stopped" in stopped.body["text"] and stopped.body["replace_original"] is True  # no dead card left


async def test_someone_elses_card_is_not_theirs_to_click(slack, mock_slack):
    await slack.mention("quiz", user="UANN")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    _, url = await slack.click(card.body["blocks"], 0, user="UBOB", ephemeral=False)
    (note,) = await mock_slack.wait_for(url)  # through the click's response_url: only the clicker sees it
    assert note.body["response_type"] == "ephemeral" and note.body["replace_original"] is False
    assert "someone else" in note.body["text"]
    assert not mock_slack.calls_to("chat.update")
    _, url = await slack.click(card.body["blocks"], 0, user="UANN", ephemeral=False)  # the owner still can
    (update,) = await mock_slack.wait_for(url)
    assert progress_of(update.body["blocks"]) == "Step 2 of 10"


# -- retries and failures ------------------------------------------------------------------

async def test_slack_retries_of_an_answered_event_never_post_a_second_answer(slack, mock_slack):
    """Retries carry the first delivery's event_id (https://docs.slack.dev/apis/events-api/#retries): that, not the
    retry header, tells a repeat from a first delivery (see test_slack_deliveries.py)."""
    assert await slack.mention("who owns the release schedule?", event_id="EvRETRIED") == 200
    await mock_slack.wait_for("chat.postMessage")
    for attempt in ("1", "2"):
        status = await slack.mention("who owns the release schedule?", event_id="EvRETRIED",
                                     headers={"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
    await slack.dm("help")  # the barrier
    posts = await mock_slack.wait_for("chat.postMessage", 2)
    assert len(posts) == 2
    assert posts[1].body["channel"] == "DANN"


async def test_a_rate_limit_is_waited_out_and_retried_once(slack, mock_slack):
    mock_slack.fail("chat.postMessage", "ratelimited", retry_after=1)
    started = time.monotonic()
    await slack.mention("who owns the release schedule?")
    posts = await mock_slack.wait_for("chat.postMessage", 2)
    assert time.monotonic() - started >= 0.9  # Retry-After was honoured
    assert posts[0].body == posts[1].body


async def test_a_rate_limited_response_url_is_retried_once(slack, mock_slack):
    mock_slack.fail("response", "ratelimited")
    _, url = await slack.command("who the release schedule")
    posts = await mock_slack.wait_for(url, 2)
    assert posts[0].body == posts[1].body


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
async def test_a_missing_channel_is_logged_and_the_app_keeps_answering(slack, mock_slack, caplog, error):
    caplog.set_level(logging.WARNING, logger="rolecall.adapters.slack")
    mock_slack.fail("chat.postMessage", error)
    await slack.mention("who owns the release schedule?", channel="CGONE")
    await mock_slack.wait_for("chat.postMessage")
    await slack.mention("who owns the roadmap?")
    posts = await mock_slack.wait_for("chat.postMessage", 2)
    assert header_of(posts[1].body["blocks"]) == "Product manager"
    await mock_slack.wait_until(lambda: error in caplog.text, "the warning")


async def test_network_errors_are_logged_and_the_app_keeps_answering(slack, mock_slack, caplog):
    caplog.set_level(logging.ERROR, logger="rolecall.adapters.slack")
    mock_slack.fail("chat.postMessage", "disconnect", times=5)  # more than the SDK's own connection retry
    await slack.mention("who owns the release schedule?")
    await mock_slack.wait_until(lambda: "network error" in caplog.text, "the network error to be logged")
    mock_slack.failures.clear()
    await slack.mention("who owns the roadmap?")
    await mock_slack.wait_until(
        lambda: any(header_of(c.body.get("blocks") or []) == "Product manager"
                    for c in mock_slack.calls_to("chat.postMessage")), "the next answer")


# -- safety -------------------------------------------------------------------------

async def test_mass_mentions_and_names_in_the_input_are_never_echoed(slack, mock_slack):
    # As Slack sends it: mentions are markup, the `&` and `<script>` someone typed are entity-encoded.
    text = "<!channel> <!here> @everyone <@UBOB> who owns the release schedule? " + slack_text("& <script>")
    await slack.mention(text)
    await slack.dm(text)
    _, url = await slack.command("who " + text)
    posts = await mock_slack.wait_for("chat.postMessage", 2)
    (public,) = await mock_slack.wait_for(url)
    for call in [*posts, public]:
        assert_cannot_ping(block_text(call.body))
        assert_cannot_ping(call.raw)
        assert "<script>" not in call.raw


async def test_tokens_and_secrets_never_reach_the_logs(slack, mock_slack, caplog):
    caplog.set_level(logging.DEBUG)
    mock_slack.fail("chat.postMessage", "not_in_channel")
    await slack.mention("who owns the release schedule?")
    _, url = await slack.command("who the roadmap")
    await mock_slack.wait_for(url)
    await mock_slack.wait_until(lambda: "not_in_channel" in caplog.text, "the warning")
    for secret in (BOT_TOKEN, SIGNING_SECRET, "legacy-verification-token"):
        assert secret not in caplog.text


# -- App Home --------------------------------------------------------------------------

async def test_app_home_publishes_what_rolecall_is_and_a_quiz_button(slack, mock_slack):
    await slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DANN", "tab": "home"})
    (publish,) = await mock_slack.wait_for("views.publish")
    assert publish.body["user_id"] == "UANN"
    view = publish.body["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["type"] == "home"
    text = block_text({"blocks": view["blocks"]})
    assert "product" in text and "who owns the roadmap" in text
    assert await slack.home_click(view) == 200
    (opened,) = await mock_slack.wait_for("conversations.open")
    assert opened.body["users"] == "UANN"
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert card.body["channel"] == "DANN"
    assert progress_of(card.body["blocks"]) == "Step 1 of 10"


async def test_the_messages_tab_opening_publishes_nothing(slack, mock_slack):
    await slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DANN", "tab": "messages"})
    await slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DANN", "tab": "home"})
    await mock_slack.wait_for("views.publish")
    assert len(mock_slack.calls_to("views.publish")) == 1


# -- buttons anyone may click: answer feedback and debate polls ---------------------------------

async def test_feedback_on_an_answer_thanks_the_clicker_alone_and_leaves_the_card(slack, mock_slack):
    await slack.mention("who owns the release schedule?")
    (post,) = await mock_slack.wait_for("chat.postMessage")
    _, url = await slack.click(post.body["blocks"], "👍", user="UBOB", ephemeral=False)
    (thanks,) = await mock_slack.wait_for(url)
    assert thanks.body["response_type"] == "ephemeral"
    assert thanks.body.get("replace_original") is False
    assert "Thanks" in thanks.body["text"]


async def test_a_debate_poll_is_posted_for_the_channel_and_anyone_can_vote(slack, mock_slack):
    await slack.command("debate the release schedule")
    (card,) = await mock_slack.wait_for("chat.postMessage")
    assert card.body["channel"] == "C0001"
    assert "release schedule" in header_of(card.body["blocks"])
    await slack.click(card.body["blocks"], "Project", user="UBOB", ephemeral=False)
    (update,) = await mock_slack.wait_for("chat.update")
    assert "*Project* 1" in block_text(update.body)  # more in test_slack_polls.py
