"""`rolecall serve discord` and `rolecall discord sync` as real subprocesses, against the fake Discord."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from fake_discord import APP_ID, GUILD_ID, REPO_ROOT, TOKEN, FakeDiscord, eventually, run_rolecall, slash
from slow_store import LOCKER

from rolecall.adapters import discord_run
from rolecall.adapters.discord_answer import RESTARTING

NO_ENV_FILE = ["--env-file", "/nonexistent/rolecall.env"]
SERVE = ["serve", "discord", "--store", "memory://", *NO_ENV_FILE]


def assert_one_clear_error(stderr: str, *expected: str) -> None:
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    for words in expected:
        assert words in last, stderr
    assert "test-token" not in stderr


@pytest.mark.parametrize("env, expected", [
    ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
    ({"DISCORD_TOKEN": "  "}, "DISCORD_TOKEN is not set"),
    ({"DISCORD_TOKEN": TOKEN, "DISCORD_MESSAGE_CONTENT": "maybe"}, "DISCORD_MESSAGE_CONTENT must be 1 or 0"),
])
def test_serve_without_a_usable_setting_fails_at_once(run_cli, env, expected):
    result = run_cli(*SERVE, env=env, timeout=30)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert stderr.strip().count("\n") == 0, f"one line, not a wall: {stderr!r}"
    assert_one_clear_error(stderr, expected)


def test_settings_are_read_from_the_env_file(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_MESSAGE_CONTENT=perhaps\n", encoding="utf-8")
    result = run_cli("serve", "discord", "--store", "memory://", "--env-file", str(env_file),
                     env={"DISCORD_TOKEN": TOKEN}, timeout=30)
    assert result.returncode == 2
    assert "DISCORD_MESSAGE_CONTENT must be 1 or 0" in result.stderr.decode()


@pytest.mark.asyncio
async def test_serve_with_a_rejected_token_says_so(fake):
    code, _, stderr = await run_rolecall(*SERVE, env={"DISCORD_TOKEN": "wrong",
                                                      "ROLECALL_DISCORD_API_BASE": fake.api_base})
    assert code == 2
    assert_one_clear_error(stderr, "DISCORD_TOKEN was rejected by Discord")
    assert [c.path for c in fake.calls] == ["/users/@me"]


@pytest.mark.asyncio
async def test_serve_asking_for_an_intent_the_portal_refuses_says_so(fake):
    fake.refuse_privileged_intents = True
    code, _, stderr = await run_rolecall(*SERVE, env={
        "DISCORD_TOKEN": TOKEN, "DISCORD_MESSAGE_CONTENT": "1", "ROLECALL_DISCORD_API_BASE": fake.api_base,
        "ROLECALL_DISCORD_GATEWAY": fake.gateway_url})
    assert code == 2
    assert_one_clear_error(stderr, "DISCORD_MESSAGE_CONTENT=1", "not enabled for this bot", "Developer Portal")


@pytest.mark.asyncio
async def test_serve_runs_the_bot_until_interrupted(fake, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "DISCORD_"))}
    env.update(DISCORD_TOKEN=TOKEN, DISCORD_MESSAGE_CONTENT="1", ROLECALL_DISCORD_API_BASE=fake.api_base,
               ROLECALL_DISCORD_GATEWAY=fake.gateway_url, XDG_DATA_HOME=str(tmp_path))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rolecall", *SERVE, cwd=REPO_ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await eventually(lambda: fake.identifies, timeout=30, what="the bot to IDENTIFY")
        assert fake.identifies[0]["intents"] & (1 << 15), "DISCORD_MESSAGE_CONTENT=1 asks for the intent"
        await eventually(lambda: fake.sessions, what="READY and GUILD_CREATE")
        payload = slash("who", task="the release schedule")
        await fake.interaction(payload)
        call = await fake.callback_for(int(payload["id"]), timeout=10)
        assert call.body["data"]["embeds"][0]["description"].startswith("Project manager.")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    text = stderr.decode()
    assert process.returncode == 0, text
    assert "Traceback" not in text, text
    assert TOKEN not in text


@pytest.mark.asyncio
@pytest.mark.parametrize("guild", [True, False])
async def test_sync_registers_the_command_group_and_the_message_menu(fake, guild):
    args = ["discord", "sync", *NO_ENV_FILE] + (["--guild", str(GUILD_ID)] if guild else [])
    code, out, err = await run_rolecall(*args, env={"DISCORD_TOKEN": TOKEN, "ROLECALL_DISCORD_API_BASE": fake.api_base})
    assert code == 0, err
    path = f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands" if guild else f"/applications/{APP_ID}/commands"
    puts = [c for c in fake.calls if c.method == "PUT"]
    assert [c.path for c in puts] == [path]
    group, menu = puts[0].body
    assert group["name"] == "rolecall" and group["type"] == 1
    # "Who owns this?" on any message: a message context-menu command (type 3), with no description or options.
    assert (menu["name"], menu["type"]) == ("Who owns this?", 3)
    assert not menu.get("options") and not menu.get("description")
    subcommands = {o["name"]: o for o in group["options"]}
    assert set(subcommands) == {"who", "ask", "quiz", "result", "debate", "triage", "help"}
    assert all(o["type"] == 1 for o in subcommands.values())
    assert [(o["name"], o["type"], o["required"]) for o in subcommands["who"]["options"]] == [("task", 3, True)]
    assert [(o["name"], o["type"]) for o in subcommands["ask"]["options"]] == [("question", 3)]
    assert [(o["name"], o["type"], o["required"], o["max_length"]) for o in subcommands["debate"]["options"]] == [
        ("task", 3, True, 200)]
    # triage: an optional ATTACHMENT option (type 11); without it the command opens a form.
    assert [(o["name"], o["type"], o["required"]) for o in subcommands["triage"]["options"]] == [("file", 11, False)]
    assert not subcommands["result"].get("options")
    assert "/rolecall" in out and '"Who owns this?" (message menu)' in out
    assert (f"guild {GUILD_ID}" in out) if guild else ("globally" in out and "hour" in out)
    assert not any(c.path == "/gateway" for c in fake.calls), "registering needs no gateway connection"
    assert fake.identifies == []


@pytest.mark.asyncio
async def test_sync_with_a_rejected_token_says_so(fake):
    code, _, err = await run_rolecall("discord", "sync", *NO_ENV_FILE,
                                      env={"DISCORD_TOKEN": "wrong", "ROLECALL_DISCORD_API_BASE": fake.api_base})
    assert code == 2
    assert_one_clear_error(err, "DISCORD_TOKEN was rejected by Discord")


# -- stopping: SIGTERM from docker stop, systemd or Kubernetes ---------------------------------------

EPHEMERAL = 64
DEFERRED_CHANNEL_MESSAGE = 5


async def serve_in_background(fake: FakeDiscord, tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    """`rolecall serve discord ARGS` against the fake, connected and ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLECALL_", "DISCORD_"))}
    env.update(DISCORD_TOKEN=TOKEN, ROLECALL_DISCORD_API_BASE=fake.api_base, ROLECALL_DISCORD_GATEWAY=fake.gateway_url,
               XDG_DATA_HOME=str(tmp_path))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rolecall", "serve", "discord", *NO_ENV_FILE, *args, cwd=REPO_ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await eventually(lambda: fake.sessions, timeout=30, what="the bot to connect")
    return process


async def stop_with_sigterm(process: asyncio.subprocess.Process) -> tuple[float, str]:
    """SIGTERM, then how long the process took to exit and what it logged."""
    process.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    return time.monotonic() - sent, stderr.decode()


@pytest.mark.asyncio
async def test_sigterm_lets_the_triages_in_flight_finish_then_exits_cleanly(fake, tmp_path):
    # Issue 14: SIGTERM ended the bot at once (exit -15); five deferred triages in flight never got an answer.
    fake.download_delay = 2.0
    process = await serve_in_background(fake, tmp_path, "--store", "memory://")
    triages = []
    for n in range(5):
        attachment = fake.add_attachment(f"backlog{n}.txt", b"Update the release schedule\nPrioritise the roadmap\n")
        triages.append(slash("triage", attachments={"file": attachment}))
        await fake.interaction(triages[-1])
    for payload in triages:
        assert (await fake.callback_for(int(payload["id"]))).body["type"] == DEFERRED_CHANNEL_MESSAGE

    took, stderr = await stop_with_sigterm(process)
    assert process.returncode == 0, stderr
    assert took < 10, f"took {took:.1f} s to stop"
    for payload in triages:
        (follow_up,) = fake.webhook_calls(payload)
        assert follow_up.body["content"].startswith("```text\n") and "2 tasks triaged" in follow_up.body["content"]
    assert fake.closes == [1000], "the gateway connection was closed cleanly"
    assert "Traceback" not in stderr and TOKEN not in stderr, stderr


@pytest.mark.asyncio
async def test_sigterm_with_an_answer_stuck_on_a_locked_store_tells_that_person_and_exits_in_time(fake, tmp_path):
    path = tmp_path / "state.db"
    process = await serve_in_background(fake, tmp_path, "--store", f"sqlite:///{path}")
    locker = await asyncio.create_subprocess_exec(sys.executable, "-c", LOCKER, str(path), "30",
                                                  stdout=asyncio.subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(locker.stdout.readline(), 10)).strip() == b"locked"
        stuck = slash("who", task="the release schedule")  # waits on the lock (30 s): it cannot finish in time
        await fake.interaction(stuck)
        assert (await fake.callback_for(int(stuck["id"]))).body["type"] == DEFERRED_CHANNEL_MESSAGE

        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        logged: list[bytes] = []
        while not logged or b"stopping: no new work is taken" not in logged[-1]:  # the bot got the signal
            logged.append(await asyncio.wait_for(process.stderr.readline(), 10))
        late = slash("ask", question="who owns the roadmap?")  # arrives while the bot is stopping
        await fake.interaction(late)
        refused = await fake.callback_for(int(late["id"]))
        assert refused.body["data"]["flags"] & EPHEMERAL
        assert refused.body["data"]["embeds"][0]["description"] == RESTARTING

        _, stderr = await asyncio.wait_for(process.communicate(), 20)
        took, text = time.monotonic() - sent, b"".join(logged).decode() + stderr.decode()
        assert process.returncode == 0, text
        assert took < 10, f"took {took:.1f} s to stop"
        (note,) = fake.webhook_calls(stuck)  # the stuck answer's person is told, privately
        assert note.body["flags"] & EPHEMERAL and note.body["embeds"][0]["description"] == RESTARTING
        assert fake.webhook_calls(stuck, "DELETE"), "the channel's placeholder was withdrawn"
        assert fake.closes == [1000]
        assert "Traceback" not in text, text
    finally:
        locker.kill()
        await locker.wait()


# -- registering, clearing and inviting ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("guild", [True, False])
async def test_sync_clear_removes_the_registration(fake, monkeypatch, capsys, guild):
    # `rolecall discord sync --clear [--guild ID]` (the CLI passes args.clear).
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("ROLECALL_DISCORD_API_BASE", fake.api_base)
    args = argparse.Namespace(env_file="/nonexistent/rolecall.env", guild=GUILD_ID if guild else None, clear=True)
    assert await asyncio.to_thread(discord_run.sync_commands, args) == 0
    path = f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands" if guild else f"/applications/{APP_ID}/commands"
    (put,) = [c for c in fake.calls if c.method == "PUT"]
    assert (put.path, put.body) == (path, [])
    out = capsys.readouterr().out
    assert "Removed /rolecall" in out and ((f"guild {GUILD_ID}" in out) if guild else ("hour" in out))


def test_the_invite_link_asks_for_what_the_bot_needs_in_threads_too():
    permissions = discord_run.INVITE_PERMISSIONS
    assert permissions.send_messages and permissions.send_messages_in_threads
    assert permissions.embed_links and permissions.read_message_history and permissions.use_application_commands
    url = discord_run.invite_url(APP_ID)
    assert url == (f"https://discord.com/oauth2/authorize?client_id={APP_ID}&scope=bot+applications.commands"
                   f"&permissions={permissions.value}")
    docs = (REPO_ROOT / "docs" / "discord.md").read_text(encoding="utf-8")
    assert f"permissions={permissions.value}" in docs, "docs/discord.md shows the same link"
    assert "Send Messages in Threads" in docs
