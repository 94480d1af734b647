"""Reloading knowledge while the bot runs: on file changes, or on SIGHUP.

A team edits its YAML and the running bot picks it up. A broken edit is
rejected with file, line and reason, and the bot keeps answering with the
last good knowledge: a typo must never take the bot down.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from . import outside
from .advisor import Advisor
from .knowledge import KnowledgeError, knowledge_files

log = logging.getLogger(__name__)


class KnowledgeWatcher:
    """Polls the knowledge files' sizes and times; rebuilds the advisor when they change."""

    def __init__(self, dirs: Iterable[Path], apply: Callable[[Advisor], None], *, interval: float = 2.0):
        self.dirs = [Path(d) for d in dirs]
        self.apply = apply
        self.interval = interval
        self._seen = self._snapshot()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _snapshot(self) -> tuple:
        try:
            files = knowledge_files(self.dirs) + outside.files(self.dirs)
            return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        except (OSError, KnowledgeError):
            return ()

    def reload(self) -> bool:
        """Rebuild now; True when the new knowledge is in use."""
        with self._lock:
            self._seen = self._snapshot()
            try:
                advisor = Advisor.load(self.dirs)
            except KnowledgeError as exc:
                log.error("knowledge reload rejected, keeping the last good knowledge: %s", exc)
                return False
            except OSError as exc:
                log.error("knowledge reload failed, keeping the last good knowledge: %s", exc)
                return False
            self.apply(advisor)
            log.info("knowledge reloaded: %d entries", len(advisor.kb))
            return True

    def check(self) -> bool:
        """Reload if anything changed since the last look."""
        if self._snapshot() != self._seen:
            return self.reload()
        return False

    def start(self) -> KnowledgeWatcher:
        thread = threading.Thread(target=self._run, name="knowledge-watcher", daemon=True)
        thread.start()
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=self.reload, daemon=True).start())
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must outlive any surprise
                log.exception("knowledge watcher error")
