"""Rolecall: settles "is this product or project work?" debates in team chat.

Installed, this folder is the package `rolecall` itself: the command line on
top, the platform-free core in `rolecall.bot`, the front ends in
`rolecall.adapters` and the shipped knowledge in `rolecall.knowledge`.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`rolecall.__version__`, read from the installed metadata only when asked (importlib.metadata costs ~30 ms
    of every start-up otherwise)."""
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rolecall")
    except PackageNotFoundError:  # pragma: no cover - a tree that was never installed
        return "0.0.0"
