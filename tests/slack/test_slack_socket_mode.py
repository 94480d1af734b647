"""Socket Mode: `adapters.slack.run` against a local WebSocket server that plays Slack's side.

apps.connections.open on the mock returns the mock's ws:// URL; the server says
hello, pushes envelopes (a slash command as a JSON object, an events_api
app_mention, a retry) and collects the app's acks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time

import aiohttp
import pytest
from mock_slack_api import APP_TOKEN, BOT_TOKEN, BOT_USER, TEAM
from rolecall_support import free_port
from slack_requests import header_of

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

        await mock_slack.push(slash_envelope("env-slash", "who the release schedule", mock_slack.response_url("s1")))
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


# -- a WebSocket that will not connect, signals, and health checks ----------------------------------

async def test_the_first_connect_is_bounded_and_logs_no_traceback(conversation, mock_slack, socket_settings, caplog):
    from rolecall.adapters.slack import SocketModeUnavailable

    caplog.set_level(logging.INFO)
    mock_slack.socket_path = "/nowhere"  # apps.connections.open answers, the WebSocket never opens
    started = time.monotonic()
    with pytest.raises(SocketModeUnavailable, match="Socket Mode"):
        await asyncio.wait_for(run(conversation, socket_settings, host="127.0.0.1", port=0, stop=asyncio.Event(),
                                   connect_timeout=1.5), 10)
    assert time.monotonic() - started < 5
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    assert APP_TOKEN not in caplog.text


async def test_stop_is_honoured_while_the_first_connect_keeps_failing(conversation, mock_slack, socket_settings):
    mock_slack.socket_path = "/nowhere"
    stop = asyncio.Event()
    server = asyncio.create_task(run(conversation, socket_settings, host="127.0.0.1", port=0, stop=stop))
    await mock_slack.wait_for("apps.connections.open")
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(server, 5)  # returns, no error: stopped on request


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_serve_exits_promptly_on_a_signal_while_slack_cannot_be_reached(mock_slack, tmp_path, signum):
    mock_slack.socket_path = "/nowhere"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLECALL_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": mock_slack.api_url,
                "XDG_DATA_HOME": str(tmp_path)})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rolecall", "serve", "slack", "--host", "127.0.0.1", "--port", str(free_port()),
        "--env-file", str(tmp_path / "none.env"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await mock_slack.wait_for("apps.connections.open", timeout=20)
        await asyncio.sleep(1.0)
        assert process.returncode is None
        process.send_signal(signum)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert APP_TOKEN not in stderr.decode() and BOT_TOKEN not in stderr.decode()


async def test_socket_mode_serves_healthz_and_metrics_on_the_port(conversation, mock_slack, socket_settings):
    port = free_port()
    stop = asyncio.Event()
    server = asyncio.create_task(run(conversation, socket_settings, host="127.0.0.1", port=port, stop=stop))
    try:
        await asyncio.wait_for(mock_slack.socket_ready.wait(), 10)
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 10
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        assert resp.status == 200 and await resp.json() == {"status": "ok", "store": "ok"}
                        break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "no health server"
                    await asyncio.sleep(0.05)
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert resp.status == 200 and "rolecall_messages_total" in await resp.text()
            async with session.post(f"http://127.0.0.1:{port}/slack/events", data=b"{}") as resp:
                assert resp.status in (404, 405), "Socket Mode takes no events over HTTP"
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)
