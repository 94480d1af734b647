"""Who is Responsible, Accountable, Consulted and Informed on a task, from its verdict.

The owner of a task is accountable and does it (A/R); on a product task the project manager is consulted about
delivery (C), on a project task the product manager is kept informed (I). A shared task has both roles
responsible and no accountable one yet: the team has to agree who is (a debate settles it).
"""

from __future__ import annotations

LETTERS = {"product": ("A/R", "C"), "project": ("I", "A/R"), "both": ("R", "R"), "unknown": ("", "")}
AGREE_NOTE = "shared: agree who is accountable"


def letters(verdict: str) -> tuple[str, str]:
    """(product manager's letters, project manager's letters) for a verdict."""
    return LETTERS.get(verdict, ("", ""))


def note(verdict: str) -> str:
    return AGREE_NOTE if verdict == "both" else ""
