"""Starting the Slack app: settings, `rolecall serve slack` as a real process, /healthz, and the manifest."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import yaml
from mock_slack_api import BOT_TOKEN, SIGNING_SECRET
from slack_requests import SlackSender, header_of

from rolecall.adapters.settings import SettingsError
from rolecall.adapters.slack import SlackSettings
from rolecall.bot import commands

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- settings ----------------------------------------------------------------------------

def test_settings_need_the_bot_token(monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        SlackSettings.from_env()


def test_http_mode_needs_the_signing_secret_and_socket_mode_does_not(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        SlackSettings.from_env()
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-abc")
    assert SlackSettings.from_env().socket_mode


def test_a_bot_token_in_the_app_token_slot_is_caught(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", BOT_TOKEN)
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        SlackSettings.from_env()


def test_slack_api_url_sets_the_web_api_base_and_tokens_stay_out_of_repr(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    assert SlackSettings.from_env().api_url == "https://slack.com/api/"
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    settings = SlackSettings.from_env()
    assert settings.api_url == "https://slack-gov.com/api/"  # slack_sdk needs the trailing slash
    assert BOT_TOKEN not in repr(settings) and SIGNING_SECRET not in repr(settings)


def test_oauth_variables_that_would_silently_switch_bolt_are_refused(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "abc")
    with pytest.raises(SettingsError, match="SLACK_CLIENT_ID"):
        SlackSettings.from_env()


# -- `rolecall serve slack` as a process ------------------------------------------------------

def test_serve_without_a_bot_token_fails_with_one_clear_line(run_cli, tmp_path):
    result = run_cli("serve", "slack", "--env-file", str(tmp_path / "none.env"), timeout=30)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_serve_reads_the_env_file_and_names_the_next_missing_variable(run_cli, tmp_path):
    env_file = tmp_path / "slack.env"
    env_file.write_text(f"SLACK_BOT_TOKEN={BOT_TOKEN}\n", encoding="utf-8")
    result = run_cli("serve", "slack", "--env-file", str(env_file), timeout=30)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in err and "Traceback" not in err
    assert BOT_TOKEN not in err


@pytest.mark.asyncio
async def test_serve_slack_in_http_mode_answers_health_checks_and_signed_events(mock_slack, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLECALL_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": mock_slack.api_url, "XDG_DATA_HOME": str(tmp_path)})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rolecall", "serve", "slack", "--host", "127.0.0.1", "--port", str(port),
        "--env-file", str(tmp_path / "none.env"), cwd=REPO_ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with session.get(f"{base}/healthz") as resp:
                        assert resp.status == 200
                        assert (await resp.json()) == {"status": "ok", "store": "ok"}
                        break
                except aiohttp.ClientConnectionError:
                    assert process.returncode is None, "the server exited"
                    assert time.monotonic() < deadline, "the server did not start"
                    await asyncio.sleep(0.05)
            sender = SlackSender(base, session, mock_slack)
            assert await sender.mention("who owns the release schedule?") == 200
            (post,) = await mock_slack.wait_for("chat.postMessage")
            assert header_of(post.body["blocks"]) == "Project manager"
            status, _ = await sender.post(json.dumps({"type": "url_verification", "challenge": "c"}), sign=False)
            assert status == 401
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()
    logs = stderr.decode()
    assert "listening" in logs
    assert BOT_TOKEN not in logs and SIGNING_SECRET not in logs
    assert mock_slack.calls_to("auth.test")  # the token was checked at start


# -- the manifest -------------------------------------------------------------------------------

def test_the_manifest_asks_for_what_the_adapter_uses():
    manifest = yaml.safe_load((REPO_ROOT / "adapters" / "slack_manifest.yaml").read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "chat:write", "commands", "im:history", "im:write"}  # nothing unused (no im:read)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/rolecall"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "app_home_opened"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False
    assert manifest["features"]["bot_user"]["display_name"]


def test_the_manifests_usage_hint_is_the_subcommand_table():
    manifest = yaml.safe_load((REPO_ROOT / "adapters" / "slack_manifest.yaml").read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["usage_hint"] == commands.usage_hint()  # one table for the parser, the help text and the manifest
