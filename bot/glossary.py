"""The abbreviations teams type (`knowledge/glossary.yaml`): what each stands for, and how it is written."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9&/+]*")


@lru_cache(maxsize=1)
def terms() -> dict[str, tuple[str, str]]:
    """Abbreviation in lower case -> (as teams write it, what it stands for)."""
    path = resources.files("rolecall.knowledge").joinpath("glossary.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): (str(k), str(v)) for k, v in data.items()}


def define(term: str) -> str | None:
    """ "PjM = project manager." for a known abbreviation, else None."""
    key = term.lower().strip(" .?!")
    if key not in terms() and key.endswith("s"):
        key = key[:-1]  # PdMs, SOWs
    found = terms().get(key)
    return f"{found[0]} = {found[1]}." if found else None


def proper_case(text: str) -> str:
    """Abbreviations in a lower-case label written as teams write them: "mrr" -> "MRR", "pmp exam" -> "PMP exam"."""
    known = terms()
    return _WORD.sub(lambda m: known[m.group(0)][0] if m.group(0) in known else m.group(0), text)
