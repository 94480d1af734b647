"""Shared fixtures: one loaded advisor, a CLI runner, a team-knowledge writer, a real redis-server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from rolecall_support import RedisServer, assert_cannot_ping, run_cli, write_kb

from rolecall.bot.advisor import Advisor


@pytest.fixture(scope="session")
def advisor() -> Advisor:
    """The shipped knowledge base and its matcher, loaded once for the whole run."""
    return Advisor.load()


@pytest.fixture(name="run_cli", scope="session")
def run_cli_fixture() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """`run_cli(*args, input=None, timeout=60, env=None)`: the CLI as a subprocess."""
    return run_cli


@pytest.fixture(name="write_kb", scope="session")
def write_kb_fixture() -> Callable[..., Path]:
    """`write_kb(tmp_path, yaml_text, name="team.yaml")`: a team knowledge file."""
    return write_kb


@pytest.fixture(name="assert_cannot_ping", scope="session")
def assert_cannot_ping_fixture() -> Callable[[str], None]:
    """`assert_cannot_ping(text)`: fails if text holds a live @everyone/@here/<!channel>."""
    return assert_cannot_ping


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One redis-server for the run: ROLECALL_TEST_REDIS_URL's when CI gives one, else our own.

    Without either (no redis-server on PATH), every test that uses it is skipped
    with a reason saying how to install it; under ROLECALL_REQUIRE_REDIS=1
    (.ci/run) it fails instead. A given URL that does not answer is a failure.
    """
    given = os.environ.get("ROLECALL_TEST_REDIS_URL")
    if given:
        import redis

        try:
            redis.Redis.from_url(given, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            pytest.fail(f"ROLECALL_TEST_REDIS_URL={given} does not answer: {exc}", pytrace=False)

        class Given:
            url = given

        yield Given()
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """A Redis URL with an empty database for this test."""
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server.url
