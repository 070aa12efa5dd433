"""Reads of personal data through the API are audited (issue 9, PIPL): one row per request that read
something, with counts and ids — never the data — and without making the read wait for writers."""

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
from server.services.read_audit import read_audit_of
from server.settings import Settings
from tests.server.erasure_support import accepted, audit_events, mediation, visit
from tests.server.factories import World
from tests.server.test_timeouts import write_lock_held_elsewhere

NOTES = "老人身体尚好，血压偏高"


def summary(event: AuditEvent) -> tuple[str, int | None, str | None, dict[str, object]]:
    return event.kind, event.member_id, event.device_id, dict(event.detail)


async def test_each_read_of_personal_data_writes_one_audit_row_of_counts(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
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

    events = [
        e for kind in ("households_listed", "record_read", "history_read", "ops_pulled")
        for e in await audit_events(store, kind)
    ]  # fmt: skip
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


@pytest.fixture
async def bounded(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Store]]:
    app = create_app(replace(settings, lock_timeout_seconds=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http, app.state.store


async def test_an_audited_read_does_not_wait_for_a_writer_and_its_row_follows(
    bounded: tuple[httpx.AsyncClient, Store], world: World, settings: Settings, store: Store
) -> None:
    http, app_store = bounded
    await accepted(http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES))

    async with write_lock_held_elsewhere(settings.database_url):
        started = time.monotonic()
        pulled = await asyncio.wait_for(http.get("/api/sync/pull", headers=world.alice.headers), timeout=10)
        took = time.monotonic() - started

    assert pulled.status_code == 200 and len(pulled.json()["ops"]) == 1
    assert took < 1, took
    # SQLite: the one writer was busy, so the row waits in memory; PostgreSQL needed no writer's lock.
    assert read_audit_of(app_store).pending == (1 if store.is_sqlite else 0)
    await read_audit_of(app_store).flush()  # what the background flush does within a second
    (event,) = await audit_events(store, "ops_pulled")
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

    assert kept == (1 if store.is_sqlite else 0)
    (event,) = await audit_events(store, "ops_pulled")
    assert (event.member_id, event.detail) == (world.alice.member_id, {"ops": 1, "records": 1})
