"""Settings for the platform front ends: from the environment, or a .env file beside it.

Tokens are read here and nowhere else, and never logged. A missing one stops
start-up at once with the name of the variable to set.
"""

from __future__ import annotations

import os
from pathlib import Path


class SettingsError(Exception):
    """A required setting is missing or malformed; the message says which and how to fix it."""


def load_env_file(path: str | Path = ".env") -> None:
    """Read KEY=VALUE lines into the environment; variables already set win over the file."""
    file = Path(path)
    if not file.is_file():
        return
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise SettingsError(f"{file}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def require(name: str, hint: str) -> str:
    """The value of a required variable, or a SettingsError naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: {hint}")
    return value


def optional(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default
