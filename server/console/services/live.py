"""Live pages over server-sent events: the end of the op log, watched once per process, and bounded streams.

How a record a phone syncs reaches an open alarms page within 2 seconds (issue 7, page 4):

1. :class:`LogWatcher` — one per server process, running only while a stream listens — reads the end of
   the op log every :attr:`StreamLimits.poll_seconds` (0.5 s) in a short read session of its own, so no
   database connection is held between polls and the cost does not grow with the number of open pages.
   Reading the database rather than hooking push means ops pushed to *another* server process are seen too.
   The end read is the gap-free one pull uses (``server.services.log_end.visible_end``): on PostgreSQL a
   push that drew an earlier number may commit after a later one, and a plain ``max(seq)`` would then have
   moved past it before it was visible — its change would wait for the next refresh.
2. When the end of the log moves, every stream of this process wakes, re-computes its caller's page
   fragment (re-checking the session: a logged-out browser gets ``event: end`` and the stream closes) and
   sends it only if it changed. Time alone changes alarms too (a curtain deadline passes), so each stream
   also re-computes every :attr:`StreamLimits.refresh_seconds`.
3. Bounds: a stream lives at most :attr:`StreamLimits.lifetime_seconds` (then ends; ``retry:`` makes the
   browser reconnect in 2 s and it gets a fresh snapshot), and sends a comment line as a heartbeat after
   :attr:`StreamLimits.heartbeat_seconds` of silence so proxies keep the connection and a dead peer is
   noticed.

The wire format is the HTML5 EventSource one: ``event:`` and ``data:`` lines, a blank line per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from server.db import Store
from server.services.log_end import visible_end

__all__ = ["LogWatcher", "StreamLimits", "event_stream", "sse_comment", "sse_event"]

log = logging.getLogger("lianhu.console.live")


@dataclass(frozen=True)
class StreamLimits:
    poll_seconds: float = 0.5
    refresh_seconds: float = 30.0
    heartbeat_seconds: float = 15.0
    lifetime_seconds: float = 600.0
    retry_ms: int = 2000


def sse_event(event: str, data: str) -> str:
    """One event: every line of ``data`` as its own ``data:`` line (EventSource joins them with \\n)."""
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


def sse_comment(text: str) -> str:
    return f": {text}\n\n"


class LogWatcher:
    """Wakes every listener when the end of the op log moves; polls only while someone listens."""

    def __init__(self, store: Store, *, poll_seconds: float) -> None:
        self._store = store
        self._poll = poll_seconds
        self._listeners: set[asyncio.Event] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self.seq: int | None = None

    async def _read_seq(self) -> int:
        async with self._store.read() as session:
            return await visible_end(session)

    async def _run(self) -> None:
        while self._listeners and not self._closing.is_set():
            try:
                seq = await self._read_seq()
            except Exception:  # a busy or restarting database: try again at the next poll
                log.warning("could not read the end of the op log", exc_info=True)
            else:
                if self.seq is not None and seq != self.seq:
                    for listener in self._listeners:
                        listener.set()
                self.seq = seq
            with contextlib.suppress(TimeoutError):  # the pause between polls, cut short by close()
                await asyncio.wait_for(self._closing.wait(), timeout=self._poll)
        self._task = None

    def listen(self) -> asyncio.Event:
        """An event set whenever the log's end moves; pass it to :meth:`leave` when done."""
        listener = asyncio.Event()
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return listener

    def leave(self, listener: asyncio.Event) -> None:
        self._listeners.discard(listener)

    async def close(self) -> None:
        """Stop polling and wait until a read under way has ended (before the store is disposed: a poll
        cancelled in the middle of opening a connection would leave that connection unclosed)."""
        self._listeners.clear()
        self._closing.set()
        if self._task is not None:
            await self._task


async def event_stream(
    render: Callable[[], Awaitable[str | None]],
    *,
    watcher: LogWatcher,
    limits: StreamLimits,
    event: str,
) -> AsyncIterator[str]:
    """The events of one live page: its fragment now, then whenever it changes; ``render`` returns None
    when the caller may no longer see it (session ended), which ends the stream with ``event: end``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limits.lifetime_seconds
    listener = watcher.listen()
    try:
        yield f"retry: {limits.retry_ms}\n\n"
        last = await render()
        if last is None:
            yield sse_event("end", "logged_out")
            return
        yield sse_event(event, last)
        refresh_at = loop.time() + limits.refresh_seconds
        quiet_since = loop.time()
        while (left := end - loop.time()) > 0:
            wait = min(left, refresh_at - loop.time(), quiet_since + limits.heartbeat_seconds - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.wait(), timeout=max(0.0, wait))
            changed = listener.is_set()
            listener.clear()
            if changed or loop.time() >= refresh_at:
                refresh_at = loop.time() + limits.refresh_seconds
                fresh = await render()
                if fresh is None:
                    yield sse_event("end", "logged_out")
                    return
                if fresh != last:
                    last = fresh
                    quiet_since = loop.time()
                    yield sse_event(event, fresh)
                    continue
            if loop.time() - quiet_since >= limits.heartbeat_seconds:
                quiet_since = loop.time()
                yield sse_comment("heartbeat")
    finally:
        watcher.leave(listener)
