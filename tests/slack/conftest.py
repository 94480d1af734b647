"""Fixtures for the Slack adapter tests: a mock Slack on 127.0.0.1 and the app served for real in HTTP mode.

The mock and the request sender live in mock_slack_api.py beside this file.
"""

from __future__ import annotations

import os

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from adapters.slack import create_app, create_web_app
from bot.conversation import Conversation
from bot.store import MemoryStore
from mock_slack_api import BOT_TOKEN, SIGNING_SECRET, MockSlack, SlackSender


@pytest.fixture(autouse=True)
def clean_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray SLACK_* settings from the developer's shell (SLACK_CLIENT_ID would switch Bolt to OAuth)."""
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def conversation(advisor) -> Conversation:
    return Conversation(advisor, MemoryStore())


@pytest_asyncio.fixture
async def mock_slack():
    mock = MockSlack()
    await mock.start()
    yield mock
    await mock.stop()


@pytest_asyncio.fixture
async def slack(conversation, mock_slack):
    """The app served in HTTP mode on a free 127.0.0.1 port, and a sender of signed requests to it."""
    app = create_app(conversation, token=BOT_TOKEN, signing_secret=SIGNING_SECRET, base_url=mock_slack.api_url)
    runner = web.AppRunner(create_web_app(app))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as session:
        yield SlackSender(f"http://{host}:{port}", session, mock_slack)
    await runner.cleanup()
