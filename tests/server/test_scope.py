"""Roles, scope and restricted records: the server alone decides who sees and writes what."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from server.db import Store
from server.models import Assignment, AuditEvent
from server.services.members import move_member
from server.settings import Settings
from sync import encode_clock
from tests.server.conftest import ORIGIN
from tests.server.factories import Phone, World, enroll_phone


async def push(client: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> list[dict[str, Any]]:
    response = await client.post("/api/sync/push", json={"ops": ops}, headers=phone.headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def pull(client: httpx.AsyncClient, phone: Phone, after: str = "") -> dict[str, Any]:
    response = await client.get("/api/sync/pull", params={"after": after}, headers=phone.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def mediation(phone: Phone, household: str, mediators: list[int], **overrides: Any) -> dict[str, Any]:
    fields = {"category": "neighbour", "parties": "3楼与4楼", "summary": "漏水纠纷", "mediators": mediators}
    return phone.op(household=household, type="mediation", fields=fields, **overrides)


async def relogin(client: httpx.AsyncClient, phone: Phone) -> None:
    start = (await client.post("/api/login/start", json={"device": phone.device_id})).json()
    proof = phone.login_answer(ORIGIN, start["device_key"]["challenge"])
    answer = await client.post(
        "/api/login/device-key", json={"ceremony": start["ceremony"], **proof, "session": "token"}
    )
    assert answer.status_code == 200, answer.text
    phone.token = answer.json()["token"]


async def test_a_community_coordinator_sees_every_grid_of_the_community(
    client: httpx.AsyncClient, world: World
) -> None:
    await push(client, world.alice, [world.alice.op(household=world.households_a[0])])
    await push(client, world.carol, [world.carol.op(household=world.households_b[0])])

    page = await pull(client, world.dora)

    assert {op["household"] for op in page["ops"]} == {world.households_a[0], world.households_b[0]}
    assert page["scope"] == {"grids": sorted([world.grid_a, world.grid_b])}
    assert (await pull(client, world.alice))["scope"] == {"grids": [world.grid_a]}


async def test_a_mediation_note_is_seen_only_by_its_mediators_creator_and_coordinators(
    client: httpx.AsyncClient, store: Store, settings: Settings, world: World
) -> None:
    eve = await enroll_phone(store, settings, name="周敏", area_ids=[world.grid_a])  # same grid, not involved
    note = mediation(world.alice, world.households_a[0], [world.bob.member_id])
    assert (await push(client, world.alice, [note]))[0]["status"] == "accepted"

    def sees(page: dict[str, Any]) -> bool:
        return any(op["record"] == note["record"] for op in page["ops"])

    assert sees(await pull(client, world.alice)) and sees(await pull(client, world.bob))
    assert sees(await pull(client, world.dora))
    assert not sees(await pull(client, eve)) and not sees(await pull(client, world.carol))
    hidden = await client.get(f"/api/records/{note['record']}", headers=eve.headers)
    assert hidden.status_code == 404
    edit = world.alice.op(household=world.households_a[0], record=note["record"], type="mediation",
                          fields={"summary": "越权"})  # fmt: skip
    edit["replica"] = eve.device_id
    assert (await push(client, eve, [edit]))[0]["code"] == "out_of_scope"


async def test_a_new_mediator_gets_the_whole_record_and_a_removed_one_is_told_to_drop_it(
    client: httpx.AsyncClient, store: Store, settings: Settings, world: World
) -> None:
    eve = await enroll_phone(store, settings, name="周敏", area_ids=[world.grid_a])
    note = mediation(world.alice, world.households_a[0], [world.bob.member_id])
    first_session = {"date": "2026-11-21", "notes": "首次调解"}
    session_log = world.alice.op(household=world.households_a[0], record=note["record"], type="mediation",
                                 kind="append", field="sessions", value=first_session)  # fmt: skip
    del session_log["fields"]
    assert [r["status"] for r in await push(client, world.alice, [note, session_log])] == ["accepted"] * 2
    before = await pull(client, eve)

    add_eve = world.alice.op(household=world.households_a[0], record=note["record"], type="mediation",
                             fields={"mediators": [world.bob.member_id, eve.member_id]})  # fmt: skip
    await push(client, world.alice, [add_eve])
    granted = await pull(client, eve, before["cursor"])
    remove_eve = world.alice.op(household=world.households_a[0], record=note["record"], type="mediation",
                                fields={"mediators": [world.bob.member_id]})  # fmt: skip
    await push(client, world.alice, [remove_eve])
    revoked = await pull(client, eve, granted["cursor"])

    assert [op["id"] for op in granted["ops"]] == [note["id"], session_log["id"], add_eve["id"]]
    assert revoked["ops"] == [] and revoked["drop"] == [note["record"]]
    assert (await client.get(f"/api/records/{note['record']}", headers=eve.headers)).status_code == 404


async def test_a_mediation_naming_unknown_members_is_rejected(
    client: httpx.AsyncClient, world: World
) -> None:
    results = await push(client, world.alice, [mediation(world.alice, world.households_a[0], [987654])])

    assert results[0]["code"] == "invalid_value"


async def test_ops_recorded_before_a_move_are_accepted_within_the_grace_period(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    recorded = world.alice.op(household=world.households_a[0])  # on the doorstep, before the move
    async with store.write() as session:
        await move_member(
            session, member_id=world.alice.member_id, area_ids=[world.grid_b], now=datetime.now(UTC)
        )
    await relogin(client, world.alice)
    after_move = world.alice.op(household=world.households_a[1])

    results = await push(client, world.alice, [recorded, after_move])

    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "out_of_scope"
    assert (await pull(client, world.alice))["scope"] == {"grids": [world.grid_b]}
    async with store.read() as session:
        rejected = (
            await session.scalars(select(AuditEvent.detail).where(AuditEvent.kind == "op_rejected"))
        ).all()
    assert rejected == [{"op": after_move["id"], "code": "out_of_scope"}]


async def test_ops_recorded_before_a_move_are_rejected_after_the_grace_period(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    twenty_days_ago = time.time_ns() // 10**6 - 20 * 86_400_000  # recorded while assigned (30 to 15 days ago)
    recorded = world.alice.op(household=world.households_a[0], clock=encode_clock(twenty_days_ago, 0))
    async with store.write() as session:
        await move_member(
            session, member_id=world.alice.member_id, area_ids=[world.grid_b], now=datetime.now(UTC)
        )
        await session.execute(
            update(Assignment)
            .where(Assignment.member_id == world.alice.member_id, Assignment.ended_at.is_not(None))
            .values(
                started_at=datetime.now(UTC) - timedelta(days=30),
                ended_at=datetime.now(UTC) - timedelta(days=15),
            )
        )
    await relogin(client, world.alice)

    results = await push(client, world.alice, [recorded])

    assert results[0]["code"] == "out_of_scope"
