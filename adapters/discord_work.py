"""Where the Discord front end's work runs, and how it stops.

The core is synchronous (the store may wait on a locked SQLite file or a far
Redis), so its calls run on a few threads of a `CorePool`, never on the event loop
that must acknowledge every interaction within Discord's 3 seconds. The threads are
daemons: a call stuck on a locked store can never hold the process past a shutdown.

`Jobs` knows what is in flight, so that on SIGTERM the bot stops taking work, lets
what it started finish, and answers whatever did not finish in time instead of
leaving someone staring at "Rolecall is thinking…".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Farewell = Callable[[], Awaitable[None]]
"""What a piece of work says when the bot stops before it finished (an interaction's "restarting" note)."""
FAREWELL_SECONDS = 1.5
"""How long the farewells to unfinished work may take, all together."""


class CorePool:
    """A fixed number of daemon threads running blocking calls for the event loop.

    Unlike asyncio's default executor, whose threads the interpreter waits for at exit,
    these never keep the process alive. Each pool is bounded, so a burst of one kind of
    work (twenty backlog triages) queues behind itself instead of taking every thread.
    """

    def __init__(self, name: str, workers: int):
        self.name = name
        self.workers = workers
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on one of the pool's threads; cancelling the caller abandons the call, it does not stop it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._start()
        self._queue.put((lambda: fn(*args), future))
        return await future

    def _start(self) -> None:
        with self._lock:
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads) + 1}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            call, future = item
            if future.cancelled():
                continue
            try:
                outcome: tuple[bool, Any] = (True, call())
            except BaseException as exc:  # handed to the awaiting task, which decides what it means
                outcome = (False, exc)
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
                future.get_loop().call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Jobs:
    """The work in flight (one task per interaction or message being answered)."""

    def __init__(self) -> None:
        self.closing = False
        """Set when the bot is shutting down: new work is told to come back later."""
        self._running: dict[asyncio.Task[Any], Farewell | None] = {}
        self._hurry = asyncio.Event()

    @contextlib.contextmanager
    def track(self, farewell: Farewell | None = None) -> Iterator[None]:
        """Count the current task as in flight while the block runs; `farewell` answers it if the bot stops first."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._running[task] = farewell
        try:
            yield
        finally:
            self._running.pop(task, None)

    def __len__(self) -> int:
        return len(self._running)

    def hurry(self) -> None:
        """A second stop signal: stop waiting for the work in flight."""
        self._hurry.set()

    async def drain(self, timeout: float) -> None:
        """Stop taking work, wait up to `timeout` for what is in flight, then answer and abandon the rest."""
        self.closing = True
        running = set(self._running) - {asyncio.current_task()}
        if running:
            log.info("stopping: waiting up to %.0f s for %d answer(s) in progress", timeout, len(running))
            await self._wait(running, timeout)
        unfinished = {task: self._running.get(task) for task in running if not task.done()}
        if not unfinished:
            return
        log.warning("stopping with %d answer(s) unfinished; telling those people to try again", len(unfinished))
        for task in unfinished:
            task.cancel()
        await asyncio.wait(unfinished, timeout=0.5)
        farewells = [asyncio.ensure_future(say()) for say in unfinished.values() if say is not None]
        if farewells:
            await asyncio.wait(farewells, timeout=FAREWELL_SECONDS)

    async def _wait(self, running: set[asyncio.Task[Any]], timeout: float) -> None:
        """Until everything in `running` is done, the time is up, or `hurry` was called."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        hurry = asyncio.ensure_future(self._hurry.wait())
        pending = set(running)
        try:
            while pending and not hurry.done() and (remaining := deadline - loop.time()) > 0:
                done, _ = await asyncio.wait({*pending, hurry}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                pending -= done
        finally:
            hurry.cancel()
