"""Numbers from the environment, checked: a bad value names the variable and what it should be."""

from __future__ import annotations

import os


def names(name: str) -> frozenset[str]:
    """A comma-separated list (ROLECALL_ADMINS=U123,U456), as a set; empty when unset."""
    return frozenset(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())


def per_workspace(name: str) -> dict[str, str]:
    """ "@delivery-leads" for every workspace, or "T123=@delivery-leads;T456=Priya" one each ("*" for the rest)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return {}
    if "=" not in raw:
        return {"*": raw}
    found = {}
    for item in raw.split(";"):
        workspace, sep, value = item.partition("=")
        if not sep or not workspace.strip() or not value.strip():
            raise ValueError(f"{name} must be a name, or workspace=name pairs separated by ';', not {item[:40]!r}")
        found[workspace.strip()] = value.strip()
    return found


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
