from __future__ import annotations

import asyncio

from sqlalchemy import text

from server.db import Store
from server.settings import Settings


async def test_a_second_writer_waits_until_the_first_has_committed(settings: Settings) -> None:
    """Writers are serialized even across processes (two stores here): the basis of the gap-free cursor."""
    first, second = Store(settings.database_url), Store(settings.database_url)
    second_started = asyncio.Event()

    async def second_writer() -> None:
        async with second.write() as session:
            await session.execute(text("SELECT 1"))
            second_started.set()

    try:
        async with first.write() as session:
            await session.execute(text("SELECT 1"))
            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.3)
            assert not second_started.is_set(), "a second writer got in while the first was still open"
        await asyncio.wait_for(waiting, timeout=10)
        assert second_started.is_set()
    finally:
        await first.dispose()
        await second.dispose()


async def _durability(store: Store, transaction: str) -> str:
    opened = store.write_nowait() if transaction == "nowait" else store.write()
    async with opened as session:
        query = "PRAGMA synchronous" if store.is_sqlite else "SHOW synchronous_commit"
        return str((await session.execute(text(query))).scalar_one())


async def test_only_best_effort_writes_commit_without_waiting_for_the_disk(store: Store) -> None:
    # write_nowait keeps bookkeeping (read-audit rows, a session's last-seen time): its commit need not
    # reach the disk before the answer. Ops and everything else are written durably.
    durable, relaxed = ("2", "1") if store.is_sqlite else ("on", "off")  # SQLite: FULL = 2, NORMAL = 1

    assert await _durability(store, "write") == durable
    assert await _durability(store, "nowait") == relaxed
    assert await _durability(store, "write") == durable  # the setting did not leak into the pool
