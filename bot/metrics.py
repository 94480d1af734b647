"""Counters and a latency histogram, rendered in Prometheus' text format for /metrics.

Per process, as Prometheus expects of several workers: each is scraped on its own.
"""

from __future__ import annotations

import threading
from bisect import bisect_left

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
HELP = {
    "rolecall_messages_total": "Messages and button clicks handled.",
    "rolecall_answers_total": "Questions answered, by verdict.",
    "rolecall_quiz_starts_total": "Quizzes started.",
    "rolecall_quiz_completions_total": "Quizzes finished with a result.",
    "rolecall_errors_total": "Errors, by kind.",
    "rolecall_rate_limited_total": "Messages refused by the per-user rate limit.",
}


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._buckets = [0] * len(BUCKETS)
        self._count = 0
        self._sum = 0.0

    def inc(self, name: str, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1

    def observe(self, seconds: float) -> None:
        with self._lock:
            index = bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                self._buckets[index] += 1
            self._count += 1
            self._sum += seconds

    def value(self, name: str, **labels: str) -> float:
        return self._counters.get((name, tuple(sorted(labels.items()))), 0)

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            counters = dict(self._counters)
            buckets, count, total = list(self._buckets), self._count, self._sum
        for name in sorted({n for n, _ in counters} | set(HELP)):
            lines += [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} counter"]
            series = {labels: v for (n, labels), v in counters.items() if n == name} or {(): 0}
            for labels, value in sorted(series.items()):
                lines.append(f"{name}{_labels(labels)} {value:g}")
        lines += ["# HELP rolecall_handle_seconds Time to handle one message.", "# TYPE rolecall_handle_seconds histogram"]
        running = 0
        for bound, n in zip(BUCKETS, buckets):
            running += n
            lines.append(f'rolecall_handle_seconds_bucket{{le="{bound:g}"}} {running}')
        lines += [f'rolecall_handle_seconds_bucket{{le="+Inf"}} {count}', f"rolecall_handle_seconds_sum {total:.6f}",
                  f"rolecall_handle_seconds_count {count}"]
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    escaped = (f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels)
    return "{" + ",".join(escaped) + "}"
