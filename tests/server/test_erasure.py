"""Erasure (issue 9, PIPL): an erased record's data leaves the state, the op log and the devices, and
stays gone — also after a restore of a backup older than the erasure. Devices are simulated with the
sync library as tests/faults/device.py does (the PWA's own deletion is e2e/test_erasure.py)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.app import create_app
from server.db import Store
from server.models import Household, RecordRow, RequestFacts, WorkEvent
from server.services.backup import backup
from server.services.erasure import SERVER_REPLICA, SYSTEM_MEMBER_ID, Erased, erase_records, in_write
from server.services.record_index import rebuild_from_log, reindex_all
from server.services.resident import erase_household
from server.services.restore import restore_keeping_erasures
from server.services.retention import run_retention
from server.settings import Settings
from sync import canonical_json, state_to_json
from tests.faults.device import Network, SimDevice
from tests.server.conftest import ORIGIN, SECRET, run_cli
from tests.server.erasure_support import (
    accepted,
    age_record,
    audit_events,
    closed_request,
    is_erased,
    mediation,
    op_kinds,
    push,
    register,
    stored_state_text,
    visit,
)
from tests.server.factories import Phone, World, make_world

NOTES = "老人身体尚好，血压偏高"


def device(phone: Phone, client: httpx.AsyncClient, seed: int = 1) -> tuple[SimDevice, Network]:
    sim = SimDevice(
        f"phone{phone.member_id}", phone.member_id, phone.device_id, phone.token, 0, random.Random(seed)
    )
    return sim, Network(random.Random(seed), [client])


async def erase(store: Store, *record_ids: str, reason: str = "resident") -> list[Erased]:
    async def work(session: AsyncSession) -> list[Erased]:
        return await erase_records(
            session, record_ids, reason=reason, requested_by=None, now=datetime.now(UTC)
        )

    return await in_write(store, work)


def holds_nothing_of(sim: SimDevice, record_id: str) -> bool:
    state = sim.states[record_id]
    text = canonical_json(state_to_json(state))
    return state.is_erased and state.fields == () and state.logs == () and NOTES not in text


async def test_a_client_cannot_push_an_erase_op(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    record = await accepted(client, world.alice, visit(world.alice, world.households_a[0], "2026-11-21"))
    op = world.alice.op(household=world.households_a[0], record=record, kind="erase")
    del op["fields"]

    (result,) = await push(client, world.alice, op)

    assert (result["status"], result["code"]) == ("rejected", "erase_not_allowed")
    assert result["message_zh"]
    assert await op_kinds(store, record) == ["set"]
    assert not await is_erased(store, record)


async def test_erasing_deletes_the_ops_and_pull_brings_the_erase_op_to_every_device(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    kept = await accepted(
        client, world.alice, visit(world.alice, world.households_a[1], "2026-11-22", "留下")
    )
    record = await accepted(
        client, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES)
    )
    edit = world.alice.op(
        household=world.households_a[0], record=record, fields={"notes": NOTES + "，已复诊"}
    )
    await accepted(client, world.alice, edit)
    bob, net = device(world.bob, client)
    await bob.sync(net, batch_ops=50, reorder=False)
    assert bob.states[record].values()["notes"] == NOTES + "，已复诊"

    (erased,) = await erase(store, record)

    assert await op_kinds(store, record) == ["erase"]
    assert await op_kinds(store, kept) == ["set"]
    assert NOTES not in await stored_state_text(store, record)
    erase_op = json.loads(erased.op)
    got = (await client.get(f"/api/records/{record}", headers=world.bob.headers)).json()["record"]
    assert got == {
        "id": record, "type": "visit", "household": world.households_a[0], "fields": {}, "logs": {},
        "deleted": None,
        "erased": {"op": erase_op["id"], "clock": erase_op["clock"], "replica": SERVER_REPLICA,
                   "author": SYSTEM_MEMBER_ID},
    }  # fmt: skip
    await bob.sync(net, batch_ops=50, reorder=False)
    assert holds_nothing_of(bob, record), bob.states[record]
    assert bob.states[kept].values()["notes"] == "留下"
    # A device that starts from nothing never sees the erased data: its ops are gone from the log.
    fresh, fresh_net = device(world.alice, client, seed=2)
    await fresh.sync(fresh_net, batch_ops=50, reorder=False)
    assert holds_nothing_of(fresh, record)
    assert bob.problems == [] and fresh.problems == []
    (entry,) = [e for e in await register(store) if e.record_id == record]
    assert (entry.household_id, entry.record_type, entry.reason) == (
        world.households_a[0],
        "visit",
        "resident",
    )
    assert NOTES not in (entry.op or "") and '"kind":"erase"' in (entry.op or "")


async def test_an_edit_made_offline_before_the_erasure_is_absorbed_and_stores_nothing(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    record = await accepted(
        client, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES)
    )
    alice, net = device(world.alice, client)
    await alice.sync(net, batch_ops=50, reorder=False)
    alice.write({"record": record, "type": "visit", "household": world.households_a[0], "kind": "set",
                 "fields": {"notes": "离线时补充：" + NOTES}})  # fmt: skip
    await erase(store, record)

    await alice.sync(net, batch_ops=50, reorder=False)  # push (answered duplicate), then pull the erase op

    assert alice.outbox == [] and alice.problems == []
    assert holds_nothing_of(alice, record)
    assert await op_kinds(store, record) == ["erase"]
    assert "离线时补充" not in await stored_state_text(store, record)


async def test_a_deleted_and_erased_record_returns_no_notes(
    client: httpx.AsyncClient, world: World, store: Store, settings: Settings
) -> None:
    record = await accepted(
        client, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES)
    )
    delete = world.alice.op(household=world.households_a[0], record=record, kind="delete")
    del delete["fields"]
    await accepted(client, world.alice, delete)
    before = (await client.get(f"/api/records/{record}", headers=world.alice.headers)).json()["record"]
    assert (
        before["deleted"]["value"] is True and before["fields"]["notes"]["value"] == NOTES
    )  # a tombstone hides nothing
    now = datetime.now(UTC)
    await age_record(store, record, now - timedelta(days=31))

    report = await run_retention(store, settings.retention, now=now)

    assert report.counts["deleted"] == 1 and report.erased == [record]
    after = (await client.get(f"/api/records/{record}", headers=world.alice.headers)).json()["record"]
    assert after["fields"] == {} and after["logs"] == {} and after["erased"]["replica"] == SERVER_REPLICA
    history = (await client.get(f"/api/records/{record}/history", headers=world.alice.headers)).json()
    assert [op["kind"] for op in history["ops"]] == ["erase"]
    assert NOTES not in str(history)


async def test_erasing_a_mediation_reaches_its_mediator_and_no_one_else(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    record = await accepted(
        client, world.bob, mediation(world.bob, world.households_a[0], [world.alice.member_id])
    )
    alice, net = device(world.alice, client)
    await alice.sync(net, batch_ops=50, reorder=False)
    assert alice.states[record].values()["summary"] == "楼上漏水纠纷"
    carol, carol_net = device(world.carol, client, seed=3)

    await erase(store, record)

    await alice.sync(net, batch_ops=50, reorder=False)
    await carol.sync(carol_net, batch_ops=50, reorder=False)
    assert alice.states[record].is_erased and alice.states[record].values() == {}
    assert record not in carol.states


async def test_erasing_twice_makes_one_erase_op(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    record = await accepted(client, world.alice, visit(world.alice, world.households_a[0], "2026-11-21"))
    first = await erase(store, record)
    again = await erase(store, record)
    assert len(first) == 1 and again == []
    assert await op_kinds(store, record) == ["erase"]
    assert len([e for e in await register(store) if e.record_id == record]) == 1


async def test_the_erasure_register_is_applied_again_after_restoring_an_older_backup(
    settings: Settings, tmp_path: Path
) -> None:
    store = Store(settings.database_url)
    try:
        world = await make_world(store, settings)
    finally:
        await store.dispose()
    target = tmp_path / "before-erasure.backup"
    household = world.households_a[0]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
        async with http:
            erased_visit = await accepted(
                http, world.alice, visit(world.alice, household, "2026-11-21", NOTES)
            )
            kept = await accepted(
                http, world.alice, visit(world.alice, world.households_a[1], "2026-11-22", "留下")
            )
            await backup(settings.database_url, target)
            await erase_household(
                app.state.store, household, requested_by=world.dora.member_id, now=datetime.now(UTC)
            )
            assert await is_erased(app.state.store, erased_visit)

    done = await restore_keeping_erasures(
        settings.database_url, target, copy_dir=tmp_path / "copies", now=datetime.now(UTC)
    )

    store = Store(settings.database_url)
    try:
        assert (
            done.from_store == done.entries == 2 and done.records == 1
        )  # the visit, and the household's facts
        assert await is_erased(store, erased_visit) and not await is_erased(store, kept)
        assert await op_kinds(store, erased_visit) == ["erase"]
        assert NOTES not in await stored_state_text(store, erased_visit)
        async with store.read() as session:
            facts = (await session.execute(select(Household.head_name, Household.tags).where(
                Household.id == household))).one()  # fmt: skip
        assert tuple(facts) == ("", [])
        assert {(e.record_id, e.reason) for e in await register(store)} == {
            (erased_visit, "resident"),
            (None, "resident"),
        }
        (event,) = await audit_events(store, "erasures_reapplied")
        assert event.detail["records"] == 1
        assert done.register_copy.exists() and NOTES not in done.register_copy.read_text(encoding="utf-8")
    finally:
        await store.dispose()


async def test_lianhu_db_restore_applies_the_register_again(tmp_path: Path) -> None:
    """The command itself, on a SQLite file of its own: back up, erase, restore — the erased record stays
    erased, the other one is back as it was."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lianhu.sqlite3'}"
    await asyncio.to_thread(run_cli, "db", "upgrade", database_url=url)
    settings = Settings(database_url=url, origin=ORIGIN, rp_id="localhost", secret_key=SECRET)
    store = Store(url)
    try:
        world = await make_world(store, settings)
    finally:
        await store.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            gone = await accepted(
                http, world.alice, visit(world.alice, world.households_a[0], "2026-11-21", NOTES)
            )
            kept = await accepted(http, world.alice, visit(world.alice, world.households_a[1], "2026-11-22"))
    await asyncio.to_thread(run_cli, "db", "backup", str(tmp_path / "before.backup"), database_url=url)
    store = Store(url)
    try:
        await erase(store, gone, reason="retention")
    finally:
        await store.dispose()

    out = await asyncio.to_thread(
        run_cli, "db", "restore", str(tmp_path / "before.backup"), "--json", database_url=url
    )

    answer = json.loads(out.stdout)
    assert (answer["from_store"], answer["erased_again"]) == (1, 1)
    store = Store(url)
    try:
        assert await is_erased(store, gone) and not await is_erased(store, kept)
        assert NOTES not in await stored_state_text(store, gone)
    finally:
        await store.dispose()


@pytest.mark.parametrize("rebuild", [reindex_all, rebuild_from_log], ids=["reindex", "rebuild_from_the_log"])
async def test_an_erased_request_loses_its_projections_and_reindexing_keeps_it_erased(
    client: httpx.AsyncClient, world: World, store: Store, rebuild: Callable[[AsyncSession], Awaitable[int]]
) -> None:
    record = await closed_request(client, world.alice, world.dora, world.households_a[0])
    assert await projections_of(store, record) == (1, 1)  # its facts, and the return visit as work done

    await erase(store, record)
    async with store.write() as session:
        await rebuild(session)

    assert await projections_of(store, record) == (0, 0)
    async with store.read() as session:
        row = await session.get(RecordRow, record)
        assert row is not None
        assert (row.stage, row.closed, row.deleted, row.summary) == ("erased", True, True, "")


async def projections_of(store: Store, record_id: str) -> tuple[int, int]:
    async with store.read() as session:
        facts = await session.scalar(select(func.count()).where(RequestFacts.record_id == record_id))
        events = await session.scalar(select(func.count()).where(WorkEvent.record_id == record_id))
    return int(facts or 0), int(events or 0)
