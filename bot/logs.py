"""Structured logs: one JSON object per line, for the long-running servers.

Secrets never reach a log line: tokens are read in adapters/settings.py and
never passed to logging, and this formatter also masks anything shaped like a
Slack or Discord token that slips into a message.
"""

from __future__ import annotations

import json
import logging
import re
import time

_TOKEN = re.compile(r"\b(?:xox[abpers]-[\w-]{8,}|xapp-[\w-]{8,}|[MN][\w-]{23,25}\.[\w-]{6}\.[\w-]{27,})")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _TOKEN.sub("[redacted]", record.getMessage()),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["error"] = _TOKEN.sub("[redacted]", self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
