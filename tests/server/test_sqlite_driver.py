"""The SQLite adapter (server/sqlite_driver.py): one trip to aiosqlite's thread per statement, and a cursor
that tells SQLAlchemy everything a plain one does (rows, description, row count, last row id, errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from server.db import Store


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with store.write() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"))
    yield store
    await store.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made on aiosqlite connections' threads, by name."""
    made: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_a_statement_and_its_rows_are_one_trip_to_the_thread(lite: Store, trips: list[str]) -> None:
    async with lite.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('a'), ('b')"))
        before = len(trips)
        rows = (await session.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert len(trips) - before == 1  # SQLAlchemy's own adapter: cursor, execute, fetchall, close
    assert [tuple(row) for row in rows] == [(1, "a"), (2, "b")]


async def test_the_cursor_reports_row_counts_last_row_ids_and_columns(lite: Store) -> None:
    async with lite.write() as session:
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('x')"))
        assert inserted.lastrowid == 1  # type: ignore[attr-defined]
        many = await session.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "y"}, {"n": "z"}])
        assert many.rowcount == 2  # type: ignore[attr-defined]
        updated = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2  # type: ignore[attr-defined]
        result = await session.execute(text("SELECT name AS label FROM t WHERE id = 3"))
        assert list(result.keys()) == ["label"]
        assert result.scalar_one() == "z!"
        assert (await session.execute(text("SELECT name FROM t WHERE id = 99"))).first() is None


async def test_an_error_is_sqlalchemys_and_the_transaction_rolls_back(lite: Store) -> None:
    async with lite.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('kept')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with lite.write() as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('lost')"))
            await session.execute(text("INSERT INTO t (name) VALUES ('kept')"))
    async with lite.read() as session:
        names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["kept"]


async def test_a_transaction_costs_two_trips_and_the_next_starts_clean(lite: Store, trips: list[str]) -> None:
    async with lite.read() as session:
        await session.execute(text("SELECT count(*) FROM t"))
    trips.clear()
    async with lite.read() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    # BEGIN travels with the select, then the rollback; the pool's own rollback of the connection it takes
    # back is skipped, since the connection is no longer in a transaction. SQLAlchemy's adapter made nine.
    assert trips == ["_run", "rollback"]
    async with lite.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('new')"))
    async with lite.read() as session:  # a transaction left open would still see the old snapshot
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


async def test_after_a_failed_statement_the_transaction_is_still_rolled_back(lite: Store) -> None:
    async with lite.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('a')"))
    with pytest.raises(IntegrityError):
        async with lite.write() as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('b')"))
            await session.execute(text("INSERT INTO t (name) VALUES ('a')"))  # fails; 'b' is in the open tx
    async with lite.write() as session:  # BEGIN IMMEDIATE would fail inside a transaction left open
        await session.execute(text("INSERT INTO t (name) VALUES ('c')"))
    async with lite.read() as session:
        names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["a", "c"]


async def test_a_streamed_query_is_refused_rather_than_run_outside_its_transaction(lite: Store) -> None:
    async with lite.read() as session:
        with pytest.raises(StatementError, match=r"server-side cursors \(stream_results\) are not supported"):
            await session.stream(text("SELECT name FROM t"))
