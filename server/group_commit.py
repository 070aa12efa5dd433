"""Group commit: many pushes waiting for SQLite's one writer share one transaction and one commit.

SQLite has a single writer, and every commit waits for the disk (``synchronous=FULL``). When fifty phones
push at once, doing their writes one transaction each means fifty commits in a row. Instead the pushes
queue here; one drain task takes whatever is waiting (up to a bound), runs each push in its own savepoint
of one transaction — so a push that fails rolls back alone and the others go on — commits once, and only
then answers every push in the group. A push alone in its group needs no savepoint: its failure rolls the
whole transaction back, which holds nothing else. Each push still sees the ones before it (same
transaction), so its sequence numbers follow theirs and the pull cursor stays gap-free; and no push is
answered before its commit is durable, as the protocol promises.

A queued push waits for its turn as long as the queue moves: it is given up on when no push ahead of it
has finished for ``lock_timeout`` (the writer is stuck: a held lock, a hung disk), or when it has waited
``queue_timeout`` in all (the server takes more than it can do). Either way it leaves the queue untouched
and the client gets ``503 busy`` with nothing stored. Fifty phones pushing 200 ops each at once make a
queue of several seconds that is all progress: shedding them after ``lock_timeout`` would make each send
its whole batch again, on what may be a weak link. Once started a push runs to its end (statement
timeouts bound the database's part), so a 503 never hides a stored push.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import Busy

__all__ = ["GroupCommitter"]

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]
MAX_GROUP = 32  # pushes in one transaction: enough to amortize a commit, few enough to answer promptly


@dataclass(eq=False)
class _Pending(Generic[T]):
    work: Work[T]
    done: asyncio.Future[T]
    started: asyncio.Event = field(default_factory=asyncio.Event)


class GroupCommitter:
    """Runs queued works in shared transactions opened by ``begin`` (an async context manager factory
    that yields a session inside a transaction and commits when it exits)."""

    def __init__(self, begin: Callable[[], Any], *, lock_timeout: float, queue_timeout: float) -> None:
        self._begin = begin
        self._lock_timeout = lock_timeout
        self._queue_timeout = max(queue_timeout, lock_timeout)
        self._queue: list[_Pending[Any]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._finished = 0  # pushes the drain has run to their end (stored or rolled back): its progress

    async def run(self, work: Work[T]) -> T:
        """Run ``work`` in the next group's transaction; return its result once that has committed."""
        pending: _Pending[T] = _Pending(work, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._queue_timeout
        while not pending.started.is_set():
            finished = self._finished
            wait = min(self._lock_timeout, give_up - loop.time())
            try:
                await asyncio.wait_for(pending.started.wait(), timeout=max(wait, 0))
            except TimeoutError:
                if pending.started.is_set():
                    break
                stuck = self._finished == finished
                if stuck or loop.time() >= give_up:
                    self._queue.remove(pending)
                    why = (
                        f"no write finished within {self._lock_timeout:g} s"
                        if stuck
                        else f"the queue of writes took over {self._queue_timeout:g} s"
                    )
                    raise Busy(f"{why}; try again", retry_after=math.ceil(self._lock_timeout)) from None
        return await pending.done

    async def _drain(self) -> None:
        while self._queue:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            for pending in group:
                pending.started.set()
            outcomes: list[tuple[_Pending[Any], Any, BaseException | None]] = []
            try:
                async with self._begin() as session:
                    # Begin for real (SQLite: BEGIN IMMEDIATE, the wait for the file lock) before any
                    # push runs: a lock that does not come fails the group as busy, not one push.
                    await session.connection()
                    if len(group) == 1:
                        # Alone in its transaction a push needs no savepoint (two statements fewer):
                        # if it fails, the transaction rolls back with it, which is the same outcome.
                        (pending,) = group
                        try:
                            outcomes.append((pending, await pending.work(session), None))
                        finally:
                            self._finished += 1
                    else:
                        for pending in group:
                            try:
                                async with session.begin_nested():
                                    outcomes.append((pending, await pending.work(session), None))
                            except Exception as failed:  # this push alone rolls back; the group goes on
                                outcomes.append((pending, None, failed))
                            self._finished += 1
            except BaseException as error:  # the transaction itself failed: nobody's work was stored
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for pending, result, failure in outcomes:
                if failure is not None:
                    pending.done.set_exception(failure)
                else:
                    pending.done.set_result(result)
