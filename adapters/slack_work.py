"""Where the Slack front end's work runs: background answers, the answer slots, and a fast lane.

- `spawn` runs one answer in a task of its own (kept until done; an error in it
  is logged and counted, never raised);
- `core` runs a call into the synchronous core in a worker thread, at most
  ANSWER_SLOTS at a time: a burst of requests is acknowledged at once and
  answered steadily, instead of every answer competing with the
  acknowledgements for the event loop (and with each other for the GIL). Only
  the core's work takes a slot: Web API calls, and waiting out Slack's rate
  limits, hold none, so one busy channel never delays anyone else's answer;
- `fast` runs a core call that an acknowledgement or a trigger_id is waiting on
  (a click's state change, a modal's replay check) on threads of its own, so it
  never queues behind answers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..bot.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
ANSWER_SLOTS = 16
"""Calls into the core at once per process; the rest wait their turn (it also bounds the work a flood can start)."""
FAST_LANE_THREADS = 4
"""Worker threads for the core calls that an acknowledgement or a trigger_id waits on."""


class Work:
    """The answers being worked on in one process, and the two ways into the core."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(ANSWER_SLOTS)
        self._fast: ThreadPoolExecutor | None = None

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run one answer in the background; the task is kept until done, and an error in it is logged."""
        task = asyncio.get_running_loop().create_task(self.guarded(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def guarded(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception as exc:  # a bug costs one answer, never the app; the payload is not logged
            self.metrics.inc("rolecall_errors_total", kind="slack")
            log.error("error answering a Slack %s", what, exc_info=exc)
        finally:
            if inspect.getcoroutinestate(work) == inspect.CORO_CREATED:
                work.close()  # cancelled (shutting down) before it started

    async def core(self, call: Callable[..., T], *args: Any) -> T:
        """A call into the core in a worker thread, in one of the answer slots."""
        async with self._slots:
            return await asyncio.to_thread(call, *args)

    def fast(self, call: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """A call into the core on the fast lane's threads; await it, or wait for it with a timeout."""
        if self._fast is None:
            self._fast = ThreadPoolExecutor(FAST_LANE_THREADS, thread_name_prefix="rolecall-slack-fast")
        return asyncio.get_running_loop().run_in_executor(self._fast, call, *args)

    async def wait(self, timeout: float) -> None:
        """Wait (up to `timeout` seconds) for the answers still being worked on."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def close(self) -> None:
        if self._fast is not None:
            self._fast.shutdown(wait=False)
            self._fast = None
