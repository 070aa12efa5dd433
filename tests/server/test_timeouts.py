"""Nothing waits without a bound (issue 9, hole 7): when another process holds the store's write lock, a
push answers ``503 busy`` with ``Retry-After`` once ``LIANHU_LOCK_TIMEOUT_SECONDS`` is up, and reads (even
of a session that is due for its last-seen refresh) answer at once, because they never wait for writers."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select, update

from server.app import create_app
from server.db import WRITE_LOCK_KEY, Store
from server.errors import Busy
from server.models import Session
from server.settings import Settings
from tests.server.factories import World

BOUND = 1  # seconds: LIANHU_LOCK_TIMEOUT_SECONDS in these tests
PATIENCE = 10  # a request that has not answered by then is hanging


@asynccontextmanager
async def write_lock_held_elsewhere(database_url: str) -> AsyncIterator[None]:
    """Another process's writer, mid-transaction: SQLite's file lock or PostgreSQL's advisory lock."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.split(":///", 1)[1], isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    holder = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    await holder.execute("SELECT pg_advisory_lock($1)", WRITE_LOCK_KEY)
    try:
        yield
    finally:
        await holder.close()  # ends the session, and with it the lock


@pytest.fixture
async def bounded(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, lock_timeout_seconds=BOUND))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


async def timed(request: Coroutine[Any, Any, httpx.Response]) -> tuple[httpx.Response, float]:
    """The answer and how long it took; a request still unanswered after PATIENCE seconds fails the test."""
    started = time.monotonic()
    response = await asyncio.wait_for(request, timeout=PATIENCE)
    return response, time.monotonic() - started


async def test_a_push_answers_busy_with_retry_after_when_the_write_lock_is_not_free_in_time(
    bounded: httpx.AsyncClient, settings: Settings, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])

    async with write_lock_held_elsewhere(settings.database_url):
        response, took = await timed(bounded.post("/api/sync/push", json={"ops": [op]}, **_as(world)))

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "busy"
    assert response.json()["error"]["message_zh"]
    assert int(response.headers["retry-after"]) >= 1
    assert BOUND * 0.9 <= took < BOUND + 3, took  # it did wait for the lock, and no longer than the bound
    again = await bounded.post("/api/sync/push", json={"ops": [op]}, **_as(world))
    assert again.json()["results"][0]["status"] == "accepted"  # nothing of the refused push was stored


async def test_reads_and_a_due_session_refresh_do_not_wait_for_writers(
    bounded: httpx.AsyncClient, store: Store, settings: Settings, world: World
) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=5)  # due for its last-seen refresh (a write)
    await set_last_seen(store, world, long_ago)

    async with write_lock_held_elsewhere(settings.database_url):
        me, me_took = await timed(bounded.get("/api/me", **_as(world)))
        pulled, pull_took = await timed(bounded.get("/api/sync/pull", **_as(world)))
        households, _ = await timed(bounded.get("/api/households", **_as(world)))

    assert (me.status_code, pulled.status_code, households.status_code) == (200, 200, 200)
    assert me_took < BOUND and pull_took < BOUND, (me_took, pull_took)
    if store.is_sqlite:  # the file lock is a writer's: the refresh was skipped rather than waited for…
        assert await last_seen(store, world) == long_ago
        assert (await bounded.get("/api/me", **_as(world))).status_code == 200
    # …and on PostgreSQL it never needed the writers' lock at all.
    assert await last_seen(store, world) > long_ago


async def test_a_writer_queued_in_the_same_process_gives_up_too(settings: Settings) -> None:
    store = Store(settings.database_url, lock_timeout=BOUND)
    try:
        async with store.write():
            waiting = asyncio.create_task(_write_once(store))
            with pytest.raises(Busy):
                await asyncio.wait_for(waiting, timeout=PATIENCE)
        await asyncio.wait_for(_write_once(store), timeout=PATIENCE)  # and the lock was given back
    finally:
        await store.dispose()


async def _write_once(store: Store) -> None:
    async with store.write():
        pass


def _as(world: World) -> dict[str, dict[str, str]]:
    return {"headers": world.alice.headers}


def _alices_session(world: World) -> Any:
    return (Session.device_id == world.alice.device_id) & Session.ended_at.is_(None)


async def set_last_seen(store: Store, world: World, when: datetime) -> None:
    async with store.write() as session:
        await session.execute(update(Session).where(_alices_session(world)).values(last_seen_at=when))


async def last_seen(store: Store, world: World) -> datetime:
    async with store.read() as session:
        when = await session.scalar(select(Session.last_seen_at).where(_alices_session(world)))
    assert when is not None
    return when
