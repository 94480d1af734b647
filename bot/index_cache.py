"""Keeping the built knowledge index between runs, so `rolecall ask` starts fast.

Parsing, validating and indexing thousands of phrases takes a noticeable part
of a second; a one-shot command should not pay it every time. The cache is
keyed by every knowledge file's path, size and modification time and by the
code that builds the index, so any edit rebuilds (and so re-validates) it.
Any problem with the cache only means building afresh.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_CODE = ("knowledge.py", "matcher.py", "normalize.py", "vocabulary.py", "index_cache.py")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rolecall"


def fingerprint(files: list[Path]) -> str:
    """Changes whenever a knowledge file or the indexing code changes."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in [here / name for name in _CODE] + files:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Unpickling a large index allocates millions of objects that all live on; letting the garbage collector scan
    them as they arrive made a 20,000-entry index load four times slower (1.2 s against 0.27 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_kept = False


def keep_for_life() -> None:
    """Move everything made so far (the index above all) out of the garbage collector's sight, once per process.

    The index lives as long as the process, yet every full collection walked all of it: at 50,000 entries one took
    0.5 to 1 s, a pause that lands on whichever question happens to trigger it. Frozen, a collection takes microseconds.
    """
    global _kept
    if not _kept:
        _kept = True
        gc.freeze()


def cached(files: list[Path], build: Callable[[], T]) -> T:
    """`build()`'s result, from the cache when the files are unchanged."""
    if os.environ.get("ROLECALL_NO_CACHE"):
        return build()
    try:
        path = cache_dir() / f"index-{fingerprint(files)}.pickle"
        with open(path, "rb") as handle, _no_collection():
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a stale or damaged cache is never fatal
        log.debug("ignoring unreadable index cache: %s", exc)
    value = build()
    import tempfile  # only a cache miss writes; tempfile's imports were 4 ms of every start

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)
        _prune(path.parent, keep=5)
    except Exception as exc:  # read-only home, full disk: just don't cache
        log.debug("could not write index cache: %s", exc)
    return value


def _prune(folder: Path, *, keep: int) -> None:
    """Old indexes (from earlier edits) are dead weight: keep only the most recent few."""
    indexes = sorted(folder.glob("index-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in indexes[keep:]:
        stale.unlink(missing_ok=True)
