"""Group commit (server/group_commit.py): pushes waiting for SQLite's one writer share a transaction, each in
its own savepoint, and are answered only after the shared commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from server import migrate
from server.db import Store
from server.errors import Busy


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> Store:
    url = f"sqlite+aiosqlite:///{tmp_path / 'g.sqlite3'}"
    await migrate.upgrade(url)
    store = Store(url, lock_timeout=2)
    async with store.write() as session:
        await session.execute(text("CREATE TABLE marks (name TEXT PRIMARY KEY)"))
    return store


async def marks(store: Store) -> list[str]:
    async with store.read() as session:
        return sorted((await session.scalars(text("SELECT name FROM marks"))).all())


async def test_waiting_pushes_share_a_commit_and_a_failing_one_rolls_back_alone(sqlite_store: Store) -> None:
    commits = 0
    original = sqlite_store.write

    def counting_write():  # type: ignore[no-untyped-def]
        nonlocal commits
        commits += 1
        return original()

    sqlite_store._grouped._begin = counting_write  # count the transactions the group commit opens

    def mark(name: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
        async def work(session: AsyncSession) -> str:
            await session.execute(text("INSERT INTO marks VALUES (:n)"), {"n": name})
            if fail:
                raise RuntimeError(f"{name} failed after writing")
            return name

        return work

    async with sqlite_store.write():  # hold the writer so that the pushes queue up behind it
        tasks = [
            asyncio.create_task(sqlite_store.write_grouped(mark(f"p{i}", fail=i == 3))) for i in range(6)
        ]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in tasks), "nobody is answered before the commit"
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)

    assert [o for i, o in enumerate(outcomes) if i != 3] == ["p0", "p1", "p2", "p4", "p5"]
    assert isinstance(outcomes[3], RuntimeError)
    assert await marks(sqlite_store) == ["p0", "p1", "p2", "p4", "p5"]
    assert commits == 1, "the six waiting pushes shared one transaction"
    await sqlite_store.dispose()


async def test_a_push_alone_runs_without_a_savepoint_and_its_failure_stores_nothing(
    sqlite_store: Store,
) -> None:
    statements: list[str] = []
    engine = sqlite_store._write_engine.sync_engine
    listen = lambda conn, cursor, statement, *rest: statements.append(statement.split()[0].upper())  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)

    def insert(name: str):  # type: ignore[no-untyped-def]
        async def work(session: AsyncSession) -> str:
            await session.execute(text("INSERT INTO marks VALUES (:n)"), {"n": name})
            return name

        return work

    async def insert_then_fail(session: AsyncSession) -> str:
        await session.execute(text("INSERT INTO marks VALUES ('failed')"))
        raise RuntimeError("failed after writing")

    assert await sqlite_store.write_grouped(insert("alone")) == "alone"
    with pytest.raises(RuntimeError, match="failed after writing"):
        await sqlite_store.write_grouped(insert_then_fail)
    event.remove(engine, "before_cursor_execute", listen)

    assert "SAVEPOINT" not in statements and "INSERT" in statements
    assert await marks(sqlite_store) == ["alone"]
    # The failed push's rollback left the writer free: the next one goes through.
    assert await sqlite_store.write_grouped(insert("next")) == "next"
    assert await marks(sqlite_store) == ["alone", "next"]
    await sqlite_store.dispose()


async def test_a_push_that_cannot_start_in_time_is_busy_and_stores_nothing(sqlite_store: Store) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO marks VALUES ('late')"))

    async with sqlite_store.write():
        with pytest.raises(Busy):
            await sqlite_store.write_grouped(work)
    await asyncio.sleep(0.1)
    assert await marks(sqlite_store) == []
    await sqlite_store.dispose()


async def store_with(tmp_path: Path, *, lock_timeout: float, queue_timeout: float) -> Store:
    url = f"sqlite+aiosqlite:///{tmp_path / 'q.sqlite3'}"
    await migrate.upgrade(url)
    store = Store(url, lock_timeout=lock_timeout, queue_timeout=queue_timeout)
    async with store.write() as session:
        await session.execute(text("CREATE TABLE marks (name TEXT PRIMARY KEY)"))
    return store


def slow_mark(name: str, seconds: float):  # type: ignore[no-untyped-def]
    async def work(session: AsyncSession) -> str:
        await session.execute(text("INSERT INTO marks VALUES (:n)"), {"n": name})
        await asyncio.sleep(seconds)  # a push that takes a while: the queue behind it moves, slowly
        return name

    return work


async def queue_behind_a_full_group(store: Store, *, pushes: int, seconds: float) -> list[object]:
    """More pushes than one group takes, each `seconds` long: the last ones wait for the whole first group."""
    tasks = [asyncio.create_task(store.write_grouped(slow_mark(f"p{i:02}", seconds))) for i in range(pushes)]
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_push_waits_its_turn_while_the_queue_moves_even_past_the_lock_timeout(tmp_path: Path) -> None:
    # A burst of phones (the fan-in): 34 pushes of 0.05 s, 32 to a group, so the last two wait ~1.6 s for
    # the first group — over the 0.5 s lock bound, but the writes ahead of them keep finishing.
    store = await store_with(tmp_path, lock_timeout=0.5, queue_timeout=20)
    started = asyncio.get_running_loop().time()
    outcomes = await queue_behind_a_full_group(store, pushes=34, seconds=0.05)
    waited = asyncio.get_running_loop().time() - started

    assert waited > 1.0, "the last pushes really waited longer than the lock bound"
    assert outcomes == [f"p{i:02}" for i in range(34)], [o for o in outcomes if not isinstance(o, str)]
    assert await marks(store) == [f"p{i:02}" for i in range(34)]
    await store.dispose()


async def test_a_queue_longer_than_the_queue_timeout_turns_the_late_pushes_away_with_nothing_stored(
    tmp_path: Path,
) -> None:
    store = await store_with(tmp_path, lock_timeout=0.5, queue_timeout=0.8)
    outcomes = await queue_behind_a_full_group(store, pushes=34, seconds=0.05)

    assert outcomes[:32] == [f"p{i:02}" for i in range(32)]
    assert all(isinstance(outcome, Busy) for outcome in outcomes[32:]), outcomes[32:]
    assert await marks(store) == [f"p{i:02}" for i in range(32)]
    await store.dispose()
