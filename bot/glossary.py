"""The abbreviations teams type (`knowledge/glossary.yaml`): what each stands for, and how it is written."""

from __future__ import annotations

import re
from functools import lru_cache

from .index_cache import cached
from .knowledge import shipped_dir

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9&/+]*")


@lru_cache(maxsize=1)
def terms() -> dict[str, tuple[str, str]]:
    """Abbreviation in lower case -> (as teams write it, what it stands for).

    Read through the on-disk cache like the index: every verdict names its topic through `proper_case`, and parsing
    the file meant importing PyYAML, a tenth of a cached start.
    """
    path = shipped_dir() / "glossary.yaml"
    return cached([path], lambda: _parse(path.read_text(encoding="utf-8")))


def _parse(text: str) -> dict[str, tuple[str, str]]:
    import yaml

    data = yaml.safe_load(text) or {}
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
