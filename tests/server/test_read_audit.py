"""Reads of personal data through the API are audited (issue 9, PIPL): one row per request that read
something, with counts and ids — never the data — without making the read wait for writers, and written
in the background many to a transaction (issue 8: not a write transaction per pull)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from server.app import create_app
from server.db import Store
from server.models import AuditEvent
from server.services import read_audit
from server.services.read_audit import read_audit_of
from server.settings import Settings
from tests.server.erasure_support import accepted, audit_events, mediation, visit
from tests.server.factories import World
from tests.server.test_timeouts import write_lock_held_elsewhere

NOTES = "老人身体尚好，血压偏高"
KINDS = ("households_listed", "record_read", "history_read", "ops_pulled")


async def events_written(store: Store, count: int, *, within: float = 5.0) -> list[AuditEvent]:
    """The read-audit rows, once ``count`` of them are in the database (the background flush wrote them)."""
    deadline = time.monotonic() + within
    while True:
        events = [e for kind in KINDS for e in await audit_events(store, kind)]
        if len(events) >= count or time.monotonic() > deadline:
            return events
        await asyncio.sleep(0.05)


def summary(event: AuditEvent) -> tuple[str, int | None, str | None, dict[str, object]]:
    return event.kind, event.member_id, event.device_id, dict(event.detail)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Store]]:
    app = create_app(replace(settings, lock_timeout_seconds=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http, app.state.store


async def test_each_read_of_personal_data_writes_one_audit_row_of_counts(
    served: tuple[httpx.AsyncClient, Store], world: World, store: Store
) -> None:
    client, _ = served
    alice = world.alice
    record = await accepted(client, alice, visit(alice, world.households_a[0], "2026-11-21", NOTES))
    await accepted(client, alice, mediation(alice, world.households_a[1], [alice.member_id]))
    headers = alice.headers

    assert (await client.get("/api/households", headers=headers)).status_code == 200
    assert (await client.get(f"/api/records/{record}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/records/{record}/history", headers=headers)).status_code == 200
    page = (await client.get("/api/sync/pull", headers=headers)).json()
    empty = (await client.get("/api/sync/pull", params={"after": page["cursor"]}, headers=headers)).json()
    assert empty["ops"] == []
    assert (
        await client.get("/api/records/019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69", headers=headers)
    ).status_code == 404

    events = sorted(await events_written(store, 4), key=lambda e: e.id)
    device = alice.device_id
    assert [summary(e) for e in events] == [
        ("households_listed", alice.member_id, device, {"households": 3}),
        ("record_read", alice.member_id, device, {"record": record, "type": "visit"}),
        ("history_read", alice.member_id, device, {"record": record, "type": "visit", "ops": 1}),
        ("ops_pulled", alice.member_id, device, {"ops": 2, "records": 2}),
    ]
    assert all(e.client for e in events)
    text = repr([e.detail for e in events])
    assert NOTES not in text and "漏水" not in text


async def test_reads_rows_are_kept_for_a_moment_and_written_together(
    served: tuple[httpx.AsyncClient, Store], world: World, store: Store
) -> None:
    http, app_store = served
    await accepted(http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES))
    for _ in range(5):
        assert (await http.get("/api/sync/pull", headers=world.alice.headers)).status_code == 200

    # No write transaction per read: the five rows wait in memory (read_audit.FLUSH_SECONDS) …
    assert read_audit_of(app_store).pending == 5
    assert await audit_events(store, "ops_pulled") == []
    # … and the background flush writes them, without anyone asking.
    events = await events_written(store, 5)
    assert [e.detail for e in events] == [{"ops": 1, "records": 1}] * 5
    assert read_audit_of(app_store).pending == 0


async def test_a_full_batch_of_rows_is_written_at_once(
    served: tuple[httpx.AsyncClient, Store], world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    http, app_store = served
    monkeypatch.setattr(read_audit, "FLUSH_SECONDS", 60.0)
    monkeypatch.setattr(read_audit, "BATCH_ROWS", 3)
    await accepted(http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES))
    for _ in range(3):
        assert (await http.get("/api/sync/pull", headers=world.alice.headers)).status_code == 200

    assert len(await events_written(store, 3, within=10)) == 3  # long before the minute is up
    assert read_audit_of(app_store).pending == 0


async def test_an_audited_read_does_not_wait_for_a_writer_and_its_row_follows(
    served: tuple[httpx.AsyncClient, Store], world: World, settings: Settings, store: Store
) -> None:
    http, app_store = served
    await accepted(http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES))

    async with write_lock_held_elsewhere(settings.database_url):
        started = time.monotonic()
        pulled = await asyncio.wait_for(http.get("/api/sync/pull", headers=world.alice.headers), timeout=10)
        took = time.monotonic() - started
        await asyncio.sleep(read_audit.FLUSH_SECONDS * 2)  # the flush ran meanwhile: on SQLite it waits
        if store.is_sqlite:
            assert read_audit_of(app_store).pending == 1 and await audit_events(store, "ops_pulled") == []

    assert pulled.status_code == 200 and len(pulled.json()["ops"]) == 1
    assert took < 1, took
    (event,) = await events_written(store, 1)  # the writer is free again: the row follows
    assert (event.member_id, event.detail) == (world.alice.member_id, {"ops": 1, "records": 1})
    assert read_audit_of(app_store).pending == 0


async def test_a_clean_shutdown_writes_the_rows_still_kept_in_memory(
    settings: Settings, world: World, store: Store
) -> None:
    app = create_app(replace(settings, lock_timeout_seconds=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            await accepted(http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES))
            async with write_lock_held_elsewhere(settings.database_url):
                pulled = await http.get("/api/sync/pull", headers=world.alice.headers)
            assert pulled.status_code == 200
            kept = read_audit_of(app.state.store).pending
        # the lifespan ends here, well within the background flush's first wait

    assert kept == 1
    (event,) = await audit_events(store, "ops_pulled")
    assert (event.member_id, event.detail) == (world.alice.member_id, {"ops": 1, "records": 1})
