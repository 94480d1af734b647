"""Sources a person can check: every answer names its reference by title, and a seed quote is the article's words."""

from __future__ import annotations

import re

import pytest
from rolecall_support import REPO_ROOT

from rolecall.bot import knowledge

SEEDS = REPO_ROOT / "tests" / "fixtures" / "seeds"
HASHED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


@pytest.fixture(scope="module")
def kb():
    return knowledge.load()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_shipped_entry_names_a_known_source(kb):
    unknown = sorted({e.source for e in kb.entries if e.source not in kb.sources})
    assert unknown == []


def test_every_seed_quote_is_the_articles_own_words(kb):
    articles = {path.name: _flat(path.read_text(encoding="utf-8")) for path in SEEDS.glob("*.txt")}
    seed_of = {name: source.id for name, source in kb.sources.items() if name in articles}
    misquoted = [e.id for e in kb.entries if e.quote and e.source in seed_of and _flat(e.quote) not in articles[e.source]]
    assert misquoted == []


def test_most_seed_based_entries_quote_the_sentence_they_rest_on(kb):
    seeded = [e for e in kb.entries if HASHED_FILE.fullmatch(e.source)]
    quoted = [e for e in seeded if e.quote]
    assert len(quoted) >= 0.95 * len(seeded)


def test_no_answer_shows_a_file_name(advisor, kb):
    for entry in kb.entries:
        answer = advisor.about(entry.id)
        assert answer is not None
        assert not HASHED_FILE.search(answer.text), entry.id
        assert not HASHED_FILE.search(str(answer.as_json()["source"])), entry.id


def test_a_seed_based_answer_names_the_article_and_quotes_it(run_cli):
    import json

    answer = json.loads(run_cli("ask", "--json", "who owns the product vision?").stdout)
    assert answer["source"] and not HASHED_FILE.search(answer["source"])
    assert answer["quote"] and answer["quote"] in answer["text"]


def test_a_source_names_its_authors_once(kb):
    """The reply reads "<title> by <author>": a title that opens with the authors named them twice."""
    def opens_with_authors(source) -> bool:
        first = source.author.split(",")[0].split(" and ")[0].split(" et al")[0]
        return source.title.startswith((f"{first},", f"{first} and ", f"{first} et al"))

    twice = [s.id for s in set(kb.sources.values()) if s.author and opens_with_authors(s)]
    assert twice == []


def test_no_source_title_is_cut_short(kb):
    cut = [s.id for s in set(kb.sources.values())
           if s.title.endswith(("…", "...")) or s.title.count('"') % 2 or s.title.count("(") != s.title.count(")")]
    assert cut == []


def test_nearly_every_answer_names_a_reference_a_person_can_open(kb):
    """"Common industry practice" is kept only where no public page backs the claim; it is no source to check."""
    practice = [e.id for e in kb.entries if e.source == "practice"]
    assert len(practice) <= 0.05 * len(kb.entries)
