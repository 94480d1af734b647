"""Numbers from the environment, checked: a bad value names the variable and what it should be."""

from __future__ import annotations

import os


def number(name: str, default: float, *, whole: bool = False, minimum: float = 0) -> float:
    """`name`'s value as a number (a whole one when `whole`), or `default` when unset or blank."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind} (at least {minimum:g}), not {raw[:40]!r}") from None
    if value < minimum or value != value:  # NaN compares unequal to itself
        raise ValueError(f"{name} must be at least {minimum:g}, not {raw[:40]!r}")
    return value
