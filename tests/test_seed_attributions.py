"""Every sentence the seed articles attribute to a role, asked as a question, gets that role.

The sentences are in tests/fixtures/seed_attributions.yaml, word for word, with the role they name; the
role words themselves are taken out, so the question asks about the task alone. A shared answer counts for a
one-role sentence only where the knowledge base, checked against other public sources, calls the topic shared.
Sentences Rolecall does not yet answer that way are listed in KNOWN_GAPS, so the gap is visible and a fix
shows up as an unexpected pass.
"""

from __future__ import annotations

import re

import pytest
import yaml
from rolecall_support import REPO_ROOT

ATTRIBUTIONS = yaml.safe_load((REPO_ROOT / "tests" / "fixtures" / "seed_attributions.yaml").read_text(encoding="utf-8"))
ROLE_WORDS = re.compile(r"\b(?:the\s+)?(?:product|project)\s+manag(?:er|ers|ement)\b|\bP[dj]Ms?\b|\bPMs?\b", re.I)
KNOWN_GAPS = frozenset((REPO_ROOT / "tests" / "fixtures" / "seed_attribution_gaps.txt").read_text().split())


def question_for(sentence: str) -> str:
    return f"who is responsible for this: {ROLE_WORDS.sub('', sentence).strip(' .,:;')}?"


CASES = [pytest.param(a, id=a["topic"], marks=[pytest.mark.xfail(strict=True, reason="known gap")]
                      if a["topic"] in KNOWN_GAPS else []) for a in ATTRIBUTIONS]


@pytest.mark.parametrize("item", CASES)
def test_a_seed_attribution_asked_as_a_question_gets_its_role(advisor, item):
    answer = advisor.ask(question_for(item["sentence"]))
    shared_here = advisor.kb.by_id[item["topic"]].owner == "both"
    assert answer.verdict == item["role"] or (answer.verdict == "both" and shared_here), answer.text
