"""Shared fixtures: one loaded advisor, a CLI runner and a team-knowledge writer.

The suite tests Rolecall through its public faces only: the `rolecall` command
line (run as a real subprocess), `Advisor`, `Conversation.handle`, the
knowledge loader, the normaliser and the matcher.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from bot.advisor import Advisor

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
            [sys.executable, "-m", "bot.cli", *args],
            input=input if input is not None else b"",
            capture_output=True,
            timeout=timeout,
            cwd=REPO_ROOT,
            env=environment,
            check=False,
        )


def write_kb(tmp_path: Path, yaml_text: str, name: str = "team.yaml") -> Path:
    """Write one knowledge file (dedented) into tmp_path/kb/ and return the file's path.

    The folder, `path.parent`, is what `knowledge.load([...])` and `--knowledge` take.
    """
    folder = tmp_path / "kb"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
    return path


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
