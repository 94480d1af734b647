"""Helpers shared by the test modules: a CLI runner, a team-knowledge writer, a real redis-server.

Kept out of conftest.py because several conftest modules exist (tests/slack, tests/discord)
and only a uniquely named module can be imported from test files.

The suite tests Rolecall through its public faces only: the `rolecall` command
line (run as a real subprocess), `Advisor`, `Conversation.handle`, the
knowledge loader, the normaliser and the matcher.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT = 60
"""Seconds one CLI run may take before the test fails instead of hanging the suite."""

PINGS = re.compile(r"@everyone|@here|<!channel|<!here|<!everyone", re.IGNORECASE)
"""Text that Slack or Discord turns into a mass notification."""


def assert_cannot_ping(text: str) -> None:
    """Fail if `text` could notify a whole channel or server."""
    found = PINGS.search(text)
    assert found is None, f"reply can ping: {found.group(0)!r} in {text!r}"


def run_cli(*args: str, input: bytes | str | None = None, timeout: float = CLI_TIMEOUT,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m bot.cli ARGS` in a fresh process; stdout/stderr are bytes.

    The child never sees the developer's own settings: ROLECALL_* variables are
    dropped and XDG_DATA_HOME points at a fresh empty folder, so the default
    conversation store is new for every run (pass `--store` to share one
    between runs). Pass `env` to add or override variables.
    """
    with tempfile.TemporaryDirectory(prefix="rolecall-data-") as data_home:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ROLECALL_")}
        environment["XDG_DATA_HOME"] = data_home
        environment.update(env or {})
        if isinstance(input, str):
            input = input.encode("utf-8")
        return subprocess.run(
            [sys.executable, "-m", "rolecall", *args],
            input=input if input is not None else b"",
            capture_output=True,
            timeout=timeout,
            cwd=REPO_ROOT,
            env=environment,
            check=False,
        )


def chat_json(tmp_path: Path, *lines: str) -> list[dict]:
    """`rolecall chat --json` fed these lines as one person (ana) with one store in tmp_path: one reply each."""
    store = f"sqlite:///{tmp_path / 'state.db'}"
    done = run_cli("chat", "--json", "--store", store, "--user", "ana", input="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def write_kb(tmp_path: Path, yaml_text: str, name: str = "team.yaml") -> Path:
    """Write one knowledge file (dedented) into tmp_path/kb/ and return the file's path.

    The folder, `path.parent`, is what `knowledge.load([...])` and `--knowledge` take.
    """
    folder = tmp_path / "kb"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
    return path


REDIS_MISSING = ("redis-server not found on PATH: apt-get install redis-server (or brew install redis) "
                 "to run the Redis tests")
"""Why a test that needs a real redis-server did not run: what a fresh machine needs to run it."""
REQUIRE_REDIS = "ROLECALL_REQUIRE_REDIS"
"""Set (to anything but "" or "0") by .ci/run: a Redis test that would be skipped fails instead."""


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test for want of a service, or fail it when REQUIRE_REDIS says the service must be there."""
    if os.environ.get(REQUIRE_REDIS, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_REDIS} is set, so a test that needs it may not be skipped)", pytrace=False)
    pytest.skip(reason)


def redis_server_binary() -> str:
    """The redis-server on PATH; without one the calling test is skipped (or fails under REQUIRE_REDIS)."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail(REDIS_MISSING)
    return binary


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real redis-server on a free loopback port, which tests may stop and start again.

    Made where redis-server is not installed, it skips the test that makes it
    (see `redis_server_binary`), so every Redis test skips the same way.
    """

    def __init__(self, tmp: Path):
        self.binary, self.dir, self.port = redis_server_binary(), tmp, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import time

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server; kill=True is a crash (SIGKILL), which the append-only file survives."""
        if self.process:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
