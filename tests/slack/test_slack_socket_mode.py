"""Socket Mode: `adapters.slack.run` against a local WebSocket server that plays Slack's side.

apps.connections.open on the mock returns the mock's ws:// URL; the server says
hello, pushes envelopes (a slash command as a JSON object, an events_api
app_mention, a retry) and collects the app's acks.
"""

from __future__ import annotations

import asyncio

import pytest
from mock_slack_api import APP_TOKEN, BOT_TOKEN, BOT_USER, TEAM, header_of

from rolecall.adapters.slack import SlackSettings, run

pytestmark = pytest.mark.asyncio


def slash_envelope(envelope_id: str, text: str, response_url: str) -> dict:
    return {"envelope_id": envelope_id, "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"token": "legacy-verification-token", "team_id": TEAM, "team_domain": "test",
                        "channel_id": "C0001", "channel_name": "general", "user_id": "UANN", "user_name": "ann",
                        "command": "/rolecall", "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
                        "response_url": response_url, "trigger_id": "1.2.3"}}


def mention_envelope(envelope_id: str, text: str, *, retry_attempt: int = 0) -> dict:
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
            "payload": {"token": "legacy-verification-token", "team_id": TEAM, "api_app_id": "A0001",
                        "type": "event_callback", "event_id": "Ev0001", "event_time": 1700000000,
                        "event": {"type": "app_mention", "user": "UANN", "text": f"<@{BOT_USER}> {text}",
                                  "ts": "1700000001.000100", "channel": "C0001", "event_ts": "1700000001.000100"}}}


@pytest.fixture
def socket_settings(mock_slack) -> SlackSettings:
    return SlackSettings(bot_token=BOT_TOKEN, signing_secret="", app_token=APP_TOKEN, api_url=mock_slack.api_url)


async def test_socket_mode_acks_envelopes_and_answers_through_the_web_api(conversation, mock_slack, socket_settings):
    stop = asyncio.Event()
    server = asyncio.create_task(run(conversation, socket_settings, host="127.0.0.1", port=0, stop=stop))
    try:
        (opened,) = await mock_slack.wait_for("apps.connections.open")
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"  # the app-level token, not the bot token

        await mock_slack.push(slash_envelope("env-slash", "who the release plan", mock_slack.response_url("s1")))
        (answer,) = await mock_slack.wait_for("response/s1")
        assert answer.body["response_type"] == "in_channel"
        assert header_of(answer.body["blocks"]) == "Project manager"

        await mock_slack.push(mention_envelope("env-mention", "who owns the roadmap?"))
        (post,) = await mock_slack.wait_for("chat.postMessage")
        assert post.body["channel"] == "C0001"
        assert post.body["thread_ts"] == "1700000001.000100"
        assert header_of(post.body["blocks"]) == "Product manager"

        await mock_slack.push(mention_envelope("env-retry", "who owns the roadmap?", retry_attempt=1))
        await mock_slack.push(slash_envelope("env-help", "help", mock_slack.response_url("s2")))  # the barrier
        await mock_slack.wait_for("response/s2")
        await mock_slack.wait_until(lambda: len(mock_slack.acks) >= 4, "four acks")
        # every envelope acknowledged (in any order: Bolt sends a command's ack once its listener called ack())
        assert sorted(a["envelope_id"] for a in mock_slack.acks) == [
            "env-help", "env-mention", "env-retry", "env-slash"]
        assert len(mock_slack.calls_to("chat.postMessage")) == 1  # the retry was acknowledged, not answered again
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)


async def test_a_rejected_app_token_stops_start_up_with_a_clear_error(conversation, mock_slack, socket_settings):
    from rolecall.adapters.settings import SettingsError

    mock_slack.fail("apps.connections.open", "invalid_auth")
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        await asyncio.wait_for(run(conversation, socket_settings, host="127.0.0.1", port=0, stop=asyncio.Event()), 10)
