"""Which encoding a backlog's bytes are in: UTF-8 (BOM or not), UTF-16 and UTF-32 (with or without a BOM).

Backlogs come from exports and spreadsheets we do not control; Excel's "Unicode text" is UTF-16. The first
bytes are looked at (peeked, so reading still streams), and when they fit no encoding the rows that fail say
how to convert the file instead of guessing.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

SNIFF_BYTES = 4096
"""How much of the input's start is looked at to tell UTF-8 from UTF-16 and UTF-32."""


class BacklogText(io.TextIOWrapper):
    """A backlog's decoded text (`open_text`), and a note for rows skipped for NUL bytes, if its start suggested one."""

    nul_note: str | None = None


def open_text(binary: BinaryIO) -> BacklogText:
    """Decode a byte stream leniently in the encoding its first bytes show (`sniff_encoding`); bad bytes become U+FFFD.

    `newline=""` keeps `\\r\\n` inside quoted CSV fields intact for the csv module
    and still splits lines on any of `\\n`, `\\r\\n` and `\\r`. Only the start of
    the stream is looked at (peeked, not consumed), so reading still streams.
    """
    head = binary.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(binary, "peek") else b""
    encoding, note = sniff_encoding(head)
    text = BacklogText(binary, encoding=encoding, errors="replace", newline="")
    text.nul_note = note
    return text


def sniff_encoding(head: bytes) -> tuple[str, str | None]:
    """The encoding of a backlog that starts with `head`, and what to tell people if NUL bytes remain in its rows.

    UTF-8 unless the bytes clearly say otherwise: a UTF-32 or UTF-16 byte-order
    mark (Excel's "Unicode text" is UTF-16 with one), or, without one, the
    pattern of zero bytes that UTF-16 and UTF-32 text has and UTF-8 text never
    does (`_utf32_text`, `_utf16_text`). A UTF-16 mark is believed only when
    what follows looks like UTF-16 too, so invalid UTF-8 that happens to start
    with the same two bytes stays UTF-8. When NUL bytes are there but fit no
    encoding, the text is read as UTF-8 and the note says how to convert it.
    """
    head = head[:SNIFF_BYTES]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if ((head.startswith(codecs.BOM_UTF32_LE) and _utf32_text(head[4:], little=True))
            or (head.startswith(codecs.BOM_UTF32_BE) and _utf32_text(head[4:], little=False))):
        return "utf-32", None
    for bom, little in ((codecs.BOM_UTF16_LE, True), (codecs.BOM_UTF16_BE, False)):
        rest = head[2:]
        if head.startswith(bom) and (not rest or _utf16_text(rest, little=little) or not _decodes(rest, "utf-8")):
            return "utf-16", None
    if b"\x00" not in head:
        return "utf-8-sig", None
    for little in (True, False):
        if _utf32_text(head, little=little):
            return ("utf-32-le" if little else "utf-32-be"), None
    for little in (True, False):
        if _utf16_text(head, little=little):
            return ("utf-16-le" if little else "utf-16-be"), None
    return "utf-8-sig", _nul_note(head)


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether `data` is valid in `encoding`, allowing a character cut off at the end."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _utf32_text(data: bytes, *, little: bool) -> bool:
    """Whether `data` reads as UTF-32 text: every 4-byte unit a code point (not NUL), most of them in plane 0."""
    data = data[: len(data) // 4 * 4]
    encoding = "utf-32-le" if little else "utf-32-be"
    if not data or not _decodes(data, encoding) or "\x00" in data.decode(encoding):
        return False
    plane0 = data[2::4].count(0) if little else data[1::4].count(0)
    return plane0 * 2 >= len(data) // 4


def _utf16_text(data: bytes, *, little: bool) -> bool:
    """Whether `data` reads as UTF-16 text in that byte order, judged by where its zero bytes fall.

    Latin-1 characters (ASCII letters, digits, spaces, newlines, commas) have a
    zero high byte; a zero low byte (U+xx00) is rare in text and common in binary
    data. So: high-byte zeros, at most one low-byte zero for ten of them, and
    either a quarter of the characters Latin-1 or bytes that are not UTF-8 anyway
    (CJK text in UTF-16), which keeps a UTF-8 file with a few stray NULs UTF-8.
    """
    data = data[: len(data) // 2 * 2]
    high, low = (data[1::2], data[0::2]) if little else (data[0::2], data[1::2])
    latin = sum(1 for h, lo in zip(high, low) if not h and lo)
    stray = low.count(0)
    if not latin or stray * 10 > latin:
        return False
    return latin * 4 >= len(high) or not _decodes(data, "utf-8")


def _nul_note(head: bytes) -> str | None:
    """For input with NUL bytes in no encoding's pattern: how to convert it, naming the likeliest UTF-16 byte order."""
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd + even < 4:
        return None  # a stray NUL or two in UTF-8 text: the plain reason says it all
    guess = "UTF-16LE" if odd >= 2 * even else "UTF-16BE" if even >= 2 * odd else "UTF-16"
    return (f"not UTF-8 text; if it is UTF-16 or UTF-32, convert it to UTF-8 first, "
            f"e.g. iconv -f {guess} -t UTF-8 IN > OUT")
