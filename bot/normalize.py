"""Turning raw chat text into the words the matcher compares.

Chat text arrives dressed in platform markup (Slack `<@U123>` and `<!here>`,
Discord `<@123>` and `<:emoji:1>`), emoji, zero-width characters and typos. The
matcher should only ever see the topic words, in one canonical spelling, so the
same question gets the same answer on every platform.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_INPUT_CHARS = 2000
"""Longer input is cut here: no real question is longer, and it bounds the work per message."""

_PLATFORM_TOKEN = re.compile(
    r"<(?:[@#!][^>\s]{0,80}|https?://[^>\s|]{0,500}(?:\|[^>]{0,200})?|:[a-z0-9_~-]{1,64}:\d+|a:[a-z0-9_~-]{1,64}:\d+)>",
    re.IGNORECASE,
)
_SLACK_LINK_LABEL = re.compile(r"<https?://[^>|]{0,500}\|([^>]{0,200})>", re.IGNORECASE)
_EMOJI_SHORTCODE = re.compile(r":[a-z0-9_+-]{1,40}:", re.IGNORECASE)
_AT_WORD = re.compile(r"(?<!\w)@[\w.-]{1,40}")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
_WORD = re.compile(r"[^\W_]+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGITS = re.compile(r"^\d+(?:st|nd|rd|th|s|k|m)?$")

_MASS_MENTION = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|@(?:everyone|here|channel)|<@&?\d+>",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """Strip markup, emoji and invisible characters, keeping the words as typed.

    Used for anything shown back to people (triage tables, gaps reports), so it
    keeps case and punctuation but can never carry a mention or control code.
    """
    text = text[:MAX_INPUT_CHARS]
    text = _SLACK_LINK_LABEL.sub(r"\1", text)
    text = _PLATFORM_TOKEN.sub(" ", text)
    text = _EMOJI_SHORTCODE.sub(" ", text)
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return " ".join(text.split())  # the common case needs no per-character look
    text = unicodedata.normalize("NFKC", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue  # soft hyphens, zero-width spaces and joiners sit inside words: drop, don't split
        if cat[0] == "C" or cat in ("So", "Sk", "Mn", "Me"):
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def defang(text: str) -> str:
    """Make a reply unable to ping anyone, whatever text ended up inside it.

    Slack and Discord both turn these into notifications; a bot that repeats
    one on request is a spam cannon. A zero-width joiner keeps the word readable.
    """
    text = _MASS_MENTION.sub(lambda m: m.group(0).replace("@", "@\u2060").replace("<!", "<\u2060!"), text)
    return text.replace("<!", "<\u2060!")


def words(text: str) -> list[str]:
    """Lower-case words of `text`, with mentions, emoji and punctuation gone."""
    text = clean(text)
    if "@" in text:  # the look-behind walks every character: a third of the time of a long message
        text = _AT_WORD.sub(" ", text)
    return _WORD.findall(text.casefold().translate(_APOSTROPHES))  # runs of letters and digits; "_" splits


_BRITISH = (
    (re.compile(r"isation(s?)$"), r"ization\1"),
    (re.compile(r"(?<=.{3})is(e|es|ed|ing)$"), r"iz\1"),
    (re.compile(r"our$"), "or"),
    (re.compile(r"(?<=.{2})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=.)tre$"), "ter"),
)
_DOUBLE_CONSONANT = re.compile(r"([bdfgklmnprstz])\1$")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, consistent stem: plural, -ing, -ed, -ation, British spellings.

    It only has to map a word's forms to one key, not produce a real word,
    because phrases and questions go through the same function.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for pattern, repl in _BRITISH:
        word = pattern.sub(repl, word)
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, repl in (("ization", "iz"), ("ation", "at"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    for suffix, repl in (("ency", ""), ("ancy", ""), ("ance", ""), ("ery", "er")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:  # dependency/depend, delivery/deliver
            word = word[: -len(suffix)] + repl
            break
    word = _DOUBLE_CONSONANT.sub(r"\1", word)
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def is_number(word: str) -> bool:
    """Numbers ("3", "2020", "3rd", "14k") never identify a topic."""
    return bool(_DIGITS.match(word))


def phrase_key(phrase: str) -> str:
    """The identity of a phrase for duplicate checks: its stemmed words, in order (the matcher reads them the same way)."""
    return " ".join(stem(w) for w in words(phrase))
