"""Shared helpers for the benchmark scripts: statistics, question generation, typos.

Not a test module and not part of the package: the scripts in this folder import
it by file location (`python benchmarks/<name>.py` puts this folder on sys.path).
Everything here is deterministic for a given seed.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# -- statistics ----------------------------------------------------------------

def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (pct in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * pct // 100)))
    return sorted_values[int(rank) - 1]


def summarize_ns(samples_ns: Iterable[int]) -> dict:
    """median / p90 / p99 / max / mean of nanosecond samples, in microseconds."""
    values = sorted(samples_ns)
    if not values:
        return {"n": 0}
    us = 1e-3
    return {
        "n": len(values),
        "median_us": round(percentile(values, 50) * us, 1),
        "p90_us": round(percentile(values, 90) * us, 1),
        "p99_us": round(percentile(values, 99) * us, 1),
        "max_us": round(values[-1] * us, 1),
        "mean_us": round(sum(values) / len(values) * us, 1),
    }


def summarize_s(samples_s: Iterable[float]) -> dict:
    """median / p99 / min / max of samples in seconds."""
    values = sorted(samples_s)
    return {
        "n": len(values),
        "median_s": round(percentile(values, 50), 4),
        "p99_s": round(percentile(values, 99), 4),
        "min_s": round(values[0], 4),
        "max_s": round(values[-1], 4),
    }


def goal(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def emit_json(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def rolecall_executable() -> str:
    """The venv's `rolecall` console script (next to the running interpreter), else the repo's .venv."""
    for candidate in (Path(sys.executable).parent / "rolecall", REPO / ".venv" / "bin" / "rolecall"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("rolecall")
    if found:
        return found
    raise SystemExit("benchmark: cannot find the rolecall console script (is the venv installed?)")


# -- typos -----------------------------------------------------------------------

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row in _KEYBOARD_ROWS:
    for _i, _ch in enumerate(_row):
        _NEIGHBOURS[_ch] = _row[max(0, _i - 1):_i] + _row[_i + 1:_i + 2]


def typo_word(word: str, rng: random.Random) -> str:
    """One realistic slip: swapped, dropped, doubled or neighbouring-key letter."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)  # people rarely get the first letter wrong
    op = rng.choice(("swap", "drop", "double", "neighbour"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = _NEIGHBOURS.get(word[i].lower())
    return word[:i] + (rng.choice(near) if near else word[i]) + word[i + 1:]


def typo_phrase(phrase: str, rng: random.Random, max_typos: int = 1) -> str:
    """Misspell up to `max_typos` of the phrase's longer words (at least one when any is long enough)."""
    parts = phrase.split()
    long_ones = [i for i, w in enumerate(parts) if len(w) >= 5 and w.isalpha()]
    if not long_ones:
        return phrase
    for i in rng.sample(long_ones, k=min(len(long_ones), rng.randint(1, max_typos))):
        parts[i] = typo_word(parts[i], rng)
    return " ".join(parts)


# -- question scaffolding --------------------------------------------------------

OWNERSHIP_TEMPLATES = (
    "who owns {t}?",
    "who owns the {t}?",
    "Who owns {t}",
    "is {t} product or project work?",
    "is {t} a product or a project thing?",
    "{t} - PdM or PjM?",
    "{t}: product manager or project manager?",
    "who is responsible for {t}?",
    "who's responsible for the {t}, product or project?",
    "who should own {t}?",
    "whose job is {t}?",
    "who does {t}, the PM or the PjM?",
    "does the product manager or the project manager do {t}?",
    "hey @rolecall who handles {t}?",
    "<@U024BE7LH> who owns {t}?",
    "quick q: who is on the hook for {t}?",
    "in our team the PjM keeps asking me to do {t}. whose job is it really?",
    "{t}?",
    "{t}",
    "WHO OWNS {T}??",
    "product or project manager for {t}",
    "pdm vs pjm: {t}",
    "settle a debate pls - {t}, product or project?",
    "who is accountable for {t} on a typical team",
    "who takes care of {t} when we start a new initiative?",
)

REAL_TEMPLATES = (
    "who runs {t} for the {c}?",
    "after the {c}, who updates {t}?",
    "{lead}, so who should own {t} now?",
    "{lead}. whose job is {t} here, PdM or PjM?",
    "for the {c}, who takes care of {t}, the product manager or the project manager?",
    "hey team, with the {c} coming up, is {t} product or project work?",
    "quick one before the {c}: who is on the hook for {t}?",
    "we're arguing about {t} in the {c} channel again, who actually owns it?",
    "{lead} and now nobody knows who does {t}. product or project?",
    "should the PO or the delivery lead handle {t} during the {c}?",
)
"""Questions shaped like real ones (measured about 1.6x longer than the bare templates): the task plus its context."""
CONTEXTS = (
    "payroll system rollout", "board meeting", "Q3 planning offsite", "mobile app relaunch", "vendor migration",
    "EMEA expansion", "checkout redesign", "data centre move", "quarterly business review", "beta programme",
    "enterprise tier launch", "sprint review", "steering committee", "holiday code freeze",
)
LEADS = (
    "leadership reshuffled priorities at the offsite", "the launch slipped two weeks", "finance just cut our budget",
    "the CEO wants a new feature in Q3", "two devs are double-booked next month", "churn jumped last quarter",
    "the vendor still hasn't confirmed resourcing", "we merged two squads last week",
)

EMOJI_TEMPLATES = (
    "who owns {t}? 🤔",
    "🚀 {t} - PdM or PjM? 🚀",
    ":thinking_face: who owns {t}?",
    "<!here> is {t} product or project work? :pray:",
    "who handles {t} 👀👀👀",
    "<@U024BE7LH> <#C0123|general> {t}: who? 🙏🏽",
    "{t} 🤷‍♀️ product or project?",
    "‍who​owns {t}? 😅",  # zero-width joiner / space
    "**who owns `{t}`?** :white_check_mark:",
    "<https://wiki.example.com/{slug}|{t}> who owns this?",
)

OFF_TOPIC = (
    "who fixes the printer",
    "who fixes the printer on the 3rd floor?",
    "what's the dress code for the product launch party?",
    "where is the coffee machine",
    "who orders lunch on fridays?",
    "what's 2+2",
    "what is 15 times 12",
    "what's the weather tomorrow",
    "can you reset my password",
    "who approves my vacation days?",
    "tell me a joke",
    "who waters the office plants",
    "is the elevator broken again",
    "who books the meeting rooms",
    "what time is the all hands",
    "who cleans the fridge",
    "asdfghjkl",
    "?????",
    "lol",
    "'; DROP TABLE answers; --",
    "who parks in spot 42",
    "what's the wifi password",
    "can you order pizza for the team",
    "how do I expense a taxi",
    "who is the best football team",
    "what is the meaning of life",
    "who fixes the coffee machine when it leaks",
    "who buys birthday cake for the office",
    "who moderates the karaoke night",
    "when is payday",
)

SMALL_TALK = ("hi", "hello rolecall", "thanks!", "good morning team", "", "   ", "🚀🚀🚀", ":tada: :tada:", "👍")

ROLE_LEVEL = (
    "what skills does a project manager need?",
    "list product manager tools",
    "difference between product and project manager",
    "what metrics does a product manager track?",
    "what certifications should a project manager get?",
    "what does a project manager do?",
    "product manager career path",
    "pjm responsibilities",
)

_FILLER_SENTENCES = (
    "So we had a long discussion in the retro yesterday and nobody could agree.",
    "Our team is about twelve people spread across three time zones.",
    "The last time this came up it turned into a forty message thread.",
    "I am new here and honestly still figuring out how things work.",
    "My previous company did it completely differently, which is part of the confusion.",
    "We use a mix of tools and processes that grew organically over the years.",
    "Leadership wants clarity before the next planning cycle starts.",
    "I would really appreciate a straight answer so we can move on.",
    "Some people think it depends on the size of the organisation.",
    "There is also a question about who signs off at the end.",
)


def long_question(topic: str, rng: random.Random, target_chars: int) -> str:
    """A rambling chat message with the real question buried in the middle."""
    before: list[str] = []
    after: list[str] = []
    while sum(len(s) + 1 for s in before + after) < target_chars:
        (before if rng.random() < 0.5 else after).append(rng.choice(_FILLER_SENTENCES))
    return " ".join(before + [f"Anyway, who owns {topic}, product or project?"] + after)


def ownership_question(phrase: str, rng: random.Random, *, templates: Sequence[str] = OWNERSHIP_TEMPLATES) -> str:
    template = rng.choice(templates)
    return template.format(t=phrase, T=phrase.upper(), slug=phrase.replace(" ", "-"), c=rng.choice(CONTEXTS),
                           lead=rng.choice(LEADS))


def question_mix(phrases: Sequence[str], rng: random.Random, total: int = 300) -> list[tuple[str, str]]:
    """A realistic chat mix of (category, question) built from knowledge-base phrases.

    Shares: ~22% clean ownership questions, ~35% real-shaped ones (a task with its context or a lead-in),
    ~17% with typos, ~10% off-topic, ~5% emoji/markup, ~5% long messages, ~3% small talk, ~3% role-level.
    """
    mix: list[tuple[str, str]] = []
    n_typo = round(total * 0.17)
    n_off = min(len(OFF_TOPIC), round(total * 0.10))
    n_emoji = round(total * 0.05)
    n_long = round(total * 0.05)
    n_small = min(len(SMALL_TALK), round(total * 0.03))
    n_role = min(len(ROLE_LEVEL), round(total * 0.03))
    n_real = round(total * 0.35)
    n_clean = total - n_typo - n_off - n_emoji - n_long - n_small - n_role - n_real
    for _ in range(n_clean):
        mix.append(("ownership", ownership_question(rng.choice(phrases), rng)))
    for _ in range(n_real):
        mix.append(("real_shaped", ownership_question(rng.choice(phrases), rng, templates=REAL_TEMPLATES)))
    typo_pool = [p for p in phrases if any(len(w) >= 5 for w in p.split())] or list(phrases)
    for _ in range(n_typo):
        mix.append(("typo", ownership_question(typo_phrase(rng.choice(typo_pool), rng, max_typos=2), rng)))
    mix += [("off_topic", q) for q in rng.sample(OFF_TOPIC, n_off)]
    for _ in range(n_emoji):
        mix.append(("emoji_markup", ownership_question(rng.choice(phrases), rng, templates=EMOJI_TEMPLATES)))
    sizes = [300, 600, 1200, 1900, 2500, 5000, 20000]  # beyond 2000 chars the bot truncates
    for i in range(n_long):
        mix.append(("long", long_question(rng.choice(phrases), rng, sizes[i % len(sizes)])))
    mix += [("small_talk", q) for q in SMALL_TALK[:n_small]]
    mix += [("role_level", q) for q in ROLE_LEVEL[:n_role]]
    assert all("\n" not in q and "\r" not in q for _, q in mix), "batch files need one question per line"
    return mix


def all_phrases(kb) -> list[str]:
    return [p for entry in kb.entries for p in entry.phrases]


# -- the shipped knowledge base, which people may be editing while this runs ---------

def load_advisor_with_retry(wait_s: float = 60.0, step_s: float = 3.0):
    """`Advisor.load()`, retried for up to `wait_s` while the YAML is mid-edit (a KnowledgeError)."""
    from rolecall.bot.advisor import Advisor
    from rolecall.bot.knowledge import KnowledgeError

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return Advisor.load()
        except KnowledgeError as exc:
            if time.monotonic() >= deadline:
                raise
            print(f"benchmark: knowledge base does not load yet ({exc}); retrying in {step_s:.0f} s", file=sys.stderr)
            time.sleep(step_s)


def timed_cli_run(cmd: list[str], wait_s: float = 60.0, step_s: float = 3.0, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of one rolecall command. Exit code 2 (knowledge base error, the YAML mid-edit)
    is retried for up to `wait_s`; only the successful run's time is returned."""
    deadline = time.monotonic() + wait_s
    while True:
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, **kwargs)
        wall = time.perf_counter() - start
        if proc.returncode != 2 or time.monotonic() >= deadline:
            return wall, proc
        print(f"benchmark: {Path(cmd[0]).name} exited 2 ({proc.stderr.decode(errors='replace').strip()[-200:]}); "
              f"retrying in {step_s:.0f} s", file=sys.stderr)
        time.sleep(step_s)


def clear_bot_caches(matcher=None) -> int:
    """Empty every functools cache in bot.* (stems, typo look-ups...), so the next question is paid in full.

    Found by looking rather than by name, so caches added to the bot later are cleared too.
    Returns how many caches were cleared.
    """
    cleared = 0
    seen: set[int] = set()

    def clear(obj) -> None:
        nonlocal cleared
        target = getattr(obj, "__func__", obj)  # staticmethod / bound method
        if hasattr(target, "cache_clear") and id(target) not in seen:
            seen.add(id(target))
            target.cache_clear()
            cleared += 1

    for name, module in list(sys.modules.items()):
        if name == "bot" or name.startswith("bot."):
            for value in list(vars(module).values()):
                clear(value)
                if isinstance(value, type) and value.__module__ == name:
                    for attr in list(vars(value).values()):
                        clear(attr)
    if matcher is not None:
        for value in list(vars(matcher).values()):
            clear(value)
    return cleared
