"""Fixtures for the Discord adapter tests: a local fake Discord and a connected bot.

The fake itself and the gateway payload builders live in fake_discord.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import discord
import pytest
import pytest_asyncio
import yarl
from fake_discord import TOKEN, WAIT, FakeDiscord

from rolecall.adapters.discord_bot import RolecallBot
from rolecall.adapters.discord_settings import DiscordSettings
from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import SQLiteStore

# -- fixtures -------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def bot_log():
    """WARNING+ records from the adapter, discord.py and asyncio; any ERROR fails the test at teardown.

    discord.py only logs exceptions raised in CommandTree.on_error, View.on_error,
    dynamic item callbacks and Client.on_error, so this is what surfaces them.
    """
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in ("rolecall", "discord", "asyncio")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler.records
    for lg in loggers:
        lg.removeHandler(handler)
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    if errors:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        details = "\n".join(formatter.format(r) + ("\n" + formatter.formatException(r.exc_info) if r.exc_info else "")
                            for r in errors)
        pytest.fail(f"errors were logged while the bot ran:\n{details}")


@pytest_asyncio.fixture
async def fake(monkeypatch) -> FakeDiscord:
    server = await FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.stop()


@pytest.fixture
def store(tmp_path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "state.db")


@pytest.fixture
def conversation(advisor, store) -> Conversation:
    return Conversation(advisor, store)


@pytest_asyncio.fixture
async def start_bot(fake, conversation, bot_log):
    """`await start_bot(conversation=..., message_content=False)`: a connected RolecallBot; closed at teardown."""
    running: list[tuple[RolecallBot, asyncio.Task]] = []

    async def start(*, conversation: Conversation = conversation, message_content: bool = False) -> RolecallBot:
        bot = RolecallBot(conversation, DiscordSettings(token=TOKEN, message_content=message_content),
                         guild_ready_timeout=0.01)
        task = asyncio.create_task(bot.start(TOKEN))
        running.append((bot, task))
        deadline = time.monotonic() + WAIT
        while not bot.is_ready():
            if task.done():
                task.result()  # raises what stopped the bot
                raise AssertionError("the bot stopped before it was ready")
            assert time.monotonic() < deadline, "the bot did not become ready"
            await asyncio.sleep(0.01)
        return bot

    yield start
    for bot, task in running:
        await stop_bot(bot, task)


async def stop_bot(bot: RolecallBot, task: asyncio.Task) -> None:
    await bot.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)


@pytest_asyncio.fixture
async def bot(start_bot) -> RolecallBot:
    return await start_bot()
