"""Fixtures for the Slack adapter tests: a mock Slack on 127.0.0.1 and the app served for real in HTTP mode.

The mock and the request sender live in mock_slack_api.py beside this file.
"""

from __future__ import annotations

import os

import pytest
import pytest_asyncio
from mock_slack_api import MockSlack
from slack_requests import serve_app

from rolecall.bot.conversation import Conversation
from rolecall.bot.sqlite_store import MemoryStore


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
    async with serve_app(conversation, mock_slack) as sender:
        yield sender
