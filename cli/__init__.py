"""Rolecall: settles "is this product or project work?" debates in team chat.

Installed, this folder is the package `rolecall` itself: the command line on
top, the platform-free core in `rolecall.bot`, the front ends in
`rolecall.adapters` and the shipped knowledge in `rolecall.knowledge`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rolecall")
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0.0.0"
